"""Week 9's checks on the learner's real API, through the real CLI: the finished project passes
and is left untouched; the scaffold fails where it should; an app that does not start (import
error, crash at start-up, port taken, never ready) or breaks the contract is a failed check that
says what was found, never a traceback; and nothing the checks start is left running.

Workspaces are made the way `course verify` makes them (scaffold, solution, a venv layered on
this interpreter). Every CLI run carries a tag in its environment, which the learner's
processes inherit, so that any process left behind is found in /proc.

The helpers here (make_week, lay, edit, check, outcomes) are shared with the other weeks' check
tests.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import course
from mlops_roadmap.commands import verify
from tests.conftest import FIXTURES, REPO, Cli, as_in_a_terminal, clean_env
from tests.shared_week import Shared
from tests.timing import ready_wait, scaled, wait_until

WEEK = 9
FOLDER = "week09-fastapi-serving"
TITLES = {
    "training": "train.py saves models/linear.joblib from a clean start",
    "starts": "The app starts under uvicorn and GET /health answers 200",
    "predictions": "POST /predict returns what the learner's model itself predicts",
    "real houses": "Every real house of the Ames data, its edges included, gets the model's own "
    "price",
    "health": "GET /health answers 200 with the model version, and 503 when no model is loaded",
    "422": "Missing, mistyped, out-of-range and unexpected fields get 422 naming the field",
    "malformed": "Malformed JSON gets a 4xx answer, not a server error",
    "500": "An internal error answers 500 in JSON, without a traceback",
    "schemathesis": "Schemathesis finds no server error against the app's own OpenAPI schema",
    "own tests": "The week's own pytest suite passes",
}
START_BLOCKED = "Make the check 'The app starts under uvicorn and GET /health answers 200'"


# -- shared helpers ----------------------------------------------------------------------------


def make_week(base: Path, week: int, solved: bool) -> Path:
    """A workspace at base/ws with the week prepared as `course verify` does; its folder."""
    plan = course.load(REPO)
    ws = verify.prepare(plan, plan.plan.week(week), base / "ws", with_solution=solved)
    return ws.week_dir(plan.plan.week(week))


def lay(shared: Shared, solved: bool = True, case: str | None = None) -> Path:
    """A shared workspace's week folder put back to the fresh scaffold, with the reference
    solution and then a case's files (tests/fixtures/weekNN/CASE) laid over it."""
    week = shared.reset()
    week_id = week.name.split("-")[0]
    if solved:
        shutil.copytree(REPO / "solutions" / week_id, week, dirs_exist_ok=True)
    if case is not None:
        shutil.copytree(FIXTURES / week_id / case, week, dirs_exist_ok=True)
    return week


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact piece of a learner's file (it must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def tagged_processes(tag: str) -> list[str]:
    """Command lines of live processes whose environment carries the tag."""
    needle = f"MLOPS_TEST_TAG={tag}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


def check(
    cli: Cli,
    folder: Path,
    select: str | None = None,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """`mlops-roadmap check --json` in the week folder, checks by title. The checks never
    break (no "error" outcome, no traceback of theirs), and nothing they started survives."""
    tag = uuid.uuid4().hex
    args: list[str | Path] = ["--course", REPO, "check", "--json"]
    if select:
        args += ["-k", select]
    result = cli(*args, cwd=folder, timeout=timeout, env={"MLOPS_TEST_TAG": tag, **(env or {})})
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    # a killed process group may take a moment to be reaped
    wait_until(lambda: tagged_processes(tag) == [], 30, "left running")
    return {c["title"]: c for c in data["checks"]}


def outcomes(checks: dict[str, dict[str, Any]], titles: dict[str, str]) -> dict[str, str]:
    return {key: checks[title]["outcome"] for key, title in titles.items() if title in checks}


# -- the finished project and the scaffold -----------------------------------------------------


# Each runs all the week's checks (schemathesis and the learner's pytest included): slow.
@pytest.mark.slow
def test_finished_project_passes_and_is_left_untouched(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    before = tree_hashes(week)
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks
    assert tree_hashes(week) == before


@pytest.mark.slow
def test_scaffold_fails_on_validation_errors_and_contract(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=False)
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == {
        "training": "passed",
        "starts": "passed",
        "predictions": "passed",
        "real houses": "passed",
        "health": "failed",
        "422": "failed",
        "malformed": "passed",
        "500": "failed",
        "schemathesis": "failed",
        "own tests": "failed",
    }
    assert "FileNotFoundError" in checks[TITLES["health"]]["found"]
    found = checks[TITLES["422"]]["found"]
    assert found.startswith("area -100: status 200 (accepted); area 0: status 200 (accepted); ")
    assert found.endswith(" more")
    assert checks[TITLES["422"]]["hint"].startswith("In app/schemas.py: Field(gt=0) on area; ")
    assert "content-type text/plain" in checks[TITLES["500"]]["message"]
    assert "ST101 Server error" in checks[TITLES["schemathesis"]]["message"]
    assert "2 passed" in checks[TITLES["own tests"]]["message"]


# -- an app that does not start ----------------------------------------------------------------

BROKEN_STARTS = {
    "import error": (
        "from app.schemas import PredictRequest, PredictResponse\n",
        "from app.schemas import PredictRequest, PredictResponse\nimport not_a_module_at_all\n",
        "No module named 'not_a_module_at_all'",
    ),
    "crash at start-up": (
        "    # Load the model once, at start-up: never per request.\n",
        "    raise RuntimeError('model store unreachable')\n",
        "RuntimeError: model store unreachable",
    ),
    # The app takes the port uvicorn was told to use before uvicorn binds it.
    "port taken": (
        'log = logging.getLogger("app")\n',
        textwrap.dedent(
            """\
            log = logging.getLogger("app")
            import socket as _socket
            import sys as _sys
            _held = _socket.socket()
            _held.bind(("127.0.0.1", int(_sys.argv[_sys.argv.index("--port") + 1])))
            _held.listen()
            """
        ),
        "address already in use",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_STARTS))
def test_app_that_does_not_start(cli: Cli, tmp_path: Path, case: str) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    old, new, shown = BROKEN_STARTS[case]
    edit(week / "app" / "main.py", old, new)
    checks = check(cli, week, "training or app_starts or predictions or generated_requests")
    start = checks[TITLES["starts"]]
    assert start["outcome"] == "failed"
    assert shown in start["found"], start["found"]
    assert "its last output" in start["found"]
    assert start["hint"].startswith("From the week folder: `python train.py`")
    for key in ("predictions", "schemathesis"):
        assert checks[TITLES[key]]["outcome"] == "blocked"
        assert checks[TITLES[key]]["hint"].startswith(START_BLOCKED)


@pytest.mark.slow  # waits out the start-up limit (60 s for a learner; 20 s here)
def test_app_that_never_gets_ready(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(
        week / "app" / "main.py",
        "    # Load the model once, at start-up: never per request.\n",
        "    import asyncio\n    await asyncio.sleep(3600)\n",
    )
    wait = ready_wait(20)
    checks = check(cli, week, "training or app_starts", env=wait)
    start = checks[TITLES["starts"]]
    assert start["outcome"] == "failed"
    assert "did not answer GET /openapi.json" in start["found"]
    assert f"within {wait['MLOPS_ROADMAP_READY_WAIT']} s" in start["found"]


def test_training_that_fails_blocks_the_app(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / "train.py", "def main() -> int:\n", "def main() -> int:\n    1 / 0\n")
    checks = check(cli, week, "training or app_starts or predictions")
    assert checks[TITLES["training"]]["outcome"] == "failed"
    assert "ZeroDivisionError" in checks[TITLES["training"]]["found"]
    assert checks[TITLES["starts"]]["outcome"] == "blocked"
    assert checks[TITLES["predictions"]]["outcome"] == "blocked"


# -- an app that starts but breaks the contract ------------------------------------------------


def test_contract_broken_three_ways(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    main = week / "app" / "main.py"
    edit(main, "[float(p) for p in prices]", "[float(p) * 1.1 for p in prices]")
    edit(
        week / "app" / "schemas.py",
        '    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored\n',
        "",
    )
    edit(
        main,
        'content={"detail": "internal server error"}',
        'content={"detail": f"{type(exc).__name__}: {exc}"}',
    )
    checks = check(cli, week, "predictions or 422 or internal_error")
    assert outcomes(checks, TITLES) == dict.fromkeys(("predictions", "422", "500"), "failed")
    found = checks[TITLES["predictions"]]["found"]
    assert found.startswith("house 1: ") and "(the model says " in found
    assert checks[TITLES["422"]]["found"] == (
        "an unexpected field pool_area: 40: status 200 (accepted)"
    )
    assert checks[TITLES["422"]]["hint"] == (
        'In app/schemas.py: model_config = ConfigDict(extra="forbid") on House.'
    )
    assert 'it shows "RuntimeError", "deliberate error"' in checks[TITLES["500"]]["found"]


def test_debug_route_removed(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / "app" / "main.py", 'os.environ.get("ENABLE_DEBUG_ROUTES") == "1"', "False")
    checks = check(cli, week, "internal_error")
    assert checks[TITLES["500"]]["outcome"] == "failed"
    assert checks[TITLES["500"]]["found"] == "404: the route is missing"
    assert "Put back the debug route" in checks[TITLES["500"]]["hint"]


def test_app_that_dies_on_a_request(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / "app" / "main.py", "    prices = model.predict(frame)\n", "    os._exit(7)\n")
    checks = check(cli, week, "predictions or malformed")
    found = checks[TITLES["predictions"]]["found"]
    assert checks[TITLES["predictions"]]["outcome"] == "failed"
    assert "(the app is no longer running)" in found
    # The next check still runs against the dead app, and fails the same way.
    assert checks[TITLES["malformed"]]["outcome"] == "failed"


def test_ctrl_c_during_the_checks_leaves_nothing_running(tmp_path: Path) -> None:
    """Ctrl-C while schemathesis fuzzes the running app: exit 130, and neither the app nor
    schemathesis survives."""
    week = make_week(tmp_path, WEEK, solved=True)
    tag = uuid.uuid4().hex
    (tmp_path / "home").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_roadmap", "--course", str(REPO), "check"],
        cwd=week,
        env={**clean_env(tmp_path / "home"), "MLOPS_TEST_TAG": tag},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=as_in_a_terminal,
    )
    try:
        wait_until(
            lambda: proc.poll() is not None or fuzzing(tagged_processes(tag)),
            240,
            "schemathesis never fuzzed the running app",
        )
        assert proc.poll() is None, "the checks finished before they could be interrupted"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=scaled(60)) == 130
    finally:
        proc.kill()
    wait_until(lambda: tagged_processes(tag) == [], 10, "left running after Ctrl-C")


def fuzzing(running: list[str]) -> bool:
    """Schemathesis runs against the app (both among the tagged processes)."""
    return any("schemathesis" in c for c in running) and any("uvicorn" in c for c in running)


@pytest.mark.slow  # the three finished weeks' checks, and the app started twice
def test_benchmark_reports_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "week09_api.py"), "--runs", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=scaled(900),
        check=True,
    )
    figures = json.loads(done.stdout)
    weeks = [f"week{n:02d}_{k}_s" for n in (9, 10, 11) for k in ("check", "learner")]
    assert set(figures) == {"api_start_s", "api_probe_s", "api_stop_s", *weeks}
    assert all(value > 0 for value in figures.values())


# -- what a 422 answer names -----------------------------------------------------------------

FIELDS = ("area", "lot_area", "overall_qual", "neighborhood")


@pytest.mark.parametrize(
    ("body", "field", "named"),
    [
        # FastAPI's default: the loc list names it; the echoed input does not count
        ({"detail": [{"loc": ["body", "houses", 0, "area"], "input": {"lot_area": 1}}]}, "area",
         True),
        ({"detail": [{"loc": ["body", "houses", 0, "area"], "input": {"lot_area": 1}}]},
         "lot_area", False),
        # dotted and bracketed paths, in a loc string or an error's field
        ({"detail": [{"loc": "body.houses[0].lot_area", "msg": "too small"}]}, "lot_area", True),
        ({"errors": [{"field": "houses.0.area", "message": "Input should be > 0"}]}, "area",
         True),
        ({"errors": [{"field": "houses.0.area", "message": "x"}]}, "lot_area", False),
        # a key of its own, or a word of a message
        ({"area": ["must be positive"]}, "area", True),
        ({"errors": ["neighborhood is not in Ames"]}, "neighborhood", True),
        # a house echoed under a key of its own names every field: its values decide
        ({"errors": [{"field": "houses.0.area", "house": dict.fromkeys(FIELDS, 1)}]}, "area",
         True),
        ({"errors": [{"field": "houses.0.area", "house": dict.fromkeys(FIELDS, 1)}]}, "lot_area",
         False),
        # naming every field alike, or none, names nothing
        ({"detail": "expected fields: " + ", ".join(FIELDS)}, "area", False),
        ({"detail": "invalid request"}, "area", False),
    ],
)  # fmt: skip
def test_what_a_422_body_names(body: Any, field: str, named: bool) -> None:
    from mlops_checks import api

    assert api.field_named(json.dumps(body), field, FIELDS) is named
