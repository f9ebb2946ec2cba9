"""Broken course data, through the real CLI: roadmap.yaml that is hostile or malformed, lessons
and templates that are missing, folders, not UTF-8 or whose code raises, check markers that are
not numbers, a checked week without a solution. Each gives exit 1 and one message naming the file
(and the line, where there is one) and the fix; never a traceback, never a hang."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.faults import Faulty, make_started, started_copy

Edit = Callable[[str], str]
ARABIC = "week\u0660\u0661"  # week01 in Arabic-Indic digits, which str.isdigit accepts


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_started(tmp_path_factory.mktemp("started"))


@pytest.fixture
def copy(tmp_path: Path, template: Path) -> tuple[Path, Path]:
    return started_copy(tmp_path, template)


def bomb(levels: int = 9) -> str:
    """A billion laughs: nine lines that expand to 9**9 strings."""
    lines = ['    - &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"    - &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def in_hints(text: str) -> str:
    """A smaller bomb (9**4 values: under the limit) in week 1's hints."""
    laughs = f"    laughs:\n{bomb(4)}    hints: *l3\n    old_hints:\n"
    return text.replace("    hints:\n", laughs, 1)


def unknown_key(text: str) -> str:
    return text.replace("months:\n", f"laughs:\n{bomb()}months:\n", 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


ROADMAP: list[tuple[str, Edit, str]] = [
    (
        "alias bomb in hints",
        in_hints,
        r"roadmap.yaml: weeks\[0\] \(week01\) -> hints\[0\]: expected text, got \[\[\[",
    ),
    (
        "alias bomb in an unknown key",
        unknown_key,
        r"roadmap.yaml: more than 100000 values once its aliases \(\*name\) are expanded: write "
        r"the values out, or repeat fewer aliases",
    ),
    (
        "5000-digit number",
        lambda t: t.replace("  - number: 1\n", "  - number: " + "9" * 5000 + "\n", 1),
        r"roadmap.yaml: line 7, column 13: not valid YAML: a number of 5000 digits: write a "
        r"smaller one$",
    ),
    (
        "duplicate key",
        lambda t: t.replace("    title: First steps\n", "    title: First steps\n    title: X\n"),
        r"roadmap.yaml: line 14, column 5: not valid YAML: the key 'title' is given twice \(first "
        r"on line 13\): keep one",
    ),
    (
        "duplicate key in a flow mapping",
        lambda t: t.replace("    stretch: [", "    s: {a: 1, a: 2}\n    stretch: ["),
        r"roadmap.yaml: line \d+, column 15: not valid YAML: the key 'a' is given twice",
    ),
    (
        "format 0",
        lambda t: t.replace("format: 1", "format: 0"),
        r"roadmap.yaml: format: expected a whole number of at least 1, got 0$",
    ),
    (
        "negative format",
        lambda t: t.replace("format: 1", "format: -3"),
        r"roadmap.yaml: format: expected a whole number of at least 1, got -3$",
    ),
    (
        "Arabic-Indic digits in a week id",
        lambda t: t.replace("id: week01", f"id: {ARABIC}"),
        rf"roadmap.yaml: weeks\[0\] \({ARABIC}\) -> id: expected an id like 'week05', got "
        rf"'{ARABIC}'",
    ),
    (
        "NUL byte",
        lambda t: t.replace("Write an answer", "Write an\0answer"),
        r"roadmap.yaml: line 14, column 24: not valid YAML: character #x0000 is not allowed "
        r"\(control characters are not allowed\): remove it",
    ),
    (
        "a date that is not one",
        lambda t: t.replace('version: "1"', "version: 2024-13-45"),
        r"roadmap.yaml: line 5, column 12: not valid YAML: month must be in 1..12",
    ),
    (
        "a version that is a list",
        lambda t: t.replace('version: "1"', "version: [1, 2]"),
        r"roadmap.yaml: course.version: expected a version like '1.2', got \[1, 2\]",
    ),
    (
        "deep nesting",
        lambda t: t.replace("tasks: [Configure credentials]", "tasks: " + "[" * 5000 + "]" * 5000),
        r"roadmap.yaml: line \d+, column \d+: not valid YAML: exceeded maximum nesting depth",
    ),
    (
        "a huge month",
        lambda t: t.replace("    month: 1\n", "    month: " + "7" * 90 + "\n", 1),
        r"roadmap.yaml: weeks\[0\] \(week01\) -> month: expected one of the months \[1\], got "
        r"a number of about \d+ digits$",
    ),
]


@pytest.mark.parametrize(("edit", "pattern"), [r[1:] for r in ROADMAP], ids=[r[0] for r in ROADMAP])
@pytest.mark.parametrize("command", [["status"], ["show", "week", "1"]])
def test_a_broken_roadmap_names_the_place(
    edit: Edit, pattern: str, command: list[str], copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    roadmap = course / "roadmap.yaml"
    roadmap.write_text(edit(roadmap.read_text()))
    result = Faulty(course, tmp_path / "home").run(*command, cwd=ws, timeout=60)
    assert result.code == 1
    assert re.search(pattern, result.message.removeprefix("error: ")), result.message
    assert len(result.err) < 2000  # never the whole value


def test_a_roadmap_that_is_not_utf8(copy: tuple[Path, Path], tmp_path: Path) -> None:
    course, ws = copy
    roadmap = course / "roadmap.yaml"
    text = roadmap.read_text()
    roadmap.write_bytes(text.replace("Toy Course", "Toy Cours\xe9").encode("latin-1"))
    result = Faulty(course, tmp_path / "home").run("status", cwd=ws)
    assert result.code == 1
    assert result.message == (
        f"error: roadmap.yaml: line {line_of(text, 'Toy Course')}, column 19: not UTF-8 (byte "
        "0xe9): save roadmap.yaml as UTF-8"
    )


def test_an_edit_keeping_size_and_time_is_seen(copy: tuple[Path, Path], tmp_path: Path) -> None:
    """The roadmap cache serves a plan only for the exact bytes it was made from."""
    course, ws = copy
    faulty = Faulty(course, tmp_path / "home")
    roadmap = course / "roadmap.yaml"
    assert "First steps" in faulty.run("status", cwd=ws).out
    stat = roadmap.stat()
    roadmap.write_text(roadmap.read_text().replace("First steps", "Fir$t $teps"))
    import os

    os.utime(roadmap, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert roadmap.stat().st_size == stat.st_size
    assert "Fir$t $teps" in faulty.run("status", cwd=ws).out


LESSON = "lesson for week01: a course bug: report it to the course author"


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda p: p.unlink(), "missing lesson for week01"),
        (
            lambda p: (p.unlink(), p.mkdir()),
            "a folder stands where the lesson for week01 should be",
        ),
        (
            lambda p: p.write_bytes(b"# Week 1\n\nCaf\xe9\n"),
            "line 3, column 4: not UTF-8 (byte 0xe9): save it as UTF-8 (a course bug",
        ),
    ],
    ids=["missing", "a folder", "not UTF-8"],
)
@pytest.mark.parametrize("command", [["show", "week", "1"], ["start", "2", "--force"]])
def test_a_broken_lesson(
    damage: Callable[[Path], object],
    problem: str,
    command: list[str],
    copy: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    course, ws = copy
    week = "week01" if command[0] == "show" else "week02"
    lesson = course / "weeks" / f"{week}.md"
    damage(lesson)
    result = Faulty(course, tmp_path / "home").run(*command, cwd=ws)
    if command[0] == "start" and "UTF-8" in problem:  # laid byte for byte: not an error
        assert result.code == 0
        return
    assert result.code == 1
    assert result.message.startswith(f"error: {lesson}: {problem.replace('week01', week)}")
    assert "report it to the course author" in result.message


TEMPLATES = [
    (
        "division by zero",
        "{{ 1 / 0 }}",
        "greet.py.jinja:2: cannot render the template: ZeroDivisionError: division by zero",
    ),
    (
        "type error",
        "{{ week.title + 1 }}",
        "greet.py.jinja:2: cannot render the template: TypeError: can only concatenate str",
    ),
    (
        "recursion",
        "{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}",
        "greet.py.jinja:2: cannot render the template: RecursionError: maximum recursion depth",
    ),
    (
        "undefined",
        "{{ nothing_here }}",
        "greet.py.jinja:2: cannot render the template: 'nothing_here' is undefined",
    ),
    (
        "syntax",
        "{% if %}",
        "greet.py.jinja:2: cannot render the template: Expected an expression",
    ),
    (
        "attribute error",
        "{{ week.no_such_field.deeper }}",
        "greet.py.jinja:2: cannot render the template: 'mlops_roadmap.roadmap.Week object' has",
    ),
]


@pytest.mark.parametrize(
    ("body", "message"), [t[1:] for t in TEMPLATES], ids=[t[0] for t in TEMPLATES]
)
def test_template_code_that_raises_is_a_course_error(
    body: str, message: str, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    jinja = course / "templates" / "week01" / "greet.py.jinja"
    jinja.write_text("# {{ week.title }}\n" + body + "\n")
    result = Faulty(course, tmp_path / "home").run("reset", "1", "--yes", cwd=ws)
    assert result.code == 1
    assert f"error: {jinja.parent}/{message}" in result.message, result.message
    assert "a course bug: report it to the course author" in result.message


def test_a_template_that_is_not_utf8(copy: tuple[Path, Path], tmp_path: Path) -> None:
    course, ws = copy
    jinja = course / "templates" / "week01" / "greet.py.jinja"
    jinja.write_bytes(b"# {{ week.title }}\nprint('caf\xe9')\n")
    result = Faulty(course, tmp_path / "home").run("start", "1", cwd=ws)
    assert result.code == 1
    assert result.message.startswith(
        f"error: {jinja}: line 2, column 11: not UTF-8 (byte 0xe9): save it as UTF-8"
    )


MARKED = """
import pytest

@pytest.mark.points({points})
@pytest.mark.timeout({timeout})
def test_marked(week_dir):
    \"\"\"a check with odd markers\"\"\"

def test_plain(week_dir):
    \"\"\"a plain check\"\"\"
"""


@pytest.mark.parametrize(
    ("points", "timeout", "problem"),
    [
        ('"two"', "5", "@pytest.mark.points('two'): expected a number from 0 to 1000"),
        ("1", '"soon"', "@pytest.mark.timeout('soon'): expected a positive number of seconds"),
        ("-1", "5", "@pytest.mark.points(-1): expected a number from 0 to 1000"),
        ("1", "0", "@pytest.mark.timeout(0): expected a positive number of seconds"),
        ('float("nan")', "5", "@pytest.mark.points(nan): expected a number from 0 to 1000"),
        ("None", "5", "@pytest.mark.points(None): expected a number from 0 to 1000"),
        ("1", "10**5000", "@pytest.mark.timeout(a number of about 5000 digits): expected a"),
        ("1e308 * 10", "5", "@pytest.mark.points(inf): expected a number from 0 to 1000"),
    ],
)
def test_markers_that_are_not_numbers(
    points: str, timeout: str, problem: str, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    (course / "checks" / "week01" / "test_marked.py").write_text(
        MARKED.format(points=points, timeout=timeout)
    )
    result = Faulty(course, tmp_path / "home").run("check", "1", "--json", cwd=ws)
    assert result.code == 1
    checks = {c["title"]: c for c in json.loads(result.out)["checks"]}
    marked = checks["a check with odd markers"]
    assert marked["outcome"] == "error"
    assert marked["found"].startswith(problem)
    assert marked["hint"] == "a course bug: report it to the course author"
    assert checks["a plain check"]["outcome"] == "passed"


def test_verify_a_checked_week_without_a_solution(copy: tuple[Path, Path], tmp_path: Path) -> None:
    course, ws = copy
    for path in sorted((course / "solutions" / "week02").iterdir()):
        path.unlink()
    (course / "solutions" / "week02").rmdir()
    result = Faulty(course, tmp_path / "home").run("course", "verify", "--week", "2", cwd=ws)
    assert result.code == 1
    assert "solutions/week02/: week02 has checks but no reference solution" in result.out
