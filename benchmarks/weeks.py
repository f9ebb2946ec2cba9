"""Each checked week's check time on its reference solution: total and per check.

    .venv/bin/python benchmarks/weeks.py [--week N ...] [--json]

Prepares every chosen week as `course verify` does (scaffold, solution, venv, prepare.sh), then
times `mlops-roadmap check --json` on it. Weeks whose tools are not reachable here show their
checks as blocked rather than timed. The Airflow weeks (7, 8, 12) time their DAG runs when the
Airflow environment is found (`scripts/airflow-env.sh`, or $MLOPS_ROADMAP_AIRFLOW_VENV).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlops_roadmap import course  # noqa: E402
from mlops_roadmap.commands.verify import prepare  # noqa: E402


def time_week(c: course.Course, number: int) -> dict[str, object]:
    week = c.plan.week(number)
    with tempfile.TemporaryDirectory() as tmp:
        ws = prepare(c, week, Path(tmp) / "ws", with_solution=True)
        env = {**os.environ, "NO_COLOR": "1", "MLOPS_ROADMAP_COURSE": str(REPO)}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "mlops_roadmap", "check", "--json"],
            cwd=ws.week_dir(week),
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        wall = time.perf_counter() - started
    report = json.loads(done.stdout)
    return {
        "week": week.id,
        "passed": report["passed"],
        "wall_s": round(wall, 2),
        "learner_s": report["learner_seconds"],
        "checks": {c["title"]: [c["outcome"], c["duration"]] for c in report["checks"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", type=int, action="append")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    c = course.load(REPO)
    numbers = args.week or [w.number for w in c.plan.weeks if c.has_checks(w)]
    results = [time_week(c, n) for n in numbers]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        verdict = "passed" if r["passed"] else "NOT passed"
        print(
            f"{r['week']}: {r['wall_s']:.1f} s wall ({r['learner_s']:.1f} s in the learner's "
            f"commands), {verdict}"
        )
        for title, (outcome, seconds) in r["checks"].items():  # type: ignore[attr-defined]
            print(f"    {seconds:6.2f} s  {outcome:<7} {title}")


if __name__ == "__main__":
    main()
