"""The GitHub Actions workflow `init` gives a new workspace: written once, valid, and its check
step really runs: a solved week passes, a fresh scaffold fails, a week without checks is skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

from mlops_roadmap import __version__, course, venvs
from mlops_roadmap.manifest import collect_week
from mlops_roadmap.workspace import WORKFLOW
from tests.conftest import REPO, Cli, clean_env
from tests.timing import scaled

CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    (job,) = workflow["jobs"].values()
    return list(job["steps"])


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    assert CHECK_JSONSCHEMA.is_file(), "install the dev extra: pip install -e '.[dev]'"
    return subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", path],
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )


def test_init_writes_the_workflow_pinned_to_this_release(cli: Cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path / "ws").returncode == 0
    text = (tmp_path / "ws" / WORKFLOW).read_text(encoding="utf-8")
    assert f'"mlops-roadmap[learner]=={__version__}"' in text
    assert "__VERSION__" not in text


def test_init_never_overwrites_the_learners_workflow(cli: Cli, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / WORKFLOW).parent.mkdir(parents=True)
    (ws / WORKFLOW).write_text("name: mine\n", encoding="utf-8")
    assert cli("init", ws).returncode == 0
    assert (ws / WORKFLOW).read_text(encoding="utf-8") == "name: mine\n"

    fresh = tmp_path / "fresh"
    assert cli("init", fresh).returncode == 0
    edited = (fresh / WORKFLOW).read_text(encoding="utf-8") + "# my edit\n"
    (fresh / WORKFLOW).write_text(edited, encoding="utf-8")
    assert cli("init", fresh).returncode == 0
    assert (fresh / WORKFLOW).read_text(encoding="utf-8") == edited


def test_workflow_is_a_valid_github_workflow(cli: Cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path / "ws").returncode == 0
    path = tmp_path / "ws" / WORKFLOW
    result = validate(path)
    assert result.returncode == 0, result.stdout + result.stderr

    workflow = load(path)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request"}
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    uses = {s["uses"].split("@")[0]: s for s in steps(workflow) if "uses" in s}
    assert uses["actions/checkout"]["uses"] == "actions/checkout@v4"
    assert uses["actions/setup-python"]["uses"] == "actions/setup-python@v5"
    assert uses["actions/setup-python"]["with"]["python-version"] == "3.11"
    assert uses["actions/upload-artifact"]["if"] == "always()"

    broken = tmp_path / "broken.yml"  # the validator does fail a job it cannot run
    broken.write_text(path.read_text().replace("runs-on: ubuntu-latest", ""), encoding="utf-8")
    assert validate(broken).returncode != 0


def run_check_step(
    ws: Path, tmp_path: Path, course_root: Path | None = None
) -> tuple[int, str, Path, str]:
    """Run the workflow's check step in ``ws`` with this interpreter's CLI as `mlops-roadmap`
    (on ``course_root``'s course when given, else the bundled one)."""
    (step,) = (s for s in steps(load(ws / WORKFLOW)) if s.get("id") == "check")
    assert step["shell"] == "bash"
    shim = tmp_path / "bin" / "mlops-roadmap"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mlops_roadmap "$@"\n')
    shim.chmod(0o755)
    summary = tmp_path / "summary.md"
    env = clean_env(tmp_path)
    env.update(
        PATH=f"{shim.parent}{os.pathsep}{env['PATH']}",
        REPORTS=step["env"]["REPORTS"],
        GITHUB_STEP_SUMMARY=str(summary),
    )
    if course_root is not None:
        env["MLOPS_ROADMAP_COURSE"] = str(course_root)
    result = subprocess.run(  # the way GitHub runs a `shell: bash` step
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(300),
        check=False,
    )
    out = result.stdout + result.stderr
    return result.returncode, out, ws / step["env"]["REPORTS"], summary.read_text()


def junit(reports: Path, week: str) -> dict[str, int]:
    """The counts in the week's JUnit report."""
    root = ET.parse(reports / f"{week}.xml").getroot()
    assert root.tag == "testsuites"
    return {k: int(root.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped")}


def test_check_step_passes_a_solved_week_and_skips_one_without_checks(
    cli: Cli, tmp_path: Path, unchecked_course: tuple[Path, str]
) -> None:
    root, week_id = unchecked_course
    ws = tmp_path / "ws"
    assert cli("--course", root, "init", ws).returncode == 0
    loaded = course.load(root)
    unchecked = next(w for w in loaded.plan.weeks if not loaded.has_checks(w))
    assert unchecked.id == week_id
    count = len(collect_week(loaded, loaded.plan.week(2)).checks)
    for week in ("2", str(unchecked.number)):  # a week without automated checks yet
        assert cli("--course", root, "start", week, "--force", cwd=ws).returncode == 0
    shutil.copytree(REPO / "solutions" / "week02", ws / "week02-intro-to-ml", dirs_exist_ok=True)
    venvs.layered(ws / ".venv")  # what the install step makes, from this environment

    code, out, reports, summary = run_check_step(ws, tmp_path, root)
    assert code == 0, out
    assert junit(reports, "week02") == {"tests": count, "failures": 0, "errors": 0, "skipped": 0}
    assert f"PASSED  {count} passed" in out  # the usual report, in the job's log
    assert not (reports / f"{unchecked.id}.xml").exists()
    assert "| week02 | passed |" in summary
    assert f"| {unchecked.id} | no automated checks yet |" in summary


def test_check_step_fails_a_fresh_scaffold(cli: Cli, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert cli("init", ws).returncode == 0
    assert cli("start", "1", cwd=ws).returncode == 0

    code, out, reports, summary = run_check_step(ws, tmp_path)
    assert code == 1, out
    counts = junit(reports, "week01")
    assert counts["tests"] > 0 and counts["failures"] > 0
    assert "| week01 | **failed** |" in summary
    assert "::error title=week01 did not pass::" in out
