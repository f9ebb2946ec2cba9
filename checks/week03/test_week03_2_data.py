"""Week 3: the data set is versioned by DVC, not git; it matches, has two versions, is pushed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import (
    DATA_DIR,
    DataOut,
    DataVersion,
    commit_state,
    covers,
    data_files,
    data_outs,
    git_lines,
    stages_of,
    status_lines,
)

from mlops_roadmap.checking import expect, fail

ADD_HINT = (
    "From the week folder: `dvc add data/raw`, then `git add data/raw.dvc data/.gitignore` "
    "and commit."
)
MAX_LISTED = 8  # files named in a message before "and N more"
# Room for DVC's first look (120 s at most) and the remote comparison (180 s at most).
pytestmark = pytest.mark.timeout(360)


def listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def short(commit: str) -> str:
    return commit[:8]


@pytest.mark.points(2)
@pytest.mark.requires("git")
@pytest.mark.hint(ADD_HINT)
def test_data_tracked_by_dvc(project: dict[str, Any], run: Any, week_dir: Path) -> None:
    """data/raw is tracked by DVC and committed as a pointer file, while git ignores the CSVs"""
    files = data_files(week_dir)
    expect(
        files,
        expected=f"the data set's CSV files in {DATA_DIR}/",
        found=f"no files in {week_dir.name}/{DATA_DIR}/",
        hint="If data/raw.dvc exists, `dvc checkout` restores them from the DVC cache; else "
        "`mlops-roadmap start 3` lays the scaffold's data/raw/ again.",
    )
    outs = data_outs(stages_of(project))
    untracked = [f for f in files if not any(covers(o.path, f) for o in outs)]
    expect(
        not untracked,
        expected=f"every file in {DATA_DIR}/ tracked by DVC (an output of a .dvc file)",
        found=f"not tracked by DVC: {listed(untracked)}",
        hint=ADD_HINT,
    )
    in_git = [f for f in git_lines(run, week_dir, "ls-files", "--", DATA_DIR) if f in files]
    expect(
        not in_git,
        expected=f"git to keep only DVC's pointer files, never the data in {DATA_DIR}/",
        found=f"git tracks {listed(in_git)}",
        hint="`git rm -r --cached data/raw` (the files stay on disk), then commit: "
        "data/.gitignore, written by `dvc add`, keeps them out of git from then on.",
    )
    ignored = set(git_lines(run, week_dir, "check-ignore", "--", *files))
    not_ignored = [f for f in files if f not in ignored]
    expect(
        not not_ignored,
        expected=f"git to ignore every file in {DATA_DIR}/",
        found=f"not ignored by git: {listed(not_ignored)}",
        hint="`dvc add data/raw` writes data/.gitignore holding /raw: keep that file and "
        "commit it.",
    )
    pointers = sorted({o.record_file for o in outs})
    problem = commit_state(run, week_dir, pointers)
    expect(
        problem is None,
        expected=f"{', '.join(pointers)} committed to git as it is now",
        found=str(problem),
        hint=f"`git add {' '.join(pointers)}` and commit after every `dvc add`.",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Run `dvc status` in the week folder and follow what it says.")
def test_workspace_matches_dvc(project: dict[str, Any]) -> None:
    """`dvc status` is clean: the data and the pipeline outputs match what DVC tracks"""
    stages_of(project)
    if "status_error" in project:
        fail(
            expected="`dvc status` to run",
            found=project["status_error"],
            hint="Run `dvc status` in the week folder: it shows the same error.",
        )
    status = project.get("status") or {}
    changed_data = any(not stage.endswith("dvc.yaml") and ".dvc" in stage for stage in status)
    hint = (
        "For a changed .dvc output: `dvc add data/raw` records the new version (commit "
        "data/raw.dvc), `dvc checkout` goes back to the committed one."
        if changed_data
        else ""
    )
    hint += (" " if hint else "") + (
        "For a changed stage: `dvc repro`, then commit dvc.lock (and `dvc push`)."
    )
    expect(
        not status,
        expected="`dvc status` to report 'Data and pipelines are up to date.'",
        found="\n".join(status_lines(status)),
        hint=hint,
    )


@pytest.mark.points(2)
@pytest.mark.requires("git")
@pytest.mark.hint(
    "Commit data/raw.dvc after `dvc add` for the first delivery, merge the second delivery "
    "(README.md, step 4), `dvc add data/raw` again and commit again."
)
def test_two_data_versions(data_history: dict[DataOut, list[DataVersion]]) -> None:
    """git history holds two different versions of the data"""
    expect(
        data_history,
        expected=f"DVC to track {DATA_DIR}",
        found=f"no DVC output holds {DATA_DIR}",
        hint=ADD_HINT,
    )
    summary = []
    for out, versions in data_history.items():
        distinct = sorted({v.md5 for v in versions})
        if len(distinct) >= 2:
            return
        if not versions:
            summary.append(f"{out.path}: {out.record_file} is in no commit")
        else:
            commits = ", ".join(short(v.commit) for v in versions)
            summary.append(
                f"{out.path}: one version (md5 {distinct[0]}) in {len(versions)} "
                f"commit{'s' if len(versions) > 1 else ''} of {out.record_file} ({commits})"
            )
    fail(
        expected=f"at least two commits in which {DATA_DIR} has different content hashes "
        "(`git log -- data/raw.dvc`)",
        found="; ".join(summary),
        hint="Version 1: `dvc add data/raw` and commit data/raw.dvc. Version 2: append "
        "data/incoming/train-2.csv to data/raw/train.csv, `dvc add data/raw` again, commit "
        "data/raw.dvc again, and `dvc push`.",
    )


@pytest.mark.points(2)
@pytest.mark.hint("`dvc remote add -d NAME PATH`, commit .dvc/config, then `dvc push`.")
def test_remote_holds_everything(cloud: dict[str, Any]) -> None:
    """A default remote holds every data version and all that the workspace tracks"""
    if "error" in cloud:
        fail(
            expected="DVC to compare the project with its remote",
            found=cloud["error"]["message"],
            hint="Run `dvc status --cloud` in the week folder: it shows the same error.",
        )
    remote = cloud.get("remote") or {}
    if not remote.get("name"):
        fail(
            expected="a default DVC remote (`core.remote` in .dvc/config)",
            found="no default remote is configured",
            hint='From the week folder: `dvc remote add -d localstore "$HOME/dvc-store"` '
            "(an absolute path outside the workspace, or an s3:// URL), commit .dvc/config, "
            "then `dvc push`.",
        )
    where = f"remote '{remote['name']}' ({remote.get('url')})"
    if "current_error" in cloud:
        fail(
            expected=f"DVC to reach {where}",
            found=cloud["current_error"],
            hint="Run `dvc status --cloud`: check the remote's URL (`dvc remote list`) and, "
            "for S3, your credentials.",
        )
    current = cloud.get("current") or {}
    missing = sorted(name for name, state in current.items() if state == "missing")
    expect(
        not current,
        expected=f"`dvc status --cloud` to find everything the workspace tracks in {where}",
        found=f"not in the remote: {listed(sorted(current))}"
        + (f" (in neither your cache nor the remote: {listed(missing)})" if missing else ""),
        hint="`dvc push` sends them."
        if not missing
        else "`dvc repro` (or `dvc add`) puts "
        "missing outputs back into the cache, then `dvc push` sends everything.",
    )
    history = cloud.get("history") or {}
    if "history_error" in cloud:
        fail(
            expected=f"DVC to compare the committed data versions with {where}",
            found=cloud["history_error"],
            hint="Run `dvc status --cloud --all-commits` in the week folder.",
        )
    lacking = [
        f"{item['path']} at commit {short(item['rev'])} ({item['state']})"
        for item in history.get("lacking", [])
    ]
    expect(
        not lacking,
        expected=f"every committed version of {DATA_DIR} in {where}",
        found=f"not in the remote: {listed(sorted(set(lacking)))}",
        hint="For each commit listed: `git checkout COMMIT -- data/raw.dvc && dvc push "
        "data/raw.dvc`, then `git checkout HEAD -- data/raw.dvc` (`dvc push --all-commits` "
        "does it in one go only when every commit's remote URL is absolute). A 'missing' "
        "version is in neither your cache nor the remote.",
    )
