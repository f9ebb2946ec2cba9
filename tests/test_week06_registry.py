"""Week 6's checks on a real model registry and real `mlflow models serve` processes.

The finished week passes and leaves the learner's registry as it was; each broken state (a
port already in use, a declared server that is down or serves an old champion, a champion
whose files are gone, a promote.py that picks the wrong version, Ctrl-C while serving) is a
failed or blocked check that says what was found, never a traceback, and nothing is left
running. The serving helpers are also tested on their own, without MLflow.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import model_serving as model_server
from mlops_roadmap import course, scaffold, servers, venvs, workspace
from mlops_roadmap import tracking as tracking_store
from mlops_roadmap.commands import verify
from tests.conftest import REPO, Cli, as_in_a_terminal, clean_env
from tests.timing import scaled, wait_until

WEEK = 6
FOLDER = "week06-model-registry-serving"
CHECKS = REPO / "checks" / "week06"
HOLDOUT = REPO / "data" / "ames" / "holdout.csv"
CHAMPION_URI = "models:/ames-price@champion"
LOADS = "test_week06_2_registry.py::test_champion_predicts_unseen_houses"
PROMOTE = "test_week06_3_promote.py::test_promote_picks_best_and_is_idempotent"
SERVED = "test_week06_4_serving.py::test_served_predictions_match"
BAD = "test_week06_4_serving.py::test_bad_payload_rejected"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def running_under(folder: Path) -> list[str]:
    """Command lines of live processes working in, or naming, a path under ``folder``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = str(proc.joinpath("cwd").readlink())
            text = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(folder)) or str(folder) in text:
            found.append(text)
    return found


# -- the serving helpers on their own (no MLflow) --------------------------------------------


def test_holdout_rows_keep_their_types() -> None:
    body, rows = model_server.table_payload(HOLDOUT)
    split = json.loads(body)["dataframe_split"]
    assert rows == len(split["data"]) == 380
    assert len(split["columns"]) == 13 and "price" not in split["columns"]
    first = dict(zip(split["columns"], split["data"][0], strict=True))
    assert isinstance(first["area"], int) and isinstance(first["neighborhood"], str)


def test_server_error_is_the_cause_not_the_wrapper(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    log.write_text(
        "Downloading artifacts: 100%|#####| 8/8\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "FileNotFoundError: [Errno 2] No such file or directory: '/m/model.skops'\n"
        "Traceback (most recent call last):\n"
        "Exception: Command '['bash', '-c', 'exec uvicorn']' returned non zero return code.\n"
    )
    expected = "FileNotFoundError: [Errno 2] No such file or directory: '/m/model.skops'"
    assert model_server.server_error(log) == expected
    log.write_text(
        "INFO:     Waiting for application startup.\n"
        "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 5): "
        "address already in use\n"
    )
    assert model_server.server_error(log).endswith(model_server.IN_USE)


def test_declared_server_that_is_down_blocks(tmp_path: Path) -> None:
    port = closed_port()
    served = model_server.ask_running(f"http://127.0.0.1:{port}", "SERVING_URL", b"{}", "m")
    assert served.blocked and served.error.startswith(f"nothing answers at http://127.0.0.1:{port}")
    assert f'mlflow models serve -m "m" -p {port} --env-manager local' in served.hint


@pytest.fixture
def not_mlflow() -> Iterator[str]:
    """An HTTP server on a loopback port that answers 501 to everything (another program)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_another_program_on_the_declared_port_fails(not_mlflow: str) -> None:
    served = model_server.ask_running(not_mlflow, "SERVING_URL", b"{}", "m")
    assert not served.blocked
    assert served.error == (
        f"GET {not_mlflow}/ping answered HTTP 501, so it is not an MLflow model server "
        "(is another program using that port?)"
    )


def test_uvicorn_shim_runs_the_given_interpreter(tmp_path: Path) -> None:
    shim = model_server.uvicorn_shim(Path(sys.executable), tmp_path / "bin")
    done = subprocess.run(
        [shim / "uvicorn", "--version"],
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )
    assert done.returncode == 0 and "uvicorn" in done.stdout, done.stderr


# -- a finished week 6 (prepare.sh: two registered versions and promote.py, about 40 s) -------


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished week 6 on its SQLite store (once per module and worker); tests that change
    it put it back."""
    plan = course.load(REPO)
    base = tmp_path_factory.mktemp("finished")
    return verify.prepare(plan, plan.plan.week(WEEK), base / "ws", with_solution=True).root


def check(cli: Cli, ws: Path, select: str | None = None) -> dict[str, Any]:
    """`mlops-roadmap check --json` in the week folder: the checks by id, never a traceback.
    The checks' temporary folders go under ws.parent/tmp (see `running_under`)."""
    args: list[str | Path] = ["--course", REPO, "check", "--json"]
    if select:
        args += ["-k", select]
    result = cli(*args, cwd=ws / FOLDER, timeout=900, env={"TMPDIR": str(scratch(ws))})
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    return {c["id"]: c for c in data["checks"]}


def scratch(ws: Path) -> Path:
    folder = ws.parent / "tmp"
    folder.mkdir(exist_ok=True)
    return folder


def champion(ws: Path) -> tuple[str, Path]:
    """The champion's version and the folder of its files, read from the SQLite store."""
    with sqlite3.connect(ws / FOLDER / "mlflow.db") as db:
        version, location = db.execute(
            "SELECT v.version, v.storage_location FROM model_versions v JOIN "
            "registered_model_aliases a ON a.name = v.name AND a.version = v.version "
            "WHERE a.name = 'ames-price' AND a.alias = 'champion'"
        ).fetchone()
    return str(version), Path(location.removeprefix("file://"))


class Edit:
    """Change a file of the finished week for one test, and put it back afterwards."""

    def __init__(self, path: Path) -> None:
        self.path, self.original = path, path.read_bytes()

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        self.path.write_bytes(self.original)


# The finished week passing every check, its files (mlflow.db and so its registry among them) left
# as they were and nothing left running, is proven by tests/test_walk.py (the whole roadmap
# walked with the reference solutions).


@pytest.mark.slow
def test_port_already_in_use(finished: Path, tmp_path: Path) -> None:
    python = finished / ".venv" / "bin" / "python"
    env = tracking_store.probe_env(f"sqlite:///{finished / FOLDER / 'mlflow.db'}")
    payload, _ = model_server.table_payload(HOLDOUT)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = model_server.serve_and_ask(
            python, env, CHAMPION_URI, tmp_path, payload, port=port, timeout=scaled(120)
        )
    assert served.good is None and not served.blocked
    assert served.error.startswith("`mlflow models serve` exited (status ")
    assert served.error.endswith("address already in use")
    assert (
        served.hint == f"Port {port} was taken by another program: free it, or run the check again."
    )
    assert running_under(tmp_path) == []


@pytest.mark.slow
def test_declared_server_that_is_down(cli: Cli, finished: Path) -> None:
    port = closed_port()
    with Edit(finished / FOLDER / "env.sh") as env_sh:
        env_sh.write_text(env_sh.read_text() + f"export SERVING_URL=http://127.0.0.1:{port}\n")
        checks = check(cli, finished, select="serving")
    assert {checks[SERVED]["outcome"], checks[BAD]["outcome"]} == {"blocked"}
    assert f"nothing answers at http://127.0.0.1:{port}" in checks[SERVED]["found"]
    assert checks[SERVED]["hint"].startswith("Start it after `source env.sh`")


@pytest.fixture
def old_champion_server(finished: Path, tmp_path: Path) -> Iterator[servers.Server]:
    """The learner's own server, started before the alias moved: it serves version 1."""
    python = finished / ".venv" / "bin" / "python"
    shim = model_server.uvicorn_shim(python, tmp_path / "bin")
    env = tracking_store.probe_env(
        f"sqlite:///{finished / FOLDER / 'mlflow.db'}", PATH=f"{shim}:/usr/bin:/bin"
    )
    args = ["models", "serve", "-m", "models:/ames-price/1", "--env-manager", "local"]
    server = servers.start(
        [python, "-m", "mlflow", *args, "-h", "127.0.0.1", "-p", "{port}"],
        ready_path="/ping",
        cwd=tmp_path,
        env=env,
        timeout=scaled(150),
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_declared_server_with_an_old_champion(
    cli: Cli, finished: Path, old_champion_server: servers.Server
) -> None:
    assert champion(finished)[0] == "2"
    with Edit(finished / FOLDER / "env.sh") as env_sh:
        env_sh.write_text(env_sh.read_text() + f'SERVING_URL="{old_champion_server.url}/"\n')
        checks = check(cli, finished, select="serving")
    assert checks[SERVED]["outcome"] == "failed"
    assert "380 predictions; 380 differ, e.g. row 0:" in checks[SERVED]["found"]
    assert checks[SERVED]["hint"].startswith("The server resolves the alias when it starts")
    assert checks[BAD]["outcome"] == "passed"


@pytest.mark.slow
def test_champion_whose_files_are_gone(cli: Cli, finished: Path) -> None:
    _, location = champion(finished)
    model = location / "model.skops"
    hidden = model.with_suffix(".hidden")
    model.rename(hidden)
    try:
        checks = check(cli, finished, select="registry or serving")
    finally:
        hidden.rename(model)
    assert checks[LOADS]["outcome"] == "failed"
    assert checks[LOADS]["found"] == (
        "mlflow.pyfunc.load_model failed: FileNotFoundError: [Errno 2] No such file or "
        f"directory: '{model}'"
    )
    assert checks[SERVED]["outcome"] == "failed"
    assert checks[SERVED]["found"] == (
        "`mlflow models serve` exited (status 1) before answering: FileNotFoundError: [Errno 2] "
        f"No such file or directory: '{model}'"
    )
    assert checks[BAD]["outcome"] == "blocked"
    assert running_under(finished.parent) == []


@pytest.mark.slow
def test_promote_that_picks_the_worst_version(cli: Cli, finished: Path) -> None:
    with Edit(finished / FOLDER / "promote.py") as promote:
        promote.write_text(promote.read_text().replace("min(scores,", "max(scores,"))
        checks = check(cli, finished, select="promote")
    assert checks[PROMOTE]["outcome"] == "failed"
    # The check's decoy (version 3) is the worst model again: max() picks it or version 1.
    found = checks[PROMOTE]["found"]
    assert found.startswith(("champion on version 1 (RMSE ", "champion on version 3 (RMSE "))
    assert re.search(
        r"; the check had first moved champion to version 1 \(RMSE [\d,]+\.\d\d on ", found
    )
    assert champion(finished)[0] == "2"  # the learner's own registry was not touched


@pytest.mark.slow
def test_ctrl_c_while_serving_leaves_nothing(finished: Path) -> None:
    tmp = scratch(finished)
    (tmp.parent / "home").mkdir(exist_ok=True)
    env = {**clean_env(tmp.parent / "home"), "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_roadmap", "--course", str(REPO), "check", "-k", "serving"],
        cwd=finished / FOLDER,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=as_in_a_terminal,
    )
    try:
        wait_until(
            lambda: (
                proc.poll() is not None
                or any("scoring_server" in cmd for cmd in running_under(tmp))
            ),
            240,
            "the model server never started",
        )
        assert proc.poll() is None, "the check finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=scaled(120)) == 130
    finally:
        proc.kill()
    assert running_under(tmp) == []


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
def test_registry_on_a_real_tracking_server(
    cli: Cli, tmp_path: Path, tracking_server: servers.Server
) -> None:
    """On a server the promote check moves nothing first (it is the learner's registry), and
    the served model's files come through the server."""
    plan = course.load(REPO)
    week = plan.plan.week(WEEK)
    ws = workspace.init(tmp_path / "ws")
    scaffold.lay(plan, week, ws, ws.week_dir(week), force=False)
    ignore = shutil.ignore_patterns("prepare.sh")
    shutil.copytree(plan.solution(week), ws.week_dir(week), dirs_exist_ok=True, ignore=ignore)
    python = venvs.layered(ws.root / ".venv", ws.week_dir(week) / "requirements.txt")
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_server.url}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    for step in (
        ["train.py", "--model", "linear"],
        ["train.py", "--model", "ridge"],
        ["promote.py"],
    ):
        done = subprocess.run(
            [python, *step], cwd=ws.week_dir(week), env=env, capture_output=True, text=True,
            timeout=scaled(300), check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
    env_sh = ws.week_dir(week) / "env.sh"
    env_sh.write_text(env_sh.read_text() + f"export MLFLOW_TRACKING_URI={tracking_server.url}\n")
    checks = check(cli, ws.root)
    assert {c["outcome"] for c in checks.values()} == {"passed"}, checks
    assert not (ws.week_dir(week) / "mlflow.db").exists()

    tracking_server.stop()
    checks = check(cli, ws.root, select="registry or promote or serving")
    assert {c["outcome"] for c in checks.values()} == {"blocked"}
    assert "is not reachable: nothing answers at" in checks[PROMOTE]["found"]
    assert running_under(tmp_path) == []
