"""JUnit XML for CI dashboards and LMS plugins: a suite per week, a case per check.

Built with ElementTree, which escapes markup; the control characters XML 1.0 forbids (an ANSI
colour code in a message, say) are dropped, or no parser would read the file back.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from mlops_roadmap.grading.model import Grade, Student
from mlops_roadmap.results import CheckResult, RunReport

_ANSI = r"\x1b\[[0-9;?]*[ -/]*[@-~]"  # a terminal colour code, whole
_NOT_XML = re.compile(_ANSI + "|[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TAGS = {"failed": "failure", "blocked": "skipped", "error": "error"}


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def details(r: CheckResult) -> str:
    """Expected, found and hint, one per line (what a failure's body and Gradescope show)."""
    parts = (("expected", r.expected), ("found", r.found), ("hint", r.hint))
    return "\n".join(f"{label}: {value}" for label, value in parts if value)


def as_report(run: Grade | RunReport) -> tuple[RunReport, dict[str, object]]:
    """The run's report and what else is known about it; a week not graded becomes one error."""
    if isinstance(run, RunReport):
        return run, {"commit": run.commit or ""}
    facts: dict[str, object] = {
        "commit": run.commit or "",
        "status": run.status,
        "late_days": run.late_days,
        "penalty": run.penalty,
        "points": run.points,
        "isolation": run.isolation,
    }
    if run.report is not None:
        return run.report, facts
    why = CheckResult(
        "grading", f"{run.week} could not be graded", "error", found=f"{run.status}: {run.message}"
    )
    return RunReport(run.week, f"not graded ({run.status})", (why,), run.duration, 0.0), facts


def _case(suite: ET.Element, classname: str, r: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=_text(r.title or r.id))
    case.set("file", _text(r.id.split("::")[0]))
    case.set("time", f"{r.duration:.3f}")
    tag = _TAGS.get(r.outcome)
    if tag:
        child = ET.SubElement(case, tag, message=_text(r.message))
        if tag != "skipped":  # JUnit's <skipped> carries a message only
            child.set("type", r.outcome)
        child.text = _text(details(r))
    if r.notes:
        ET.SubElement(case, "system-out").text = _text(r.notes)


def _suite(root: ET.Element, student: Student | None, run: Grade | RunReport) -> None:
    report, facts = as_report(run)
    suite = ET.SubElement(root, "testsuite", name=_text(f"{report.week}: {report.title}"))
    suite.set("tests", str(len(report.results)))
    suite.set("failures", str(report.count("failed")))
    suite.set("errors", str(report.count("error")))
    suite.set("skipped", str(report.count("blocked")))
    suite.set("time", f"{report.duration:.3f}")
    props = ET.SubElement(suite, "properties")
    for name, value in facts.items():
        ET.SubElement(props, "property", name=name, value=_text(value))
    classname = _text(f"{student.id}.{report.week}" if student else report.week)
    for r in report.results:
        _case(suite, classname, r)


def junit_xml(student: Student | None, runs: Sequence[Grade | RunReport]) -> str:
    """One student's weeks (or one workspace's run) as a JUnit ``<testsuites>`` document."""
    root = ET.Element("testsuites", name=_text(student.id if student else "mlops-roadmap"))
    for run in runs:
        _suite(root, student, run)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    root.set("time", f"{sum(float(s.get('time', '0')) for s in root):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
