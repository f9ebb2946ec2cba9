"""JUnit XML for CI dashboards and LMS plugins: a suite per week's run, a case per check.

Built with ElementTree, which escapes markup; the control characters XML 1.0 forbids (an ANSI
colour code in a message, say) are dropped, or no parser would read the file back.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from mlops_roadmap.results import CheckResult, Outcome, RunReport

_ANSI = r"\x1b\[[0-9;?]*[ -/]*[@-~]"  # a terminal colour code, whole
_NOT_XML = re.compile(_ANSI + "|[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TAGS: dict[Outcome, str] = {"failed": "failure", "blocked": "skipped", "error": "error"}


@dataclass(frozen=True)
class Suite:
    """One week's run as a ``<testsuite>``: its cases' class name and what else is known."""

    report: RunReport
    classname: str
    properties: tuple[tuple[str, str], ...] = ()


def run_suite(report: RunReport) -> Suite:
    """A workspace's own run: the week is the class name, the commit its one property."""
    return Suite(report, report.week, (("commit", report.commit or ""),))


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _case(suite: ET.Element, classname: str, r: CheckResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=_text(r.title or r.id))
    case.set("file", _text(r.id.split("::")[0]))
    case.set("time", f"{r.duration:.3f}")
    tag = _TAGS.get(r.outcome)
    if tag:
        child = ET.SubElement(case, tag, message=_text(r.message))
        if tag != "skipped":  # JUnit's <skipped> carries a message only
            child.set("type", r.outcome)
        child.text = _text(r.details)
    if r.notes:
        ET.SubElement(case, "system-out").text = _text(r.notes)


def _suite(root: ET.Element, run: Suite) -> None:
    report = run.report
    suite = ET.SubElement(root, "testsuite", name=_text(f"{report.week}: {report.title}"))
    suite.set("tests", str(len(report.results)))
    suite.set("failures", str(report.count("failed")))
    suite.set("errors", str(report.count("error")))
    suite.set("skipped", str(report.count("blocked")))
    suite.set("time", f"{report.duration:.3f}")
    props = ET.SubElement(suite, "properties")
    for name, value in run.properties:
        ET.SubElement(props, "property", name=name, value=_text(value))
    for r in report.results:
        _case(suite, _text(run.classname), r)


def junit_xml(name: str, suites: Sequence[Suite]) -> str:
    """Runs as one JUnit ``<testsuites>`` document called ``name``."""
    root = ET.Element("testsuites", name=_text(name))
    for run in suites:
        _suite(root, run)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    root.set("time", f"{sum(float(s.get('time', '0')) for s in root):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
