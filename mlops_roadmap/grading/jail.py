"""The process sandbox: a submission's checks in a jail of Linux namespaces, when no engine is used.

As root: new pid, network, mount, ipc, uts and cgroup namespaces, a private read-only root, the
slot's own uid (60000 + slot), rlimits, a cgroup where one can be made, and a scrubbed
environment. As another user: the same inside a user namespace. Where the kernel allows neither:
rlimits, a scrubbed environment and every descendant killed at the end; the report says so.

``jail_plan`` decides what the jail holds (a ``jail_spec.JailPlan``), ``jail_setup`` (a
standalone script) checks that plan, builds the jail and runs the command, ``jail_host`` hands
folders over and back, ``jail_cgroup`` caps the whole.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from mlops_roadmap import procs
from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import entry, jail_cgroup, jail_host, jail_plan, seal
from mlops_roadmap.grading.jail_spec import JailMode
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import BackendName, Job, Ran, read_verdict

SETUP = Path(__file__).with_name("jail_setup.py")
ENV_VAR = "MLOPS_ROADMAP_JAIL"  # force a mode: namespaces, userns or plain
RESULT_FILE = "result.json"
_probed: dict[str, tuple[JailMode, str]] = {}
_probe_lock = threading.Lock()


def best_mode() -> tuple[JailMode, str]:
    """The strongest mode this machine allows, and why stronger ones failed ("" if none did).

    Found by building a real jail once per process: a kernel that refuses a step is only known
    by trying it.
    """
    with _probe_lock:
        if not _probed:
            _probed["best"] = _probe()
        return _probed["best"]


def _probe() -> tuple[JailMode, str]:
    if not sys.platform.startswith("linux"):
        return "plain", "not Linux"
    mode: JailMode = "namespaces" if os.geteuid() == 0 else "userns"  # root: never a user ns
    with tempfile.TemporaryDirectory(prefix="jail-probe-") as tmp:
        job = Job("probe", Path(tmp, "s"), Path(tmp, "t"), Limits(wall_seconds=30))
        job.submission.mkdir()
        job.scratch.mkdir()
        ran, _ = jailed_run(job, [sys.executable, "-I", "-S", "-c", "pass"], mode=mode)
    return (mode, "") if ran.returncode == 0 else ("plain", f"{mode}: {ran.tail(1)}")


def jailed_run(
    job: Job,
    args: list[str],
    *,
    mode: str | None = None,
    course_root: Path | None = None,
    from_home: bool = False,
    stdin: str = "",
) -> tuple[procs.ProcessResult, str]:
    """Run ``args`` in the jail with the submission as working folder (``from_home``: the jail's
    home, outside it); also say how it was held.

    ``jail_plan.places(job, mode)`` gives the submission and results folder as ``args`` see them.
    """
    from mlops_roadmap import course

    refused = jail_plan.refused(mode) if mode else ""
    if refused:
        raise RoadmapError(refused)
    chosen, why = _mode(mode)
    with jail_host.lane_uid(job) as uid:
        root = course_root or course.locate()
        plan = jail_plan.make(job, args, chosen, root, uid, from_home=from_home, stdin=stdin)
        jail_host.prepare(job, plan)
        blocked = jail_host.unreachable(job, plan)
        if blocked:
            said = jail_plan.describe(chosen, job, uid, why)
            return procs.ProcessResult(tuple(args), 125, "", blocked, 0.0, False), said
        group = jail_cgroup.create(f"uid{uid}", job.limits)
        plan = replace(plan, cgroups=tuple(group.procs_files()) if group else ())
        try:
            setup = [sys.executable, "-I", "-S", str(SETUP)]
            env = {"PATH": plan.env["PATH"], "LANG": "C.UTF-8"}
            timeout = job.limits.wall_seconds
            result = procs.run(setup, timeout=timeout, env=env, input=plan.to_json())
        finally:
            if group:
                jail_cgroup.remove(group)
            jail_host.finish(job, plan)
    return result, jail_plan.describe(chosen, job, uid, why, group.words if group else "")


def _mode(forced: str | None) -> tuple[JailMode, str]:
    """The mode to use (forced, or the best this machine allows), and why not a stronger one."""
    if not forced:
        return best_mode()
    mode = jail_plan.as_mode(forced)
    return mode, "namespaces turned off" if mode == "plain" else ""


def read_result(folder: Path) -> dict[str, Any] | None:
    """The entry's JSON verdict: a plain file the jail wrote, never a link to the grader's files."""
    return read_verdict(folder / RESULT_FILE)


def _output(result: procs.ProcessResult, limits: Limits) -> str:
    """stdout then stderr, keeping the last ``output_kb`` (where a traceback ends up)."""
    text = "\n".join(filter(None, (result.stdout.rstrip(), result.stderr.rstrip())))
    cap = limits.output_kb * 1024
    return (
        text
        if len(text) <= cap
        else f"[... output cut: {len(text) - cap} characters]\n" + text[-cap:]
    )


class ProcessBackend:
    """Grades on this machine, each submission in a jail; ``mode`` forces one of jail_spec.MODES."""

    name: BackendName = "process"

    def __init__(self, mode: str | None = None, course_root: Path | None = None) -> None:
        self.mode = mode or os.environ.get(ENV_VAR) or None
        self.course_root = course_root

    def unavailable(self) -> str | None:
        """Why the jail cannot run here: it needs Linux (namespaces, /proc, rlimits)."""
        if not sys.platform.startswith("linux"):
            return "the process jail needs Linux"
        return jail_plan.refused(self.mode) if self.mode else None

    def stop_all(self) -> None:
        """Kill every jail running now: each set-up command's process group (a namespace jail
        dies with it) and, where lanes run as their own uid, every process of those uids."""
        procs.kill_all()  # the jails' set-up commands are started through procs
        for uid in jail_host.held_uids():
            jail_host.kill_uid(uid, patience=1.0)

    def run(self, job: Job) -> Ran:
        """Run the week's checks on the job's submission in the jail; read back the verdict.

        The entry starts isolated from the jail's home, so nothing of the submission's runs in
        the checker (see ``entry``). It takes a fresh seal on its stdin (the key its verdict is
        signed with, and the held-out answers the jail's disk does not hold)."""
        from mlops_roadmap import course

        submission, results = jail_plan.places(job, _mode(self.mode)[0])
        args = entry.command(
            sys.executable,
            job.week,
            submission,
            f"{results}/{RESULT_FILE}",
            job.limits.check_seconds,
            seal="-",
        )
        root = self.course_root or course.locate()
        sealed = seal.for_course(root)
        result, isolation = jailed_run(
            job, args, mode=self.mode, course_root=root, from_home=True, stdin=sealed.to_text()
        )
        return Ran(
            sealed.open(read_result(jail_plan.results_dir(job))),
            result.returncode,
            result.timed_out,
            _output(result, job.limits),
            result.duration,
            isolation,
        )
