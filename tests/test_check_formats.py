"""The per-run formats on their own: what `check --format` writes, made without grading."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import get_args

from mlops_roadmap import cli, formats
from mlops_roadmap.results import CheckResult, RunReport
from tests.test_import_cycles import PACKAGE, import_graph

REPORT = RunReport(
    "week01",
    "First steps",
    (
        CheckResult(
            "test_first.py::test_answer", "answer.txt holds the answer", "passed", points=2
        ),
        CheckResult(
            "test_first.py::test_greeting",
            "greet.py greets the world",
            "failed",
            expected="'hello, world'",
            found="'\x1b[31mhi\x1b[0m' & <b>",
            hint="print('hello, world')",
        ),
        CheckResult("test_first.py::test_cloud", "the cloud answers", "blocked", found="no creds"),
    ),
    1.5,
    0.5,
    "c0ffee" * 6 + "abcd",
)


def test_the_cli_offers_text_and_every_run_format() -> None:
    assert get_args(cli.CheckFormat) == ("text", *formats.RUN_FORMATS)


def test_json_is_the_documented_report() -> None:
    assert json.loads(formats.render("json", REPORT)) == json.loads(json.dumps(REPORT.to_json()))


def test_junit_has_a_case_per_check_and_no_control_characters() -> None:
    text = formats.render("junit", REPORT)
    root = ET.fromstring(text)
    counts = [root.get(k) for k in ("tests", "failures", "errors", "skipped")]
    assert counts == ["3", "1", "0", "1"] and "\x1b" not in text
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "week01: First steps"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"commit": REPORT.commit}
    failure = suite.find("testcase[@name='greet.py greets the world']/failure")
    assert failure is not None and failure.text is not None
    assert failure.text.splitlines() == [
        "expected: 'hello, world'",
        "found: 'hi' & <b>",
        "hint: print('hello, world')",
    ]
    assert {c.get("classname") for c in suite.iter("testcase")} == {"week01"}


def test_gradescope_scores_the_run_as_its_checks_do() -> None:
    data = json.loads(formats.render("gradescope", REPORT))
    assert data["score"] == 2.0 and data["execution_time"] == 2
    assert data["output"] == "week01 (First steps): 2/4 points · commit c0ffeec"
    assert [(t["status"], t["score"], t["max_score"]) for t in data["tests"]] == [
        ("passed", 2.0, 2.0),
        ("failed", 0.0, 1.0),
        ("failed", 0.0, 1.0),
    ]
    assert data["tests"][2]["output"].startswith("blocked: this check could not run")


def test_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "results.json"
    formats.write_atomic(out, "first\n")
    formats.write_atomic(out, "second\n")
    assert out.read_text() == "second\n"
    assert [p.name for p in out.parent.iterdir()] == ["results.json"]  # no temporary file left


def test_the_formats_and_the_check_command_do_not_reach_grading() -> None:
    graph = import_graph(PACKAGE, "mlops_roadmap")
    for start in ("mlops_roadmap.formats", "mlops_roadmap.commands.check"):
        seen, todo = set(), [start]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph.get(name, ()))
        assert not [n for n in seen if n.startswith("mlops_roadmap.grading")], start
