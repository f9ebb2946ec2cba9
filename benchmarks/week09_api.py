"""What the learner's API costs the checks of weeks 9, 10 and 11, measured on the reference
solutions.

    .venv/bin/python benchmarks/week09_api.py [--runs 5] [--json]

Reports, for week 9's finished app (trained once first), the median time to start it under
uvicorn on a free loopback port until it answers (the engine's own `servers.start`, as the
`serve` fixture does), to probe it (GET /health and one POST /predict of 8 houses) and to stop
it with everything it started; then the wall time of `mlops-roadmap check --json` on each
finished week, with the part spent in the learner's own commands.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlops_roadmap import course, servers  # noqa: E402
from mlops_roadmap.commands.verify import prepare  # noqa: E402

WEEKS = (9, 10, 11)
HOUSES = REPO / "checks" / "_lib" / "mlops_checks" / "data" / "houses.json"
UVICORN = ["-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}"]


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MLOPS_ROADMAP_"))}
    out.update(NO_COLOR="1", PYTHONPATH=str(REPO), MLOPS_ROADMAP_COURSE=str(REPO))
    return out


def start_probe_stop(python: Path, folder: Path, runs: int) -> dict[str, float]:
    """Median seconds to start the app until it answers, to probe it, and to stop it."""
    body = HOUSES.read_bytes()
    times: dict[str, list[float]] = {"start": [], "probe": [], "stop": []}
    for _ in range(runs):
        begin = time.perf_counter()
        server = servers.start(
            [python, *UVICORN], cwd=folder, env={**env(), "ENABLE_DEBUG_ROUTES": "1"},
            ready_path="/openapi.json", timeout=120,
        )  # fmt: skip
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=30) as answer:
                assert answer.status == 200
            request = urllib.request.Request(
                server.url + "/predict", body, {"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert len(json.loads(answer.read())["predictions"]) == 8
            probed = time.perf_counter()
        finally:
            server.stop()
        stopped = time.perf_counter()
        times["start"].append(started - begin)
        times["probe"].append(probed - started)
        times["stop"].append(stopped - probed)
    return {f"api_{k}_s": round(statistics.median(v), 3) for k, v in times.items()}


def week_check(number: int, base: Path) -> dict[str, float]:
    """One `mlops-roadmap check --json` on the finished week: wall time and learner time."""
    c = course.load(REPO)
    ws = prepare(c, c.plan.week(number), base / f"week{number:02d}", with_solution=True)
    folder = ws.week_dir(c.plan.week(number))
    begin = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mlops_roadmap", "check", "--json"],
        cwd=folder, env=env(), capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - begin
    report = json.loads(done.stdout)
    if not report["passed"]:
        raise SystemExit(f"the finished week {number} did not pass: {report['checks']}")
    return {
        f"week{number:02d}_check_s": round(wall, 2),
        f"week{number:02d}_learner_s": round(report["learner_seconds"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    c = course.load(REPO)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ws = prepare(c, c.plan.week(9), Path(tmp) / "api", with_solution=True)
        folder = ws.week_dir(c.plan.week(9))
        python = ws.root / ".venv" / "bin" / "python"
        subprocess.run([python, "train.py"], cwd=folder, check=True, capture_output=True)
        results.update(start_probe_stop(python, folder, args.runs))
        for number in WEEKS:
            results.update(week_check(number, Path(tmp)))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"week 9 API (median of {args.runs}): start {results['api_start_s']:.2f} s, probe "
        f"{results['api_probe_s'] * 1000:.0f} ms, stop {results['api_stop_s'] * 1000:.0f} ms"
    )
    for number in WEEKS:
        key = f"week{number:02d}"
        print(
            f"check week {number} (finished)  {results[key + '_check_s']:6.2f} s, of which the "
            f"learner's own commands {results[key + '_learner_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
