"""One run of a week's checks written for other tools: what `check --format` prints, and what
grading's per-student files are made of (JSON as ``RunReport.to_json``, JUnit XML, Gradescope's
results.json). Nothing here knows about grading: it turns run reports into text.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Literal, get_args

from mlops_roadmap.formats.gradescope import gradescope_results, scored
from mlops_roadmap.formats.junit import junit_xml, run_suite
from mlops_roadmap.results import RunReport

RunFormat = Literal["json", "junit", "gradescope"]
RUN_FORMATS: tuple[RunFormat, ...] = get_args(RunFormat)


def render(fmt: RunFormat, report: RunReport, error: tuple[str, int] | None = None) -> str:
    """One workspace's run as `check --format FMT` prints it; in JSON, with the ``error`` (its
    message and exit code) that followed the run, if any."""
    if fmt == "junit":
        return junit_xml("mlops-roadmap", [run_suite(report)])
    data = report.to_json() if fmt == "json" else gradescope_results([scored(report)])
    if fmt == "json" and error is not None:
        data |= {"error": error[0], "exit_code": error[1]}
    return json.dumps(data, indent=2, default=str) + "\n"


def write_atomic(path: Path, text: str) -> Path:
    """Write via a temporary file in the same folder and ``replace``: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
