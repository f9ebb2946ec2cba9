"""`grade` end to end on a small real class: right and wrong work, a missing repository, a late
commit, the gradebook's reuse, and the Kubernetes bundle collected back into the same grades."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_roadmap import course
from tests import classroom
from tests.conftest import Cli, as_in_a_terminal
from tests.timing import scaled, wait_until

LATE = "2026-12-03T12:00:00+00:00"  # two days after the deadline below
DEADLINE = "2026-12-01T23:59+00:00"


@pytest.fixture(scope="module")
def roster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("class")
    template, folder = classroom.template(root / "template")
    right = classroom.student(template, folder, root / "ada", classroom.solution())
    classroom.student(template, folder, root / "bob", None)
    # carol: a scaffold on time, the solution two days late
    carol = classroom.student(template, folder, root / "carol", None)
    (carol / folder / "train.py").write_text(classroom.solution(), encoding="utf-8")
    classroom.commit(carol, "late fix", LATE)
    rows = [
        ("ada", "Ada", str(right)),
        ("bob", "Bob", str(root / "bob")),
        ("carol", "Carol", str(carol)),
        ("dan", "Dan", str(root / "missing")),
    ]
    return classroom.roster(root / "roster.csv", rows)


def grades_of(stdout: str) -> dict[str, dict]:
    return {g["student"]: g for g in json.loads(stdout)["grades"]}


def strip(grades: dict[str, dict]) -> dict[str, dict]:
    return {k: {f: v for f, v in g.items() if f != "duration"} for k, g in grades.items()}


@pytest.mark.slow  # a whole class or week run through the CLI
def test_grades_a_class_and_reuses_unchanged_grades(roster: Path, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("grade", roster, "--week", "2", "--backend", "process", "--out", out)
    first = cli(*args, "--deadline", DEADLINE, "--json", timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    grades = grades_of(first.stdout)
    assert (grades["ada"]["status"], grades["ada"]["points"]) == ("graded", 12)
    assert grades["bob"]["status"] == "graded" and grades["bob"]["points"] < 12
    # The course's policy is a penalty: carol's late solution (1.5 days) loses 2 days x 10%.
    carol = grades["carol"]
    assert (carol["late_commits"], carol["late_days"] > 1.5) == (1, True)
    assert carol["points"] == pytest.approx(12 * 0.8)
    assert grades["dan"]["status"] == "fetch-failed"
    assert "process jail" in grades["ada"]["isolation"]
    for name in ("gradebook.csv", "grades.json", "report.html", "junit/ada.xml"):
        assert (out / name).is_file(), name
    assert "ada,Ada," in (out / "gradebook.csv").read_text()

    again = cli(*args, "--deadline", DEADLINE, "--json", timeout=600)
    summary = json.loads(again.stdout)["summary"]
    assert summary["reused"] == 3
    assert strip(grades_of(again.stdout)) == strip(grades)  # dan's fetch is retried, never kept

    human = cli(*args, "--deadline", DEADLINE, "--force", timeout=600)
    assert human.returncode == 0
    assert "summary:" in human.stdout and "fetch-failed" in human.stdout


def test_bad_input_is_a_clear_error(
    roster: Path, cli: Cli, tmp_path: Path, unchecked_course: tuple[Path, str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,repo\nada,,/x\n")
    done = cli("grade", bad, "--week", "2", "--out", tmp_path / "o")
    assert done.returncode == 1 and "row 2, column 'name'" in done.stderr
    assert "Traceback" not in done.stderr
    root, week_id = unchecked_course
    unchecked = course.load(root).plan.week(int(week_id.removeprefix("week")))
    done = cli(
        "--course", root, "grade", roster, "--week", unchecked.number, "--out", tmp_path / "o"
    )
    assert done.returncode == 1 and "no automated checks" in done.stderr
    done = cli("grade", roster, "--week", "2", "--deadline", "friday", "--out", tmp_path / "o")
    assert done.returncode == 1 and "not an ISO 8601 time" in done.stderr
    for limit, said in (
        ("memory=1", "expected NAME=VALUE with NAME one of wall_seconds, check_seconds"),
        ("tree_files=many", "tree_files takes a whole number"),
        ("cpus=-1", "give a positive, finite cpus"),
    ):
        done = cli("grade", roster, "--week", "2", "--limit", limit, "--out", tmp_path / "o")
        assert done.returncode == 1 and f"--limit {limit}: {said}" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_limits_are_set_by_name() -> None:
    from mlops_roadmap.commands.grade import with_limits
    from mlops_roadmap.grading.model import Limits

    set_ = with_limits(Limits(), ["memory_mb=512", "cpus=0.5", "tree-files=100"])
    assert (set_.memory_mb, set_.cpus, set_.tree_files) == (512, 0.5, 100)
    assert set_.wall_seconds == Limits().wall_seconds


@pytest.mark.slow  # a whole class or week run through the CLI
def test_kubernetes_bundle_is_collected_into_the_same_grades(
    roster: Path, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ("grade", roster, "--week", "2", "--backend", "kubernetes", "--out", out, "--json")
    staged = cli(*args, "--image", "registry.example.edu/grader:1", timeout=300)
    assert staged.returncode == 0, staged.stderr[-3000:]
    queued = grades_of(staged.stdout)
    assert {g["status"] for g in queued.values()} == {"queued", "fetch-failed"}
    job = (out / "kubernetes" / "job.yaml").read_text()
    assert "registry.example.edu/grader:1" in job and "completionMode: Indexed" in job
    (run,) = [p for p in (out / "kubernetes" / "submissions").iterdir() if p.is_dir()]
    # What each pod does on the cluster, done here: the pod's own entry point, per index.
    for folder in sorted(p for p in run.iterdir() if p.name.isdigit()):
        results = out / "kubernetes" / "results" / run.name / folder.name
        sealed = tmp_path / "seal" / folder.name  # what the pod's init container copies
        sealed.mkdir(parents=True)
        shutil.copy(run / "seals" / folder.name / "seal.json", sealed)
        subprocess.run(
            [sys.executable, "-m", "mlops_roadmap.grading.podentry", "--run", run.name,
             "--submissions", folder, "--results", results, "--work", tmp_path / "w" / folder.name,
             "--tmp", tmp_path / "t", "--seal", sealed],
            env={**os.environ, "JOB_COMPLETION_INDEX": folder.name},
            check=True, timeout=scaled(300),
        )  # fmt: skip
    collected = cli(*args, "--collect", out / "kubernetes" / "results" / run.name, timeout=300)
    assert collected.returncode == 0, collected.stderr[-3000:]
    grades = grades_of(collected.stdout)
    assert (grades["ada"]["status"], grades["ada"]["points"]) == ("graded", 12)
    assert grades["bob"]["status"] == "graded" and grades["bob"]["points"] < 12
    assert grades["ada"]["isolation"].startswith("kubernetes")


def test_ctrl_c_stops_grading_and_everything_it_started(tmp_path: Path) -> None:
    token = f"spin-{os.getpid()}-{time.monotonic_ns()}"
    template, folder = classroom.template(tmp_path / "template")
    spin = f"import os, sys\nos.execv(sys.executable, [sys.executable, '-c', 'while 1: pass', {token!r}])\n"
    rows = [(f"s{i}", f"S{i}", str(classroom.student(template, folder, tmp_path / f"s{i}", spin)))
            for i in range(3)]  # fmt: skip
    roster = classroom.roster(tmp_path / "roster.csv", rows)
    grader = subprocess.Popen(
        [sys.executable, "-m", "mlops_roadmap", "grade", str(roster), "--week", "2",
         "--backend", "process", "--out", str(tmp_path / "out")],
        env={**os.environ, "HOME": str(tmp_path)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=as_in_a_terminal,
    )  # fmt: skip
    wait_until(lambda: spinning(token), 60, "the submissions never started")
    grader.send_signal(signal.SIGINT)
    _, err = grader.communicate(timeout=scaled(30))
    assert grader.returncode == 130, err[-2000:]
    wait_until(lambda: not spinning(token), 10, "a submission outlived the grader's Ctrl-C")


def spinning(token: str) -> bool:
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if token.encode() in (proc / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False
