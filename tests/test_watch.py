"""`watch` marks before each run so a save made while checks run starts another run; it polls
where events are unreliable, and stops on Ctrl-C with nothing left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import pytest

from mlops_roadmap.commands import watch
from tests.conftest import Cli, as_in_a_terminal, clean_env
from tests.timing import scaled, wait_until

# A check the test holds: run N says it started (started-N), then waits for go-N.
HELD_CHECK = '''
import os
import time
from pathlib import Path


def test_held(week_dir: Path) -> None:
    """the test lets this check finish"""
    signals = Path(os.environ["WATCH_TEST_SIGNALS"])
    run = 1
    while True:
        try:
            (signals / f"started-{run}").open("x").close()
            break
        except FileExistsError:
            run += 1
    deadline = time.monotonic() + float(os.environ["WATCH_TEST_PATIENCE"])
    while not (signals / f"go-{run}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
'''


def test_polling_reports_changes_since_the_mark_and_ignores_venv(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("1")
    (tmp_path / ".venv").mkdir()
    polling = watch.Polling(tmp_path, interval=0.05)
    (tmp_path / "before.py").write_text("made before the mark")
    polling.mark()
    (tmp_path / ".venv" / "ignored.py").write_text("x")
    (tmp_path / "a.py").write_text("22")
    assert polling.wait() == {tmp_path / "a.py"}


def test_events_report_changes_made_before_the_wait(tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()
    events = watch.Events(tmp_path)
    try:
        events.mark()
        (tmp_path / ".venv" / "ignored.py").write_text("x")
        (tmp_path / "a.py").write_text("saved while the checks ran")
        assert events.wait() == {tmp_path / "a.py"}
    finally:
        events.close()


def test_network_file_systems_are_polled(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(watch.POLL_ENV, raising=False)
    monkeypatch.setattr(watch, "filesystem", lambda path: "9p")  # what WSL's /mnt/c reports
    assert watch.should_poll(tmp_path, forced=False)
    monkeypatch.setattr(watch, "filesystem", lambda path: "ext4")
    assert not watch.should_poll(tmp_path, forced=False)
    monkeypatch.setenv(watch.POLL_ENV, "1")
    assert watch.should_poll(tmp_path, forced=False)


class Watch:
    """`mlops-roadmap watch` on week 1 of the toy course, its checks held by the test."""

    def __init__(self, course: Path, ws: Path, tmp_path: Path, *flags: str) -> None:
        self.signals = tmp_path / "signals"
        self.signals.mkdir()
        (course / "checks" / "week01" / "test_held.py").write_text(HELD_CHECK)
        self.week_dir = ws / "week01-first-steps"
        self.token = f"watch-{os.getpid()}-{time.monotonic_ns()}"
        self.out, self.err = tmp_path / "watch.out", tmp_path / "watch.err"
        env = clean_env(tmp_path / "home") | {
            "WATCH_TEST_SIGNALS": str(self.signals),
            "WATCH_TEST_PATIENCE": str(scaled(120)),
            "WATCH_TEST_TOKEN": self.token,
        }
        args = [sys.executable, "-m", "mlops_roadmap", "--course", str(course), "watch", *flags]
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(
                args, cwd=self.week_dir, env=env, stdout=out, stderr=err, start_new_session=True,
                preexec_fn=as_in_a_terminal,
            )  # fmt: skip

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def started(self, run: int) -> None:
        wait_until((self.signals / f"started-{run}").exists, 60, f"run {run} never started")

    def finish(self, run: int) -> None:
        (self.signals / f"go-{run}").touch()

    def watching(self, times: int) -> str:
        """Until `watch` has said ``times`` times that it watches (after each run's report)."""
        try:
            return wait_until(
                lambda: text if (text := self.err.read_text()).count("Ctrl-C to") >= times else "",
                60,
                f"watch did not report {times} runs",
            )
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}:\n{self.err.read_text()}\n{self.out.read_text()}"
            ) from None

    def interrupt(self) -> int:
        """Ctrl-C; `watch`'s exit code, which it must give promptly."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=scaled(10))

    def left_running(self) -> list[int]:
        """Processes `watch` started that are still alive."""
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if self.token.encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
        return found


@pytest.mark.parametrize("flags", [["--poll"], []], ids=["polling", "file events"])
def test_a_save_during_a_run_starts_another_run(
    flags: list[str], cli: Cli, toy_course: Path, toy_ws: Path, tmp_path: Path
) -> None:
    assert cli("--course", toy_course, "start", "1", cwd=toy_ws).returncode == 0
    with Watch(toy_course, toy_ws, tmp_path, *flags) as w:
        w.started(1)  # past the answer check, held
        (w.week_dir / "answer.txt").write_text("42\n")
        w.finish(1)
        w.started(2)  # the save made during run 1 started run 2
        w.finish(2)
        w.watching(2)
        w.finish(3)
        (w.week_dir / "answer.txt").write_text("41\n")  # a save while watching
        w.started(3)
        err = w.watching(3)
        assert w.interrupt() == 130
        out = w.out.read_text()
    how = "polling" if flags else "file events"
    assert f"({how}); Ctrl-C to stop." in err
    reports = out.split("week01: First steps")[1:]
    assert len(reports) == 3, out
    assert ["✔" if "✔  answer.txt holds the answer" in r else "✘" for r in reports] == [
        "✘",
        "✔",
        "✘",
    ], out


@pytest.mark.parametrize("while_", ["waiting", "checking"])
def test_ctrl_c_stops_watch_on_file_events(
    while_: str, cli: Cli, toy_course: Path, toy_ws: Path, tmp_path: Path
) -> None:
    assert cli("--course", toy_course, "start", "1", cwd=toy_ws).returncode == 0
    with Watch(toy_course, toy_ws, tmp_path) as w:
        w.started(1)
        if while_ == "waiting":
            w.finish(1)
            assert "(file events); Ctrl-C to stop." in w.watching(1)
        code = w.interrupt()
        wait_until(lambda: not w.left_running(), 10, "a process of watch outlived its Ctrl-C")
    err = w.err.read_text()
    assert code == 130, err
    assert "Traceback" not in err, err


def test_a_file_rewritten_with_the_same_bytes_is_no_change(tmp_path: Path) -> None:
    """Tools the checks run may touch what they read (MLflow rewrites registered_model_meta on
    every load): the same bytes again must not start the checks again, in either mode."""
    meta = tmp_path / "mlruns" / "registered_model_meta"
    meta.parent.mkdir()
    meta.write_text("model_name: ames-price\n")
    for watcher in (watch.Polling(tmp_path, interval=0.05), watch.Events(tmp_path)):
        try:
            watcher.mark()
            time.sleep(0.01)  # a later modification time for the rewrite
            meta.write_text("model_name: ames-price\n")
            (tmp_path / "train.py").write_text(f"saved {watcher.how}")
            assert watcher.wait() == {tmp_path / "train.py"}
        finally:
            watcher.close()
