"""What runs inside a grading sandbox: one week's checks on one submission, to a JSON file.

    python -m mlops_roadmap.grading.entry WEEK SUBMISSION RESULT [--check-seconds S]

Writes ``RunReport.to_json()`` to RESULT and exits 0 when the checks ran (whatever they found);
writes ``{"error": message}`` and exits 3 when they could not run. The same entry point serves
the process jail, the grading container and the Kubernetes pod.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

CANNOT_RUN = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlops_roadmap.grading.entry")
    parser.add_argument("week", help="the week: 2, week02")
    parser.add_argument("submission", type=Path, help="the student's workspace (a copy)")
    parser.add_argument("result", type=Path, help="where to write the JSON verdict")
    parser.add_argument("--check-seconds", type=float, default=None)
    args = parser.parse_args(argv)
    args.result = args.result.absolute()  # the checks run from the submission folder
    from mlops_roadmap import course, runner, venvs
    from mlops_roadmap.errors import RoadmapError

    try:
        loaded = course.load(None)
        week = loaded.plan.week(int(str(args.week).lower().removeprefix("week")))
        root = args.submission.resolve()
        os.chdir(root)
        if not (root / ".venv").exists():  # never committed: the grader provides the packages
            venvs.layered(root / ".venv")
        report = runner.run_week(
            loaded, week, root, root / week.folder, check_limit=args.check_seconds
        )
        answer: dict[str, object] = report.to_json()
        code = 0
    except (RoadmapError, ValueError) as exc:
        answer, code = {"error": str(exc)}, CANNOT_RUN
    text = json.dumps(answer)
    try:
        args.result.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.result.with_name(args.result.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.result)
    except PermissionError:  # a jail's results folder: only the verdict file itself is writable
        args.result.write_text(text, encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
