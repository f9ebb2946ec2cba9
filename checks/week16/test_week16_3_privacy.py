"""Week 16: pseudonymise.py replaces the owners' names and e-mails with keyed pseudonyms.

The `pipeline` fixture (conftest.py) ran `python pseudonymise.py` in a fresh copy of the week
folder whose data/raw/sales.csv is the check's own (200 sales, 100 made-up owners): once
without PSEUDONYM_KEY, then with a key A, a key B and key A again. The checks compare what it
wrote with the originals, and with plain hashes of them computed here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pytest
from conftest import MIN_PSEUDONYM, plain_hashes, unkeyed

from mlops_roadmap.checking import expect, expect_none, fail

if TYPE_CHECKING:
    from conftest import Pipeline, PipelineRun

    from mlops_checks.token_session import Person

PERSONAL = ("owner_name", "owner_email")
PSEUDONYM = "owner_id"
CONTRACT = (
    "data/processed/sales.csv: every row of data/raw/sales.csv in the same order, without "
    "owner_name and owner_email, with owner_id = a keyed pseudonym of the owner's e-mail"
)
# Four runs of pseudonymise.py, 120 s each at most.
pytestmark = pytest.mark.timeout(600)


def processed_rows(run: PipelineRun, raw: list[dict[str, str]]) -> list[dict[str, str]]:
    """The processed rows, or fail when they are not the raw rows one for one."""
    rows = run.rows()
    expect(
        len(rows) == len(raw),
        expected=f"{len(raw)} rows in data/processed/sales.csv, one per sale ({CONTRACT})",
        found=f"{len(rows)} rows",
        hint="Keep every sale: replace the personal columns, do not filter or aggregate rows.",
    )
    return rows


def pseudonyms(run: PipelineRun, raw: list[dict[str, str]]) -> list[str]:
    rows = processed_rows(run, raw)
    if not rows or PSEUDONYM not in rows[0]:
        fail(
            expected=f"a column {PSEUDONYM} in data/processed/sales.csv ({CONTRACT})",
            found="columns: " + ", ".join(rows[0].keys() if rows else []),
            hint="sales.insert(1, 'owner_id', sales['owner_email'].map(pseudonym)).",
        )
    return [row[PSEUDONYM] for row in rows]


@pytest.mark.points(1)
@pytest.mark.hint("Run `PSEUDONYM_KEY=... python pseudonymise.py` yourself from the week folder.")
def test_pipeline_writes_processed_file(
    pipeline: Pipeline, sales_rows: list[dict[str, str]]
) -> None:
    """pseudonymise.py writes data/processed/sales.csv, row for row"""
    run = pipeline.key_a
    if pipeline.missing or run is None:
        fail(
            expected="pseudonymise.py in the week folder",
            found="no pseudonymise.py",
            hint="The scaffold has one: `mlops-roadmap start 16` lays it out again.",
        )
    if not run.ok:
        found = (
            f"still running after {120:g} s, so it was stopped"
            if run.timed_out
            else f"exit status {run.returncode}, "
            + ("no data/processed/sales.csv; " if run.processed is None else "")
            + f"last lines:\n{run.tail}"
        )
        fail(
            expected="`python pseudonymise.py` with PSEUDONYM_KEY set to exit 0 and write "
            "data/processed/sales.csv",
            found=found,
            hint="Run it yourself with PSEUDONYM_KEY set (see .env.example) and fix the first "
            "error.",
        )
    raw = sales_rows
    rows = processed_rows(run, raw)
    kept = [c for c in raw[0] if c not in PERSONAL]
    missing = [c for c in kept if c not in rows[0]]
    expect(
        not missing,
        expected=f"every other column of data/raw/sales.csv kept ({', '.join(kept[:4])}, ...)",
        found="missing: " + ", ".join(missing),
        hint="Drop only the personal columns; the sale and the house stay as they are.",
    )
    changed = [
        i for i, (a, b) in enumerate(zip(raw, rows, strict=True)) if any(
            not same(a[c], b[c]) for c in kept
        )
    ]  # fmt: skip
    expect(
        not changed,
        expected="the same sales in the same order, their other values unchanged",
        found=f"{len(changed)} rows differ, e.g. row {changed[0] + 1 if changed else 0}: "
        + (f"sale {raw[changed[0]]['sale_id']} became {rows[changed[0]]['sale_id']}" if changed
           else ""),
        hint="Do not sort, shuffle or edit the rows: only replace the personal columns.",
    )  # fmt: skip


def same(a: str, b: str) -> bool:
    """Equal as written, or as numbers (pandas may write 1500 as 1500.0)."""
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def leaked(text: str, people: list[Person]) -> list[str]:
    lowered = text.lower()
    out = []
    for p in people:
        out += [v for v in (p.name, p.key) if v.lower() in lowered]
    return out


@pytest.mark.points(2)
@pytest.mark.hint("Drop owner_name and owner_email after computing owner_id.")
def test_no_personal_data_in_output(
    pseudonymised: Pipeline, sales_rows: list[dict[str, str]], sales_people: list[Person]
) -> None:
    """No owner's name or e-mail appears in the processed file or in what the script prints"""
    run = pseudonymised.key_a
    assert run is not None and run.processed is not None
    people = sales_people
    header = run.rows()[0].keys() if run.rows() else []
    columns = [c for c in PERSONAL if c in header]
    in_file = leaked(run.processed, people)
    in_output = leaked(run.output, people)
    problems = (
        ([f"columns {', '.join(columns)} still there"] if columns else [])
        + (
            [f"{len(in_file)} owners' names or e-mail addresses in the file, e.g. {in_file[0]}"]
            if in_file
            else []
        )
        + ([f"{len(in_output)} in what it printed, e.g. {in_output[0]}"] if in_output else [])
    )
    expect_none(
        problems,
        expected=f"none of the {len(people)} owners' names or e-mail addresses (in any case) in "
        "data/processed/sales.csv or in the script's output, and no owner_name or owner_email "
        "column",
        hint="Drop the personal columns once owner_id is computed (data minimisation), and "
        "never print rows or values of personal data, only counts.",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Normalise the e-mail (strip, lower-case) before computing its pseudonym.")
def test_pseudonyms_are_consistent(
    pseudonymised: Pipeline, sales_rows: list[dict[str, str]]
) -> None:
    """Each owner has one pseudonym, different owners have different ones, and reruns agree"""
    raw = sales_rows
    assert pseudonymised.key_a is not None and pseudonymised.key_a_again is not None
    ids = pseudonyms(pseudonymised.key_a, raw)
    by_person: dict[str, set[str]] = defaultdict(set)
    for row, pid in zip(raw, ids, strict=True):
        by_person[row["owner_email"].strip().lower()].add(pid)
    split = [email for email, found in by_person.items() if len(found) > 1]
    owners_of: dict[str, set[str]] = defaultdict(set)
    for email, found in by_person.items():
        for pid in found:
            owners_of[pid].add(email)
    shared = [pid for pid, emails in owners_of.items() if len(emails) > 1]
    short = sorted({pid for pid in ids if len(pid.strip()) < MIN_PSEUDONYM})
    again = pseudonymised.key_a_again.rows() if pseudonymised.key_a_again.ok else []
    rerun = [r.get(PSEUDONYM) for r in again] == ids
    problems = (
        ([f"{len(split)} owners get several pseudonyms, e.g. {split[0]}"] if split else [])
        + ([f"{len(shared)} pseudonyms are shared by different owners"] if shared else [])
        + ([f"pseudonyms shorter than {MIN_PSEUDONYM} characters: {short[0]!r}"] if short else [])
        + ([] if rerun else ["a second run with the same key gave other pseudonyms"])
    )
    expect_none(
        problems,
        expected=f"one {PSEUDONYM} per owner across all their sales (Jane.Doe@Example.com is "
        "jane.doe@example.com), a different one for each owner, and the same file from a "
        "second run with the same key",
        hint="pseudonym(value) = hmac.new(key, value.strip().lower().encode(), "
        "hashlib.sha256).hexdigest(): deterministic, no random salt, no timestamp.",
    )


@pytest.mark.points(2)
@pytest.mark.hint("HMAC-SHA256 with PSEUDONYM_KEY, never a plain hash of the e-mail.")
def test_pseudonyms_are_keyed(pseudonymised: Pipeline, sales_rows: list[dict[str, str]]) -> None:
    """The pseudonyms are not plain hashes of names or e-mails, and change with the key"""
    raw = sales_rows
    assert pseudonymised.key_a is not None and pseudonymised.key_b is not None
    ids = pseudonyms(pseudonymised.key_a, raw)
    plain = []
    for row, pid in zip(raw, ids, strict=True):
        hashes = plain_hashes(row["owner_email"]) | plain_hashes(row["owner_name"])
        if unkeyed(pid, hashes):
            plain.append(f"{row['owner_email']} -> {pid[:16]}")
    with_b = pseudonymised.key_b.rows() if pseudonymised.key_b.ok else []
    unchanged = sum(1 for a, b in zip(ids, with_b, strict=False) if a == b.get(PSEUDONYM))
    problems = ([f"{len(plain)} pseudonyms are plain hashes or encodings of the owner's "
                 f"e-mail or name, e.g. {plain[0]}"] if plain else []) + (
        [f"pseudonymise.py with another PSEUDONYM_KEY did not finish: {pseudonymised.key_b.tail}"]
        if not with_b
        else [f"{unchanged} of {len(ids)} pseudonyms stayed the same with another key"]
        if unchanged
        else []
    )  # fmt: skip
    expect_none(
        problems,
        expected="pseudonyms nobody can compute without PSEUDONYM_KEY: no MD5/SHA/BLAKE2 "
        "digest or base64 of the e-mail or name (the check computed them), and every one "
        "different when the key changes",
        hint="An unkeyed hash of an e-mail is reversible by hashing a list of known "
        "addresses. Use hmac.new(os.environ['PSEUDONYM_KEY'].encode(), email.encode(), "
        "hashlib.sha256).hexdigest(), with no key or salt written in the code.",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Exit with an error before reading any data when PSEUDONYM_KEY is missing.")
def test_refuses_without_key(pipeline: Pipeline) -> None:
    """Without PSEUDONYM_KEY, pseudonymise.py exits with an error and writes nothing"""
    run = pipeline.no_key
    if pipeline.missing or run is None:
        fail(
            expected="pseudonymise.py in the week folder",
            found="no pseudonymise.py",
            hint="The scaffold has one: `mlops-roadmap start 16` lays it out again.",
        )
    problems = ([] if run.returncode != 0 else ["it exited with status 0"]) + (
        [] if run.processed is None else ["it wrote data/processed/sales.csv"]
    )
    expect(
        not problems and not run.timed_out,
        expected="`python pseudonymise.py` without PSEUDONYM_KEY in the environment to exit "
        "with a non-zero status and write no data/processed/sales.csv",
        found="; ".join(problems) or "it ran too long and was stopped",
        hint="Read the key first with no default (os.environ.get('PSEUDONYM_KEY', '') and "
        "stop when it is shorter than 32 characters): without a key a pseudonym is either "
        "guessable or random, and both are wrong.",
    )
