"""GitHub Actions workflows read as data: the files GitHub runs (``.github/workflows/`` at the
repository root, which is the learner's workspace), their triggers, jobs and steps, and which of
them concern one week folder (a ``paths:`` filter or a working directory inside it).

GitHub never runs a workflow kept anywhere else, and its ``paths:`` filters are relative to the
repository root: a week's workflow names ``weekNN-slug/**``, not ``**``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT_FOLDER = Path(".github", "workflows")
PUSH_EVENTS = ("push", "pull_request", "pull_request_target")


@dataclass(frozen=True)
class Step:
    where: str  # "jobs.test.steps[2]"
    name: str
    uses: str | None
    run: str | None
    with_: dict[str, str]
    env: dict[str, str]
    working_directory: str  # relative to the repository root ("" for the root)
    continue_on_error: bool = False


@dataclass(frozen=True)
class Job:
    id: str
    needs: tuple[str, ...]
    permissions: Any  # None when the job declares none
    steps: tuple[Step, ...]
    env: dict[str, str]
    uses: str | None  # a reusable workflow
    raw: dict[str, Any]

    def scripts(self) -> str:
        return "\n".join(s.run for s in self.steps if s.run)


@dataclass(frozen=True)
class Workflow:
    path: Path
    name: str  # as the repository names it: .github/workflows/ci.yml
    on: dict[str, Any]
    permissions: Any  # None when the workflow declares none at the top
    env: dict[str, str]
    jobs: dict[str, Job] = field(default_factory=dict)
    error: str = ""  # why it could not be read

    def paths(self, event: str) -> list[str]:
        """The ``paths:`` patterns of one trigger (empty: every path)."""
        spec = self.on.get(event)
        return [str(p) for p in spec.get("paths", [])] if isinstance(spec, dict) else []


def texts(value: Any) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in (value or {}).items()}


def triggers(value: Any) -> dict[str, Any]:
    """``on:`` as a dict of event to its settings, whatever form it was written in."""
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        return {str(v): None for v in value}
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def working_dir(*candidates: Any) -> str:
    for value in candidates:
        if isinstance(value, dict):
            value = (value.get("run") or {}).get("working-directory")
        if isinstance(value, str) and value.strip():
            return value.strip().removeprefix("./").rstrip("/")
    return ""


def read_job(job_id: str, raw: dict[str, Any], defaults: Any) -> Job:
    needs = raw.get("needs") or []
    needs = [needs] if isinstance(needs, str) else needs
    steps = []
    for i, step in enumerate(raw.get("steps") or []):
        if not isinstance(step, dict):
            continue
        wd = working_dir(step.get("working-directory"), raw.get("defaults"), defaults)
        run = step.get("run")
        steps.append(
            Step(
                f"jobs.{job_id}.steps[{i}]",
                str(step.get("name") or step.get("uses") or (str(run).split("\n")[0])),
                str(step["uses"]) if step.get("uses") else None,
                None if run is None else str(run),
                texts(step.get("with")),
                texts(step.get("env")),
                wd,
                step.get("continue-on-error") is True,
            )
        )
    return Job(
        job_id,
        tuple(str(n) for n in needs),
        raw.get("permissions"),
        tuple(steps),
        texts(raw.get("env")),
        str(raw["uses"]) if raw.get("uses") else None,
        raw,
    )


def load(path: Path, root: Path) -> Workflow:
    name = path.relative_to(root).as_posix()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return Workflow(path, name, {}, None, {}, error=" ".join(str(exc).split()))
    if not isinstance(data, dict):
        return Workflow(path, name, {}, None, {}, error="not a YAML mapping")
    # YAML 1.1 reads the key `on` as the boolean true.
    on = triggers(data.get("on", data.get(True)))
    jobs = data.get("jobs")
    jobs = jobs if isinstance(jobs, dict) else {}
    read = {
        str(k): read_job(str(k), v, data.get("defaults"))
        for k, v in jobs.items()
        if isinstance(v, dict)
    }
    return Workflow(path, name, on, data.get("permissions"), texts(data.get("env")), read)


def at_root(root: Path) -> list[Workflow]:
    """Every workflow GitHub would run in the repository at ``root``."""
    folder = root / ROOT_FOLDER
    files = sorted(p for p in folder.glob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return [load(p, root) for p in files]


def glob_regex(pattern: str) -> re.Pattern[str]:
    """GitHub's filter patterns: ``*`` within a path segment, ``**`` across them."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + "$")


def filter_matches(patterns: list[str], path: str) -> bool:
    """Whether a change to ``path`` (root-relative) passes a ``paths:`` filter (``!`` negates,
    the last matching pattern wins)."""
    if not patterns:
        return True
    hit = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if glob_regex(pattern.removeprefix("!")).match(path):
            hit = not negated
    return hit


def concerns(workflow: Workflow, folder: str) -> bool:
    """Whether the workflow is about the week folder ``folder``: a ``paths:`` filter or a
    working directory inside it."""
    inside = re.compile(rf"^{re.escape(folder)}(/|$)")
    filters = [p.removeprefix("!") for e in PUSH_EVENTS for p in workflow.paths(e)]
    dirs = [s.working_directory for j in workflow.jobs.values() for s in j.steps]
    return any(inside.match(p) for p in filters + dirs)


def for_week(root: Path, folder: str) -> list[Workflow]:
    return [w for w in at_root(root) if not w.error and concerns(w, folder)]


def misplaced(week_dir: Path) -> list[str]:
    """What in the week folder looks like a workflow meant for GitHub, or a repository of its
    own (which GitHub and graders see as an empty folder)."""
    found = []
    if (week_dir / ".git").exists():
        found.append(f"{week_dir.name}/.git: the week folder is a git repository of its own")
    nested = week_dir / ROOT_FOLDER
    for path in sorted(nested.glob("*.y*ml")) if nested.is_dir() else []:
        found.append(f"{week_dir.name}/{path.relative_to(week_dir).as_posix()}")
    return found
