"""Inside the process jail: build it from a plan, then run one command there.

    python -I -S jail_setup.py < PLAN_JSON

Run as a script, before anything of the submission's, so it uses the standard library alone
(``-I -S`` puts neither this package nor its folder on the path) and imports one module of its
own folder, ``jail_spec``, to check the plan. Python 3.11 has no ``os.unshare``: namespaces,
mounts and ``pivot_root`` go through libc. The plan comes from ``jail.py``, which chose the mode;
a plan out of shape or a mode that cannot be applied fails loudly (exit 125) rather than running
the submission with less isolation than the report will claim.

In the namespace modes the process tree is: this process (outside, waits) -> the jail's init (pid 1
of a new pid namespace: builds the private root, reaps orphans) -> the command (rlimits, its uid,
no new privileges). When the command ends, init exits and the kernel kills whatever is left in
the namespace, daemons included. Without namespaces this process stays as a subreaper instead,
adopts whatever the command orphans, and kills it all when the command ends.
"""

from __future__ import annotations

import ctypes
import fcntl
import importlib
import os
import platform
import resource
import socket
import struct
import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from mlops_roadmap.grading.jail_spec import JailPlan

NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET = (
    0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000
)  # fmt: skip
RDONLY, NOSUID, NODEV, NOEXEC, REMOUNT, BIND, REC, PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
DETACH = 2  # umount2's MNT_DETACH
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38
# statvfs flags a remount inside a user namespace must keep (the kernel locks them).
KEEP = {os.ST_NOEXEC: NOEXEC, os.ST_NOATIME: 1024, os.ST_NODIRATIME: 2048, 4096: 1 << 21}
DEVICES = ("null", "zero", "full", "random", "urandom")
RLIMITS = {"cpu": resource.RLIMIT_CPU, "as": resource.RLIMIT_AS, "core": resource.RLIMIT_CORE}
RLIMITS |= {"nproc": resource.RLIMIT_NPROC, "fsize": resource.RLIMIT_FSIZE}
RLIMITS |= {"nofile": resource.RLIMIT_NOFILE}
CANNOT = 125  # the jail could not be built: nothing of the submission's ran

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong]
libc.mount.argtypes += [ctypes.c_char_p]


def _call(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(src: str | None, dst: str, kind: str | None, flags: int, data: str = "") -> None:
    enc = [s.encode() if s else None for s in (src, dst, kind, data)]
    _call(libc.mount(enc[0], enc[1], enc[2], flags, enc[3]), f"mount {src or kind} on {dst}")


def bind(src: str, dst: str, writable: bool, device: bool = False) -> None:
    """Bind ``src`` at ``dst`` (made as a file or folder to match), read-only unless writable."""
    if os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
    elif not os.path.exists(dst):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        open(dst, "a").close()  # a mount point
    mount(src, dst, None, BIND | REC)
    kept = sum(flag for bit, flag in KEEP.items() if os.statvfs(dst).f_flag & bit)
    mode = REMOUNT | BIND | NOSUID | kept | (0 if device else NODEV) | (0 if writable else RDONLY)
    mount(None, dst, None, mode)


def tmpfs(dst: str, size_mb: int, mode: str, flags: int = 0) -> None:
    os.makedirs(dst, exist_ok=True)
    mount("tmpfs", dst, "tmpfs", NOSUID | NODEV | flags, f"size={size_mb}m,mode={mode}")


def enter_namespaces(plan: JailPlan) -> None:
    """New mount, pid, net, ipc, uts and cgroup namespaces (and a user one when unprivileged)."""
    user = plan.mode == "userns"
    outer_uid, outer_gid = os.getuid(), os.getgid()
    flags = NEWNS | NEWPID | NEWNET | NEWIPC | NEWUTS | NEWCGROUP | (NEWUSER if user else 0)
    _call(libc.unshare(flags), "unshare")
    if user:  # the grader's uid and gid become the slot's inside; no others exist there
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{plan.uid} {outer_uid} 1"),
            ("gid_map", f"{plan.gid} {outer_gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)


def build_root(plan: JailPlan) -> None:
    """A private root of read-only binds, scratch tmpfs, /dev and /proc; then pivot into it."""
    new = plan.root
    mount(None, "/", None, REC | PRIVATE)  # nothing done here propagates back to the host
    tmpfs(new, 8, "0755")
    for link in plan.links:
        os.symlink(link.target, new + link.path)
    scratch = new + "/.scratch"
    tmpfs(scratch, plan.scratch_mb, "0755")
    for name, mode, owner in (("tmp", 0o1777, 0), ("shm", 0o1777, 0), ("home", 0o700, 1)):
        os.mkdir(f"{scratch}/{name}")
        os.chmod(f"{scratch}/{name}", mode)
        if owner:
            os.chown(f"{scratch}/{name}", plan.uid, plan.gid)
    # Scratch first: a bind below /tmp (a checkout or virtual environment there) must land on
    # top of the scratch /tmp, not be hidden by it.
    for name, dst in (("tmp", "/tmp"), ("shm", "/dev/shm"), ("home", plan.home)):
        bind(f"{scratch}/{name}", new + dst, True)
    for b in plan.binds:
        bind(b.src, new + b.dst, b.writable)
    copy_in(plan, new)
    empty = f"{scratch}/empty"
    open(empty, "w").close()
    os.chmod(empty, 0o444)
    for hidden in plan.hide_files:  # held-out answers: an empty file stands in their place
        if os.path.isfile(new + hidden):
            bind(empty, new + hidden, False)
    _call(libc.umount2(scratch.encode(), DETACH), "umount scratch")
    os.rmdir(scratch)
    for hidden in plan.hide:  # e.g. the course's solutions/, where a parent bind shows it
        if os.path.isdir(new + hidden):
            tmpfs(new + hidden, 1, "0555", RDONLY)
    make_dev(new + "/dev")
    os.makedirs(new + "/proc", exist_ok=True)
    mount("proc", new + "/proc", "proc", NOSUID | NODEV | NOEXEC)
    pivot(new)
    mount(None, "/", None, REMOUNT | BIND | RDONLY | NOSUID | NODEV)


def copy_in(plan: JailPlan, new: str) -> None:
    """The submission, copied into a size-limited tmpfs owned by the jail's user."""
    import shutil

    dst = new + plan.copy.dst
    tmpfs(dst, plan.copy.size_mb, "0755")
    shutil.copytree(plan.copy.src, dst, symlinks=True, dirs_exist_ok=True)
    for folder, dirs, files in os.walk(dst):
        os.lchown(folder, plan.uid, plan.gid)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            os.lchown(os.path.join(folder, name), plan.uid, plan.gid)


def make_dev(dev: str) -> None:
    """A minimal /dev: the harmless character devices, no terminals, no disks."""
    for name in DEVICES:
        bind(f"/dev/{name}", f"{dev}/{name}", True, device=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(target, f"{dev}/{name}")
    os.symlink("/proc/self/fd/1", f"{dev}/stdout")
    os.symlink("/proc/self/fd/2", f"{dev}/stderr")


def pivot(new: str) -> None:
    """Make ``new`` the root and detach the host's, so no path leads back out."""
    os.chdir(new)
    number = PIVOT_ROOT.get(platform.machine())
    if number is None:  # an architecture not listed: chroot still hides the host's files
        os.chroot(".")
    else:
        _call(libc.syscall(number, b".", b"."), "pivot_root")
        _call(libc.umount2(b".", DETACH), "detach the old root")
    os.chdir("/")


def loopback_up() -> None:
    """Bring ``lo`` up in the new network namespace (checks serve on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        got = fcntl.ioctl(s, 0x8913, struct.pack("16sH14x", b"lo", 0))  # SIOCGIFFLAGS
        flags = struct.unpack("16sH", got[:18])[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", flags | 1))  # SIOCSIFFLAGS, IFF_UP


def limit(kind: int, value: int, grace: int) -> None:
    """Set a ceiling (CPU: SIGXCPU first, SIGKILL ``grace`` s later), never above the hard one."""
    hard = resource.getrlimit(kind)[1]
    top = value + grace if hard == resource.RLIM_INFINITY else hard
    resource.setrlimit(kind, (min(value, top), min(value + grace, top)))


def become(plan: JailPlan) -> NoReturn:
    """Limits, then the slot's uid with no groups and no way back; then the command."""
    try:
        if plan.stdin:
            give_stdin(plan.stdin)
        for name, value in plan.rlimits.items():
            limit(RLIMITS[name], value, grace=5 if name == "cpu" else 0)
        if plan.switch_uid:
            os.setgroups([])
            os.setgid(plan.gid)
            os.setuid(plan.uid)
        _call(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        os.chdir(plan.cwd)
    except OSError as exc:
        sys.stderr.write(f"jail: cannot set up the command: {exc}\n")
        os._exit(CANNOT)
    try:
        os.execvpe(plan.argv[0], plan.argv, plan.env)
    except OSError as exc:
        sys.stderr.write(f"jail: cannot run {plan.argv[0]}: {exc}\n")
        os._exit(127)


def give_stdin(text: str) -> None:
    """The command's stdin: ``text`` in a memfd (no path, so no other process can open it)."""
    fd = os.memfd_create("stdin")
    os.write(fd, text.encode("utf-8"))
    os.lseek(fd, 0, os.SEEK_SET)
    os.dup2(fd, 0)
    os.close(fd)


def init(plan: JailPlan) -> int:
    """Pid 1: start the command, reap every orphan, and end (killing the rest) when it ends."""
    child = os.fork()
    if child == 0:
        become(plan)
    while True:
        pid, status = os.wait()
        if pid == child:
            return exit_code(status)


def supervise(plan: JailPlan) -> int:
    """Without namespaces: adopt every orphan (a subreaper); kill every descendant at the end."""
    _call(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "subreaper")
    code = init(plan)
    me = str(os.getpid())
    while children := [pid for pid in os.listdir("/proc") if pid.isdigit() and parent(pid) == me]:
        for pid in map(int, children):  # a killed child's own children are adopted next round
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except OSError:
                continue
    return code


def parent(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return ""


def jail(plan: JailPlan) -> int:
    enter_namespaces(plan)
    pid = os.fork()
    if pid == 0:  # pid 1 of the new namespace; dies with this process
        code = CANNOT
        try:
            code = jail_init(plan)
        finally:
            os._exit(code)
    return exit_code(os.waitpid(pid, 0)[1])


def jail_init(plan: JailPlan) -> int:
    try:
        _call(libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0), "pdeathsig")
        build_root(plan)
        loopback_up()
        _call(libc.sethostname(b"sandbox", 7), "sethostname")
    except OSError as exc:
        sys.stderr.write(f"jail: cannot build the jail: {exc}\n")
        return CANNOT
    return init(plan)


def exit_code(status: int) -> int:
    """A wait status as a shell would report it (128 + signal when killed)."""
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


def read_plan(text: str) -> JailPlan:
    """The plan, checked against ``jail_spec`` (found beside this file, not on the path)."""
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))
    plan: JailPlan = importlib.import_module("jail_spec").JailPlan.from_json(text)
    return plan


def main() -> int:
    # The plan comes on stdin, not argv: every process in the jail can read /proc/1/cmdline.
    try:
        plan = read_plan(sys.stdin.read())
    except ValueError as exc:
        sys.stderr.write(f"jail: {exc}\n")
        return CANNOT
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    try:
        for procs in plan.cgroups:  # before any fork: everything started later is held too
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
    except OSError as exc:
        sys.stderr.write(f"jail: cannot join the cgroup: {exc}\n")
        return CANNOT
    if plan.mode == "plain":
        # Same uid as the submission's processes: keep this process's memory (the plan, the
        # seal) closed to them.
        _call(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "not dumpable")
        return supervise(plan)
    try:
        return jail(plan)
    except OSError as exc:
        sys.stderr.write(f"jail: cannot enter namespaces: {exc}\n")
        return CANNOT


if __name__ == "__main__":
    sys.exit(main())
