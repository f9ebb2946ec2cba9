"""A README's quickstart: the commands of its code block, which of them a check runs, and how
it runs them (offline, in a copy of the folder, with a home and a temp folder of its own).

What is run: Python, make, bash and sh scripts, DVC and MLflow commands that end, and the
shell's own commands. What is refused, with the reason: installing packages, cloning, pulling
or pushing (the network), containers and clusters, cloud CLIs, and servers that never end.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from mlops_checks.markdown_doc import Block

SHELLS = {"", "sh", "bash", "shell", "console", "shell-session", "zsh", "text"}
NETWORK = {
    "pip", "pip3", "uv", "pipx", "conda", "mamba", "micromamba", "poetry", "pdm", "npm", "npx",
    "yarn", "apt", "apt-get", "brew", "curl", "wget", "ssh", "scp", "sudo",
}  # fmt: skip
CONTAINERS = {"docker", "docker-compose", "podman", "kubectl", "helm", "kind", "minikube", "k3d"}
CLOUDS = {"aws", "gcloud", "gsutil", "az", "terraform", "tofu", "sam", "eksctl", "gh"}
SERVERS = {"uvicorn", "gunicorn", "streamlit", "jupyter", "flask"}
RUNS = {
    "python", "python3", "make", "bash", "sh", "dvc", "mlflow", "pytest", "git", "source", ".",
    "cd", "export", "mkdir", "cp", "mv", "ls", "cat", "echo", "head", "tail", "test", "true",
    "set", "unset", "env", "printf", "touch", "rm", "wc", "sort", "[",
}  # fmt: skip
SUBCOMMANDS = {  # program -> subcommands refused, and why
    "git": ({"clone", "pull", "fetch", "push", "submodule", "lfs"}, "needs the network"),
    "dvc": ({"pull", "push", "fetch", "import", "get", "import-url", "update"}, "needs a remote"),
    "mlflow": ({"server", "ui", "models", "deployments", "gateway"}, "starts a server"),
}  # fmt: skip
PROMPT = re.compile(r"^\s*(?:\$|>|%)\s+")
SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", ";;"}


@dataclass(frozen=True)
class Command:
    text: str
    line: int


def commands(block: Block) -> list[Command]:
    """The block's commands, one per logical line (prompts, comments and continuations folded)."""
    out: list[Command] = []
    pending, start = "", block.line
    lines = block.text.splitlines()
    prompts = any(PROMPT.match(line) for line in lines)
    for offset, raw in enumerate(lines):
        if prompts and not pending and not PROMPT.match(raw):
            continue  # a console block: lines without a prompt are output
        line = PROMPT.sub("", raw) if not pending else raw
        if not pending:
            start = block.line + offset
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        if text and not text.startswith("#"):
            out.append(Command(text, start))
    return out


def refusal(command: Command, folder: Path) -> str | None:
    """Why the check will not run ``command`` in ``folder`` (None when it will)."""
    try:
        lexer = shlex.shlex(command.text, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError as exc:
        return f"`{command.text}` is not a complete shell command ({exc})"
    segment: list[str] = []
    for token in [*tokens, ";"]:
        if token not in SEPARATORS:
            segment.append(token)
            continue
        why = _segment_refusal(segment, folder)
        if why:
            return f"`{command.text}` (line {command.line}) {why}"
        segment = []
    return None


def _segment_refusal(words: list[str], folder: Path) -> str | None:
    words = [w for w in words if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)] or []
    if not words:
        return None
    program, rest = Path(words[0]).name, words[1:]
    if program.startswith("python") and rest[:2] in (["-m", "pip"], ["-m", "ensurepip"]):
        return "installs packages, which needs the network"
    if program in NETWORK:
        return f"runs {program}, which needs the network (or changes the machine)"
    if program in CONTAINERS:
        return f"runs {program}, which needs a container engine or a cluster"
    if program in CLOUDS:
        return f"runs {program}, which needs a cloud account"
    if program in SERVERS:
        return f"starts {program}, a server that never ends"
    if program in SUBCOMMANDS and rest and rest[0] in SUBCOMMANDS[program][0]:
        return f"runs `{program} {rest[0]}`, which {SUBCOMMANDS[program][1]}"
    if program in RUNS:
        return None
    if "/" in words[0] and (folder / words[0]).resolve().is_relative_to(folder.resolve()):
        return None  # a script of the project's own (./run.sh, bin/demo)
    return (
        f"runs {program}, which the check does not run (it runs python, make, bash scripts, "
        "dvc and mlflow commands that end, and the shell's own commands)"
    )


def shell_block(blocks: list[Block]) -> Block | None:
    """The first block written in a shell (or with no language)."""
    return next((b for b in blocks if b.lang in SHELLS and b.text.strip()), None)


def environment(
    base: dict[str, str], home: Path, venv: Path | None, offline_proxies: bool
) -> dict[str, str]:
    """What the quickstart runs with: the learner's environment without any tracking server,
    cloud credentials or proxy of theirs, a home and temp folder of its own, their venv first on
    PATH, and (without a network namespace) proxies that lead nowhere."""
    drop = ("MLFLOW_", "AWS_", "GOOGLE_", "AZURE_", "DATABRICKS_")
    env = {k: v for k, v in base.items() if not k.startswith(drop) and "proxy" not in k.lower()}
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        TMPDIR=str(tmp),
        PIP_NO_INDEX="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    if offline_proxies:
        nowhere = "http://127.0.0.1:9"
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[name] = nowhere
        env["no_proxy"] = env["NO_PROXY"] = ""
    return env


OFFLINE = 'ip link set lo up 2>/dev/null || true; exec bash -e -o pipefail "$0"'


def argv(script: Path, namespace: bool) -> list[str]:
    """The command running ``script``: in a new network namespace (loopback only) when it can."""
    shell = ["bash", "-e", "-o", "pipefail", str(script)]
    return ["unshare", "-rn", "bash", "-c", OFFLINE, str(script)] if namespace else shell


def script(found: list[Command]) -> str:
    return "\n".join(c.text for c in found) + "\n"


def snapshot(root: Path, skip: set[str]) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (the folders named in ``skip`` aside): its size and mtime, to
    tell what a command changed outside its copy."""
    seen: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            path = Path(folder, name)
            try:
                stat = path.lstat()
            except OSError:
                continue
            seen[path.relative_to(root).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return seen


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    names = sorted(set(before) | set(after))
    return [n for n in names if before.get(n) != after.get(n)]
