"""A class on the toy course graded by the real grader, fast: real student repositories with
commits at given times, fetched, picked at their deadlines and unpacked by the grader, staged as
the Kubernetes backend stages them (nothing runs on this machine), then each index's verdict
document written as its pod writes it, and collected back into grades and every output file.

Verdicts are built from the course's own manifest with the outcomes a test chooses, so a test
of deadlines, limits or the report does not wait for a sandbox; the sandboxes have their own
tests.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_roadmap import course
from mlops_roadmap.commands.grade import grade
from mlops_roadmap.grading import grader, seal
from mlops_roadmap.grading.kube import SEAL_FILE
from mlops_roadmap.grading.model import ClassGrades, Limits
from mlops_roadmap.manifest import collect_week
from mlops_roadmap.results import CheckResult, Outcome, RunReport
from mlops_roadmap.roadmap import LatePolicy
from tests.conftest import FIXTURES
from tests.timing import scaled

TOY = FIXTURES / "toy-course"
FOLDERS = {"week01": "week01-first-steps", "week02": "week02-second-steps"}
RIGHT = {"week01": {"answer.txt": "42\n", "greet.py": "print('hello, world')\n"},
         "week02": {"notes.txt": "done\n"}}  # fmt: skip
# What a test answers for one staged submission: a pod's document, or raw text for its file.
Answer = Callable[[str, str, str], "dict[str, Any] | str"]


@dataclass(frozen=True)
class Commit:
    """One commit of a student: files by path (from the repository root), committed at
    ``when``, authored at ``authored`` (the same time when None)."""

    when: str
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    authored: str | None = None


def week_files(week: str, files: Mapping[str, str] | None = None) -> dict[str, str | bytes]:
    """A week's folder: its right answers, or ``files`` instead."""
    return {f"{FOLDERS[week]}/{name}": text for name, text in (files or RIGHT[week]).items()}


def repo(path: Path, commits: list[Commit]) -> Path:
    """A student's repository, committed for real with the given times."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    for i, c in enumerate(commits):
        for name, text in c.files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                (path / name).write_bytes(text)
            else:
                (path / name).write_text(text, encoding="utf-8")
        git(path, "add", "-A")
        git(path, "commit", "-q", "--allow-empty", "-m", f"work {i}", when=c.when,
            authored=c.authored)  # fmt: skip
    return path


def git(
    repo: Path, *args: str, when: str = "2026-11-01T00:00Z", authored: str | None = None
) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": authored or when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "student",
        "GIT_AUTHOR_EMAIL": "student@example.edu",
        "GIT_COMMITTER_NAME": "student",
        "GIT_COMMITTER_EMAIL": "student@example.edu",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True,
                          check=True, timeout=scaled(60))  # fmt: skip
    return done.stdout.strip()


def roster(path: Path, repos: Mapping[str, Path], names: Mapping[str, str] | None = None) -> Path:
    rows = [f'{sid},"{(names or {}).get(sid, sid.title())}",{r}' for sid, r in repos.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,name,repo\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def verdict(week: str, outcomes: Mapping[str, Outcome] | None = None, found: str = "") -> dict:
    """The verdict the entry writes for ``week``: every course check passed, or the outcome
    ``outcomes`` gives by check id (those not passed saying ``found``)."""
    toy = course.load(TOY)
    manifest = collect_week(toy, toy.plan.week(int(week[-2:])))
    results = tuple(
        CheckResult(c.id, c.title, (outcomes or {}).get(c.id, "passed"), points=c.points,
                    found="" if (outcomes or {}).get(c.id, "passed") == "passed" else found)
        for c in manifest.checks
    )  # fmt: skip
    return RunReport(week, manifest.title, results, 1.0, 0.5).to_json()


def document(student: str, week: str, commit: str, result: Any = None, **pod: Any) -> dict:
    """A pod's verdict document, as ``podentry`` writes it (every check passed by default)."""
    return {
        "format": 1, "student": student, "week": week, "commit": commit, "returncode": 0,
        "timed_out": False, "duration": 1.0, "output": "", "isolation": "kubernetes pod: test",
        "result": verdict(week) if result is None else result, **pod,
    }  # fmt: skip


def sealed(run_dir: Path, index: int, document: dict[str, Any]) -> dict[str, Any]:
    """A pod's document with its verdict sealed as the checker seals it, with the key the
    bundle gave the index (a verdict that is already an error is left as it is)."""
    result = document.get("result")
    if not isinstance(result, dict) or "error" in result:
        return document
    key = seal.Seal.from_text((run_dir / "seals" / str(index) / SEAL_FILE).read_text())
    return {**document, "result": key.sign(json.dumps(result))}


def passed(student: str, week: str, commit: str) -> dict[str, Any] | str:
    return document(student, week, commit)


def checked(repos: Mapping[str, Path]) -> Answer:
    """What the toy checks find in each staged commit, as a pod would: week 1's answer and
    greeting, week 2's notes (its cloud check is blocked: no credentials in a pod)."""

    def answer(student: str, week: str, commit: str) -> dict[str, Any] | str:
        def holds(name: str, text: str) -> bool:
            shown = subprocess.run(["git", "show", f"{commit}:{FOLDERS[week]}/{name}"],
                                   cwd=repos[student], capture_output=True, text=True,
                                   timeout=scaled(30), check=False)  # fmt: skip
            return shown.returncode == 0 and shown.stdout.strip() == text

        first, second = "test_first.py::", "test_second.py::"
        outcomes: dict[str, Outcome] = {
            f"{first}test_answer": "passed" if holds("answer.txt", "42") else "failed",
            f"{first}test_greeting": "passed"
            if holds("greet.py", RIGHT["week01"]["greet.py"].strip())
            else "failed",
            f"{second}test_cloud": "blocked",
            f"{second}test_notes": "passed" if holds("notes.txt", "done") else "failed",
        }
        return document(student, week, commit, verdict(week, outcomes, "not yet"))

    return answer


@dataclass(frozen=True)
class Graded:
    grades: ClassGrades
    out: Path
    staged: ClassGrades  # the first run's grades (queued for the Job, or not gradable)

    def of(self, student: str, week: str) -> Any:
        found = self.grades.grade(student, week)
        assert found is not None, f"no grade for {student} {week}"
        return found


def grade_class(
    root: Path,
    roster_csv: Path,
    weeks: tuple[int, ...] = (1,),
    answer: Answer = passed,
    *,
    deadline: str | None = None,
    deadlines: Mapping[str, str] | None = None,
    limits: Limits | None = None,
    late: LatePolicy | None = None,
) -> Graded:
    """Stage the class for the Kubernetes Job, answer every index with ``answer``, collect."""
    toy = course.load(TOY)
    when = {w: datetime.fromisoformat(d) for w, d in (deadlines or {}).items()}
    request = grader.Request(
        roster_csv, tuple(toy.plan.week(n) for n in weeks), root / "out", root / "cache",
        datetime.fromisoformat(deadline) if deadline else None, limits=limits or Limits(),
        late=late or LatePolicy(), deadlines=when,
    )  # fmt: skip
    staged = grade(toy, request, "kubernetes", image="registry.example.edu/grader:1")
    assert staged.bundle is not None, "nobody's work was staged"
    index = json.loads((staged.bundle / "index.json").read_text(encoding="utf-8"))
    results = root / "out" / "kubernetes" / "results" / staged.bundle.name
    for i, who in index["submissions"].items():
        said = answer(who["student"], who["week"], who["commit"])
        if isinstance(said, str):  # text: sealed too when it reads as a document (NaN and all)
            try:
                read = json.loads(said)
            except ValueError:
                read = None
            if isinstance(read, dict):
                said = json.dumps(sealed(staged.bundle, int(i), read))
        elif isinstance(said, dict):
            said = sealed(staged.bundle, int(i), said)
        text = said if isinstance(said, str) else json.dumps({**said, "index": int(i)})
        (results / i / f"{i}.json").write_text(text, encoding="utf-8")
    collected = grade(toy, request, "kubernetes", collect=results)
    return Graded(collected.grades, request.out, staged.grades)
