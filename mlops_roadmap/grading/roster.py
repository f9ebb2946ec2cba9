"""The class roster: a CSV of student id, name, repository and (optionally) branch.

Read once into ``Student`` records; a bad row is an error naming the file, the row and the column.
Only repositories a grader can fetch without running commands are fetched: https and ssh URLs,
scp-like ``user@host:path``, and local paths. A row naming another transport, such as ``ext::``
(which runs a command) or ``fd::``, is refused for that student alone (``repo_problem``) and
grading goes on; git itself refuses them too (``GIT_ALLOW_PROTOCOL``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading.model import Student

COLUMNS = ("id", "name", "repo", "branch")
REQUIRED = ("id", "name", "repo")
ALIASES = {"student": "id", "student_id": "id", "repository": "repo", "url": "repo"}
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!//)[^\s]+$")
BRANCH = re.compile(r"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}$")


def load(path: Path) -> list[Student]:
    """Every student in the roster at ``path``, validated."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RoadmapError(f"{path}: no such roster: give a CSV of id,name,repo[,branch]") from None
    except UnicodeDecodeError as exc:
        raise RoadmapError(f"{path}: not UTF-8 text ({exc.reason}): save it as UTF-8 CSV") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RoadmapError(f"{path}: empty roster: the first row names the columns id,name,repo")
    columns = _header(path, rows[0])
    students: list[Student] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        student = _student(path, line, columns, row)
        if student.id in seen:
            raise RoadmapError(
                f"{path}: row {line}, column 'id': {student.id!r} is already on row "
                f"{seen[student.id]}: each student appears once"
            )
        seen[student.id] = line
        students.append(student)
    if not students:
        raise RoadmapError(f"{path}: the roster lists no students")
    return students


def _header(path: Path, row: list[str]) -> dict[str, int]:
    names = [ALIASES.get(c.strip().lower(), c.strip().lower()) for c in row]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise RoadmapError(
            f"{path}: row 1 (the header) has no column {', '.join(map(repr, missing))}: "
            f"the first row names the columns, e.g. id,name,repo,branch (found {row})"
        )
    return {name: names.index(name) for name in COLUMNS if name in names}


def _student(path: Path, line: int, columns: dict[str, int], row: list[str]) -> Student:
    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    def bad(column: str, why: str) -> RoadmapError:
        return RoadmapError(f"{path}: row {line}, column '{column}': {why}")

    sid, name, repo, branch = cell("id"), cell("name"), cell("repo"), cell("branch")
    if not ID.match(sid):
        raise bad("id", f"{sid!r} is not a student id (letters, digits, . _ @ -; 1-64 long)")
    if not name:
        raise bad("name", "empty: give the student's name")
    if not repo or repo.startswith("-"):  # unsafe transports are refused for that student alone
        raise bad("repo", repo_problem(repo) or "not a repository")
    if branch and not BRANCH.match(branch):
        raise bad("branch", f"{branch!r} is not a branch name")
    return Student(sid, name, repo, branch or None, line)


def repo_problem(repo: str) -> str | None:
    """Why ``repo`` cannot be fetched safely (None when it can)."""
    if not repo:
        return "empty: give an https or ssh URL, or a local path"
    lowered = repo.lower()
    if "::" in repo.split("/", 1)[0] or lowered.startswith(("ext:", "fd:")):
        return (
            f"{repo!r} uses a git transport that runs commands or reads file descriptors: "
            "only https://, ssh:// (or user@host:path) and local paths are allowed"
        )
    if lowered.startswith(("https://", "ssh://")) or SCP_LIKE.match(repo):
        return None
    if "://" in repo:
        scheme = repo.split("://", 1)[0]
        return f"{repo!r}: the {scheme}:// transport is not allowed: use https://, ssh:// or a path"
    if repo.startswith("-"):
        return f"{repo!r} starts with '-' (it would be read as an option)"
    return None  # a local path; one that is missing fails that student's fetch, not the roster


def local_path(student: Student, roster: Path) -> Path | None:
    """The student's repository as a local folder, when the roster gives a path."""
    repo = student.repo
    if repo.lower().startswith(("https://", "ssh://")) or SCP_LIKE.match(repo):
        return None
    local = Path(repo).expanduser()
    return (local if local.is_absolute() else roster.parent / local).resolve()
