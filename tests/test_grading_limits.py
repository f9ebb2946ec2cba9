"""The grader's own work is bounded, on real repositories: a tree of too many files or bytes is
refused from git's listing before anything is unpacked, unpacking stops at its time limit, and a
fetch takes only the history the deadline needs (a big file deleted from history never reaches
the cache), without changing which commit a deadline grades."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from mlops_roadmap.grading import fetch, history, unpack
from mlops_roadmap.grading.model import Limits, Student
from tests import toyclass
from tests.timing import scaled
from tests.toyclass import Commit, week_files

DEADLINE = "2026-11-08T23:59:00+00:00"
BLOB_MB = 12


def noise(mb: int) -> bytes:
    """Bytes that do not compress: git keeps all of them."""
    return os.urandom(mb << 20)


def many(count: int) -> dict[str, str | bytes]:
    return {f"data/part{i // 500}/f{i}.txt": f"{i}\n" for i in range(count)}


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("limits-class")
    right = week_files("week01")
    history = {
        "ada": [Commit("2026-11-05T10:00Z", right)],
        "many": [Commit("2026-11-05T10:00Z", {**right, **many(3000)})],
        "big": [Commit("2026-11-05T10:00Z", {**right, "model.bin": noise(2)})],
        # a big file committed and deleted before the deadline: the graded tree is small
        "gone": [Commit("2026-11-01T10:00Z", {"dump.bin": noise(BLOB_MB)}),
                 Commit("2026-11-02T10:00Z", right)],
        # the graded commit itself holds the big file, deleted only after the deadline
        "huge": [Commit("2026-11-01T10:00Z", {**right, "dump.bin": noise(BLOB_MB)}),
                 Commit("2026-11-10T10:00Z", {"notes.md": "cleaned up\n"})],
    }  # fmt: skip
    made = {sid: toyclass.repo(root / sid, commits) for sid, commits in history.items()}
    toyclass.git(made["gone"], "rm", "-q", "dump.bin")
    toyclass.git(made["gone"], "commit", "-qm", "tidy", when="2026-11-03T10:00Z")
    toyclass.git(made["huge"], "rm", "-q", "dump.bin")
    toyclass.git(made["huge"], "commit", "-qm", "tidy", when="2026-11-10T11:00Z")
    return made


def test_a_class_past_the_limits_is_graded_whole(repos: dict[str, Path], tmp_path: Path) -> None:
    limits = Limits(tree_files=2000, tree_mb=1, repo_mb=BLOB_MB // 2)
    roster = toyclass.roster(tmp_path / "roster.csv", repos)
    run = toyclass.grade_class(tmp_path, roster, (1,), deadline=DEADLINE, limits=limits)
    said = {g.student.id: (g.status, g.points) for g in run.grades.grades}
    assert said == {
        "ada": ("graded", 3), "many": ("fetch-failed", 0), "big": ("fetch-failed", 0),
        "gone": ("graded", 3), "huge": ("fetch-failed", 0),
    }  # fmt: skip
    sha = toyclass.git(repos["many"], "rev-parse", "HEAD")[:12]
    assert run.of("many", "week01").message == (
        f"the tree at {sha} holds 3,002 files: over the grader's limit of 2,000 (tree_files)"
    )
    assert run.of("big", "week01").message.endswith(
        "holds 2 MB: over the grader's limit of 1 MB (tree_mb)"
    )
    assert run.of("huge", "week01").message.startswith(
        f"the repository holds {BLOB_MB} MB as fetched (the tip and the history the deadline "
        f"needs): over the grader's limit of {BLOB_MB // 2} MB"
    )
    caches = {p.name.split("-")[0]: p for p in (tmp_path / "cache").iterdir()}
    assert "huge" not in caches  # refused, and not kept
    assert du(repos["gone"] / ".git") > BLOB_MB << 20 and du(caches["gone"]) < 1 << 20
    assert all(run.of(s, "week01").overhead > 0 for s in ("ada", "gone", "many"))
    report = (run.out / "report.html").read_text()
    assert "holds 3,002 files: over the grader&#x27;s limit of 2,000" in report


def test_unpacking_stops_at_its_time_limit(repos: dict[str, Path], tmp_path: Path) -> None:
    student = Student("many", "Many", str(repos["many"]))
    fetched = fetch.fetch(student, str(repos["many"]), tmp_path / "cache")
    assert unpack.tree_size(fetched, fetched.tip)[0] == 3002
    with pytest.raises(fetch.FetchFailed, match=r"unpacking the tree at \w{12} took over 0.001 s"):
        unpack.export(fetched, fetched.tip, tmp_path / "tree", Limits(unpack_seconds=0.001))
    notes = unpack.export(fetched, fetched.tip, tmp_path / "whole", Limits())
    assert notes == [] and len(list((tmp_path / "whole" / "data").rglob("*.txt"))) == 3000


def rev_list(repo: Path, when: datetime) -> str | None:
    """What `git rev-list --first-parent --before` picks in the whole history."""
    stamp = f"--before=@{int(when.timestamp())}"
    found = toyclass.git(repo, "rev-list", "-1", "--first-parent", stamp, "HEAD")
    return found or None


@pytest.fixture(scope="module")
def tangled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history with a merge of older work, a back-dated commit and a late tail."""
    repo = toyclass.repo(tmp_path_factory.mktemp("tangled") / "repo", [
        Commit("2026-11-01T10:00Z", {"a.txt": "1"}),
        Commit("2026-11-03T10:00Z", {"a.txt": "2"}),
    ])  # fmt: skip
    toyclass.git(repo, "checkout", "-qb", "side", "HEAD~1")
    (repo / "b.txt").write_text("side")
    toyclass.git(repo, "add", "-A")
    toyclass.git(repo, "commit", "-qm", "side", when="2026-11-02T10:00Z")
    toyclass.git(repo, "checkout", "-q", "main")
    toyclass.git(repo, "merge", "-q", "--no-ff", "-m", "merge", "side", when="2026-11-06T10:00Z")
    for when, text in (("2026-11-04T10:00Z", "back"), ("2026-11-09T10:00Z", "3"),
                       ("2026-11-12T10:00Z", "4")):  # fmt: skip
        (repo / "a.txt").write_text(text)
        toyclass.git(repo, "commit", "-qam", text, when=when)
    return repo


@pytest.mark.parametrize(
    "deadline",
    ["2026-10-30T00:00Z", "2026-11-01T10:00Z", "2026-11-02T12:00Z", "2026-11-05T00:00Z",
     "2026-11-07T00:00Z", "2026-11-10T00:00Z", "2026-11-20T00:00Z"],
)  # fmt: skip
def test_a_shallow_fetch_grades_what_the_whole_history_would(
    tangled: Path, tmp_path: Path, deadline: str
) -> None:
    when = datetime.fromisoformat(deadline)
    student = Student("s1", "S", str(tangled))
    fetched = fetch.fetch(student, str(tangled), tmp_path / "c", scaled(60), [when])
    whole = int(toyclass.git(tangled, "rev-list", "--count", "--first-parent", "HEAD"))
    assert len(fetched.line) <= whole and fetched.tip == toyclass.git(tangled, "rev-parse", "HEAD")
    pick = history.pick(fetched, when)
    assert pick.commit == rev_list(tangled, when)
    assert pick.late_commits == (
        whole if pick.commit is None else
        int(toyclass.git(tangled, "rev-list", "--count", "--first-parent", f"{pick.commit}..HEAD"))
    )  # fmt: skip
    if when >= datetime.fromisoformat("2026-11-10T00:00Z"):
        assert len(fetched.line) < whole and not fetched.complete  # only what it needed


def test_a_cache_with_the_whole_history_still_picks_right(tangled: Path, tmp_path: Path) -> None:
    """A cache an earlier release filled with every commit is fetched shallowly from now on."""
    student = Student("s1", "S", str(tangled))
    cache = fetch.cache_path(tmp_path / "c", student)
    subprocess.run(["git", "init", "-q", "--bare", str(cache)], check=True, timeout=scaled(30))
    subprocess.run(["git", "-C", str(cache), "fetch", "-q", str(tangled), f"+HEAD:{fetch.TIP}"],
                   check=True, timeout=scaled(30))  # fmt: skip
    for deadline in ("2026-11-20T00:00Z", "2026-11-02T12:00Z", "2026-10-30T00:00Z"):
        when = datetime.fromisoformat(deadline)
        fetched = fetch.fetch(student, str(tangled), tmp_path / "c", scaled(60), [when])
        assert history.pick(fetched, when).commit == rev_list(tangled, when)
