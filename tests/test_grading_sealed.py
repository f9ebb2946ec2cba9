"""A submission cannot forge its verdict or read the answers it is scored on.

The submission's code runs beside the checker as the same user. The hostile week-2 submission
here is the reference solution whose train.py, when the checks run it, finds the checker in /proc, tries to read its memory, environment and stdin (where the grader's
seal came in) and the course's held-out prices, writes a valid-shaped full-marks verdict where
the checker writes its own, and kills the checker. The grader must refuse that verdict, and the
attack must have found nothing to read. Each protection is also shown working on its own: the
seal (a verdict the checker did not sign is refused), a checker that did not exit cleanly, and
the held-out file that the jail's disk does not hold.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import answers, course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import jail, seal, verdicts
from mlops_roadmap.grading.model import Grade, Limits, Student
from mlops_roadmap.grading.sandbox import Job, Ran
from mlops_roadmap.manifest import Manifest, collect_week
from mlops_roadmap.results import CheckResult, RunReport
from tests.conftest import REPO, Cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux jail")
MODE = jail.best_mode()[0] if sys.platform.startswith("linux") else "plain"
needs_namespaces = pytest.mark.skipif(
    MODE == "plain", reason=f"this kernel allows no namespaces here: {jail.best_mode()[1]}"
)
HOLDOUT = REPO / "data" / "ames" / "holdout.csv"
BASE = Grade(Student("s1", "Sam", "/repos/s1"), "week02", "no-submission", "c0ffee" * 6 + "abcd")

# Put into the reference train.py: while the checker waits for it, train.py attacks the checker.
ATTACK = """\
import os as _os, json as _json, signal as _signal


def _attack(forged, holdout):
    try:  # the checks may run train.py in several copies at once: one attack is enough
        _os.close(_os.open("/tmp/attack.lock", _os.O_CREAT | _os.O_EXCL | _os.O_WRONLY))
    except FileExistsError:
        _os._exit(0)
    found, checker, argv = {}, None, []
    for pid in filter(str.isdigit, _os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\\0")
        except OSError:
            continue
        if b"mlops_roadmap.grading.entry" in args:
            checker, argv = int(pid), [a.decode() for a in args]
    found["checker"] = checker
    for what in ("environ", "mem", "fd/0", "maps", "stack"):
        try:
            with open(f"/proc/{checker}/{what}", "rb") as f:
                found[what] = len(f.read(4096))
        except OSError as exc:
            found[what] = type(exc).__name__
    try:
        found["fds"] = _os.listdir(f"/proc/{checker}/fd")
    except OSError as exc:
        found["fds"] = type(exc).__name__
    found["seal_file"] = _os.path.exists("/results/seal.json")
    try:
        with open(holdout, "rb") as f:
            found["holdout"] = len(f.read())
    except OSError as exc:
        found["holdout"] = type(exc).__name__
    result = argv[argv.index("mlops_roadmap.grading.entry") + 3]
    envelope = {"format": "mlops-roadmap-seal/1", "verdict": forged, "hmac": "0" * 64}
    with open(result, "w") as f:
        _json.dump({**envelope, "found": found}, f)
    try:  # the container's results folder is writable; the jail's is not
        with open("/results/attack.json", "w") as f:
            _json.dump(found, f)
    except OSError:
        pass
    _os.kill(checker, _signal.SIGKILL)  # pid 1 of a container ignores it
    _os._exit(0)


try:
    _attack(FORGED, HOLDOUT_PATH)
except BaseException as _exc:  # say what went wrong where the test looks
    if not isinstance(_exc, SystemExit):
        with open("/results/result.json", "w") as f:
            _json.dump({"found": {"exception": repr(_exc)}}, f)
        _os._exit(0)
    raise
"""


def full_marks(manifest: Manifest) -> str:
    """A verdict with every check of the course passed: the strongest forgery of its shape."""
    checks = tuple(CheckResult(c.id, c.title, "passed", points=c.points) for c in manifest.checks)
    return json.dumps(RunReport(manifest.week, manifest.title, checks, 4.2, 3.1).to_json())


@pytest.fixture(scope="module")
def week02() -> Manifest:
    loaded = course.load(REPO)
    return collect_week(loaded, loaded.plan.week(2))


def test_a_verdict_the_checker_did_not_seal_is_refused(week02: Manifest) -> None:
    sealed = seal.Seal(held_out={"ames/holdout.csv": b"price\n1\n"})
    text = full_marks(week02)
    genuine = sealed.sign(text)
    assert seal.Seal.from_text(sealed.to_text()) == sealed
    assert sealed.open(genuine) == json.loads(text)
    other_key = seal.Seal().sign(text)
    tampered = {**genuine, "verdict": text.replace('"passed": true', '"passed": false')}
    for forged in (other_key, tampered, json.loads(text), {**genuine, "hmac": "0" * 64}):
        opened = sealed.open(forged)
        assert opened is not None and seal.FORGED in opened["error"], forged
        ran = Ran(opened, 0, False, "", 1.0, "process jail")
        assert verdicts.grade_from(BASE, ran, Limits(), [], week02).status == "crashed"
    assert sealed.open(None) is None
    with pytest.raises(ValueError, match="seal is unreadable"):
        seal.Seal.from_text('{"format": "mlops-roadmap-seal/1", "key": "zz", "held_out": {}}')


def test_a_checker_that_did_not_exit_cleanly_leaves_no_grade(week02: Manifest) -> None:
    good = json.loads(full_marks(week02))
    assert verdicts.grade_from(BASE, Ran(good, 0, False, "", 1, "x"), Limits(), [], week02).status
    killed = verdicts.grade_from(BASE, Ran(good, 137, False, "", 1, "x"), Limits(), [], week02)
    assert killed.status == "crashed" and "did not exit cleanly (exit 137)" in killed.message


def test_held_out_answers_come_from_the_grader_when_it_gives_them(tmp_path: Path) -> None:
    declared = course.load(REPO).plan.held_out
    held = answers.HeldOut(REPO, declared, tmp_path)
    prices = held.column("ames/holdout.csv", "price")
    assert len(prices) == 380 and prices[0] > 0
    features = held.features("ames/holdout.csv", drop=["price"])
    assert "price" not in features.read_text().splitlines()[0].split(",")
    assert len(features.read_text().splitlines()) == 381
    with pytest.raises(RoadmapError, match="not a held-out file"):
        held.read("ames/train.csv")
    try:
        answers.provide({"ames/holdout.csv": b"price,area\n5,1\n"})
        assert held.column("ames/holdout.csv", "price") == [5.0]
    finally:
        answers.forget()


def test_no_week_may_lay_a_held_out_file(tmp_path: Path) -> None:
    shutil.copytree(REPO / "data", tmp_path / "data")
    text = (REPO / "roadmap.yaml").read_text(encoding="utf-8")
    (tmp_path / "roadmap.yaml").write_text(
        text.replace("data/raw/test.csv: ames/test.csv", "data/raw/test.csv: ames/holdout.csv", 1)
    )
    with pytest.raises(
        RoadmapError, match=r"grading.held_out\[0\]: week02 lays data/ames/holdout.csv"
    ):
        course.load(tmp_path).held_out()


def hostile_workspace(tmp_path: Path, cli: Cli, forged: str, holdout: str = str(HOLDOUT)) -> Path:
    ws = tmp_path / "ws"
    assert cli("init", ws).returncode == 0
    assert cli("start", "2", "--force", cwd=ws).returncode == 0
    week = next(ws.glob("week02-*"))
    train = (REPO / "solutions" / "week02" / "train.py").read_text(encoding="utf-8")
    head, sep, rest = train.partition("\nimport ")  # after the docstring and __future__
    attack = ATTACK.replace("FORGED", repr(forged)).replace("HOLDOUT_PATH", repr(holdout))
    (week / "train.py").write_text(head + sep + rest.replace("\n\n", "\n\n" + attack, 1))
    return ws


@needs_namespaces
def test_a_submission_that_forges_its_verdict_and_kills_the_checker_is_not_graded(
    tmp_path: Path, cli: Cli, week02: Manifest
) -> None:
    ws = hostile_workspace(tmp_path, cli, full_marks(week02))
    (tmp_path / "scratch").mkdir()
    job = Job("week02", ws, tmp_path / "scratch", Limits(wall_seconds=300), slot=3)
    ran = jail.ProcessBackend().run(job)
    found = attacked(tmp_path / "scratch", ran)
    assert found["holdout"] == 0, found  # an empty file stands in its place
    assert ran.returncode == 128 + 9, ran.output
    assert ran.result is not None and seal.FORGED in ran.result["error"]
    grade = verdicts.grade_from(BASE, ran, Limits(), [], week02)
    assert grade.status == "crashed" and grade.points == 0, grade


def attacked(scratch: Path, ran: Ran, report: str = "result.json") -> dict[str, Any]:
    """What the attack found: it ran, found the checker, and read nothing of it."""
    written: dict[str, Any] = json.loads((scratch / "results" / report).read_text())
    found: dict[str, Any] = written.get("found", written)
    assert isinstance(found["checker"], int), (found, ran.output)
    for what in ("environ", "mem", "fd/0", "maps", "stack", "fds"):
        assert found[what] == "PermissionError", (what, found)
    assert found["seal_file"] is False, found
    return found


@pytest.mark.slow
def test_in_a_container_too(tmp_path: Path, cli: Cli, week02: Manifest) -> None:
    from mlops_roadmap.grading import image
    from mlops_roadmap.grading.container import DockerBackend
    from tests.conftest import docker_ready

    docker_ready()
    image.ensure_image(REPO)
    in_image = f"{image.COURSE_IN_IMAGE}/data/ames/holdout.csv"
    ws = hostile_workspace(tmp_path, cli, full_marks(week02), holdout=in_image)
    (tmp_path / "scratch").mkdir()
    job = Job("week02", ws, tmp_path / "scratch", Limits(wall_seconds=300))
    ran = DockerBackend().run(job)
    found = attacked(tmp_path / "scratch", ran, "attack.json")
    assert found["holdout"] == "FileNotFoundError", found  # not in the image at all
    # The checker is the container's pid 1, which the kill cannot stop: it wrote its own
    # verdict over the forgery, and train.py, which ended at its attack, saved no model.
    grade = verdicts.grade_from(BASE, ran, Limits(), [], week02)
    assert grade.status == "graded" and grade.report is not None, (grade, ran.output)
    assert grade.report.count("passed") < len(week02.checks) and grade.points < 6, grade.report


@pytest.mark.slow  # a whole class or week run through the CLI
@needs_namespaces
def test_the_checks_score_held_out_rows_the_jail_does_not_hold(tmp_path: Path, cli: Cli) -> None:
    """The reference solution still passes in the jail: the checker had the prices in memory."""
    ws = tmp_path / "ws"
    assert cli("init", ws).returncode == 0
    assert cli("start", "2", "--force", cwd=ws).returncode == 0
    shutil.copy(REPO / "solutions/week02/train.py", next(ws.glob("week02-*")) / "train.py")
    (tmp_path / "scratch").mkdir()
    ran = jail.ProcessBackend().run(Job("week02", ws, tmp_path / "scratch", Limits(), slot=4))
    assert ran.result is not None and ran.returncode == 0, ran.output
    holdout = [c for c in ran.result["checks"] if "holdout" in c["id"]]
    assert len(holdout) == 2 and all(c["outcome"] == "passed" for c in holdout), holdout
    raw = json.loads((tmp_path / "scratch/results/result.json").read_text())
    assert set(raw) == {"format", "verdict", "hmac"}  # sealed on the way out
    assert os.stat(HOLDOUT).st_size > 10_000  # the host's file was never touched


def held_out_rows(path: Path) -> tuple[list[str], set[tuple[str, ...]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0])
    return columns, {tuple(row[c] for c in columns) for row in rows}


def test_no_file_a_submission_can_read_holds_a_held_out_answer() -> None:
    """Every CSV in the parts of the course a sandbox holds (and the check library's data) is
    read: none may hold a held-out row, features and label together, in any column order."""
    loaded = course.load(REPO)
    held = {path.resolve() for _, path in loaded.held_out()}
    answers_by_file = {path: held_out_rows(path) for path in held}
    # A held-out row that is also in a file the weeks lay (a house sold twice alike) is public.
    laid = {loaded.root / "data" / e.source for w in loaded.plan.weeks for e in w.data}
    for columns, rows in answers_by_file.values():
        for public in (p for p in laid if p.suffix == ".csv"):
            with public.open(newline="", encoding="utf-8") as handle:
                seen = {tuple(r.get(c, "") for c in columns) for r in csv.DictReader(handle)}
            rows -= seen
    leaks = []
    for part in course.GRADED_PARTS:
        for path in sorted((REPO / part).rglob("*.csv")) if (REPO / part).is_dir() else []:
            if path.resolve() in held:
                continue
            with path.open(newline="", encoding="utf-8", errors="replace") as handle:
                rows = list(csv.DictReader(handle))
            for source, (columns, rows_held) in answers_by_file.items():
                if rows and set(columns) <= set(rows[0]):
                    found = sum(tuple(r[c] for c in columns) in rows_held for r in rows)
                    if found:
                        leaks.append(f"{path.relative_to(REPO)}: {found} rows of {source.name}")
    assert leaks == []
