"""Week 5's checks on real MLflow tracking stores: SQLite files and a real `mlflow server`.

The finished week passes and is left as it was; each broken state (no store, a missing
experiment, a declared server that is down, a model whose files are gone) is a failed or
blocked check that says what was found, never a traceback, and nothing is left running.
Workspaces are made the way `course verify` makes them (scaffold, solution, prepare.sh).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import course, scaffold, servers, venvs, workspace
from mlops_roadmap import tracking as tracking_store
from mlops_roadmap.commands import verify
from tests.conftest import REPO, Cli
from tests.timing import scaled

WEEK = 5
FOLDER = "week05-experiment-tracking-mlflow"
CHECKS = REPO / "checks" / "week05"
ENVIRONMENT = "test_week05_1_environment.py::test_libraries_import"
STORE = "test_week05_2_tracking.py::test_store_holds_experiment"
TRACKING = {
    STORE,
    "test_week05_2_tracking.py::test_two_finished_runs",
    "test_week05_2_tracking.py::test_runs_log_params_metric_tags",
    "test_week05_2_tracking.py::test_runs_log_models",
    "test_week05_2_tracking.py::test_models_reproduce_rmse",
    "test_week05_2_tracking.py::test_best_model_predicts_unseen_houses",
}
REPRODUCE = "test_week05_2_tracking.py::test_models_reproduce_rmse"
CLEAN_START = "test_week05_3_training.py::test_train_logs_a_run"


# -- building workspaces and running the checks ---------------------------------------------


def make_workspace(base: Path, solved: bool, prepared: bool = True) -> Path:
    """A workspace at base/ws as `course verify` prepares it (prepare.sh only if ``prepared``)."""
    plan = course.load(REPO)
    week = plan.plan.week(WEEK)
    if prepared:
        return verify.prepare(plan, week, base / "ws", with_solution=solved).root
    ws = workspace.init(base / "ws")
    scaffold.lay(plan, week, ws, ws.week_dir(week), force=False)
    if solved:
        ignore = shutil.ignore_patterns("prepare.sh")
        shutil.copytree(plan.solution(week), ws.week_dir(week), dirs_exist_ok=True, ignore=ignore)
    venvs.layered(ws.root / ".venv", ws.week_dir(week) / "requirements.txt")
    return ws.root


def check(cli: Cli, ws: Path, select: str | None = None) -> dict[str, Any]:
    """`mlops-roadmap check --json` in the week folder: the checks by id, never a traceback.

    The checks' temporary folders (clean copies, server logs) go under ws.parent/tmp, so that
    `running_under(ws.parent)` finds anything they left running."""
    args: list[str | Path] = ["--course", REPO, "check", "--json"]
    if select:
        args += ["-k", select]
    tmp = ws.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    result = cli(*args, cwd=ws / FOLDER, timeout=900, env={"TMPDIR": str(tmp)})
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    return {c["id"]: c for c in data["checks"]}


def outcomes(checks: dict[str, Any]) -> dict[str, str]:
    return {cid: c["outcome"] for cid, c in checks.items()}


def declare(ws: Path, line: str) -> None:
    """Append a line to env.sh, as a learner would (the last assignment wins)."""
    with (ws / FOLDER / "env.sh").open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def running_under(folder: Path) -> list[str]:
    """Command lines of live processes working in, or naming, a path under ``folder``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(proc / "cwd")
            text = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(folder)) or str(folder) in text:
            found.append(text)
    return found


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- where the store is: env.sh, read without MLflow -----------------------------------------


@pytest.mark.parametrize(
    ("env_sh", "kind", "uri", "origin"),
    [
        (None, "sqlite", "sqlite:///{week}/mlflow.db", "the default (no MLFLOW_TRACKING_URI"),
        (
            'export MLFLOW_TRACKING_URI="sqlite:///$PWD/mlflow.db"\n',
            "sqlite",
            "sqlite:///{week}/mlflow.db",
            "env.sh line 1",
        ),
        (
            "export MLFLOW_TRACKING_URI=sqlite:///runs/x.db  # mine\n",
            "sqlite",
            "sqlite:///{week}/runs/x.db",
            "env.sh line 1",
        ),
        (
            "MLFLOW_TRACKING_URI='sqlite:////srv/m.db'\n",
            "sqlite",
            "sqlite:////srv/m.db",
            "env.sh line 1",
        ),
        (
            "export MLFLOW_TRACKING_URI=sqlite:///a.db\n# export MLFLOW_TRACKING_URI=http://h:1\nexport MLFLOW_TRACKING_URI=http://127.0.0.1:5000/\n",
            "server",
            "http://127.0.0.1:5000",
            "env.sh line 3",
        ),
        (
            "ROOT=/srv\nexport MLFLOW_TRACKING_URI=file:${ROOT}/mlruns\n",
            "file",
            "file:///srv/mlruns",
            "env.sh line 2",
        ),
        ("export MLFLOW_TRACKING_URI=\n", "sqlite", "sqlite:///{week}/mlflow.db", "the default"),
    ],
)
def test_declared_store(
    tmp_path: Path, env_sh: str | None, kind: str, uri: str, origin: str
) -> None:
    if env_sh is not None:
        (tmp_path / "env.sh").write_text(env_sh)
    store = tracking_store.declared_store(tmp_path)
    assert (store.kind, store.uri, store.problem) == (kind, uri.format(week=tmp_path), "")
    assert store.origin.startswith(origin)


def test_unexpandable_uri_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "env.sh").write_text("export MLFLOW_TRACKING_URI=sqlite:///$NO_SUCH_VAR_5/m.db\n")
    problem = tracking_store.store_problem(tracking_store.declared_store(tmp_path))
    assert problem is not None and not problem.blocked
    assert "needs a shell to expand" in problem.found


def test_missing_database_fails_with_the_fix(tmp_path: Path) -> None:
    problem = tracking_store.store_problem(tracking_store.declared_store(tmp_path))
    assert problem is not None and not problem.blocked
    assert problem.found == f"no database file at {tmp_path / 'mlflow.db'}"
    assert "run it from the week folder (after `source env.sh`)" in problem.hint
    assert not (tmp_path / "mlflow.db").exists()  # looked for, never created


def test_server_that_is_down_blocks_with_the_command(tmp_path: Path) -> None:
    port = closed_port()
    (tmp_path / "env.sh").write_text(f"export MLFLOW_TRACKING_URI=http://127.0.0.1:{port}\n")
    started = time.monotonic()
    problem = tracking_store.store_problem(tracking_store.declared_store(tmp_path))
    assert time.monotonic() - started < scaled(6)
    assert problem is not None and problem.blocked
    assert f"the tracking server http://127.0.0.1:{port} (env.sh line 1) is not reachable" in (
        problem.found
    )
    assert "Connection refused" in problem.found
    assert f"--port {port} --workers 1" in problem.hint


@pytest.fixture
def not_mlflow() -> Iterator[str]:
    """An HTTP server on a loopback port that answers 404 to everything (another program)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_another_program_on_the_port_is_named(tmp_path: Path, not_mlflow: str) -> None:
    (tmp_path / "env.sh").write_text(f"export MLFLOW_TRACKING_URI={not_mlflow}\n")
    problem = tracking_store.store_problem(tracking_store.declared_store(tmp_path))
    assert problem is not None and problem.blocked
    assert "/health answered HTTP 501, so it is not an MLflow tracking server" in problem.found


# -- the checks on real stores ---------------------------------------------------------------


def test_scaffold_logs_nothing_yet(cli: Cli, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, solved=False)
    checks = check(cli, ws)
    assert checks[ENVIRONMENT]["outcome"] == "passed"
    assert checks[STORE]["outcome"] == "failed"
    assert checks[STORE]["found"] == f"no database file at {ws / FOLDER / 'mlflow.db'}"
    assert checks[STORE]["hint"].startswith("Finish the TODOs in train.py")
    assert {checks[c]["outcome"] for c in TRACKING - {STORE}} == {"blocked"}
    assert checks[CLEAN_START]["outcome"] == "failed"
    assert checks[CLEAN_START]["found"] == "it finished, but logged nothing there"
    assert not (ws / FOLDER / "mlflow.db").exists()
    assert running_under(tmp_path) == []


def test_missing_experiment_names_what_is_there(cli: Cli, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, solved=False)
    db = ws / FOLDER / "mlflow.db"
    made = subprocess.run(
        [ws / ".venv" / "bin" / "python", "-c", "import mlflow; mlflow.set_experiment('housing')"],
        env={**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{db}"},
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )
    assert made.returncode == 0, made.stderr
    checks = check(cli, ws, select="tracking")
    assert checks[STORE]["outcome"] == "failed"
    assert checks[STORE]["found"] == "experiments there: Default, housing"
    assert "mlflow.set_experiment('ames-housing')" in checks[STORE]["hint"]
    assert {checks[c]["outcome"] for c in TRACKING - {STORE}} == {"blocked"}


# -- finished weeks (prepare.sh logs two runs, about 25 s): slow suite -------------------------


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished week 5 on its SQLite store (once per module and worker)."""
    return make_workspace(tmp_path_factory.mktemp("finished"), solved=True)


# The finished week passing every check, its files left as they were and nothing left running, is
# proven by tests/test_walk.py (the whole roadmap walked with the reference solutions).


@pytest.mark.slow
def test_model_whose_files_are_gone(cli: Cli, finished: Path) -> None:
    models = sorted((finished / FOLDER / "mlruns").glob("*/models/*/artifacts/model.skops"))
    assert len(models) == 2
    hidden = models[0].with_suffix(".hidden")
    models[0].rename(hidden)
    try:
        checks = check(cli, finished, select="tracking")
    finally:
        hidden.rename(models[0])
    assert checks[REPRODUCE]["outcome"] == "failed"
    assert "mlflow.pyfunc.load_model failed: FileNotFoundError" in checks[REPRODUCE]["found"]
    assert str(models[0]) in checks[REPRODUCE]["found"]
    assert checks[REPRODUCE]["hint"].startswith("A logged model must load")


# -- a real `mlflow server` (30-60 s to answer /health): slow suite ----------------------------


@pytest.fixture
def tracking_server(tmp_path: Path) -> Iterator[servers.Server]:
    """`mlflow server` on a free loopback port with a SQLite backend in tmp_path, stopped
    (its whole process group, job runners included) afterwards."""
    folder = tmp_path / "server"
    folder.mkdir()
    backend = f"sqlite:///{folder / 'mlflow.db'}"
    args = ["server", "--backend-store-uri", backend, "--host", "127.0.0.1", "--port", "{port}"]
    server = servers.start(
        [Path(sys.executable).parent / "mlflow", *args, "--workers", "1"],
        ready_path="/health",
        cwd=folder,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        timeout=scaled(180),
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_runs_on_a_real_tracking_server(
    cli: Cli, tmp_path: Path, tracking_server: servers.Server
) -> None:
    url = tracking_server.url
    ws = make_workspace(tmp_path, solved=True, prepared=False)
    week = ws / FOLDER
    for options in (["--model", "linear"], ["--model", "ridge", "--alpha", "10"]):
        trained = subprocess.run(
            [ws / ".venv" / "bin" / "python", "train.py", *options],
            cwd=week,
            env={**os.environ, "MLFLOW_TRACKING_URI": url, "MLFLOW_DISABLE_TELEMETRY": "true"},
            capture_output=True,
            text=True,
            timeout=scaled(300),
            check=False,
        )
        assert trained.returncode == 0, trained.stderr[-2000:]
    line = len((week / "env.sh").read_text().splitlines()) + 1
    declare(ws, f'export MLFLOW_TRACKING_URI="{url}"')
    before = tree_hashes(week)
    checks = check(cli, ws)
    assert set(outcomes(checks).values()) == {"passed"}, checks
    assert tree_hashes(week) == before  # no mlflow.db appeared: the runs are on the server

    tracking_server.stop()
    checks = check(cli, ws, select="tracking")
    assert {checks[c]["outcome"] for c in TRACKING} == {"blocked"}
    found = checks[STORE]["found"]
    assert f"the tracking server {url} (env.sh line {line}) is not reachable" in found
    assert "Connection refused" in found
    assert f"--port {url.rsplit(':', 1)[1]} --workers 1" in checks[STORE]["hint"]
    assert running_under(tmp_path) == []  # the server was stopped; the checks left nothing
