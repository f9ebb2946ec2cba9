"""The process jail against small hostile programs, and a real week graded inside it.

Run as root, the jail uses every namespace and a slot uid; as another user, a user namespace.
Tests that prove something only root can set up say so when they skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mlops_roadmap import course, procs
from mlops_roadmap.grading import jail, jail_cgroup, jail_host, jail_plan
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Job
from tests.conftest import REPO, Cli
from tests.timing import scaled, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux jail")
ROOT = os.geteuid() == 0
MODE = jail.best_mode()[0] if sys.platform.startswith("linux") else "plain"
# Skip only where the kernel refuses namespaces; a jail that fails to build must fail the tests.
REFUSED = MODE == "plain" and "cannot enter namespaces" in jail.best_mode()[1]
needs_namespaces = pytest.mark.skipif(
    REFUSED, reason=f"this kernel allows no namespaces here: {jail.best_mode()[1]}"
)
needs_root = pytest.mark.skipif(not ROOT, reason="needs root: only root can run a slot's own uid")
SECRET = "jail-test-secret-8d1f"
PYTHON = sys.executable
DAEMON = """
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", sys.argv[1]])
    os._exit(0)
print("started")
"""


@pytest.fixture
def job(tmp_path: Path) -> Job:
    (tmp_path / "submission").mkdir()
    (tmp_path / "scratch").mkdir()
    limits = Limits(wall_seconds=30, memory_mb=256, processes=64, file_mb=1, scratch_mb=16)
    return Job("week02", tmp_path / "submission", tmp_path / "scratch", limits, slot=1)


@pytest.fixture
def grader_file() -> Iterator[Path]:
    """A file of the grader's that any local user could read: the jail must still hide it."""
    fd, name = tempfile.mkstemp(prefix="jail-grader-")
    os.write(fd, SECRET.encode())
    os.close(fd)
    os.chmod(name, 0o644)
    yield Path(name)
    os.unlink(name)


def run_python(job: Job, code: str, *args: str, mode: str | None = None) -> procs.ProcessResult:
    result, _ = jail.jailed_run(job, [PYTHON, "-c", code, *args], mode=mode)
    return result


def uid_in(isolation: str) -> int:
    """The uid the jail says it used (as root: the lane's, or the next one no run holds)."""
    found = re.search(r"\buid (\d+)", isolation)
    assert found, isolation
    return int(found.group(1))


def host_processes_with(word: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if word in line and "pytest" not in line:
            found.append(f"{entry.name}: {line}")
    return found


@needs_namespaces
def test_environment_is_an_allow_list(job: Job, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_TOKEN", SECRET)
    code = """
import glob, json, os, sys
seen = []
for path in glob.glob("/proc/*/environ") + [f"/proc/{sys.argv[1]}/environ"]:
    try:
        seen.append(open(path, "rb").read().decode(errors="replace"))
    except OSError:
        pass
print(json.dumps({"env": dict(os.environ), "proc": seen, "uid": os.getuid(), "groups": os.getgroups()}))
"""
    result, isolation = jail.jailed_run(job, [PYTHON, "-c", code, str(os.getpid())])
    assert result.returncode == 0, result.tail()
    assert SECRET not in result.stdout
    seen = json.loads(result.stdout)
    assert set(seen["env"]) <= {*jail_plan.KEPT_ENV, "PATH", "HOME", "TMPDIR", "MLOPS_ROADMAP_COURSE",
                                "PYTHONDONTWRITEBYTECODE", "MPLBACKEND", "MALLOC_ARENA_MAX"}  # fmt: skip
    assert seen["env"]["HOME"] == jail_plan.HOME and seen["env"]["MALLOC_ARENA_MAX"] == "2"
    assert seen["uid"] == uid_in(isolation) >= jail_plan.FIRST_UID + 1
    if ROOT:  # without root a user namespace keeps the grader's groups (shown unmapped)
        assert seen["groups"] in ([], [seen["uid"]])


@needs_namespaces
def test_grader_files_cannot_be_read_or_written(job: Job, grader_file: Path) -> None:
    (job.submission / "leak").symlink_to(grader_file)
    (job.submission / "up").symlink_to(REPO)
    code = """
import os, sys
for path in sys.argv[1:]:
    try:
        print("READ", path, open(path).read()[:40])
    except OSError as exc:
        print("no read", path, type(exc).__name__)
for path in ["/etc/x", "/usr/x", "/x", f"{sys.argv[2]}/checks/x", "/submission/up/x"]:
    try:
        open(path, "w").write("x")
        print("WROTE", path)
    except OSError as exc:
        print("no write", path, type(exc).__name__)
open(sys.argv[1], "w").write("overwritten")  # the grader's path, inside the jail's own /tmp
"""
    result = run_python(job, code, str(grader_file), str(REPO), "leak", "/proc/1/root/etc/shadow")
    assert result.returncode == 0, result.tail()
    assert "READ" not in result.stdout and "WROTE" not in result.stdout, result.stdout
    assert SECRET not in result.stdout
    assert grader_file.read_text() == SECRET
    assert not (REPO / "checks" / "x").exists()


@needs_namespaces
def test_course_is_visible_but_not_its_solutions(job: Job) -> None:
    root = course.locate()
    code = """
import os, sys
root = sys.argv[1]
print(sorted(os.listdir(root)))
print(os.path.isfile(f"{root}/roadmap.yaml"), os.path.isdir(f"{root}/checks/week02"))
print(os.path.exists(f"{root}/solutions/week02/train.py"))
"""
    result = run_python(job, code, str(root))
    assert result.returncode == 0, result.tail()
    listing, visible, solution = result.stdout.splitlines()
    assert "solutions" not in listing and ".git" not in listing
    assert visible == "True True" and solution == "False"


@needs_namespaces
def test_solutions_inside_a_bound_folder_are_hidden(
    job: Job, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed wheel keeps the course, solutions too, inside the package folder the jail
    binds; that layout is made here by binding a folder of the test's as a system one."""
    top = Path(tempfile.mkdtemp(prefix="jail-course-", dir="/var/tmp"))
    try:
        shutil.copytree(REPO / "tests" / "fixtures" / "toy-course", top / "course")
        os.chmod(top, 0o755)
        assert (top / "course" / "solutions").is_dir()
        monkeypatch.setattr(jail_plan, "SYSTEM", (*jail_plan.SYSTEM, str(top)))
        code = (
            "import os, sys\nprint(os.listdir(sys.argv[1]), os.listdir(sys.argv[1] + '/solutions'))"
        )
        args = [PYTHON, "-c", code, str(top / "course")]
        result, _ = jail.jailed_run(job, args, course_root=top / "course")
    finally:
        shutil.rmtree(top)
    assert result.returncode == 0, result.tail()
    assert "'checks'" in result.stdout and result.stdout.rstrip().endswith("[]"), result.stdout


@needs_namespaces
def test_a_course_below_tmp_stays_visible_over_the_scratch_tmp(job: Job) -> None:
    """A checkout (course, virtual environment) under /tmp must not vanish beneath the jail's
    own /tmp."""
    top = Path(tempfile.mkdtemp(prefix="jail-course-", dir="/tmp"))
    try:
        shutil.copytree(REPO / "tests" / "fixtures" / "toy-course", top / "course")
        os.chmod(top, 0o755)
        code = "import os, sys\nprint(sorted(os.listdir(sys.argv[1])))"
        args = [PYTHON, "-c", code, str(top / "course")]
        result, _ = jail.jailed_run(job, args, course_root=top / "course")
    finally:
        shutil.rmtree(top)
    assert result.returncode == 0, result.tail()
    assert "'checks'" in result.stdout and "'solutions'" not in result.stdout, result.stdout


@needs_namespaces
def test_no_network_but_loopback_works(job: Job) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = """
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=float(sys.argv[2]))
    print("reached the host")
except OSError as exc:
    print("host unreachable:", type(exc).__name__)
with socket.create_server(("127.0.0.1", 0)) as inner:
    with socket.create_connection(inner.getsockname(), timeout=float(sys.argv[2])) as c:
        peer, _ = inner.accept()
        c.sendall(b"ping")
        print("loopback:", peer.recv(4).decode())
"""
        result = run_python(job, code, str(port), str(scaled(3)))
    assert result.returncode == 0, result.tail()
    assert "host unreachable" in result.stdout and "loopback: ping" in result.stdout


@needs_namespaces
def test_daemon_does_not_outlive_the_run(job: Job) -> None:
    result = run_python(job, DAEMON, "987.654")
    assert result.returncode == 0 and "started" in result.stdout, result.tail()
    assert host_processes_with("987.654") == []


@needs_namespaces
def test_wall_clock_stops_a_loop_and_its_children(job: Job) -> None:
    job = Job(job.week, job.submission, job.scratch, Limits(wall_seconds=2), job.slot)
    code = DAEMON + "\nwhile True:\n    pass\n"
    result = run_python(job, code, "876.543")
    assert result.timed_out and result.duration < scaled(8)
    assert host_processes_with("876.543") == []


@needs_namespaces
@needs_root
def test_fork_bomb_is_contained_and_the_host_still_forks(job: Job) -> None:
    job = Job(job.week, job.submission, job.scratch, Limits(wall_seconds=4, processes=64), 1)
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    box: list[tuple[procs.ProcessResult, str]] = []
    command = [PYTHON, "-c", bomb, "765.432"]
    thread = threading.Thread(target=lambda: box.append(jail.jailed_run(job, command)))
    thread.start()
    wait_until(lambda: len(host_processes_with("765.432")) > 1, 20, "the bomb never went off")
    assert subprocess.run(["true"], check=False).returncode == 0  # while the bomb goes off
    thread.join()
    result, isolation = box[0]
    assert result.timed_out
    assert jail_host.owned_by(uid_in(isolation)) == []


@needs_namespaces
def test_memory_hog_gets_memory_error_or_is_killed(job: Job) -> None:
    """One huge request fails at once (address space); filling memory ends by the limits too."""
    code = """
try:
    bytearray(8 << 30)
except MemoryError:
    print("MemoryError at once", flush=True)
chunks = []
try:
    while True:
        chunks.append(b"x" * (64 << 20))
        print(len(chunks) * 64, flush=True)
except MemoryError:
    print("MemoryError")
"""
    result = run_python(job, code)
    lines = result.stdout.split("\n")
    assert lines[0] == "MemoryError at once", result.tail()
    # With a cgroup the kernel kills it at 256 MB; without, the address space runs out.
    assert result.returncode == 137 or "MemoryError" in lines[1:], result.tail()
    assert max(int(n) for n in lines if n.isdigit()) <= 256 + jail_plan.HEADROOM_MB


@needs_namespaces
@needs_root
def test_a_cgroup_holds_the_processes_together(job: Job) -> None:
    """Four processes of 100 MB fit each one's ceiling, not the job's 256 MB together."""
    code = """
import os, sys, time
kids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (100 << 20)
        time.sleep(float(sys.argv[1]))  # long enough for all four to hold theirs at once
        os._exit(0)
    kids.append(pid)
print([os.waitstatus_to_exitcode(os.waitpid(kid, 0)[1]) for kid in kids])
"""
    result, isolation = jail.jailed_run(job, [PYTHON, "-c", code, str(scaled(2))])
    assert "cgroup 256 MB/64 pids/1 CPU" in isolation
    assert "-9" in result.stdout, result.tail()  # the kernel's OOM killer, inside the cgroup
    assert not list(jail_cgroup.BASE.glob(f"**/{jail_cgroup.PARENT}/uid{uid_in(isolation)}"))


@needs_namespaces
def test_a_gigabyte_of_output_is_capped(job: Job) -> None:
    code = "import sys\nblock = b'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.buffer.write(block)\n"
    started = time.monotonic()
    result = run_python(job, code)
    assert len(result.stdout) < procs.OUTPUT_CAP + 100 and "output cut" in result.stdout
    assert time.monotonic() - started < scaled(30)


@needs_namespaces
@needs_root
def test_writes_cannot_fill_the_graders_disk(job: Job) -> None:
    """Many files each under the size limit: the submission's tmpfs fills, the host's disk does
    not; and the results folder takes no file but the verdict."""
    (job.submission / "train.py").write_text("print('mine')\n")
    code = """
import os
written = 0
try:
    for i in range(200):  # 200 MB if nothing stopped it
        with open(f"fill{i}.bin", "wb") as f:
            f.write(b"x" * (1 << 20))
        written += 1
except OSError as exc:
    print("stopped", type(exc).__name__)
print("written", written)
for path in ("/results/extra.bin", "/results/result.json.tmp"):
    try:
        open(path, "wb").close()
        print("created", path)
    except OSError:
        pass
"""
    result = run_python(job, code)
    assert "stopped" in result.stdout, result.tail()
    written = int(result.stdout.split("written ")[1].split()[0])
    assert written <= job.limits.scratch_mb + 1, result.stdout
    assert "created" not in result.stdout, result.stdout
    host = sorted(p.name for p in job.submission.iterdir())
    assert host == ["train.py"], host  # the run worked on its own copy


@needs_namespaces
def test_file_size_and_scratch_space_are_capped(job: Job) -> None:
    code = """
import os
for path, count in (("big.bin", 1), ("/tmp/fill", 64)):  # 2 MB in one file, 32 MB in 64
    try:
        for n in range(count):
            with open(f"{path}{n}", "wb") as f:
                f.write(b"x" * (2 << 20 if count == 1 else 1 << 19))
        print("wrote", path)
    except OSError as exc:
        print(path, os.strerror(exc.errno))
"""
    result = run_python(job, code)
    assert "big.bin File too large" in result.stdout, result.tail()
    assert "/tmp/fill No space left on device" in result.stdout


@needs_namespaces
def test_what_the_submission_leaves_can_be_deleted(job: Job) -> None:
    code = "import os\nos.makedirs('locked/in')\nopen('locked/in/f', 'w').close()\nos.chmod('locked/in', 0)\nos.chmod('locked', 0)\n"
    assert run_python(job, code).returncode == 0
    shutil.rmtree(job.submission)
    assert not job.submission.exists()


UNPRIVILEGED = """
import json, os, shutil, sys
from pathlib import Path
from mlops_roadmap.grading import jail
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Job
top, grader_file, daemon = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
code = daemon + "\\nimport os, sys\\nprint(os.getuid(), os.path.exists(sys.argv[2]))\\n"
code += "try:\\n    print(open(f'/proc/{sys.argv[3]}/environ').read())\\n"
code += "except OSError as exc:\\n    print(type(exc).__name__)\\n"
code += "os.makedirs('locked/in')\\nos.chmod('locked/in', 0)\\nos.chmod('locked', 0)\\n"
seen = {}
for mode in (None, "plain"):
    (top / "submission").mkdir()
    (top / "scratch").mkdir()
    job = Job("week02", top / "submission", top / "scratch", Limits(wall_seconds=20), 1)
    args = [sys.executable, "-c", code, "654.321", grader_file, str(os.getpid())]
    result, isolation = jail.jailed_run(job, args, mode=mode)
    shutil.rmtree(job.submission)  # what the submission locked is still the grader's to delete
    shutil.rmtree(job.scratch)
    seen[str(mode)] = {"out": result.stdout.split(), "err": result.stderr, "isolation": isolation}
print(json.dumps(seen))
"""


@needs_root
def test_an_unprivileged_grader_gets_a_user_namespace_jail(grader_file: Path) -> None:
    """As nobody (with the system python, which nobody can run): a user namespace, else plain."""
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip("needs a system python that other users can run")
    top = Path(tempfile.mkdtemp(prefix="jail-nobody-"))
    try:
        os.chown(top, 65534, 65534)
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "GRADER_TOKEN": SECRET}
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python]
        done = subprocess.run(
            [*as_nobody, "-c", UNPRIVILEGED, str(top), str(grader_file), DAEMON],
            env=env, capture_output=True, text=True, timeout=scaled(60), check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(top)
    assert done.returncode == 0, done.stderr
    jailed, plain = json.loads(done.stdout).values()
    assert jailed["isolation"].startswith("process jail (unprivileged): user+pid+net"), jailed
    assert jailed["out"][1:] == [str(jail_plan.FIRST_UID + 1), "False", "FileNotFoundError"]
    assert plain["isolation"].startswith("degraded, no namespaces (namespaces turned off): the ")
    assert plain["out"][1:] == ["65534", "True", "PermissionError"], plain  # environ: not dumpable
    assert SECRET not in done.stdout
    assert host_processes_with("654.321") == []


@needs_namespaces
def test_runs_sharing_a_slot_get_distinct_uids(tmp_path: Path) -> None:
    """Two graders on one machine (or two test workers) never share a uid, so never kill each
    other's processes or share a process limit."""
    jobs = []
    for n in range(2):
        (tmp_path / f"s{n}").mkdir()
        (tmp_path / f"t{n}").mkdir()
        jobs.append(Job("week02", tmp_path / f"s{n}", tmp_path / f"t{n}", Limits(), slot=3))
    code = "import os, sys, time\ntime.sleep(float(sys.argv[1]))\nprint(os.getuid())"
    command = [PYTHON, "-c", code, str(scaled(1))]  # the two runs overlap
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda j: jail.jailed_run(j, command), jobs))
    assert [r.returncode for r, _ in done] == [0, 0], [r.tail() for r, _ in done]
    uids = {int(r.stdout) for r, _ in done}
    assert len(uids) == 2 and uids == {uid_in(i) for _, i in done}


@needs_namespaces
def test_a_jail_that_cannot_be_built_says_so_and_runs_nothing(job: Job) -> None:
    shutil.rmtree(job.submission)  # nothing to bind at /submission
    ran = jail.ProcessBackend().run(job)
    assert (ran.result, ran.returncode) == (None, 125)
    assert "jail: cannot build the jail" in ran.output and "/submission" in ran.output


def test_read_result_ignores_links_to_grader_files(tmp_path: Path, grader_file: Path) -> None:
    (tmp_path / jail.RESULT_FILE).symlink_to(grader_file)
    assert jail.read_result(tmp_path) is None
    (tmp_path / jail.RESULT_FILE).unlink()
    (tmp_path / jail.RESULT_FILE).write_text('{"error": "x"}')
    assert jail.read_result(tmp_path) == {"error": "x"}


@needs_root
def test_degraded_mode_still_scrubs_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without namespaces: uid, rlimits, env and the uid sweep remain, and the report says so."""
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        pytest.skip("needs a system python that other users can run")
    monkeypatch.setenv("GRADER_TOKEN", SECRET)
    top = Path(tempfile.mkdtemp(prefix="jail-plain-"))
    try:
        os.chmod(top, 0o755)  # the slot's uid uses host paths here
        (top / "submission").mkdir()
        (top / "scratch").mkdir()
        job = Job("week02", top / "submission", top / "scratch", Limits(wall_seconds=20), 2)
        code = "import os\nprint(os.getuid(), 'GRADER_TOKEN' in os.environ)\n" + DAEMON
        result, isolation = jail.jailed_run(job, [python, "-c", code, "765.432"], mode="plain")
    finally:
        shutil.rmtree(top)
    assert result.stdout.split()[:2] == [str(uid_in(isolation)), "False"], result.tail()
    assert host_processes_with("765.432") == []
    assert isolation.startswith("degraded, no namespaces (namespaces turned off): uid 600")


@needs_namespaces
def test_week02_reference_solution_passes_in_the_jail(tmp_path: Path, cli: Cli) -> None:
    ws = tmp_path / "ws"
    assert cli("init", ws).returncode == 0
    assert cli("start", "2", "--force", cwd=ws).returncode == 0
    week = next(ws.glob("week02-*"))
    shutil.copy(REPO / "solutions" / "week02" / "train.py", week / "train.py")
    (tmp_path / "scratch").mkdir()
    ran = jail.ProcessBackend().run(Job("week02", ws, tmp_path / "scratch", Limits(), slot=0))
    assert ran.result is not None, ran.output
    assert ran.result["counts"]["failed"] == 0 and ran.result["passed"], ran.result
    assert ran.isolation.startswith("process jail")
    assert not ran.timed_out and ran.returncode == 0


@needs_root
def test_root_gets_the_full_jail_not_a_silent_downgrade() -> None:
    """Where the grader is root (CI here), the namespace jail must build: a regression that
    breaks it must fail here, not quietly skip the namespace tests."""
    mode, why = jail.best_mode()
    assert mode == "namespaces", why
