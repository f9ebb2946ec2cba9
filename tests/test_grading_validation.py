"""Verdicts held against the course's checks: each week's manifest collected without running a
check, real verdicts (the grading entry run on the toy course) accepted, and forged ones (the same
files, edited as a submission sharing the sandbox could) refused for that student alone, without
moving anyone else's grade or full marks in any of the files a run writes."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import course
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import backends, exports, grader, seal, verdicts
from mlops_roadmap.grading.model import ClassGrades, Grade, Limits, Student
from mlops_roadmap.grading.sandbox import Ran, read_verdict
from mlops_roadmap.manifest import Manifest, ManifestCheck, collect_week
from tests import classroom
from tests.conftest import FIXTURES, REPO, clean_env
from tests.timing import scaled

TOY = FIXTURES / "toy-course"
ANSWER = "test_first.py::test_answer"
GREETING = "test_first.py::test_greeting"
FORGED = "test_first.py::test_everything"


def manifest(root: Path = TOY, week: int = 1) -> Manifest:
    c = course.load(root)
    return collect_week(c, c.plan.week(week))


def test_the_manifest_lists_every_check_and_case_with_its_points() -> None:
    weeks = course.load(REPO)
    first = collect_week(weeks, weeks.plan.week(1))
    ids = [c.id for c in first.checks]
    cases = [i for i in ids if i.startswith("test_week01_2_analysis.py::test_statistics[")]
    assert len(cases) == 4 and len(set(ids)) == len(ids)
    titles = {c.id: c.title for c in first.checks}
    assert titles[cases[0]] != titles[cases[1]]  # the title marker names each case
    assert all(c.points > 0 for c in first.checks)
    assert first.max_points == sum(c.points for c in first.checks)
    toy = manifest()
    assert toy == Manifest(
        "week01",
        "First steps",
        (
            ManifestCheck(ANSWER, "answer.txt holds the answer", 2.0),
            ManifestCheck(GREETING, "greet.py greets the world", 1.0),
        ),
    )
    assert Manifest.from_json(json.loads(json.dumps(toy.to_json()))) == toy


def test_collecting_runs_no_check_and_reads_the_checks_afresh(toy_course: Path) -> None:
    ran = toy_course / "ran.txt"
    check = toy_course / "checks" / "week01" / "test_first.py"
    check.write_text(
        check.read_text() + f"\n\n@pytest.mark.points(5)\ndef test_side_effect() -> None:\n"
        f"    open({str(ran)!r}, 'w').write('ran')\n"
    )
    assert manifest(toy_course).max_points == 8
    assert not ran.exists()
    check.write_text(check.read_text().replace("points(5)", "points(7)"))
    assert manifest(toy_course).max_points == 10  # not the module imported a moment ago


def test_checks_that_do_not_load_are_the_course_authors_to_fix(toy_course: Path) -> None:
    (toy_course / "checks" / "week01" / "test_broken.py").write_text("import no_such_module\n")
    with pytest.raises(RoadmapError, match=r"test_broken.py: .*no_such_module.*fix the course"):
        manifest(toy_course)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Verdict files the grading entry wrote for two toy submissions: all right, and half."""
    root = tmp_path_factory.mktemp("verdicts")
    env = {**clean_env(root / "home"), "MLOPS_ROADMAP_COURSE": str(TOY)}
    running = {}
    entry = [sys.executable, "-m", "mlops_roadmap.grading.entry", "1"]
    for name, answer in (("pass", "42"), ("half", "41")):
        week = root / name / "week01-first-steps"
        shutil.copytree(TOY / "solutions" / "week01", week)
        (week / "answer.txt").write_text(answer + "\n")
        result = root / f"{name}.json"
        proc = subprocess.Popen(
            [*entry, str(root / name), str(result)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        running[name] = (proc, result)
    for proc, _ in running.values():
        out, _ = proc.communicate(timeout=scaled(120))
        assert proc.returncode == 0, out[-2000:]
    return {name: result for name, (_, result) in running.items()}


STUDENT = Student("s1", "Sam", "/repos/s1")
BASE = Grade(STUDENT, "week01", "no-submission", "c0ffee" * 6 + "abcd")


def grade_file(path: Path, toy: Manifest) -> Grade:
    """What the grader makes of a verdict file, read as the sandboxes read it."""
    ran = Ran(read_verdict(path), 0, False, "", 1.5, "process jail")
    return verdicts.grade_from(BASE, ran, Limits(), [], toy)


def test_real_verdicts_are_graded(real: dict[str, Path]) -> None:
    toy = manifest()
    passed, half = grade_file(real["pass"], toy), grade_file(real["half"], toy)
    assert (passed.status, passed.points, passed.max_points) == ("graded", 3, 3)
    assert (half.status, half.points, half.max_points) == ("graded", 1, 3)
    assert [r.id for r in passed.checks] == [ANSWER, GREETING]


Edit = Callable[[dict[str, Any]], object]


def check(data: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in data["checks"] if c["id"] == check_id)


def extra_check(data: dict[str, Any]) -> None:
    data["checks"].append({**check(data, ANSWER), "id": FORGED, "points": 1000})


FORGERIES: dict[str, tuple[Edit, str]] = {
    "an extra check": (extra_check, f"check '{FORGED}' is not one of the course's checks"),
    "more points": (
        lambda d: check(d, ANSWER).update(points=1000),
        f"check '{ANSWER}': points 1000, but the course's check is worth 2",
    ),
    "points as text": (
        lambda d: check(d, ANSWER).update(points="2"),
        f"check '{ANSWER}': points: expected a number, got '2'",
    ),
    "points as a flag": (
        lambda d: check(d, ANSWER).update(points=True),
        "points: expected a number, got True",
    ),
    "NaN points": (lambda d: check(d, ANSWER).update(points=math.nan), "nan is not a finite"),
    "infinite points": (lambda d: check(d, ANSWER).update(points=math.inf), "inf is not a finite"),
    "NaN duration": (lambda d: d.update(duration=math.nan), "duration: nan is not a finite"),
    "a made-up outcome": (
        lambda d: check(d, GREETING).update(outcome="excellent"),
        "outcome 'excellent' is not one of passed, failed, blocked, error",
    ),
    "a check twice": (lambda d: d["checks"].append(d["checks"][0]), "is reported twice"),
    "another week": (lambda d: d.update(week="week02"), "it is for week 'week02', not week01"),
    "a list for a message": (
        lambda d: check(d, GREETING).update(found=["x"]),
        "found is not text",
    ),
    "a check that is not one": (lambda d: d["checks"].append(7), "checks[2] is not a check"),
    "no checks": (lambda d: d.update(checks={"a": 1}), "it has no list of checks"),
    "another format": (lambda d: d.update(format=99), "unknown report format 99"),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_verdicts_are_refused(forgery: str, real: dict[str, Path], tmp_path: Path) -> None:
    edit, said = FORGERIES[forgery]
    data = json.loads(real["pass"].read_text())
    edit(data)
    forged = tmp_path / "result.json"
    forged.write_text(json.dumps(data))  # NaN and Infinity as Python writes them: not JSON
    grade = grade_file(forged, manifest())
    assert grade.status == "invalid-verdict", grade
    assert grade.message.startswith("the verdict was refused: ") and said in grade.message
    assert (grade.report, grade.points, grade.max_points) == (None, 0, 0)


def test_huge_numbers_and_deep_nesting_are_no_verdict(
    real: dict[str, Path], tmp_path: Path
) -> None:
    text = real["pass"].read_text()
    huge = tmp_path / "huge.json"
    huge.write_text(text.replace('"points": 2.0', '"points": 1e999', 1))
    assert "inf is not a finite number" in grade_file(huge, manifest()).message
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000)
    crashed = grade_file(deep, manifest())
    assert crashed.status == "crashed" and "ended without a verdict" in crashed.message


def test_a_check_left_out_is_an_error_and_titles_are_the_courses(
    real: dict[str, Path], tmp_path: Path
) -> None:
    data = json.loads(real["pass"].read_text())
    data["checks"] = [c for c in data["checks"] if c["id"] != GREETING]
    data["checks"][0]["title"] = "<b>I deserve it</b>"
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(data))
    grade = grade_file(partial, manifest())
    assert (grade.status, grade.points, grade.max_points) == ("graded", 2, 3)
    answer, greeting = grade.checks
    assert answer.title == "answer.txt holds the answer"
    assert (greeting.id, greeting.outcome, greeting.found) == (GREETING, "error", verdicts.MISSING)


def class_of(files: dict[str, Path], toy: Manifest) -> ClassGrades:
    grades = []
    for sid, path in files.items():
        ran = Ran(read_verdict(path), 0, False, "", 1.0, "process jail")
        base = Grade(
            Student(sid, sid.title(), f"/repos/{sid}"), "week01", "no-submission", "ab" * 20
        )
        grades.append(verdicts.grade_from(base, ran, Limits(), [], toy))
    return ClassGrades("Toy Course", (toy,), tuple(grades), None, "process")


def written(cg: ClassGrades, out: Path) -> dict[str, Any]:
    exports.write_all(cg, out)
    text = (out / "gradebook.csv").read_text(encoding="utf-8")
    return {
        "header": next(csv.reader(io.StringIO(text))),
        "rows": {r["id"]: r for r in csv.DictReader(io.StringIO(text))},
        "json": json.loads((out / "grades.json").read_text(encoding="utf-8")),
        "report": (out / "report.html").read_text(encoding="utf-8"),
        "gradescope": {
            p.parent.name: json.loads(p.read_text()) for p in out.glob("gradescope/*/results.json")
        },
    }


def test_a_forged_verdict_moves_no_other_grade(real: dict[str, Path], tmp_path: Path) -> None:
    toy = manifest()
    honest = {"ada": real["pass"], "bob": real["half"]}
    data = json.loads(real["pass"].read_text())
    extra_check(data)
    (tmp_path / "forged.json").write_text(json.dumps(data))
    data = json.loads(real["pass"].read_text())
    check(data, ANSWER)["points"] = math.nan
    (tmp_path / "nan.json").write_text(json.dumps(data))
    forgers = {"eve": tmp_path / "forged.json", "nan": tmp_path / "nan.json"}
    alone = written(class_of(honest, toy), tmp_path / "honest")
    mixed = written(class_of({**honest, **forgers}, toy), tmp_path / "mixed")

    assert mixed["header"] == alone["header"] and not any(FORGED in h for h in mixed["header"])
    for sid in honest:
        assert mixed["rows"][sid] == alone["rows"][sid]
        assert mixed["gradescope"][sid] == alone["gradescope"][sid]
    assert (mixed["rows"]["ada"]["total"], mixed["rows"]["bob"]["total"]) == ("3", "1")
    assert {r["week01:max"] for r in mixed["rows"].values()} == {"3"}
    for sid in forgers:
        row = mixed["rows"][sid]
        assert (row["week01:status"], row["total"], row[f"week01:{ANSWER}"]) == (
            "invalid-verdict", "0", "",
        )  # fmt: skip
        assert mixed["gradescope"][sid]["tests"][0]["max_score"] == 3
    assert mixed["json"]["checks"] == alone["json"]["checks"] == [toy.to_json()]
    assert {g["max_points"] for g in mixed["json"]["grades"] if g["status"] == "graded"} == {3}
    charts, students = mixed["report"].split("<h2>Students</h2>")
    assert FORGED not in charts and "/ 1003" not in mixed["report"]
    assert charts.count('<th class="col') == 2 and "ada</span></a></th>" in charts
    assert "3 / 3</td>" in charts and "1 / 3</td>" in charts  # ada's and bob's totals
    assert f"check &#x27;{FORGED}&#x27; is not one of the course" in students  # eve is told why


def test_a_class_nobody_could_be_graded_in_still_has_the_courses_columns(tmp_path: Path) -> None:
    toy = manifest()
    failed = Grade(Student("gone", "Gone", "/repos/gone"), "week01", "fetch-failed", message="no")
    files = written(ClassGrades("Toy Course", (toy,), (failed,), None, "process"), tmp_path)
    assert files["header"][-3:] == [f"week01:{ANSWER}", f"week01:{GREETING}", "total"]
    assert (files["rows"]["gone"]["week01:max"], files["rows"]["gone"]["total"]) == ("3", "0")
    assert "No check ran." in files["report"] and "0 / 3</td>" in files["report"]


def test_a_class_of_collected_verdicts_is_graded_whole(
    real: dict[str, Path], tmp_path: Path
) -> None:
    """A Kubernetes Job's verdicts, as copied back from the cluster, forged ones among them."""
    forged = json.loads(real["pass"].read_text())
    extra_check(forged)
    nan = json.loads(real["pass"].read_text())
    check(nan, ANSWER)["points"] = math.nan
    text = json.loads(real["pass"].read_text())
    check(text, ANSWER)["points"] = "2"
    verdict = {
        sid: json.loads(real[name].read_text()) for sid, name in (("ada", "pass"), ("bob", "half"))
    }
    verdict.update(eve=forged, nan=nan, text=text, odd=json.loads(real["pass"].read_text()))
    toy = course.load(TOY)
    results, rows = tmp_path / "kubernetes" / "results" / "run1", []
    seals = tmp_path / "kubernetes" / "submissions" / "run1" / "seals"  # as the bundle has them
    for i, (sid, result) in enumerate(verdict.items()):
        key = seal.Seal()
        (seals / str(i)).mkdir(parents=True)
        (seals / str(i) / "seal.json").write_text(key.to_text())
        repo = tmp_path / "repos" / sid
        shutil.copytree(TOY / "solutions" / "week01", repo / "week01-first-steps")
        classroom.commit(repo, "week 1", classroom.COMMITTED)
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                             text=True, check=True, timeout=scaled(30)).stdout.strip()  # fmt: skip
        document = {"student": sid, "week": "week01", "commit": sha,
                    "result": key.sign(json.dumps(result)),
                    "returncode": 0, "timed_out": False, "output": "", "isolation": "kubernetes pod",
                    "duration": "a while" if sid == "odd" else 1.0}  # fmt: skip
        results.mkdir(parents=True, exist_ok=True)
        (results / f"{i}.json").write_text(json.dumps(document))  # NaN as Python writes it
        rows.append((sid, sid.title(), str(repo)))
    out = tmp_path / "out"
    request = grader.Request(
        classroom.roster(tmp_path / "roster.csv", rows), (toy.plan.week(1),), out, tmp_path / "c"
    )
    setting = backends.Setting(toy.root, out, collect=results)
    cg = grader.grade_class(toy, request, backends.choose("kubernetes", setting))
    files = written(cg, out)

    grades = {g.student.id: g for g in cg.grades}
    assert {sid: (g.status, g.points) for sid, g in grades.items()} == {
        "ada": ("graded", 3), "bob": ("graded", 1), "eve": ("invalid-verdict", 0),
        "nan": ("invalid-verdict", 0), "text": ("invalid-verdict", 0), "odd": ("crashed", 0),
    }  # fmt: skip
    assert "is not one of the course's checks" in grades["eve"].message
    assert "nan is not a finite number" in grades["nan"].message
    assert "expected a number, got '2'" in grades["text"].message
    assert grades["odd"].message.startswith("the grader failed: ValueError")
    assert cg.summary["invalid-verdict"] == 3 and cg.manifests == (manifest(),)
    assert {r["week01:max"] for r in files["rows"].values()} == {"3"}
    assert not any(FORGED in h for h in files["header"])
    assert len(files["gradescope"]) == 6 and (out / "junit" / "eve.xml").is_file()
