"""Grading throughput: a generated class of week 2 submissions, right and wrong mixed.

    .venv/bin/python benchmarks/grading.py [--count 200] [--jobs 2] [--backend process] [--json]

Reports wall time, submissions per minute, the grader's own overhead per submission beyond the
checks' work (fetch, export, sandbox set-up and tear-down, interpreter start, gradebook), the part
of it spent unpacking and removing the tree (each grade's ``overhead``), and how busy the
machine's cores were (from /proc/stat). Each submission's repository is generated,
committed and fetched for real; nothing is reused from an earlier run (a fresh cache and out).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mlops_roadmap import course  # noqa: E402
from mlops_roadmap.grading import backends, grader  # noqa: E402
from mlops_roadmap.grading.model import ClassGrades, Limits  # noqa: E402
from tests import classroom  # noqa: E402


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all cores since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def make_class(root: Path, count: int) -> Path:
    template, folder = classroom.template(root / "template")
    right = classroom.solution()
    rows = []
    for i in range(count):
        name = f"s{i:03d}"
        code = right if i % 3 != 2 else None  # every third keeps the failing scaffold
        classroom.student(template, folder, root / name, code)
        rows.append((name, f"Student {i}", str(root / name)))
    return classroom.roster(root / "roster.csv", rows)


def measure(cg: ClassGrades, wall: float, busy: float, jobs: int) -> dict[str, object]:
    graded = [g for g in cg.grades if g.report]
    inside = [g.duration for g in graded]  # the sandbox's run, start to end
    checks = [g.report.duration for g in graded if g.report]  # the checks' own work
    per = wall * jobs / max(len(cg.grades), 1)  # a lane's time per submission
    return {
        "submissions": len(cg.grades),
        "passed": sum(1 for g in graded if g.report and g.report.passed),
        "statuses": cg.summary,
        "wall_s": round(wall, 1),
        "per_minute": round(len(cg.grades) / wall * 60, 1),
        "lane_s_per_submission": round(per, 2),
        "checks_s_mean": round(statistics.mean(checks), 2) if checks else None,
        "sandbox_s_mean": round(statistics.mean(inside), 2) if inside else None,
        "overhead_s_per_submission": round(per - statistics.mean(checks), 2) if checks else None,
        "unpack_and_remove_s_mean": round(statistics.mean(g.overhead for g in graded), 3)
        if graded
        else None,
        "core_utilisation": round(busy, 3),
        "isolation": sorted({g.isolation for g in cg.grades}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--backend", default="process")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    c = course.load(REPO)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        backend = backends.choose(args.backend, backends.Setting(c.root, root / "out"))
        made = time.perf_counter()
        roster = make_class(root / "class", args.count)
        made = time.perf_counter() - made
        request = grader.Request(
            roster,
            (c.plan.week(classroom.WEEK),),
            root / "out",
            root / "cache",
            jobs=args.jobs,
            limits=Limits(wall_seconds=300),
        )
        busy0, total0 = cpu_ticks()
        started = time.perf_counter()
        cg = grader.grade_class(c, request, backend)
        wall = time.perf_counter() - started
        busy1, total1 = cpu_ticks()
    result = measure(cg, wall, (busy1 - busy0) / max(total1 - total0, 1), args.jobs)
    result.update(backend=backend.name, jobs=args.jobs, class_generated_s=round(made, 1))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
