"""A workflow job's ``run:`` steps replayed on this machine, as a runner would run them: in a
fresh copy of the week folder laid where the repository has it, each step in its working
directory, with bash ``-eo pipefail``. Installs and ``dvc pull`` lines are left out (the
learner's environment and data stand in for them) and ``${{ ... }}`` expressions, which only
GitHub can evaluate, become empty."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlops_checks.workflows import Job, Step, Workflow
from mlops_roadmap.fixtures import Run

STEP_TIMEOUT = 300
INSTALL = re.compile(
    r"^\s*((sudo\s+)?(apt(-get)?|brew)\s+install|(python3?\s+-m\s+)?pip3?\s+install|"
    r"uv\s+(pip\s+install|sync)|pipx\s+install|poetry\s+install|"
    r"(python3?\s+-m\s+)?dvc\s+(pull|fetch|checkout))\b"  # the copy already holds the data
)
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


@dataclass(frozen=True)
class StepRun:
    where: str
    command: str  # the script as run, one line
    returncode: int
    tail: str


def script(text: str) -> str:
    """The step's script without its installs: continuations joined, then every line, and
    every command of an ``a && b`` chain, that installs or pulls data left out."""
    out = []
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():
        kept = [part for part in line.split("&&") if not INSTALL.match(part)]
        if kept:
            out.append("&&".join(kept).strip() if len(kept) < len(line.split("&&")) else line)
    return "\n".join(out)


def environment(venv: Path | None, root: Path, *layers: dict[str, str]) -> dict[str, str]:
    """The learner's environment first on PATH, then the checker's own scripts (ruff from the
    course's learner extra), and the variables GitHub sets that a script may read."""
    bins = ([str(venv / "bin")] if venv else []) + [str(Path(sys.executable).parent)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(PATH=os.pathsep.join([*bins, env.get("PATH", "")]), CI="true")
    env.update(GITHUB_WORKSPACE=str(root), GITHUB_ACTIONS="true", PYTHONDONTWRITEBYTECODE="1")
    if venv:
        env["VIRTUAL_ENV"] = str(venv)
    for layer in layers:
        env.update({k: v for k, v in layer.items() if "${{" not in v})
    return env


def replay(
    run: Run,
    workflow: Workflow,
    job: Job,
    root: Path,
    venv: Path | None,
    keep: Callable[[Step], bool] = lambda step: True,
) -> list[StepRun]:
    """Run the job's run steps (those ``keep`` accepts) in order in ``root`` (a copy of the
    repository); stop at the first that fails. Returns what each step did."""
    done = []
    for step in job.steps:
        if not step.run or not keep(step):
            continue
        text = EXPRESSION.sub("", script(step.run))
        cwd = root / step.working_directory
        command = " ".join(text.split())
        if not cwd.is_dir():
            done.append(StepRun(step.where, command, -1, f"no folder {step.working_directory}"))
            return done
        env = environment(venv, root, workflow.env, job.env, step.env)
        args = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", text]
        result = run(args, cwd=cwd, env=env, timeout=STEP_TIMEOUT)
        done.append(StepRun(step.where, command, result.returncode, result.tail(8)))
        if result.returncode != 0:
            return done
    return done
