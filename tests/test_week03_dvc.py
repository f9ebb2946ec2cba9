"""Week 3's checks on real DVC projects: the finished one passes; each broken state is a
failed (or blocked) check that says what was found, never a traceback; the learner's folder
is left as it was and nothing is left running.

Workspaces are made the way `course verify` makes them (scaffold, solution, prepare.sh), then
broken with the real tools: git, and DVC through `python -m dvc`. Remotes are local folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap import course
from mlops_roadmap.commands import verify
from tests.conftest import REPO, Cli
from tests.timing import scaled

WEEK = 3
FOLDER = "week03-data-versioning-dvc"
TITLES = {
    "installed": "DVC is installed in the workspace virtual environment",
    "project": "The week folder is a DVC project inside the git repository",
    "tracked": "data/raw is tracked by DVC and committed as a pointer file, while git ignores "
    "the CSVs",
    "status": "`dvc status` is clean: the data and the pipeline outputs match what DVC tracks",
    "versions": "git history holds two different versions of the data",
    "remote": "A default remote holds every data version and all that the workspace tracks",
    "stages": "dvc.yaml has two connected stages with deps, params and outs, and a metrics file",
    "committed": "dvc.yaml, dvc.lock, params.yaml and the stages' code are committed to git",
    "reproduces": "`dvc repro` rebuilds every output from a clean copy and reproduces the metrics",
}
GIT_ID = {
    "GIT_AUTHOR_NAME": "Test Learner",
    "GIT_AUTHOR_EMAIL": "learner@example.com",
    "GIT_COMMITTER_NAME": "Test Learner",
    "GIT_COMMITTER_EMAIL": "learner@example.com",
}


# -- building workspaces ---------------------------------------------------------------------


def make_workspace(base: Path, solved: bool) -> Path:
    """A workspace at base/ws as `course verify` prepares it; the remote is base/dvc-remote."""
    plan = course.load(REPO)
    ws = verify.prepare(plan, plan.plan.week(WEEK), base / "ws", with_solution=solved)
    return ws.root


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished week 3 (built once per module): copy it before changing anything."""
    return make_workspace(tmp_path_factory.mktemp("finished"), solved=True)


@pytest.fixture
def project(finished: Path, tmp_path: Path) -> Path:
    """A private copy of the finished workspace and its remote; returns the workspace root.

    The copy's remote URL (absolute, in the committed .dvc/config) still names the original
    remote, so .dvc/config.local (git-ignored by DVC) points it at the copied one.
    """
    base = tmp_path / "copy"
    shutil.copytree(finished.parent, base, symlinks=True)
    ws = base / "ws"
    local = ws / FOLDER / ".dvc" / "config.local"
    local.write_text(f"['remote \"localstore\"']\n    url = {base / 'dvc-remote'}\n")
    return ws


def sh(
    args: list[str | Path], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a learner's command (git, or DVC as `python -m dvc`); it must succeed.

    DVC's site cache goes into the workspace (a temporary folder), not /var/tmp/dvc."""
    root = next(p for p in (cwd, *cwd.parents) if (p / ".mlops-roadmap").is_dir())
    site = root / ".mlops-roadmap" / "dvc-site-cache"
    env = {
        **os.environ,
        **GIT_ID,
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(site),
        **(env or {}),
    }
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def dvc(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return sh([sys.executable, "-m", "dvc", *args], cwd, env)


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return sh(["git", *args], cwd)


# -- running the checks ----------------------------------------------------------------------


def check(
    cli: Cli,
    ws: Path,
    select: str | None = None,
    learner_traceback: bool = False,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`mlops-roadmap check --json` (optionally `-k select`) in the week folder: by title.

    A traceback may show only when it is the learner's own code failing (`learner_traceback`),
    quoted in a check's "found"; the checks themselves never break (no "error" outcome)."""
    args: list[str | Path] = ["--course", REPO, "check", "--json"]
    if select:
        args += ["-k", select]
    result = cli(*args, cwd=ws / FOLDER, timeout=600, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    if not learner_traceback:
        assert "Traceback" not in result.stdout, result.stdout
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    return {c["title"]: c for c in data["checks"]}


def outcome(checks: dict[str, Any], key: str) -> str:
    return str(checks[TITLES[key]]["outcome"])


def message(checks: dict[str, Any], key: str) -> str:
    return str(checks[TITLES[key]]["message"])


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder, DVC's own temporary files left out."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".dvc/tmp" not in p.relative_to(folder).as_posix()
    }


def probes_running(project: Path) -> list[str]:
    """Command lines of week 3 probe processes on ``project`` still alive (there must be none).

    Only this project's: other tests on other workers run probes of their own meanwhile."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "checks/week03/probes" in text and str(project) in text:
            found.append(text)
    return found


# -- the finished project --------------------------------------------------------------------
# Each test below copies a finished project (built once per module and worker, about 20 s:
# prepare.sh runs a dozen DVC commands) and runs the checks (3-9 s): slow suite.

finished_project = pytest.mark.slow


@finished_project
def test_finished_project_passes_and_is_left_untouched(cli: Cli, project: Path) -> None:
    week = project / FOLDER
    before = tree_hashes(week)
    git_before = git(project, "status", "--porcelain").stdout
    checks = check(cli, project)
    assert {k: outcome(checks, k) for k in TITLES} == dict.fromkeys(TITLES, "passed"), checks
    assert tree_hashes(week) == before
    assert git(project, "status", "--porcelain").stdout == git_before
    assert (project / ".mlops-roadmap" / "dvc-site-cache").is_dir()  # DVC's site cache
    assert probes_running(project) == []


# -- bad input: each a failed or blocked check with what was found -------------------------


def test_scaffold_is_not_a_dvc_project(cli: Cli, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, solved=False)
    checks = check(cli, ws)
    assert outcome(checks, "installed") == "passed"
    assert outcome(checks, "project") == "failed"
    assert "no DVC project" in message(checks, "project")
    assert checks[TITLES["project"]]["hint"].startswith("From the week folder: `dvc init --subdir`")
    others = set(TITLES) - {"installed", "project"}
    assert {outcome(checks, k) for k in others} == {"blocked"}
    assert "Make the check 'The week folder is a DVC project" in checks[TITLES["remote"]]["hint"]


def test_dvc_initialised_at_the_workspace_root(cli: Cli, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, solved=False)
    dvc(ws, "init", "-q")
    checks = check(cli, ws, "dvc_project")
    assert outcome(checks, "project") == "failed"
    assert f"the DVC project is {ws} (its .dvc folder), not the week folder" in message(
        checks, "project"
    )


def test_dvc_missing_from_the_environment(cli: Cli, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, solved=False)
    shutil.rmtree(ws / ".venv")
    # A bare environment: only the standard library, so `import dvc` fails.
    sh([sys.executable, "-m", "venv", "--without-pip", ws / ".venv"], ws)
    checks = check(cli, ws)
    assert outcome(checks, "installed") == "failed"
    assert "No module named 'dvc'" in message(checks, "installed")
    assert outcome(checks, "project") == "blocked"
    assert outcome(checks, "reproduces") == "blocked"


@finished_project
def test_missing_remote(cli: Cli, project: Path) -> None:
    week = project / FOLDER
    dvc(week, "remote", "remove", "localstore")
    git(week, "commit", "-q", "-am", "Remove the remote")
    checks = check(cli, project, "remote")
    assert outcome(checks, "remote") == "failed"
    assert "no default remote is configured" in message(checks, "remote")
    assert "dvc remote add -d" in checks[TITLES["remote"]]["hint"]


@finished_project
def test_unpushed_data(cli: Cli, project: Path) -> None:
    shutil.rmtree(project.parent / "dvc-remote" / "files")
    checks = check(cli, project, "remote")
    assert outcome(checks, "remote") == "failed"
    found = message(checks, "remote")
    assert "not in the remote: " in found and "data/raw" in found and "models" in found
    assert checks[TITLES["remote"]]["hint"] == "`dvc push` sends them."


@finished_project
def test_old_data_version_not_pushed(cli: Cli, project: Path) -> None:
    week = project / FOLDER
    first = git(week, "log", "--format=%H", "--", "data/raw.dvc").stdout.split()[-1]
    v1 = git(week, "show", f"{first}:./data/raw.dvc").stdout.split("md5: ")[1].split()[0]
    (project.parent / "dvc-remote" / "files" / "md5" / v1[:2] / v1[2:]).unlink()
    checks = check(cli, project, "remote")
    assert outcome(checks, "remote") == "failed"
    assert f"data/raw at commit {first[:8]} (new)" in message(checks, "remote")
    assert "git checkout COMMIT -- data/raw.dvc" in checks[TITLES["remote"]]["hint"]


@finished_project
def test_dirty_workspace(cli: Cli, project: Path) -> None:
    week = project / FOLDER
    with (week / "data" / "raw" / "train.csv").open("a") as handle:
        handle.write("1000,5000,5,5,1950,1950,800,2,1,1,0,NAmes,1Fam,99000\n")
    checks = check(cli, project, "workspace_matches")
    assert outcome(checks, "status") == "failed"
    found = message(checks, "status")
    assert "data/raw.dvc: changed outs: data/raw modified" in found
    assert "prepare: changed deps: data/raw modified" in found
    assert "`dvc add data/raw`" in checks[TITLES["status"]]["hint"]


@finished_project
def test_changed_params_without_repro(cli: Cli, project: Path) -> None:
    week = project / FOLDER
    params = week / "params.yaml"
    params.write_text(params.read_text().replace("model: linear", "model: ridge"))
    checks = check(cli, project, "workspace_matches or committed or reproduces")
    assert "train: changed deps: params.yaml (train.model modified)" in message(checks, "status")
    assert "uncommitted changes: M week03-data-versioning-dvc/params.yaml" in message(
        checks, "committed"
    )
    assert outcome(checks, "reproduces") == "failed"
    assert "metrics.json rmse: yours" in message(checks, "reproduces")


def test_one_data_version_only(cli: Cli, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, solved=False)
    week = ws / FOLDER
    dvc(week, "init", "--subdir", "-q")
    git(week, "add", "../.gitignore", ".dvc", ".dvcignore")
    git(week, "commit", "-q", "-m", "Initialise DVC")
    dvc(week, "add", "-q", "data/raw")
    git(week, "add", "data/raw.dvc", "data/.gitignore", ".gitignore")
    git(week, "commit", "-q", "-m", "Data v1")
    checks = check(cli, ws, "project or tracked or versions")
    assert outcome(checks, "project") == "passed"
    assert outcome(checks, "tracked") == "passed"
    assert outcome(checks, "versions") == "failed"
    assert "data/raw: one version (md5 " in message(checks, "versions")


@finished_project
def test_data_committed_to_git(cli: Cli, project: Path) -> None:
    week = project / FOLDER
    git(week, "add", "-f", "data/raw/test.csv")
    checks = check(cli, project, "tracked")
    assert outcome(checks, "tracked") == "failed"
    assert "git tracks data/raw/test.csv" in message(checks, "tracked")


@finished_project
def test_pipeline_that_fails_to_reproduce(cli: Cli, project: Path) -> None:
    week = project / FOLDER
    train = week / "src" / "train.py"
    train.write_text(
        train.read_text().replace(
            "def main() -> int:\n",
            "def main() -> int:\n    raise RuntimeError('broken on purpose')\n",
        )
    )
    before = tree_hashes(week)
    checks = check(cli, project, "reproduces", learner_traceback=True)
    assert outcome(checks, "reproduces") == "failed"
    found = message(checks, "reproduces")
    assert "failed to reproduce 'train'" in found
    assert "broken on purpose" in found
    assert tree_hashes(week) == before
    assert probes_running(project) == []


@finished_project
def test_pipeline_with_one_stage(cli: Cli, project: Path) -> None:
    week = project / FOLDER
    dvc(week, "remove", "train")
    checks = check(cli, project, "stages or reproduces")
    assert outcome(checks, "stages") == "failed"
    assert "1 stage: prepare (deps: src/prepare.py, data/raw" in message(checks, "stages")
    assert outcome(checks, "reproduces") == "blocked"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def s3_server() -> Iterator[str]:
    """A moto S3 server on loopback (its endpoint URL), stopped afterwards."""
    moto_server = pytest.importorskip("moto.server")
    pytest.importorskip("dvc_s3", reason="DVC's S3 plugin (dvc-s3) is not installed")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@finished_project
def test_s3_remote_is_checked_the_same_way(cli: Cli, project: Path, s3_server: str) -> None:
    import boto3

    week = project / FOLDER
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        **{
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "region_name": "us-east-1",
        },
    )
    s3.create_bucket(Bucket="week03")
    (week / ".dvc" / "config.local").write_text(
        f"['remote \"localstore\"']\n    url = s3://week03/store\n    endpointurl = {s3_server}\n"
    )
    # Push the workspace, then the first data version (checked out just for the push).
    dvc(week, "push", "-q", env=S3_ENV)
    first = git(week, "log", "--format=%H", "--", "data/raw.dvc").stdout.split()[-1]
    git(week, "checkout", first, "--", "data/raw.dvc")
    dvc(week, "push", "-q", "data/raw.dvc", env=S3_ENV)
    git(week, "checkout", "HEAD", "--", "data/raw.dvc")

    checks = check(cli, project, "remote", env=S3_ENV)
    assert outcome(checks, "remote") == "passed", checks

    listed = s3.list_objects_v2(Bucket="week03")["Contents"]
    s3.delete_objects(Bucket="week03", Delete={"Objects": [{"Key": o["Key"]} for o in listed]})
    checks = check(cli, project, "remote", env=S3_ENV)
    assert outcome(checks, "remote") == "failed"
    assert "not in the remote: " in message(checks, "remote")
    assert "(s3://week03/store)" in message(checks, "remote")


@finished_project
def test_unreachable_remote_fails_without_hanging(cli: Cli, project: Path) -> None:
    pytest.importorskip("dvc_s3", reason="DVC's S3 plugin (dvc-s3) is not installed")
    week = project / FOLDER
    closed = free_port()  # nothing listens there
    (week / ".dvc" / "config.local").write_text(
        "['remote \"localstore\"']\n    url = s3://week03/store\n"
        f"    endpointurl = http://127.0.0.1:{closed}\n"
    )
    started = time.monotonic()
    checks = check(cli, project, "remote", env=S3_ENV)
    assert outcome(checks, "remote") == "failed"
    assert "expected DVC to reach remote 'localstore' (s3://week03/store)" in message(
        checks, "remote"
    )
    assert time.monotonic() - started < scaled(120)
