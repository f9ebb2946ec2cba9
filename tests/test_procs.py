"""Every subprocess has a timeout that kills its whole process group."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from mlops_roadmap import procs
from tests.timing import scaled, wait_until

SPAWNER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_timeout_kills_the_command_and_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    result = procs.run([sys.executable, "-c", SPAWNER, pidfile], timeout=scaled(2))
    assert result.timed_out and result.returncode == -9
    assert time.monotonic() - started < scaled(10)
    child = int(pidfile.read_text())
    wait_until(lambda: not alive(child), 10, "the timed-out command's child is still alive")


def test_finished_command_leaves_nothing_behind(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    code = (
        "import subprocess, sys; c = subprocess.Popen([sys.executable, '-c', "
        "'import time; time.sleep(60)']); open(sys.argv[1], 'w').write(str(c.pid))"
    )
    result = procs.run([sys.executable, "-c", code, pidfile], timeout=scaled(20))
    assert result.returncode == 0
    child = int(pidfile.read_text())
    wait_until(lambda: not alive(child), 10, "the finished command's child is still alive")


def test_output_is_capped_and_missing_program_is_reported() -> None:
    big = procs.run([sys.executable, "-c", "print('x' * 3_000_000)"], timeout=scaled(30))
    assert len(big.stdout) < 1_100_000 and "output cut: 2000001 more bytes" in big.stdout
    missing = procs.run(["no-such-program-here"], timeout=scaled(5))
    assert missing.returncode == 127 and "cannot start no-such-program-here" in missing.stderr


def test_tail_gives_last_lines() -> None:
    result = procs.run([sys.executable, "-c", "print('\\n'.join(map(str, range(50))))"])
    assert result.tail(3) == "47\n48\n49"
