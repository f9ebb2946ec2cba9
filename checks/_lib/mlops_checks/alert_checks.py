"""promtool run on a week's rule files, and its verdict as a check reports it (weeks 11, 23)."""

from __future__ import annotations

from mlops_roadmap.procs import ProcessResult


def promtool_said(result: ProcessResult) -> str:
    """promtool's verdict without its banner lines."""
    lines = [
        ln.strip()
        for ln in (result.stdout + result.stderr).splitlines()
        if ln.strip() and not ln.startswith(("Unit Testing:", "Checking "))
    ]
    return " ".join(lines)[:600] or f"exit status {result.returncode}"
