"""Week 21's check helpers on their own, fast: the batches the check makes, its reading of saved
reports and printed shares, and a script run several times in one interpreter (a real
subprocess, with a toy script instead of drift.py so that Evidently is not imported)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from mlops_checks import DATA
from mlops_checks.drift_batches import MILD, SAMPLE, SHIFTS, make_batches
from mlops_checks.drift_reports import (
    ReportProblem,
    is_html,
    printed_shares,
    prints_share,
    read_report,
)
from mlops_checks.repeated_runs import Planned, run_repeatedly
from mlops_roadmap import procs

TRAIN, HOLDOUT = DATA / "ames" / "train.csv", DATA / "ames" / "holdout.csv"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -- the batches -------------------------------------------------------------------------------


def test_batches(tmp_path: Path) -> None:
    features = tmp_path / "features.csv"
    houses = rows(HOLDOUT)
    with features.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, [c for c in houses[0] if c != "price"], extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(houses)
    made = make_batches(features, TRAIN, tmp_path / "a", seed=7)
    again = make_batches(features, TRAIN, tmp_path / "b", seed=7)
    other = make_batches(features, TRAIN, tmp_path / "c", seed=8)
    stable, shifted, mild = rows(made.stable), rows(made.shifted), rows(made.mild)
    assert len(stable) == len(shifted) == len(mild) == SAMPLE
    assert made.reference.read_bytes() == TRAIN.read_bytes() and made.reference_rows == 2192
    assert rows(again.stable) == stable and rows(other.stable) != stable
    assert made.stable.name != other.stable.name  # file names say nothing, and change
    assert "price" not in stable[0]
    assert made.columns == tuple(stable[0])
    for before, after in zip(stable, shifted, strict=True):
        moved = {c for c in before if before[c] != after[c]}
        assert moved <= set(SHIFTS) and "area" in moved
        assert int(after["year_built"]) == int(before["year_built"]) + 25
        assert int(after["overall_cond"]) >= 1 and int(after["overall_qual"]) <= 10
    assert {c for b, a in zip(stable, mild, strict=True) for c in b if b[c] != a[c]} == set(MILD)
    assert made.describe("shifted").startswith("the shifted batch: 300 held-out houses (seed 7)")


# -- saved reports and printed shares ---------------------------------------------------------


def report(**metrics: object) -> dict[str, object]:
    value = {"count": 2.0, "share": 2 / 13}
    return {
        "metrics": [
            {"metric_name": "DriftedColumnsCount(drift_share=0.3)", "config": {}, "value": value},
            {
                "metric_name": "ValueDrift(column=area,method=K-S p_value,threshold=0.05)",
                "config": {"column": "area", "method": "K-S p_value", "threshold": 0.05},
                "value": 0.01,
            },
        ],
        "tests": [{"name": "Share of Drifted Columns: Less 0.300", "status": "SUCCESS"}],
        **metrics,
    }


def test_report_read(tmp_path: Path) -> None:
    path = tmp_path / "drift.json"
    path.write_text(json.dumps(report()))
    found = read_report(path)
    assert (found.share, found.count, found.tests) == (2 / 13, 2.0, 1)
    assert found.methods == {"area": "K-S p_value"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no drift.json was written"),
        ("", "drift.json is not JSON: an empty file"),
        ("<html>", "drift.json is not JSON: a file starting '<html>'"),
        ("[]", "drift.json holds JSON without a 'metrics' list: b'[]'"),
        (
            json.dumps({"metrics": [{"metric_name": "ValueDrift(column=a)"}]}),
            "drift.json has no DriftedColumnsCount metric (ValueDrift)",
        ),
        (
            json.dumps(report(metrics=[{"metric_name": "DriftedColumnsCount()", "value": 3}])),
            "drift.json: DriftedColumnsCount has no share: 3",
        ),
    ],
)
def test_report_problems(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "drift.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReportProblem) as caught:
        read_report(path)
    assert str(caught.value) == problem


def test_printed_shares() -> None:
    assert printed_shares("drifted columns: 2 of 13, share 0.1538 (threshold 0.3)") == [
        (2.0, pytest.approx(0.5, abs=1e-8)),
        (13.0, pytest.approx(0.5, abs=1e-8)),
        (0.1538, pytest.approx(0.00005, abs=1e-8)),
        (0.3, pytest.approx(0.05, abs=1e-8)),
    ]
    assert printed_shares("Drifted: 15.4%\nrows: 0.154") == [
        (0.154, pytest.approx(0.0005, abs=1e-8))
    ]
    assert printed_shares("data_v2 share=0.154") == [(0.154, pytest.approx(0.0005, abs=1e-8))]
    assert prints_share("share 0.15", 2 / 13) and not prints_share("share 0.16", 2 / 13)
    assert prints_share("Drifted: 15.38 % of 13 columns", 2 / 13)
    assert not prints_share("2 of 13 columns changed: 0.154", 2 / 13)


def test_html(tmp_path: Path) -> None:
    page, text = tmp_path / "a.html", tmp_path / "b.html"
    page.write_text("<!DOCTYPE html>\n<html><body>report</body></html>")
    text.write_text("report")
    assert is_html(page) and not is_html(text) and not is_html(tmp_path / "none.html")


# -- a script run several times in one interpreter ---------------------------------------------

TOY = """
import sys
from pathlib import Path
import toy_state
toy_state.runs += 1
what = sys.argv[1]
Path("out").mkdir(exist_ok=True)
if what != "skip":
    Path("out/report.txt").write_text(f"{what} {toy_state.runs}")
print(f"share 0.{toy_state.runs}")
if what == "drift":
    sys.exit(1)
if what == "boom":
    raise ValueError("no such column")
if what == "message":
    sys.exit("TODO: finish me")
"""


def test_runs_in_one_interpreter(tmp_path: Path) -> None:
    folder = tmp_path / "week"
    folder.mkdir()
    (folder / "toy.py").write_text(TOY)
    (folder / "toy_state.py").write_text("runs = 0\n")  # imported once: counts the runs
    plan = [Planned(w, (w,)) for w in ("ok", "drift", "skip", "boom", "message")]
    session = run_repeatedly(
        procs.run, Path(sys.executable), folder, "toy.py", plan,
        fresh=["out/report.txt"], keep=["out/report.txt"], preload=["json", "no_such_module"],
        timeout=60,
    )  # fmt: skip
    assert session.problem == ""
    assert session.import_errors == [
        "no_such_module (ModuleNotFoundError: No module named 'no_such_module')"
    ]
    runs = session.runs
    assert [runs[p.name].returncode for p in plan] == [0, 1, 0, 1, 1]
    assert [runs[p.name].crashed for p in plan] == [False, False, False, True, False]
    assert runs["ok"].output == "share 0.1\n" and runs["boom"].output == "share 0.4\n"
    assert runs["boom"].tail().endswith("ValueError: no such column")
    assert runs["message"].output.endswith("TODO: finish me\n")
    assert (runs["drift"].kept / "report.txt").read_text() == "drift 2"
    assert not (runs["skip"].kept / "report.txt").exists()  # removed before the run: not made


def test_runs_that_never_report(tmp_path: Path) -> None:
    (tmp_path / "hang.py").write_text("import time\ntime.sleep(60)\n")
    plan = [Planned("once", ())]
    session = run_repeatedly(
        procs.run, Path(sys.executable), tmp_path, "hang.py", plan, fresh=[], keep=[], timeout=2
    )
    assert session.problem == "still running after 2 s, so it was stopped"
    assert session.runs == {}
