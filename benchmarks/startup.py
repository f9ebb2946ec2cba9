"""Start-up and check overhead, as ratios measured in one run.

    .venv/bin/python benchmarks/startup.py [--runs 15] [--json]

Reports the median wall time of `mlops-roadmap --help` and `status` against
`python -c "import typer, rich"` (target: ratio <= 1.5), and the time `check` adds on a solved
week 1 beyond the learner's own commands (target: <= 0.5 s). Byte code is compiled first and
the runs interleave, so the machine's drift hits every command alike.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlops_roadmap import course  # noqa: E402
from mlops_roadmap.commands.verify import prepare  # noqa: E402


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out.update(NO_COLOR="1", PYTHONPATH=str(REPO), MLOPS_ROADMAP_COURSE=str(REPO))
    return out


def wall(args: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        args, cwd=cwd, env=env(), capture_output=True, text=True, timeout=600, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{args} failed ({done.returncode}): {done.stderr[-500:]}")
    return elapsed, done.stdout


def startup(runs: int, ws: Path) -> dict[str, float]:
    py = sys.executable
    commands = {
        "baseline": [py, "-c", "import typer, rich"],
        "help": [py, "-m", "mlops_roadmap", "--help"],
        "status": [py, "-m", "mlops_roadmap", "status"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            times[name].append(wall(args, ws)[0])
    med = {name: statistics.median(values) for name, values in times.items()}
    return {
        **{f"{k}_s": round(v, 4) for k, v in med.items()},
        "help_ratio": round(med["help"] / med["baseline"], 2),
        "status_ratio": round(med["status"] / med["baseline"], 2),
    }


def check_overhead(runs: int, ws: Path) -> dict[str, float]:
    week_dir = ws / "week01-python-data-science"
    overheads, walls = [], []
    for _ in range(runs):
        elapsed, out = wall([sys.executable, "-m", "mlops_roadmap", "check", "--json"], week_dir)
        report = json.loads(out)
        if not report["passed"]:
            raise SystemExit(f"the solved week 1 did not pass: {report['checks']}")
        walls.append(elapsed)
        overheads.append(elapsed - report["learner_seconds"])
    return {
        "check_wall_s": round(statistics.median(walls), 3),
        "check_overhead_s": round(statistics.median(overheads), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for folder in (REPO / "mlops_roadmap", Path(sysconfig.get_paths()["purelib"])):
        compileall.compile_dir(folder, quiet=2, workers=0)
    c = course.load(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        ws = prepare(c, c.plan.week(1), Path(tmp) / "ws", with_solution=True)
        results = {**startup(args.runs, ws.root), **check_overhead(max(3, args.runs // 3), ws.root)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"import typer, rich      {results['baseline_s'] * 1000:7.1f} ms")
    print(
        f"mlops-roadmap --help    {results['help_s'] * 1000:7.1f} ms  ratio "
        f"{results['help_ratio']:.2f} (target <= 1.5)"
    )
    print(
        f"mlops-roadmap status    {results['status_s'] * 1000:7.1f} ms  ratio "
        f"{results['status_ratio']:.2f} (target <= 1.5)"
    )
    print(
        f"check week 1 (solved)   {results['check_wall_s'] * 1000:7.1f} ms, of which the "
        f"engine's own {results['check_overhead_s'] * 1000:.1f} ms (target <= 500 ms)"
    )


if __name__ == "__main__":
    main()
