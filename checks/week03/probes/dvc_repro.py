"""Probe, run in the learner's interpreter: does the pipeline reproduce in a copy?

Usage: python dvc_repro.py COPY_DIR MARKER
COPY_DIR is a fresh copy of the week folder without its pipeline outputs, DVC cache and
temporary files. The probe opens it with the copy's own cache and no git (the copy is not a
git repository), runs `Repo.reproduce(force=True)` so every stage's command really runs (no
run-cache restore), then asks for the status and the metrics.
Prints, after the stages' own output, one line: MARKER followed by a JSON object:
    error     {"kind", "message"} when DVC cannot open the copy or a stage fails
    stages    the stages reproduced, in order
    status    `Repo.status()` after the run ({} when the outputs match dvc.lock)
    metrics   the reproduced metrics as {file: {dotted.key: number}}
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from dvc_inspect import workspace_metrics
from probe_errors import describe


def reproduce(copy: str) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    try:
        from dvc.repo import Repo

        repo = Repo(
            copy,
            config={
                "core": {"no_scm": True},
                "cache": {"dir": os.path.join(copy, ".dvc", "cache")},
            },
        )
    except Exception as exc:
        answer["error"] = {"kind": "open", "message": describe(exc)}
        return answer
    with repo:
        try:
            done = repo.reproduce(force=True)
        except Exception as exc:
            answer["error"] = {"kind": "reproduce", "message": describe(exc)}
            return answer
        answer["stages"] = [stage.addressing for stage in done]
        try:
            answer["status"] = repo.status()
            answer["metrics"] = workspace_metrics(repo)
        except Exception as exc:
            answer["error"] = {"kind": "status", "message": describe(exc)}
    return answer


def main() -> int:
    copy, marker = sys.argv[1], sys.argv[-1]
    answer = reproduce(copy)
    sys.stdout.flush()
    print("\n" + marker + json.dumps(answer, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
