"""Fetching with GitPython: a reusable cache, the commit at a deadline, safe export, failures."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from mlops_roadmap.grading import fetch, history, unpack
from mlops_roadmap.grading.model import Limits, Student
from tests.timing import scaled


def git(repo: Path, *args: str, when: str = "2026-11-20T10:00:00+00:00") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "s",
        "GIT_AUTHOR_EMAIL": "s@example.edu",
        "GIT_COMMITTER_NAME": "s",
        "GIT_COMMITTER_EMAIL": "s@example.edu",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def commit(repo: Path, name: str, text: str, when: str) -> str:
    (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", name, when=when)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "student"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return path


def test_cache_is_reused_and_updated(repo: Path, tmp_path: Path) -> None:
    first = commit(repo, "a.txt", "1", "2026-11-20T10:00:00+00:00")
    student = Student("s1", "S", str(repo))
    cache = tmp_path / "cache"
    fetched = fetch.fetch(student, str(repo), cache)
    assert fetched.tip == first and fetched.path.parent == cache
    second = commit(repo, "b.txt", "2", "2026-11-21T10:00:00+00:00")
    again = fetch.fetch(student, str(repo), cache)
    assert again.path == fetched.path and again.tip == second
    assert not (fetched.path / "hooks" / "post-checkout").exists()


def test_branch_is_fetched(repo: Path, tmp_path: Path) -> None:
    commit(repo, "a.txt", "1", "2026-11-20T10:00:00+00:00")
    git(repo, "checkout", "-qb", "submit")
    on_branch = commit(repo, "b.txt", "2", "2026-11-20T11:00:00+00:00")
    git(repo, "checkout", "-q", "main")
    fetched = fetch.fetch(Student("s1", "S", str(repo), "submit"), str(repo), tmp_path / "c")
    assert fetched.tip == on_branch


def test_deadline_picks_last_commit_at_or_before_it(repo: Path, tmp_path: Path) -> None:
    on_time = commit(repo, "a.txt", "1", "2026-12-01T22:00:00+00:00")
    commit(repo, "b.txt", "2", "2026-12-02T10:00:00+00:00")
    commit(repo, "c.txt", "3", "2026-12-03T23:00:00+00:00")
    deadlines = [datetime.fromisoformat(f"2026-12-01T{t}+01:00") for t in ("22:30", "23:59")]
    fetched = fetch.fetch(Student("s1", "S", str(repo)), str(repo), tmp_path / "c", 60, deadlines)
    early = history.pick(fetched, deadlines[0])
    assert (early.commit, early.late_commits) == (None, 3)  # 21:30 UTC: before every commit
    pick = history.pick(fetched, deadlines[1])
    assert (pick.commit, pick.late_commits) == (on_time, 2)  # 22:59 UTC: the first is on time
    assert pick.late_days == pytest.approx((2 * 24 + 1 / 60) / 24)  # the last is 2 d 1 min late
    assert history.pick(fetched, None).late_commits == 0


def test_export_drops_links_that_leave_the_repository(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "grader-secret.txt"
    secret.write_text("instructor only")
    (repo / "week").mkdir()
    os.symlink(secret, repo / "week" / "absolute")
    os.symlink("../../grader-secret.txt", repo / "week" / "relative")
    os.symlink("../a.txt", repo / "week" / "fine")
    sha = commit(repo, "a.txt", "1", "2026-11-20T10:00:00+00:00")
    fetched = fetch.fetch(Student("s1", "S", str(repo)), str(repo), tmp_path / "c")
    dest = tmp_path / "tree"
    notes = unpack.export(fetched, sha, dest)
    assert sorted(p.name for p in (dest / "week").iterdir()) == ["fine"]
    assert (dest / "week" / "fine").read_text() == "1"
    assert len(notes) == 2 and all("leaves the repo" in n for n in notes)


def test_command_transports_are_refused_by_git(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(fetch.FetchFailed, match="transport 'ext' not allowed"):
        fetch.fetch(Student("s1", "S", "x"), f"ext::sh -c touch% {marker}", tmp_path / "c")
    assert not marker.exists()


def test_missing_repository_fails_that_student(tmp_path: Path) -> None:
    with pytest.raises(fetch.FetchFailed, match="does not appear to be a git repository"):
        fetch.fetch(Student("s1", "S", "x"), str(tmp_path / "none"), tmp_path / "c")


def test_hanging_server_times_out(tmp_path: Path) -> None:
    """A server that accepts and never answers: the fetch is killed at its timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
    url = f"https://127.0.0.1:{server.getsockname()[1]}/student.git"
    started = time.monotonic()
    try:
        with pytest.raises(fetch.FetchFailed, match="did not finish within 2 s"):
            fetch.fetch(Student("s1", "S", url), url, tmp_path / "c", timeout=2)
    finally:
        server.close()
    assert time.monotonic() - started < scaled(15)


def test_an_oversized_tree_is_refused_before_unpacking(repo: Path, tmp_path: Path) -> None:
    sha = commit(repo, "big.bin", "x" * 5000, "2026-11-20T10:00:00+00:00")
    fetched = fetch.fetch(Student("s1", "S", str(repo)), str(repo), tmp_path / "c")
    assert unpack.tree_size(fetched, sha) == (1, 5000)
    with pytest.raises(fetch.FetchFailed, match="holds 0 MB: over the grader's limit of 0 MB"):
        unpack.export(fetched, sha, tmp_path / "tree", Limits(tree_mb=0))
    assert not (tmp_path / "tree").exists()
