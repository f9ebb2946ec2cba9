"""Week 3 fixtures: what DVC and git say about the week folder, each asked once per check run.

DVC's own Python API answers (`dvc.repo.Repo`: status, status(cloud=True), reproduce), always
in the learner's interpreter through `run`, in probe scripts under probes/ that print one JSON
line; git answers through the `git` command. The engine's process never imports DVC.

Layout the lesson teaches: the workspace root is the git repository (`mlops-roadmap init` made
it) and the week folder is a DVC project inside it (`dvc init --subdir`), tracking data/raw.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_roadmap.checking import blocked, fail

PROBES = Path(__file__).resolve().parent / "probes"
MARKER = "WEEK03-PROBE-JSON:"
DATA_DIR = "data/raw"  # the data set the week versions
INSPECT_TIMEOUT = 120
CLOUD_TIMEOUT = 180  # a slow or unreachable remote (S3) must not hang the check run
REPRO_TIMEOUT = 300  # the solution's pipeline takes about 4 s
GIT_TIMEOUT = 30
SITE_CACHE = ".mlops-roadmap/dvc-site-cache"  # DVC's site cache, inside the workspace
# Never copied into the reproduction copy: environments, caches, DVC's cache and temp files.
NOT_COPIED = {".venv", "venv", "__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache"}
NOT_COPIED_DVC = {".dvc/cache", ".dvc/tmp"}
INSTALL_HINT = "Make the check 'DVC is installed in the workspace virtual environment' pass first."
PROJECT_HINT = (
    "Make the check 'The week folder is a DVC project inside the git repository' pass first."
)

Run = Callable[..., Any]


# -- running things -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def dvc_env(workspace: Path, learner_python: Path) -> dict[str, str]:
    """The environment DVC runs in: no analytics, its site cache kept inside the workspace,
    and the learner's virtual environment first on PATH (as if activated), so that a stage's
    `python src/train.py` finds the learner's packages."""
    site = workspace / SITE_CACHE
    site.mkdir(parents=True, exist_ok=True)
    ignore = site / ".gitignore"
    if not ignore.exists():  # keep the workspace's `git status` clean
        ignore.write_text("# DVC's site cache for mlops-roadmap checks\n*\n", encoding="utf-8")
    bin_dir = str(learner_python.parent)
    return {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(site),
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def probe(
    run: Run,
    python: Path,
    script: str,
    args: Iterable[str | Path],
    *,
    env: dict[str, str],
    timeout: float,
    cwd: Path | None = None,
) -> tuple[dict[str, Any], Any]:
    """Run a probe script; its JSON answer, or {"error": ...} saying why there is none."""
    result = run(
        [python, PROBES / script, *map(str, args), MARKER], cwd=cwd, env=env, timeout=timeout
    )
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    if lines:
        answer: dict[str, Any] = json.loads(lines[-1][len(MARKER) :])
        return answer, result
    if result.timed_out:
        error = {"kind": "timeout", "message": f"DVC did not answer within {timeout:g} s"}
    else:
        error = {
            "kind": "probe",
            "message": f"the probe exited with status {result.returncode}: {result.tail(6)}",
        }
    return {"error": error}, result


def git(run: Run, cwd: Path, *args: str) -> Any:
    """`git ARGS` in cwd: read-only commands only, and GIT_OPTIONAL_LOCKS=0 keeps even
    `git status` from refreshing the learner's index."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    return run(["git", *args], cwd=cwd, timeout=GIT_TIMEOUT, env=env)


def git_lines(run: Run, cwd: Path, *args: str) -> list[str]:
    result = git(run, cwd, *args)
    return [ln for ln in result.stdout.splitlines() if ln.strip()]


def commit_state(run: Run, cwd: Path, paths: list[str]) -> str | None:
    """Why `paths` (relative to cwd) are not all committed as they are, or None when they are:
    each must be in the HEAD commit, with no staged or unstaged change."""
    in_head = set(git_lines(run, cwd, "ls-tree", "-r", "--name-only", "HEAD", "--", *paths))
    absent = [
        p
        for p in paths
        if p not in in_head and not any(h.startswith(p.rstrip("/") + "/") for h in in_head)
    ]
    if absent:
        return "not in the last commit: " + ", ".join(absent)
    changed = git_lines(run, cwd, "status", "--porcelain", "--", *paths)
    if changed:
        return "uncommitted changes: " + "; ".join(line.strip() for line in changed)
    return None


# -- the project as DVC sees it ------------------------------------------------------------


@pytest.fixture(scope="session")
def inspection(
    run: Run, learner_python: Path, week_dir: Path, dvc_env: dict[str, str]
) -> dict[str, Any]:
    """DVC's view of the week folder (see probes/dvc_inspect.py), asked once."""
    answer, _ = probe(
        run,
        learner_python,
        "dvc_inspect.py",
        [week_dir],
        env=dvc_env,
        timeout=INSPECT_TIMEOUT,
        cwd=week_dir,
    )
    return answer


def project_problem(info: dict[str, Any], week_dir: Path) -> tuple[str, str] | None:
    """(found, hint) when the week folder is not a usable DVC project in a git repository."""
    error = info.get("error")
    init = "From the week folder: `dvc init --subdir`, then `git add .dvc .dvcignore` and commit."
    if error and error["kind"] == "not_dvc_repo":
        return f"no DVC project: {week_dir} has no .dvc folder, nor has any folder above it", init
    if error:
        return f"DVC cannot open the week folder: {error['message']}", init
    if Path(info["root"]) != week_dir.resolve():
        return (
            f"the DVC project is {info['root']} (its .dvc folder), not the week folder",
            f"Move DVC into the week folder: remove {info['root']}/.dvc and "
            f"{info['root']}/.dvcignore if nothing is tracked there yet, then {init}",
        )
    if info.get("no_scm"):
        return (
            "DVC was initialised with --no-scm, so git cannot version its pointer files",
            "From the week folder: `dvc config core.no_scm false`, then commit .dvc/config.",
        )
    if not info.get("git_root"):
        return (
            f"no git repository holds the week folder: {info.get('git_error', '')}".rstrip(": "),
            "The workspace root is a git repository made by `mlops-roadmap init`: work in "
            "the week folder inside it, or run `git init` in the workspace root.",
        )
    return None


@pytest.fixture(scope="session")
def project(inspection: dict[str, Any], week_dir: Path) -> dict[str, Any]:
    """DVC's view of the project, or the check is blocked because there is no project yet."""
    error = inspection.get("error")
    if error and error["kind"] in ("import", "probe"):
        blocked(f"DVC does not run in the workspace environment: {error['message']}", INSTALL_HINT)
    if error and error["kind"] == "timeout":
        blocked(error["message"], "Run `dvc status` in the week folder and see what it waits for.")
    if project_problem(inspection, week_dir) is not None:
        blocked("the week folder is not yet a DVC project inside a git repository", PROJECT_HINT)
    return inspection


def stages_of(info: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stage DVC reads, or fail saying why DVC cannot read the project's files."""
    if "index_error" in info:
        fail(
            expected="DVC to read the project's dvc.yaml and .dvc files",
            found=info["index_error"],
            hint="Run `dvc status` in the week folder: it shows the same error and the line.",
        )
    stages: list[dict[str, Any]] = info.get("stages", [])
    return stages


def covers(out: str, path: str) -> bool:
    """Whether the DVC output `out` holds `path` (equal to it, or a folder above it)."""
    return path == out or path.startswith(out.rstrip("/") + "/")


def data_files(week_dir: Path) -> list[str]:
    """The data set's files under data/raw (DVC's and git's own files left out)."""
    root = week_dir / DATA_DIR
    if not root.is_dir():
        return []
    return sorted(
        p.relative_to(week_dir).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".dvc" and p.name != ".gitignore"
    )


@dataclass(frozen=True)
class DataOut:
    """A DVC output that holds (part of) the data set, and the file that defines it."""

    path: str  # relative to the week folder, e.g. data/raw
    stage_file: str  # data/raw.dvc, or dvc.yaml for a pipeline stage
    stage_name: str | None  # the pipeline stage's name (None for a .dvc file)

    @property
    def record_file(self) -> str:
        """The file git versions the output's hash in: the .dvc file, or the dvc.lock."""
        if self.stage_name is None:
            return self.stage_file
        return posixpath.join(posixpath.dirname(self.stage_file), "dvc.lock")


def data_outs(stages: list[dict[str, Any]]) -> list[DataOut]:
    """The outputs holding the data set: data/raw itself, a folder above it, or files in it."""
    found = []
    for stage in stages:
        for out in stage["outs"]:
            if covers(out["path"], DATA_DIR) or covers(DATA_DIR, out["path"]):
                name = stage["name"] if stage["pipeline"] else None
                found.append(DataOut(out["path"], stage["file"], name))
    return found


# -- git history of the data ---------------------------------------------------------------


def recorded_hash(text: str, record_file: str, out: DataOut) -> str | None:
    """The md5 a committed .dvc file or dvc.lock records for `out`, if any."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    if out.stage_name is None:
        entries = data.get("outs") or []
    else:
        stage = (data.get("stages") or {}).get(out.stage_name) or {}
        entries = stage.get("outs") or []
    base = posixpath.dirname(record_file)
    for entry in entries:
        if not isinstance(entry, dict) or "path" not in entry:
            continue
        if posixpath.normpath(posixpath.join(base, str(entry["path"]))) == out.path:
            value = entry.get("md5") or entry.get("etag") or entry.get("checksum")
            return str(value) if value else None
    return None


@dataclass(frozen=True)
class DataVersion:
    commit: str
    md5: str


@pytest.fixture(scope="session")
def data_history(
    project: dict[str, Any], run: Run, week_dir: Path
) -> dict[DataOut, list[DataVersion]]:
    """For each data output, the hash every commit that changed its record file gives it
    (newest first), from `git log` and `git show` in the week folder."""
    history: dict[DataOut, list[DataVersion]] = {}
    for out in data_outs(stages_of(project)):
        versions = []
        for commit in git_lines(run, week_dir, "log", "--format=%H", "--", out.record_file):
            shown = git(run, week_dir, "show", f"{commit}:./{out.record_file}")
            if shown.returncode != 0:  # the commit deleted the file
                continue
            md5 = recorded_hash(shown.stdout, out.record_file, out)
            if md5:
                versions.append(DataVersion(commit, md5))
        history[out] = versions
    return history


# -- the remote ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cloud(
    project: dict[str, Any],
    data_history: dict[DataOut, list[DataVersion]],
    run: Run,
    learner_python: Path,
    week_dir: Path,
    dvc_env: dict[str, str],
) -> dict[str, Any]:
    """The default remote against the workspace and every committed data version
    (see probes/dvc_cloud.py), asked once."""
    versions = [
        f"{out.path}=" + ",".join(v.commit for v in found)
        for out, found in data_history.items()
        if found
    ]
    answer, _ = probe(
        run,
        learner_python,
        "dvc_cloud.py",
        [week_dir, *versions],
        env=dvc_env,
        timeout=CLOUD_TIMEOUT,
        cwd=week_dir,
    )
    return answer


# -- reproduction in a copy ----------------------------------------------------------------


@dataclass(frozen=True)
class Reproduction:
    """`Repo.reproduce(force=True)` run once in a fresh copy of the week folder."""

    folder: Path
    answer: dict[str, Any]
    output_tail: str
    left_out: tuple[str, ...]


def pipeline_outputs(stages: list[dict[str, Any]]) -> list[str]:
    return sorted({o["path"] for s in stages if s["pipeline"] for o in s["outs"]})


def copy_week(week_dir: Path, dest: Path, left_out: set[str]) -> None:
    """Copy the week folder without environments, DVC's cache and temp files, and `left_out`
    (paths relative to it). Symbolic links are followed: a `cache.type = symlink` project's
    data then becomes plain files in the copy."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(week_dir).as_posix()
        skipped = set()
        for name in names:
            path = name if rel == "." else f"{rel}/{name}"
            if name in NOT_COPIED or path in NOT_COPIED_DVC or path in left_out:
                skipped.add(name)
        return skipped

    shutil.copytree(week_dir, dest, ignore=ignore, symlinks=False)


@pytest.fixture(scope="session")
def reproduction(
    project: dict[str, Any],
    run: Run,
    learner_python: Path,
    week_dir: Path,
    dvc_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Reproduction:
    """Reproduce the pipeline in a copy without its outputs, so that the learner's folder is
    never touched and every stage really runs (see probes/dvc_repro.py)."""
    outputs = pipeline_outputs(stages_of(project))
    base = tmp_path_factory.mktemp("dvc-repro")
    folder = base / week_dir.name
    try:
        copy_week(week_dir, folder, set(outputs))
    except (OSError, shutil.Error) as exc:
        fail(
            expected="the week folder to copy cleanly for a run from a clean start",
            found=f"copying it failed: {exc}",
            hint="Look for broken symbolic links or unreadable files in the week folder.",
        )
    env = {**dvc_env, "DVC_SITE_CACHE_DIR": str(base / "site-cache")}
    answer, result = probe(
        run, learner_python, "dvc_repro.py", [folder], env=env, timeout=REPRO_TIMEOUT, cwd=folder
    )
    tail = "\n".join(
        ln
        for ln in (result.stdout + "\n" + result.stderr).splitlines()[-14:]
        if ln.strip() and not ln.startswith(MARKER)
    )
    return Reproduction(folder, answer, tail, tuple(outputs))


# -- wording -------------------------------------------------------------------------------


def change(path: str, state: Any) -> str:
    """One changed path: "data/raw modified", "params.yaml (train.alpha modified)"."""
    if isinstance(state, dict):
        return f"{path} (" + ", ".join(f"{k} {v}" for k, v in state.items()) + ")"
    return f"{path} {state}"


def status_lines(status: dict[str, Any]) -> list[str]:
    """`dvc status` output as one line per stage, e.g.
    "data/raw.dvc: changed outs: data/raw modified"."""
    lines = []
    for stage, entries in status.items():
        parts = []
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict):
                for kind, changes in entry.items():
                    if isinstance(changes, dict):
                        text = ", ".join(change(p, s) for p, s in changes.items())
                        parts.append(f"{kind}: {text}")
                    else:
                        parts.append(f"{kind}: {changes}")
            else:
                parts.append(str(entry))
        lines.append(f"{stage}: " + "; ".join(parts))
    return lines
