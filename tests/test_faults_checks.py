"""Checks that try to escape the engine, through the real CLI: a check or conftest that hangs while
loading is stopped by a time limit; a check that ends the process (os._exit, os.exec*,
pytest.exit, sys.exit, SIGKILL) never makes a pass, in `check` or `course verify`; a check that
prints cannot corrupt `check --json` or JUnit on stdout."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.faults import Faulty, make_started, started_copy

LOAD = {"MLOPS_ROADMAP_LOAD_TIMEOUT": "2"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_started(tmp_path_factory.mktemp("started"))


@pytest.fixture
def copy(tmp_path: Path, template: Path) -> tuple[Path, Path]:
    return started_copy(tmp_path, template)


def add_check(course: Path, name: str, body: str) -> None:
    (course / "checks" / "week01" / name).write_text(body)


def checks(out: str) -> dict[str, dict[str, object]]:
    return {c["id"]: c for c in json.loads(out)["checks"]}


def test_a_check_that_hangs_while_loading_is_stopped(
    copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    add_check(course, "test_hang.py", "import time\ntime.sleep(600)\n")
    result = Faulty(course, tmp_path / "home").run(
        "check", "1", "--json", cwd=ws, env=LOAD, timeout=60
    )
    assert result.code == 1
    found = checks(result.out)
    hang = found["test_hang.py"]
    assert hang["outcome"] == "error"
    assert hang["found"] == "test_hang.py did not load within 2 s and was stopped"
    assert found["test_first.py::test_answer"]["outcome"] == "failed"  # the rest still ran


def test_a_conftest_that_hangs_is_stopped(copy: tuple[Path, Path], tmp_path: Path) -> None:
    course, ws = copy
    add_check(course, "conftest.py", "import time\ntime.sleep(600)\n")
    result = Faulty(course, tmp_path / "home").run("check", "1", cwd=ws, env=LOAD, timeout=60)
    assert result.code == 1
    assert result.message == (
        f"error: {course / 'checks' / 'week01'}: the checks' conftest did not load within 2 s: "
        "a course bug: report it to the course author"
    )


def test_a_conftest_in_a_subfolder_that_hangs_is_stopped(
    copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    (course / "checks" / "week01" / "more").mkdir()
    (course / "checks" / "week01" / "more" / "conftest.py").write_text("while True:\n    pass\n")
    (course / "checks" / "week01" / "more" / "test_more.py").write_text("def test_x(): pass\n")
    result = Faulty(course, tmp_path / "home").run(
        "check", "1", "--json", cwd=ws, env=LOAD, timeout=60
    )
    assert result.code == 1
    assert checks(result.out)["more"]["found"] == "more did not load within 2 s and was stopped"


ESCAPES = [
    ("os._exit", "import os\n\ndef test_escape():\n    os._exit(0)\n", "os._exit(0)"),
    (
        "os.execv",
        "import os\n\ndef test_escape():\n    os.execv('/bin/true', ['true'])\n",
        "os.execv('/bin/true', ...)",
    ),
    (
        "os.execlp",
        "import os\n\ndef test_escape():\n    os.execlp('true', 'true')\n",
        "os.execv",
    ),
]


@pytest.mark.parametrize(("body", "what"), [e[1:] for e in ESCAPES], ids=[e[0] for e in ESCAPES])
def test_a_check_that_ends_the_process_is_an_error(
    body: str, what: str, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    (ws / "week01-first-steps" / "answer.txt").write_text("42\n")
    (ws / "week01-first-steps" / "greet.py").write_text("print('hello, world')\n")
    add_check(course, "test_escape.py", body)
    faulty = Faulty(course, tmp_path / "home")
    result = faulty.run("check", "1", "--json", cwd=ws)
    assert result.code == 1
    found = checks(result.out)
    escape = found["test_escape.py::test_escape"]
    assert escape["outcome"] == "error"
    assert str(escape["found"]).startswith(f"the check called {what}")
    assert found["test_first.py::test_answer"]["outcome"] == "passed"
    status = json.loads(faulty.run("status", "--json", cwd=ws).out)
    assert status["weeks"][0]["state"] == "in progress"  # recorded, and not a pass


@pytest.mark.parametrize(
    "body",
    [
        "import pytest\n\ndef test_a_stop():\n    pytest.exit('bye', returncode=0)\n",
        "import pytest\n\ndef test_a_stop():\n    pytest.exit('bye', returncode=3)\n",
    ],
    ids=["returncode 0", "returncode 3"],
)
def test_a_run_that_did_not_report_every_check_is_not_a_pass(
    body: str, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    (ws / "week01-first-steps" / "answer.txt").write_text("42\n")
    (ws / "week01-first-steps" / "greet.py").write_text("print('hello, world')\n")
    add_check(course, "test_a_stop.py", body)  # runs before test_first.py
    result = Faulty(course, tmp_path / "home").run("check", "1", "--json", cwd=ws)
    assert result.code == 1
    found = checks(result.out)
    assert found["test_first.py::test_answer"]["found"] == (
        "the run ended before this check reported (a check called pytest.exit('bye'))"
    )
    assert json.loads(result.out)["passed"] is False


@pytest.mark.parametrize(
    "body",
    [
        "import os\n\ndef test_escape():\n    os._exit(0)\n",
        "import pytest\n\ndef test_escape():\n    pytest.exit('bye', returncode=0)\n",
        "import sys\n\ndef test_escape():\n    sys.exit(0)\n",
    ],
    ids=["os._exit", "pytest.exit", "sys.exit"],
)
def test_course_verify_never_proves_an_escaping_solution(
    body: str, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    add_check(course, "test_escape.py", body)
    result = Faulty(course, tmp_path / "home").run("course", "verify", "--week", "1", cwd=ws)
    assert result.code == 1
    assert "week01: the reference solution does not pass" in " ".join(result.out.split())


def test_a_check_that_kills_the_cli_is_not_a_pass(copy: tuple[Path, Path], tmp_path: Path) -> None:
    course, ws = copy
    add_check(
        course,
        "test_kill.py",
        "import os, signal\n\ndef test_kill():\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    )
    result = Faulty(course, tmp_path / "home").run("check", "1", cwd=ws)
    assert result.code == -9


PRINTS = """
import os, subprocess, sys

def test_prints(run, learner_python, week_dir):
    \"\"\"prints everywhere\"\"\"
    print("a check's print")
    sys.stdout.write("a write to sys.stdout\\n")
    os.write(1, b"a raw write to fd 1\\n")
    subprocess.run(["echo", "a child's output"], check=True)
    sys.stdout = sys.stderr  # and leaves sys.stdout replaced
"""


@pytest.mark.parametrize("fmt", ["--json", "--format=json", "--format=junit"])
def test_a_check_that_prints_cannot_corrupt_the_export(
    fmt: str, copy: tuple[Path, Path], tmp_path: Path
) -> None:
    course, ws = copy
    add_check(course, "test_prints.py", PRINTS)
    result = Faulty(course, tmp_path / "home").run("check", "1", fmt, cwd=ws)
    assert result.code == 1
    if "junit" in fmt:
        assert ET.fromstring(result.out).tag == "testsuites"
    else:
        assert checks(result.out)["test_prints.py::test_prints"]["outcome"] == "passed"
    for line in ("a check's print", "a raw write to fd 1", "a child's output"):
        assert line in result.err and line not in result.out


def test_a_module_that_skips_itself_is_an_error(copy: tuple[Path, Path], tmp_path: Path) -> None:
    """A check module that skips itself while loading would drop its checks uncounted."""
    course, ws = copy
    (ws / "week01-first-steps" / "answer.txt").write_text("42\n")
    (ws / "week01-first-steps" / "greet.py").write_text("print('hello, world')\n")
    body = "import pytest\n\npytest.skip('not today', allow_module_level=True)\n\n"
    add_check(course, "test_skipper.py", body + "def test_hidden():\n    assert False\n")
    faulty = Faulty(course, tmp_path / "home")
    result = faulty.run("check", "1", "--json", cwd=ws)
    assert result.code == 1, result.out
    skipper = checks(result.out)["test_skipper.py"]
    assert skipper["outcome"] == "error"
    found = str(skipper["found"])
    assert found.startswith("the module skipped itself while loading (") and "not today" in found
    status = json.loads(faulty.run("status", "--json", cwd=ws).out)
    assert status["weeks"][0]["state"] == "in progress"  # not a pass
