"""A secret scanner for a week folder and its git history, in plain Python.

Rules, in the spirit of gitleaks and detect-secrets:
- known credential formats (AWS keys, private key blocks, GitHub/Slack/Google/Stripe tokens,
  JSON web tokens, passwords inside URLs), in every text file;
- a string literal assigned to a name such as password, secret, token or api_key, and long
  random-looking string literals (Shannon entropy above detect-secrets' limits), in code and
  configuration files;
- values of secret-like variables in .env-style files, and (working tree only) a hard-coded
  fallback for a secret read from the environment: os.environ.get("JWT_SECRET", "..."), and in
  Python files, read as code (``mlops_checks.secret_code``): ``getenv("X") or "..."``,
  ``... if ... else "..."``, a settings class's default (``jwt_secret: str = "..."``).

A line carrying `pragma: allowlist secret` (detect-secrets) or `gitleaks:allow` is skipped, as
those tools do. Findings never repeat the secret: only its first characters and its length.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from mlops_checks import secret_code

MAX_BYTES = 2_000_000  # larger files are data, not code (and are not read)
ALLOW = ("pragma: allowlist secret", "gitleaks:allow")
CODE_SUFFIXES = {
    ".py", ".ipynb", ".sh", ".bash", ".zsh", ".env", ".cfg", ".ini", ".conf", ".toml",
    ".yaml", ".yml", ".json", ".tf", ".tfvars", ".properties", ".js", ".ts",
}  # fmt: skip
SECRET_WORDS = (
    r"password|passwd|pwd|secret|token|api_?key|apikey|private_?key|secret_?key|access_?key"
    r"|auth_?key|signing_?key|client_?secret|credentials?"
)
KNOWN = [
    ("an AWS access key ID", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    (
        "an AWS secret access key",
        re.compile(r"(?i)aws_?secret_?access_?key\W{1,4}[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"),
    ),
    ("a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])")),
    ("a Stripe live key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}")),
    (
        "a JSON web token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
    ),
    (
        "a password in a URL",
        re.compile(r"\b[a-z][a-z0-9+.-]{1,20}://[^\s/:@'\"]+:[^\s/:@'\"]{3,}@"),
    ),
]
ASSIGNED = re.compile(
    rf"(?i)\b([A-Za-z0-9_]*(?:{SECRET_WORDS}))[\"']?\s*(?::=|=|:)\s*[rbuRBU]?([\"'])([^\"'\n]+)\2"
)
ENV_LINE = re.compile(
    rf"(?i)^\s*(?:export\s+)?([A-Za-z0-9_.-]*(?:{SECRET_WORDS}))\s*[=:]\s*([^\s#]+)"
)
ENV_FALLBACK = re.compile(
    r"os\.(?:environ\.get|getenv|environ\.setdefault)\(\s*[\"']([A-Za-z0-9_]*"
    r"(?:SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIALS?)[A-Za-z0-9_]*)[\"']\s*,\s*"
    r"[rbuRBU]?([\"'])([^\"'\n]+)\2",
    re.IGNORECASE,
)
QUOTED = re.compile(r"([\"'])([A-Za-z0-9+/=_\-]{20,})\1")
HEX = re.compile(r"^[0-9a-fA-F]+$")
HEX_LIMIT, BASE64_LIMIT = 3.0, 4.5  # bits per character, detect-secrets' defaults


@dataclass(frozen=True)
class Finding:
    where: str
    what: str
    sample: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what} ({self.sample})"


def redact(value: str) -> str:
    """Enough to find the value, never the value: its first characters and its length."""
    value = value.strip()
    return f"{value[:4]}… ({len(value)} characters)" if len(value) > 6 else "(a short value)"


def entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def random_looking(value: str) -> bool:
    if HEX.match(value):
        return len(value) >= 32 and entropy(value) > HEX_LIMIT
    return (
        len(value) >= 24
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and entropy(value) > BASE64_LIMIT
    )


def is_code(path: str) -> bool:
    p = PurePosixPath(path)
    name = p.name.lower()
    return (
        p.suffix.lower() in CODE_SUFFIXES
        or name.startswith((".env", "dockerfile", "env"))
        or name in {"makefile", "procfile"}
    )


def is_env_file(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name.startswith(".env") or name.endswith((".env", ".sh", ".properties"))


def scan_line(path: str, line: str, working_tree: bool = True) -> Iterator[tuple[str, str]]:
    """(what, value) for each secret on one line of ``path``."""
    if any(mark in line for mark in ALLOW):
        return
    for what, pattern in KNOWN:
        for match in pattern.finditer(line):
            yield what, match.group(0)
    if not is_code(path):
        return
    for match in ASSIGNED.finditer(line):
        value = match.group(3)
        if not secret_code.placeholder(value) and " " not in value.strip():
            yield f"a literal assigned to {match.group(1)}", value
    if is_env_file(path):
        env_line = ENV_LINE.match(line)
        if env_line and not secret_code.placeholder(env_line.group(2)):
            yield f"a value for {env_line.group(1)}", env_line.group(2)
    if working_tree:
        for match in ENV_FALLBACK.finditer(line):
            if not secret_code.placeholder(match.group(3)):
                yield (
                    f"a hard-coded fallback for the environment variable {match.group(1)}",
                    (match.group(3)),
                )
    for match in QUOTED.finditer(line):
        if random_looking(match.group(2)):
            yield "a random-looking string literal (high entropy)", match.group(2)


def scan_text(path: str, text: str) -> list[Finding]:
    """Every finding in one file of the working tree."""
    found: list[Finding] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        for what, value in scan_line(path, line):
            found.append(Finding(f"{path}:{number}", what, redact(value)))
    if path.endswith(".py"):
        for number, what, value in secret_code.fallbacks(text):
            if not any(mark in lines[number - 1] for mark in ALLOW):
                found.append(Finding(f"{path}:{number}", what, redact(value)))
    return dedupe(found)


def scan_history(log: str) -> list[Finding]:
    """Findings in the lines added by each commit of ``git log -p --format='commit %h'``."""
    found: list[Finding] = []
    commit, path = "?", ""
    for line in log.splitlines():
        if line.startswith("commit "):
            commit = line.split()[1][:10]
        elif line.startswith("+++ "):
            path = line[4:].removeprefix("b/") if line[4:] != "/dev/null" else ""
        elif line.startswith("+") and path:
            for what, value in scan_line(path, line[1:], working_tree=False):
                found.append(Finding(f"git history, commit {commit}, {path}", what, redact(value)))
    return dedupe(found)


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        key = (f.where, f.what, f.sample)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
