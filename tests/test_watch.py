"""`watch` re-runs checks on change, polls where events are unreliable, and stops on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from mlops_roadmap.commands import watch
from tests.conftest import Cli, clean_env


def test_polling_sees_a_change_and_ignores_venv(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("1")
    (tmp_path / ".venv").mkdir()
    stop = threading.Event()
    changes = watch.poll(tmp_path, stop, interval=0.05)
    found: list[set[Path]] = []
    worker = threading.Thread(target=lambda: found.append(next(changes)))
    worker.start()
    time.sleep(0.2)
    (tmp_path / ".venv" / "ignored.py").write_text("x")
    time.sleep(0.2)
    (tmp_path / "a.py").write_text("22")
    worker.join(timeout=5)
    stop.set()
    assert found == [{tmp_path / "a.py"}]


def test_network_file_systems_are_polled(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(watch.POLL_ENV, raising=False)
    monkeypatch.setattr(watch, "filesystem", lambda path: "9p")  # what WSL's /mnt/c reports
    assert watch.should_poll(tmp_path, forced=False)
    monkeypatch.setattr(watch, "filesystem", lambda path: "ext4")
    assert not watch.should_poll(tmp_path, forced=False)
    monkeypatch.setenv(watch.POLL_ENV, "1")
    assert watch.should_poll(tmp_path, forced=False)


def test_watch_reruns_on_change_and_exits_130_on_ctrl_c(
    cli: Cli, toy_course: Path, toy_ws: Path, tmp_path: Path
) -> None:
    cli("--course", toy_course, "start", "1", cwd=toy_ws)
    week_dir = toy_ws / "week01-first-steps"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_roadmap", "--course", str(toy_course), "watch", "--poll"],
        cwd=week_dir,
        env=clean_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_attempts(toy_ws, 1)
        # `watch` looks for changes from when it says it watches (a save while the checks
        # still run is not a change): wait for that, as a learner reading the report would.
        first_note = proc.stderr.readline()  # type: ignore[union-attr]
        assert "Ctrl-C to stop" in first_note, first_note
        time.sleep(1.0)
        (week_dir / "answer.txt").write_text("42\n")
        wait_for_attempts(toy_ws, 2)
        time.sleep(1.5)  # the second report is printed just after it is recorded
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        err = first_note + err
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert out.count("week01: First steps") >= 2
    assert "✘  answer.txt holds the answer" in out
    assert "✔  answer.txt holds the answer" in out
    assert "(polling); Ctrl-C to stop." in err


def wait_for_attempts(ws: Path, count: int, timeout: float = 60) -> None:
    """Until `watch` has recorded ``count`` attempts (each a full run of the checks)."""
    import sqlite3

    db = ws / ".mlops-roadmap" / "state.db"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            if conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] >= count:
                return
        time.sleep(0.2)
    raise AssertionError(f"watch did not record {count} attempts within {timeout} s")
