"""A course's shared check package (checks/_lib): on the path for a run, gone after it, read
afresh each run; conftests above the course's checks/ never load."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlops_roadmap import course, runner, servers
from tests.timing import scaled

SHARED = '''
"""Code the toy course's checks share."""
ANSWER = "{answer}"
'''
PLUGIN = """
import pytest

from toyshared import ANSWER


@pytest.fixture(scope="session")
def expected_answer() -> str:
    return ANSWER
"""
CHECK = '''
from pathlib import Path

from toyshared import ANSWER
from mlops_roadmap.checking import expect


def test_answer(week_dir: Path, expected_answer: str) -> None:
    """answer.txt holds the shared answer"""
    found = (week_dir / "answer.txt").read_text().strip()
    expect(found == ANSWER == expected_answer, expected=repr(ANSWER), found=repr(found))
'''


def shared_course(toy_course: Path, answer: str) -> Path:
    lib = toy_course / "checks" / "_lib" / "toyshared"
    lib.mkdir(parents=True, exist_ok=True)
    (lib / "__init__.py").write_text(SHARED.format(answer=answer))
    (lib / "fixtures.py").write_text(PLUGIN)
    week = toy_course / "checks" / "week01"
    for old in week.glob("test_*.py"):
        old.unlink()
    (week / "conftest.py").write_text('pytest_plugins = ["toyshared.fixtures"]\n')
    (week / "test_shared.py").write_text(CHECK)
    return toy_course


def week_one(root: Path, tmp_path: Path, answer: str, select: str | None = None) -> list[str]:
    """The outcomes of week 1's checks on a week folder whose answer.txt holds ``answer``."""
    c = course.load(root)
    week_dir = tmp_path / "ws" / "week01"
    week_dir.mkdir(parents=True, exist_ok=True)
    (week_dir / "answer.txt").write_text(answer + "\n")
    report = runner.run_week(c, c.plan.week(1), week_dir.parent, week_dir, select=select)
    return [r.outcome for r in report.results]


def run_week_one(root: Path, tmp_path: Path) -> str:
    (outcome,) = week_one(root, tmp_path, "43")
    return outcome


def test_shared_package_is_on_the_path_for_one_run_and_read_afresh(
    toy_course: Path, tmp_path: Path
) -> None:
    root = shared_course(toy_course, "forty-two")
    lib = str(root / "checks" / "_lib")
    assert run_week_one(root, tmp_path) == "failed"  # the shared answer is not 43
    assert lib not in sys.path
    assert not [name for name in sys.modules if name.startswith("toyshared")]
    left = [m for m in sys.modules.values() if str(root) in str(getattr(m, "__file__", ""))]
    assert not left  # nor the week's conftest and check modules (importlib mode reuses names)
    (root / "checks" / "_lib" / "toyshared" / "__init__.py").write_text(SHARED.format(answer="43"))
    assert run_week_one(root, tmp_path) == "passed"  # the edited helper is read, not a stale one
    assert lib not in sys.path


def test_a_course_without_a_shared_package_still_runs(toy_course: Path, tmp_path: Path) -> None:
    assert week_one(toy_course, tmp_path, "42", select="answer") == ["passed"]


def test_conftests_above_the_course_checks_never_load(toy_course: Path, tmp_path: Path) -> None:
    boom = "raise RuntimeError('a conftest outside checks/ was loaded')\n"
    (toy_course / "conftest.py").write_text(boom)
    (toy_course.parent / "conftest.py").write_text(boom)
    assert week_one(toy_course, tmp_path, "42", select="answer") == ["passed"]


APP = """
import http.server, sys
hits = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global hits
        hits += 1
        self.send_response(200 if hits >= 3 else 503)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def test_readiness_probe_waits_for_the_status_it_names() -> None:
    """GET /ping answers 503 twice before 200: ready only once it says 200."""
    server = servers.start(
        [sys.executable, "-c", APP, "{port}"],
        ready=servers.answers("/ping", 200),
        timeout=scaled(30),
    )
    try:
        import urllib.request

        with urllib.request.urlopen(server.url + "/ping", timeout=scaled(5)) as answer:
            assert answer.status == 200  # the fourth request: the probe saw 503, 503, 200
    finally:
        server.stop()


def test_readiness_probe_names_what_it_waited_for() -> None:
    code = "import time; time.sleep(60)"
    with pytest.raises(servers.ServerFailed, match=r"did not answer GET /ping with 200 on .* 1 s"):
        servers.start([sys.executable, "-c", code], ready=servers.answers("/ping", 200), timeout=1)


def test_a_taken_port_is_retried_once_when_the_engine_chose_it() -> None:
    """The first start finds its port taken (the server says so and exits): a second port."""
    code = (
        "import socket, sys, pathlib; p = pathlib.Path(sys.argv[2]);"
        "first = not p.exists(); p.write_text('x')\n"
        "if first: print('OSError: [Errno 98] Address already in use'); sys.exit(1)\n"
        "import http.server\n"
        "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])),"
        " http.server.SimpleHTTPRequestHandler).serve_forever()"
    )
    import tempfile

    marker = Path(tempfile.mkdtemp()) / "started-once"
    server = servers.start(
        [sys.executable, "-c", code, "{port}", marker], ready_path="/", timeout=scaled(30)
    )
    try:
        assert marker.exists() and server.alive()
    finally:
        server.stop()


def test_expect_none_lists_the_problems_it_is_given(tmp_path: Path) -> None:
    from mlops_roadmap.checking import CheckFailed, expect_file, expect_none

    expect_none([], expected="nothing wrong")
    with pytest.raises(CheckFailed) as failed:
        expect_none(["a", "b", "c"], expected="no problem", hint="fix them", shown=2)
    assert (failed.value.expected, failed.value.found, failed.value.hint) == (
        "no problem",
        "a; b",
        "fix them",
    )
    (tmp_path / "there.yml").write_text("x")
    assert expect_file(tmp_path, "there.yml") == tmp_path / "there.yml"
    with pytest.raises(CheckFailed) as missing:
        expect_file(tmp_path, "alerts.yml")
    assert missing.value.found == "no such file"
    assert missing.value.hint == "Start from the scaffold's alerts.yml."


TITLED = '''
import pytest


@pytest.mark.parametrize(
    "n",
    [pytest.param(1, marks=pytest.mark.title("one is odd")), pytest.param(2, id="two")],
)
def test_odd(n: int) -> None:
    """A number is odd"""
    assert n % 2, f"{n} is even"
'''


def test_title_marker_names_each_case_of_a_parametrized_check(
    toy_course: Path, tmp_path: Path
) -> None:
    week = toy_course / "checks" / "week01"
    for old in week.glob("test_*.py"):
        old.unlink()
    (week / "test_titled.py").write_text(TITLED)
    c = course.load(toy_course)
    week_dir = tmp_path / "ws" / "week01"
    week_dir.mkdir(parents=True)
    report = runner.run_week(c, c.plan.week(1), week_dir.parent, week_dir)
    seen = [(r.id.split("::")[1], r.title, r.outcome) for r in report.results]
    assert seen == [
        ("test_odd[1]", "one is odd", "passed"),
        ("test_odd[two]", "A number is odd", "failed"),
    ]
