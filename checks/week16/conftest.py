"""Week 16 fixtures: the learner's API started once and put through a session of requests, then
started again with other secrets; and pseudonymise.py run four times on the check's own
personal data.

Everything the learner wrote runs in their interpreter through `run` or `serve`, in fresh
copies of the week folder, with secrets the checks make up for this run (JWT_SECRET,
PSEUDONYM_KEY); tokens are minted with the standard library (``mlops_roadmap.tokens``). Each
request's log lines are kept apart, so that a check can read what the app logged for one
caller. Every start is stopped as soon as its requests are over, so the later checks find
nothing running.

The API session, its restarts and the checks of tokens live in the course library
(``mlops_checks.token_session``, ``token_fixtures``, ``token_checks``), so that the capstone
(week 23) runs them again; this week gives them its own callers and houses.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks.token_session import OUTPUTS, Person, week_env
from mlops_roadmap.checking import blocked

pytest_plugins = ["mlops_checks.token_fixtures"]

CHECKS_DIR = Path(__file__).resolve().parent
HOUSES_CSV = CHECKS_DIR / "data" / "houses.csv"
SALES_CSV = CHECKS_DIR / "data" / "sales.csv"
PIPELINE_TIMEOUT = 120  # seconds for one `python pseudonymise.py` (the solution takes about 1)
MIN_PSEUDONYM = 8  # characters: shorter ones collide, or are guessable
CALLERS = 12  # made-up owners of the check's sales who call the API in the session
PROCESSED = Path("data") / "processed" / "sales.csv"


# --- the check's data ------------------------------------------------------------------------


def read_sales(path: Path = SALES_CSV) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def people(rows: list[dict[str, str]]) -> list[Person]:
    """The distinct owners of the sales, in order of first appearance (one per e-mail)."""
    seen: dict[str, Person] = {}
    for row in rows:
        person = Person(row["owner_name"], row["owner_email"])
        seen.setdefault(person.key, person)
    return list(seen.values())


def typed(value: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def houses_payload() -> dict[str, Any]:
    with HOUSES_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {"houses": [{k: typed(v) for k, v in row.items() if k != "price"} for row in rows]}


@pytest.fixture(scope="session")
def sales_rows() -> list[dict[str, str]]:
    """The check's own data/raw/sales.csv, which pseudonymise.py is run on."""
    return read_sales()


@pytest.fixture(scope="session")
def sales_people(sales_rows: list[dict[str, str]]) -> list[Person]:
    return people(sales_rows)


# --- the API session (mlops_checks.token_fixtures), on the check's own data ---------------------


@pytest.fixture(scope="session")
def token_callers(sales_rows: list[dict[str, str]]) -> list[Person]:
    """The first owners of the check's sales call the API, so that the log check knows which
    personal data to look for."""
    return people(sales_rows)[:CALLERS]


@pytest.fixture(scope="session")
def token_houses() -> dict[str, Any]:
    """The body of each prediction: the check's own houses.csv, without the price."""
    return houses_payload()


def plain_hashes(value: str) -> set[str]:
    """Unkeyed digests and encodings of ``value`` anyone could compute from a list of e-mails."""
    forms = {value, value.strip(), value.strip().lower()}
    out: set[str] = set()
    for form in forms:
        data = form.encode()
        out.add(base64.b64encode(data).decode().rstrip("="))
        out.add(base64.urlsafe_b64encode(data).decode().rstrip("="))
        out.add(data.hex())
        for algorithm in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "blake2b",
                          "blake2s", "sha3_256", "sha3_512"):  # fmt: skip
            digest = hashlib.new(algorithm, data).digest()
            out.add(digest.hex())
            out.add(base64.b64encode(digest).decode().rstrip("="))
            out.add(base64.urlsafe_b64encode(digest).decode().rstrip("="))
    return {h.lower() for h in out}


def unkeyed(pid: str, hashes: set[str]) -> bool:
    """The pseudonym is, contains, or is a cut of a plain hash or encoding."""
    pid = pid.strip().lower().rstrip("=")
    return len(pid) >= MIN_PSEUDONYM and any(pid in h or h in pid for h in hashes)


# --- pseudonymise.py -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineRun:
    """One `python pseudonymise.py` in the check's copy, and the file it left."""

    label: str
    returncode: int
    timed_out: bool
    output: str  # stdout and stderr
    tail: str
    processed: str | None  # data/processed/sales.csv, when written

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.processed is not None

    def rows(self) -> list[dict[str, str]]:
        return list(csv.DictReader((self.processed or "").splitlines()))


@dataclass(frozen=True)
class Pipeline:
    folder: Path
    missing: bool
    no_key: PipelineRun | None = None
    key_a: PipelineRun | None = None
    key_b: PipelineRun | None = None
    key_a_again: PipelineRun | None = None


def pipeline_run(
    run: Callable[..., Any], python: Path, folder: Path, label: str, env: dict[str, str]
) -> PipelineRun:
    target = folder / PROCESSED
    target.unlink(missing_ok=True)
    result = run([python, "pseudonymise.py"], cwd=folder, env=env, timeout=PIPELINE_TIMEOUT)
    text = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else None
    return PipelineRun(
        label,
        result.returncode,
        result.timed_out,
        result.stdout + "\n" + result.stderr,
        result.tail(8),
        text,
    )


@pytest.fixture(scope="session")
def pipeline(
    run: Callable[..., Any],
    clean_copy: Callable[..., Path],
    learner_python: Path,
    made_up_secrets: dict[str, str],
) -> Pipeline:
    """pseudonymise.py on the check's sales.csv: without a key, with key A, with key B, and with
    key A again, in one fresh copy of the week folder."""
    folder = clean_copy(*OUTPUTS)
    if not (folder / "pseudonymise.py").is_file():
        return Pipeline(folder, missing=True)
    shutil.rmtree(folder / "data" / "processed", ignore_errors=True)
    (folder / "data" / "raw").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SALES_CSV, folder / "data" / "raw" / "sales.csv")
    key_a, key_b = made_up_secrets["PSEUDONYM_KEY"], secrets.token_hex(32)
    runs = [
        pipeline_run(run, learner_python, folder, "without PSEUDONYM_KEY", week_env()),
        *(
            pipeline_run(run, learner_python, folder, label, week_env(PSEUDONYM_KEY=key))
            for label, key in (("key A", key_a), ("key B", key_b), ("key A again", key_a))
        ),
    ]
    return Pipeline(folder, False, *runs)


@pytest.fixture(scope="session")
def pseudonymised(pipeline: Pipeline) -> Pipeline:
    """The pipeline, or the check is blocked because its run with a key did not finish."""
    if pipeline.missing or pipeline.key_a is None or not pipeline.key_a.ok:
        blocked(
            "pseudonymise.py did not write data/processed/sales.csv with a key set",
            hint="Make the check 'pseudonymise.py writes data/processed/sales.csv' pass first.",
        )
    return pipeline
