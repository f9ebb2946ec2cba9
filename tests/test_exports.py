"""Grading exports on real run reports of the toy course: the gradebook CSV read back by the csv
module, JUnit XML by ElementTree, Gradescope's results.json checked against its specification,
grades.json read back whole, the class report's escaping, and `check --format` in a workspace."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlops_roadmap import course, formats
from mlops_roadmap.formats.gradescope import VISIBILITIES
from mlops_roadmap.grading import exports, grades_json, report_html, student_files
from mlops_roadmap.grading.model import ClassGrades, Grade, Student, file_stem
from mlops_roadmap.manifest import Manifest, collect_week
from mlops_roadmap.results import RunReport, report_from_json
from tests.conftest import FIXTURES, Cli, clean_env
from tests.timing import scaled

TOY = FIXTURES / "toy-course"
HOSTILE = '=HYPERLINK("x")'
SCRIPT = "<script>alert(1)</script>"
VARIANTS = {  # workspace state -> (week, how the week folder is changed)
    "w1_fail": ("1", {}),
    "w1_half": ("1", {"answer.txt": "42\n"}),
    "w1_pass": ("1", "solution"),
    "w2_error": ("2", {"notes.txt": None}),
    "w2_pass": ("2", {"notes.txt": "done\n"}),
}


def toy_reports(root: Path) -> dict[str, RunReport]:
    """Run the toy course's real checks on five workspace states at once (`check --json`)."""
    env = clean_env(root / "home")
    (root / "home").mkdir(parents=True)
    mr = [sys.executable, "-m", "mlops_roadmap", "--course", str(TOY)]
    base = root / "base"
    for args in (["init", str(base)], ["start", "1"], ["start", "2", "--force"]):
        subprocess.run([*mr, *args], cwd=root if args[0] == "init" else base, env=env, check=True,
                       capture_output=True)  # fmt: skip
    running = {}
    for name, (week, change) in VARIANTS.items():
        ws = root / name
        shutil.copytree(base, ws, symlinks=True)
        folder = next(ws.glob(f"week0{week}-*"))
        if change == "solution":
            shutil.copytree(TOY / "solutions" / "week01", folder, dirs_exist_ok=True)
        for file, text in (change if isinstance(change, dict) else {}).items():
            (folder / file).unlink() if text is None else (folder / file).write_text(text)
        running[name] = subprocess.Popen([*mr, "check", week, "--json"], cwd=ws, env=env,
                                         stdout=subprocess.PIPE, text=True)  # fmt: skip
    # Through JSON and back, as a grading sandbox hands reports over (durations in milliseconds).
    return {
        n: report_from_json(json.loads(p.communicate(timeout=scaled(120))[0]))
        for n, p in running.items()
    }


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunReport]:
    return toy_reports(tmp_path_factory.mktemp("toy-reports"))


def ansi(report: RunReport) -> RunReport:
    """A copy whose first message carries a terminal colour code (a control character)."""
    first = replace(report.results[0], found="\x1b[31mTODO\x1b[0m & <b>")
    return replace(report, results=(first, *report.results[1:]))


def toy_manifests() -> tuple[Manifest, ...]:
    """The toy course's two weeks, collected as the grader collects them."""
    toy = course.load(TOY)
    return tuple(collect_week(toy, toy.plan.week(n)) for n in (1, 2))


def sample_class(reports: dict[str, RunReport], n: int = 5) -> ClassGrades:
    """``n`` students cycling through five profiles, hostile names and ids included."""
    profiles = [
        ("Ada Lovelace", "s{:03}", "w1_pass", "w2_pass", {}),
        (HOSTILE, "s{:03}", "w1_half", "w2_error", {"late_days": 1.5, "penalty": 0.5}),
        (SCRIPT, "../evil id {}", "w1_fail", None, {"late_commits": 2}),
        ("Zoë Ünicode", "s{:03}", "w1_pass", "missing", {}),
        ("-minus", "@at{}", "ansi", "w2_pass", {}),
    ]
    grades = []
    for i in range(n):
        name, sid, w1, w2, late = profiles[i % len(profiles)]
        who = Student(sid.format(i + 1), name if i < 5 else f"{name} {i + 1}", f"/repos/{i + 1}")
        sha = f"{i + 1:02}" + "c0ffee" * 6 + "ab"
        first = ansi(reports["w1_fail"]) if w1 == "ansi" else reports[w1]
        grades.append(
            Grade(
                who,
                "week01",
                "graded",
                sha,
                report=first,
                isolation="docker container: no network",
                duration=1.25,
                **late,
            )
        )  # type: ignore[arg-type]
        if w2 is None:
            grades.append(Grade(who, "week02", "fetch-failed", message="git clone: <b>denied</b>"))
        elif w2 != "missing":
            grades.append(Grade(who, "week02", "graded", sha, report=reports[w2], duration=0.5))
    summary = {"students": n, "graded": sum(g.status == "graded" for g in grades)}
    return ClassGrades("Toy Course", toy_manifests(), tuple(grades), "2026-11-20T23:59:00+00:00", "docker", summary)  # fmt: skip


@pytest.fixture(scope="module")
def cg(reports: dict[str, RunReport]) -> ClassGrades:
    return sample_class(reports)


def test_the_real_reports_cover_every_outcome(reports: dict[str, RunReport]) -> None:
    outcomes = {r.outcome for rep in reports.values() for r in rep.results}
    assert outcomes == {"passed", "failed", "blocked", "error"}
    assert (reports["w1_pass"].points, reports["w1_half"].points, reports["w1_fail"].points) == (
        3,
        2,
        0,
    )


def test_gradebook_csv_reads_back_with_formulas_defused(cg: ClassGrades) -> None:
    text = exports.gradebook_csv(cg)
    assert text.startswith("id,name,week01:commit,") and "\r\n" in text  # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    assert header[-1] == "total" and "week01:test_first.py::test_answer" in header
    assert "week02:test_second.py::test_cloud" in header and "week02:max" in header
    by_id = {r["id"]: r for r in rows}
    assert len(rows) == 5 and "'@at5" in by_id  # an id starting with @ is defused too
    assert by_id["s002"]["name"] == "'" + HOSTILE
    assert by_id["'@at5"]["name"] == "'-minus"
    assert by_id["s004"]["name"] == "Zoë Ünicode"
    ada, late, evil, zoe = by_id["s001"], by_id["s002"], by_id["../evil id 3"], by_id["s004"]
    assert ada["week01:commit"] == "01c0ffe" and ada["total"] == "4"  # 3 + 1 (cloud blocked)
    assert (late["week01:points"], late["week01:penalty"], late["week01:late_days"]) == (
        "1.5",
        "0.5",
        "1.5",
    )
    assert late["week01:test_first.py::test_answer"] == "2"
    assert late["week01:test_first.py::test_greeting"] == "0"
    assert (
        evil["week02:status"],
        evil["week02:max"],
        evil["week02:test_second.py::test_notes"],
    ) == ("fetch-failed", "2", "")
    assert (zoe["week02:status"], zoe["week02:points"], zoe["total"]) == ("not-graded", "0", "3")
    for row in rows:  # nothing a spreadsheet would evaluate
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_class_json_round_trips_every_check(cg: ClassGrades) -> None:
    data = json.loads(json.dumps(grades_json.class_json(cg)))
    assert data["format"] == 2
    assert [c["points"] for m in data["checks"] for c in m["checks"]] == [2, 1, 1, 1]
    assert grades_json.class_from_json(data) == cg
    late = next(g for g in data["grades"] if g["student"] == "s002" and g["week"] == "week01")
    assert (late["late_days"], late["penalty"], late["points"], late["max_points"]) == (
        1.5,
        0.5,
        1.5,
        3.0,
    )
    assert late["isolation"] == "docker container: no network" and late["commit"].startswith(
        "02c0ffee"
    )
    greet = late["report"]["checks"][1]
    assert greet["outcome"] == "failed" and greet["expected"] == "'hello, world' on stdout"
    assert {"message", "found", "hint", "points"} <= set(greet)
    failed = next(g for g in data["grades"] if g["status"] == "fetch-failed")
    assert failed["report"] is None and failed["message"] == "git clone: <b>denied</b>"
    with pytest.raises(ValueError, match="unknown grades format"):
        grades_json.class_from_json({**data, "format": 99})


def test_repository_credentials_stay_out_of_the_json() -> None:
    assert (
        grades_json.public_repo("https://me:ghp_token@github.com/u/r.git")
        == "https://github.com/u/r.git"
    )
    assert grades_json.public_repo("git@github.com:u/r.git") == "git@github.com:u/r.git"
    assert grades_json.public_repo("/srv/repos/r") == "/srv/repos/r"


def junit(student: Student, grades: list[Grade]) -> ET.Element:
    return ET.fromstring(student_files.junit_for(student, grades))


def test_junit_counts_failures_skips_errors_and_survives_hostile_text(cg: ClassGrades) -> None:
    hostile = cg.students()[1]
    root = junit(hostile, [g for g in cg.grades if g.student == hostile])
    assert root.tag == "testsuites"
    counts = {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")}
    assert counts == {"tests": "4", "failures": "1", "errors": "1", "skipped": "1"}
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["week01: First steps", "week02: Second steps"]
    props = {p.get("name"): p.get("value") for p in suites[0].iter("property")}
    assert (props["penalty"], props["late_days"], props["points"]) == ("0.5", "1.5", "1.5")
    failure = suites[0].find("testcase[@name='greet.py greets the world']/failure")
    assert failure is not None and failure.get("message", "").startswith("expected 'hello, world'")
    assert "hint: print('hello, world')" in (failure.text or "")
    assert (
        suites[1].find("testcase/skipped") is not None
        and suites[1].find("testcase/error") is not None
    )
    assert all(float(c.get("time", "x")) >= 0 for c in root.iter("testcase"))

    evil = cg.students()[2]
    broken = junit(evil, [g for g in cg.grades if g.student == evil]).findall("testsuite")[1]
    assert (broken.get("errors"), broken.get("name")) == ("1", "week02: not graded (fetch-failed)")
    assert "git clone: <b>denied</b>" in (broken.find("testcase/error").get("message") or "")  # type: ignore[union-attr]

    coloured = cg.students()[4]
    text = student_files.junit_for(coloured, [g for g in cg.grades if g.student == coloured])
    assert "\x1b" not in text and "[31m" not in text and "found: TODO &amp; &lt;b&gt;" in text


def test_junit_for_one_workspace(reports: dict[str, RunReport]) -> None:
    root = ET.fromstring(formats.render("junit", reports["w2_error"]))
    assert (root.get("tests"), root.get("errors"), root.get("skipped"), root.get("failures")) == (
        "2",
        "1",
        "1",
        "0",
    )
    assert root.find("testsuite/testcase").get("classname") == "week02"  # type: ignore[union-attr]


def assert_gradescope_shape(data: dict[str, object]) -> None:
    """The keys and types Gradescope's autograder specification asks of results.json."""
    assert set(data) <= {"score", "execution_time", "output", "output_format", "test_output_format",
                         "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests"}  # fmt: skip
    assert isinstance(data["score"], float | int) and isinstance(data["execution_time"], int)
    assert isinstance(data["output"], str) and isinstance(data["tests"], list)
    for t in data["tests"]:
        assert isinstance(t["name"], str) and isinstance(t["output"], str)
        assert isinstance(t["score"], float) and isinstance(t["max_score"], float)
        assert t["status"] in ("passed", "failed") and t["visibility"] in VISIBILITIES
        assert 0 <= t["score"] <= t["max_score"]
    json.dumps(data)


def test_gradescope_results_apply_the_late_penalty(cg: ClassGrades) -> None:
    hostile = cg.students()[1]
    data = student_files.gradescope_for([g for g in cg.grades if g.student == hostile])
    assert_gradescope_shape(data)
    tests = data["tests"]
    assert isinstance(tests, list) and len(tests) == 4
    assert (
        data["score"] == 1.5 and sum(t["score"] for t in tests) == 2.0
    )  # the top-level score wins
    assert "36 h late, 0.5 points off" in str(data["output"])
    blocked = next(t for t in tests if t["name"] == "week02: The cloud is configured")
    assert blocked["status"] == "failed" and blocked["output"].startswith("blocked: ")
    evil = cg.students()[2]
    data = student_files.gradescope_for(
        [g for g in cg.grades if g.student == evil],
        full_marks={"week02": 2.0},
        visibility="after_published",
    )
    assert_gradescope_shape(data)
    missing = data["tests"][-1]  # type: ignore[index]
    assert (missing["score"], missing["max_score"], missing["visibility"]) == (
        0.0,
        2.0,
        "after_published",
    )
    with pytest.raises(ValueError, match="visibility"):
        student_files.gradescope_for([], visibility="public")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_report_html_escapes_names_and_loads_nothing(cg: ClassGrades) -> None:
    page = report_html.render(cg)
    parser = Tags()
    parser.feed(page)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "git clone: &lt;b&gt;denied&lt;/b&gt;" in page
    assert "\x1b" not in page and "[31m" not in page and "TODO &amp; &lt;b&gt;" in page
    assert "this run has no grade for the week" in page  # Zoë's week02
    for _, attrs in parser.tags:
        for key in ("src", "href"):
            assert not (attrs.get(key) or "#").lstrip().startswith(("http", "//")), attrs
    cells = [a for t, a in parser.tags if t == "td" and (a.get("class") or "").startswith("c")]
    assert len(cells) == 5 * 4  # students x checks
    colours = [str(a["class"]).split()[1] for a in cells]
    assert colours[:4] == ["passed", "passed", "blocked", "passed"]  # Ada
    assert colours[8:12] == ["failed", "failed", "not-graded", "not-graded"]  # fetch failed
    assert "expected 'hello, world' on stdout" in page.replace("&#x27;", "'")


def test_pass_rates_are_sorted_lowest_first(cg: ClassGrades) -> None:
    bars = report_html.render(cg).split('class="bars"')[1].split("</svg>")[0]
    rates = [int(r) for r in re.findall(r">(\d+)% <tspan", bars)]
    assert rates == [0, 40, 60, 67]  # cloud (always blocked), greet, answer, notes


def test_write_all_writes_every_file_inside_the_folder(cg: ClassGrades, tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = exports.write_all(cg, out)
    names = sorted(str(p.relative_to(out)) for p in written)
    assert names[:2] == ["gradebook.csv", "grades.json"] and "report.html" in names
    assert len([n for n in names if n.startswith("junit/")]) == 5
    evil = [n for n in names if "evil" in n]
    assert all("/" not in n.split("/", 1)[1].removesuffix("/results.json") for n in evil), evil
    assert all(p.resolve().is_relative_to(out.resolve()) for p in written)
    assert (
        sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == names
    )  # no .tmp left
    assert grades_json.class_from_json(json.loads((out / "grades.json").read_text("utf-8"))) == cg
    for p in out.glob("gradescope/*/results.json"):
        assert_gradescope_shape(json.loads(p.read_text()))
    assert (out / "gradebook.csv").read_bytes().decode("utf-8") == exports.gradebook_csv(cg)


def test_file_stems_are_safe_and_distinct() -> None:
    ids = ["s001", "../x", "..x", "a b", "a_b", "", "ünï"]
    stems = [file_stem(i) for i in ids]
    assert stems[0] == "s001" and len(set(stems)) == len(ids)
    assert all(s and "/" not in s and not s.startswith(".") for s in stems)


def test_check_format_junit_and_gradescope(cli: Cli, toy_course: Path, toy_ws: Path) -> None:
    c = ("--course", toy_course)
    cli(*c, "start", "1", cwd=toy_ws)
    failing = cli(*c, "check", "1", "--format", "junit", cwd=toy_ws)
    assert failing.returncode == 1, failing.stderr
    root = ET.fromstring(failing.stdout)
    assert (root.get("tests"), root.get("failures")) == ("2", "2")
    out = toy_ws / "reports" / "results.json"
    written = cli(*c, "check", "1", "--format", "gradescope", "--output", out, cwd=toy_ws)
    assert written.returncode == 1 and "NOT YET" in written.stdout  # the usual report as well
    data = json.loads(out.read_text())
    assert_gradescope_shape(data)
    assert data["score"] == 0 and [t["status"] for t in data["tests"]] == ["failed", "failed"]

    shutil.copytree(TOY / "solutions" / "week01", toy_ws / "week01-first-steps", dirs_exist_ok=True)
    passing = cli(*c, "check", "1", "--format", "junit", cwd=toy_ws)
    assert passing.returncode == 0
    assert ET.fromstring(passing.stdout).get("failures") == "0"
    as_json = cli(*c, "check", "1", "--json", cwd=toy_ws)
    same = cli(*c, "check", "1", "--format", "json", cwd=toy_ws)
    assert json.loads(as_json.stdout).keys() == json.loads(same.stdout).keys()
    assert json.loads(same.stdout)["passed"] is True and same.returncode == 0
    clash = cli(*c, "check", "1", "--json", "--format", "junit", cwd=toy_ws)
    assert clash.returncode == 2 and "--json" in clash.stderr
    bad = cli(*c, "check", "1", "--format", "xml", cwd=toy_ws)
    assert bad.returncode == 2 and "junit" in bad.stderr
    lonely = cli(*c, "check", "1", "--output", out, cwd=toy_ws)
    assert lonely.returncode == 2 and "--format" in lonely.stderr


def strict_json(text: str) -> object:
    """JSON as the standard has it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_no_number_written_is_nan_or_infinite(tmp_path: Path) -> None:
    """Pods' documents carrying NaN and infinities where numbers belong (Python's json reads
    them): every file the run writes is strict JSON, the CSV holds finite numbers only, and a
    non-finite number that reached the exports anyway stops them before any file is written."""
    from tests import toyclass

    poison = {
        "nanpoints": lambda d: d["result"]["checks"][0].update(points=float("nan")),
        "infinite": lambda d: d["result"].update(duration=float("inf")),
        "overflow": lambda d: d["result"]["checks"][1].update(duration=1e999),
        "podtime": lambda d: d.update(duration=float("nan")),
    }
    repos = {
        sid: toyclass.repo(tmp_path / "repos" / sid,
                           [toyclass.Commit("2026-11-05T10:00Z", toyclass.week_files("week01"))])
        for sid in ("ada", *poison)
    }  # fmt: skip

    def answer(student: str, week: str, commit: str) -> dict[str, object] | str:
        document = toyclass.document(student, week, commit)
        poison.get(student, lambda d: None)(document)
        return json.dumps(document)  # NaN and Infinity, as Python writes them

    run = toyclass.grade_class(
        tmp_path, toyclass.roster(tmp_path / "roster.csv", repos), (1,), answer
    )
    said = {g.student.id: g.status for g in run.grades.grades}
    assert said == {"ada": "graded", "nanpoints": "invalid-verdict", "infinite": "invalid-verdict",
                    "overflow": "invalid-verdict", "podtime": "graded"}  # fmt: skip
    assert run.of("podtime", "week01").duration == 0  # the pod's own number, not trusted either
    written = [run.out / "grades.json", *run.out.glob("gradescope/*/results.json")]
    assert len(written) == 6
    for path in written:
        strict_json(path.read_text(encoding="utf-8"))
    csv_text = (run.out / "gradebook.csv").read_text(encoding="utf-8")
    assert not re.search(r"(?i)\b(nan|inf|infinity)\b", csv_text)
    import sqlite3

    with sqlite3.connect(run.out / "gradebook.db") as db:
        for (data,) in db.execute("SELECT data FROM grades"):
            strict_json(data)
    graded = run.of("ada", "week01")
    assert graded.report is not None
    broken = replace(graded.report, results=(replace(graded.report.results[0], points=float("nan")),
                                             *graded.report.results[1:]))  # fmt: skip
    bad = replace(run.grades, grades=(replace(graded, report=broken),))
    with pytest.raises(ValueError, match="must be finite"):
        exports.write_all(bad, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def offline_week(reports: dict[str, RunReport], cg: ClassGrades) -> tuple[ClassGrades, Student]:
    """The class with its first student's week02 passed offline: its one blocked check made an
    external one (it waits on a cloud account); that student."""
    passing = reports["w2_pass"]
    cloud = [replace(r, external="a cloud account") if r.outcome == "blocked" else r
             for r in passing.results]  # fmt: skip
    offline = replace(passing, results=tuple(cloud))
    assert offline.passed_offline and not passing.passed_offline
    ada = cg.students()[0]
    grades = [replace(g, report=offline) if (g.student, g.week) == (ada, "week02") else g
              for g in cg.grades]  # fmt: skip
    return replace(cg, grades=tuple(grades)), ada


def test_a_week_passed_offline_is_noted_for_the_instructor(
    reports: dict[str, RunReport], cg: ClassGrades
) -> None:
    """A week whose only misses wait on a cloud account is noted in the CSV and the report, so
    its points (which leave that check out) are read for what they are; other weeks are not."""
    noted, ada = offline_week(reports, cg)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exports.gradebook_csv(noted)))}
    said = "passed offline: every check that ran passed; the rest need a cloud account"
    assert rows[ada.id]["week02:notes"] == said
    assert rows[ada.id]["week02:points"] == "1" and rows[ada.id]["week02:max"] == "2"
    assert all(said not in r["week02:notes"] for i, r in rows.items() if i != ada.id)
    assert said in report_html.render(noted) and said not in report_html.render(cg)
    failed = replace(noted.grades[1], status="crashed")  # a crashed week says nothing of it
    assert failed.notes == failed.flags


def test_the_grade_summary_notes_a_week_passed_offline(
    reports: dict[str, RunReport], cg: ClassGrades, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlops_roadmap import render_grades

    noted, ada = offline_week(reports, cg)
    render_grades.summary(noted, [])
    shown = " ".join(capsys.readouterr().out.split())
    assert (
        f"note: {ada.id} week02: passed offline: every check that ran passed; the rest need a cloud account"
        in shown
    )
