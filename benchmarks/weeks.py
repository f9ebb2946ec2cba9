"""Each checked week's check time on its reference solution: total and per check.

    .venv/bin/python benchmarks/weeks.py [--week N ...] [--json] [--output FILE]
    .venv/bin/python benchmarks/weeks.py --walk [--workspace DIR] [--json] [--output FILE]

Prepares every chosen week as `course verify` does (scaffold, solution, venv, prepare.sh), then
times `mlops-roadmap check --json` on it. Weeks whose tools are not reachable here show their
checks as blocked rather than timed. The Airflow weeks (7, 8, 12) time their DAG runs when the
Airflow environment is found (`scripts/airflow-env.sh`, or $MLOPS_ROADMAP_AIRFLOW_VENV).

--walk takes one workspace through the whole roadmap as a learner would, with the real CLI:
`init`, then for week 1 to 24 in order `start N`, the reference solution laid over the scaffold
and its prepare.sh run exactly as `course verify` does, then `check` (timed). A week passes when
every check passes, and is passed offline when its only unpassed checks are `external` ones
blocked here (a cluster, a cloud account); either opens the next week, and the walk stops at the
first `start` refused. Each week's figures also list the files its check changed in the week
folder and the processes it left running in the workspace (there must be none of either). The
workspace is kept in --workspace DIR (a temporary folder otherwise)
for `status` to read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlops_roadmap import course, workspace  # noqa: E402
from mlops_roadmap.commands.verify import equip, prepare  # noqa: E402

CHECK_TIMEOUT = 1800


def cli(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The course's CLI, run as a learner runs it (this course, no colours)."""
    env = {**os.environ, "NO_COLOR": "1", "MLOPS_ROADMAP_COURSE": str(REPO)}
    env.pop("MLOPS_ROADMAP_WORKSPACE", None)  # the workspace is the one ``cwd`` is in
    return subprocess.run(
        [sys.executable, "-m", "mlops_roadmap", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def timed_check(week_dir: Path) -> tuple[int, float, dict[str, object]]:
    """`check --json` in the week folder: its exit code, wall time and report."""
    started = time.perf_counter()
    done = cli(["check", "--json"], week_dir, CHECK_TIMEOUT)
    wall = time.perf_counter() - started
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(
            f"{week_dir}: `check --json` printed no report (exit {done.returncode}): "
            f"{done.stderr[-2000:]}"
        ) from None
    return done.returncode, wall, report


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, but DVC's temporary files and MLflow's
    registered_model_meta (MLflow writes it next to a local model it serves or loads in place,
    as `mlflow models serve` does, naming the version it was reached by)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not p.is_symlink()
        and p.name != "registered_model_meta"
        and ".dvc/tmp" not in p.relative_to(folder).as_posix()
    }


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The files a check added, removed or changed (it must leave the learner's work as it was)."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def left_running(root: Path) -> list[str]:
    """Command lines of live processes working in, or naming, a path under ``root`` (a check
    must leave none), this walk's own process left out."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int(proc.name) == os.getpid():
                continue
            cwd = os.readlink(proc / "cwd")
            text = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        if cwd.startswith(str(root)) or str(root) in text:
            found.append(text.strip())
    return found


def summary(
    c: course.Course, number: int, code: int, wall: float, report: dict[str, object]
) -> dict[str, object]:
    """One week's figures, with its unpassed checks told apart: those that need what this
    machine lacks (blocked `external` checks) and the rest (problems)."""
    checks: list[dict[str, object]] = report["checks"]  # type: ignore[assignment]
    external: dict[str, str] = {}
    if any(r["outcome"] == "blocked" for r in checks):
        from mlops_roadmap.manifest import collect_week

        week = c.plan.week(number)
        external = {m.id: m.external for m in collect_week(c, week).checks if m.external}
    elsewhere = [r for r in checks if r["outcome"] == "blocked" and r["id"] in external]
    return {
        "week": report["week"],
        "passed": report["passed"],
        "passed_offline": report["passed_offline"],
        "exit_code": code,
        "wall_s": round(wall, 2),
        "learner_s": report["learner_seconds"],
        "checks": {r["title"]: [r["outcome"], r["duration"]] for r in checks},
        "not_proven_here": {str(r["title"]): external[str(r["id"])] for r in elsewhere},
        "problems": [
            f"{r['title']}: {r['outcome']}: {r['message']}"
            for r in checks
            if r["outcome"] != "passed" and r not in elsewhere
        ],
    }


def time_week(c: course.Course, number: int) -> dict[str, object]:
    week = c.plan.week(number)
    with tempfile.TemporaryDirectory() as tmp:
        ws = prepare(c, week, Path(tmp) / "ws", with_solution=True)
        code, wall, report = timed_check(ws.week_dir(week))
        return summary(c, number, code, wall, report)


def walk(c: course.Course, root: Path) -> list[dict[str, object]]:
    """Every week in order in one workspace at ``root``, through the CLI (see the module's
    docstring); each week's figures, with how it was started."""
    made = cli(["init", str(root)], root.parent)
    if made.returncode != 0:
        raise SystemExit(f"`init {root}` failed: {made.stderr}")
    ws = workspace.find(root)
    results: list[dict[str, object]] = []
    for week in c.plan.weeks:
        start = cli(["start", str(week.number)], root)
        if start.returncode != 0:
            print(f"`start {week.number}` refused: {start.stderr.strip()}", file=sys.stderr)
            break
        equip(c, week, ws, with_solution=True)
        before = tree_hashes(ws.week_dir(week))
        code, wall, report = timed_check(ws.week_dir(week))
        figures = summary(c, week.number, code, wall, report)
        figures["changed"] = changed(before, tree_hashes(ws.week_dir(week)))
        figures["left_running"] = left_running(root)
        results.append(figures)
        verdict = "passed" if report["passed"] else "not passed"
        verdict = "passed offline" if report["passed_offline"] else verdict
        print(f"{week.id}: {verdict} in {wall:.1f} s", file=sys.stderr, flush=True)
    return results


def show(results: list[dict[str, object]]) -> None:
    for r in results:
        verdict = "passed" if r["passed"] else "NOT passed"
        verdict = "passed offline" if r["passed_offline"] else verdict
        print(
            f"{r['week']}: {r['wall_s']:.1f} s wall ({r['learner_s']:.1f} s in the learner's "
            f"commands), {verdict}"
        )
        for title, (outcome, seconds) in r["checks"].items():  # type: ignore[attr-defined]
            print(f"    {seconds:6.2f} s  {outcome:<7} {title}")
        for title, need in r["not_proven_here"].items():  # type: ignore[attr-defined]
            print(f"    not proven here: {title} (needs {need})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", type=int, action="append")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--walk", action="store_true", help="All weeks in one workspace, in order.")
    parser.add_argument("--workspace", type=Path, help="With --walk: make the workspace here.")
    parser.add_argument("--output", type=Path, help="Also write the figures here, as JSON.")
    args = parser.parse_args()
    c = course.load(REPO)
    if args.walk:
        if args.week:
            parser.error("--walk takes every week in order: no --week")
        with tempfile.TemporaryDirectory() as tmp:
            root = args.workspace or Path(tmp) / "ws"
            root.parent.mkdir(parents=True, exist_ok=True)
            results = walk(c, root.absolute())
    else:
        numbers = args.week or [w.number for w in c.plan.weeks if c.has_checks(w)]
        results = [time_week(c, n) for n in numbers]
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        show(results)


if __name__ == "__main__":
    main()
