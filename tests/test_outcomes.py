"""How the plugin turns what a check did into passed, failed, blocked or error."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.conftest import Cli
from tests.timing import scaled, wait_until

CHECKS = '''
import os
import sys
from pathlib import Path

import pytest

from mlops_roadmap.checking import blocked


def test_plain_assert(week_dir):
    """A plain assert with a message"""
    assert 1 + 1 == 3, "one plus one is not three"


def test_blocked_at_run_time():
    """Blocked by the check itself"""
    blocked("the previous step did not run", hint="make it run")


def test_broken():
    """A check with a bug"""
    {}["missing"]


@pytest.mark.timeout(3)
def test_hangs(run, tmp_path):
    """The learner's code hangs and leaves a child behind"""
    code = ("import subprocess, sys, time, pathlib; "
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
            "pathlib.Path(sys.argv[1]).write_text(str(c.pid)); time.sleep(120)")
    run([sys.executable, "-c", code, os.environ["PIDFILE"]], timeout=60)


def test_after_all():
    """Still runs after the others"""
'''


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_outcomes_are_classified(cli: Cli, toy_course: Path, toy_ws: Path, tmp_path: Path) -> None:
    (toy_course / "checks" / "week01" / "test_first.py").unlink()
    (toy_course / "checks" / "week01" / "test_zoo.py").write_text(CHECKS)
    (toy_course / "checks" / "week01" / "test_syntax.py").write_text("def broken(:\n")
    cli("--course", toy_course, "start", "1", cwd=toy_ws)
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    result = cli(
        "--course", toy_course, "check", "--json", cwd=toy_ws, env={"PIDFILE": str(pidfile)}
    )
    assert time.monotonic() - started < scaled(30)
    assert result.returncode == 1
    checks = {c["title"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["A plain assert with a message"]["outcome"] == "failed"
    assert checks["A plain assert with a message"]["found"] == "one plus one is not three"
    assert checks["Blocked by the check itself"]["outcome"] == "blocked"
    assert checks["Blocked by the check itself"]["hint"] == "make it run"
    assert checks["A check with a bug"]["outcome"] == "error"
    assert "KeyError" in checks["A check with a bug"]["found"]
    hang = checks["The learner's code hangs and leaves a child behind"]
    assert hang["outcome"] == "failed"
    assert hang["expected"] == "the check to finish within its time limit"
    assert checks["Still runs after the others"]["outcome"] == "passed"
    load = next(c for c in checks.values() if c["id"].startswith("test_syntax.py"))
    assert load["outcome"] == "error" and "SyntaxError" in load["found"]
    child = int(pidfile.read_text())
    wait_until(lambda: not alive(child), 10, "the timed-out check's processes were not killed")


SLOW_CHECK = '''
import os
import sys


def test_runs_long(run):
    """The learner's code runs for a long time"""
    code = ("import subprocess, sys, time, pathlib; "
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
            "pathlib.Path(sys.argv[1]).write_text(str(c.pid)); time.sleep(120)")
    run([sys.executable, "-c", code, os.environ["PIDFILE"]], timeout=120)
'''


def test_ctrl_c_stops_the_check_and_everything_it_started(
    toy_course: Path, toy_ws: Path, tmp_path: Path, cli: Cli
) -> None:
    import signal
    import subprocess
    import sys

    from tests.conftest import as_in_a_terminal, clean_env

    (toy_course / "checks" / "week01" / "test_first.py").write_text(SLOW_CHECK)
    cli("--course", toy_course, "start", "1", cwd=toy_ws)
    pidfile = tmp_path / "pid"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_roadmap", "--course", str(toy_course), "check"],
        cwd=toy_ws,
        env={**clean_env(tmp_path / "home"), "PIDFILE": str(pidfile)},
        preexec_fn=as_in_a_terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: pidfile.exists() and pidfile.read_text(), 30, "the check never started")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=scaled(30))
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err
    child = int(pidfile.read_text())
    wait_until(lambda: not alive(child), 10, "a process of the check outlived its Ctrl-C")
