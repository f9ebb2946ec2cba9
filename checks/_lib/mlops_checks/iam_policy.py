"""An instance role's policy judged offline: least privilege for reading a model from S3.

No IAM policy simulator runs here (moto has none, parliament needs an environment of its own),
so this reads the policy as IAM would: statements, actions and resources with `*` and `?`
wildcards, matched against the ARNs the instance must and must not reach. Action names are
checked against `iam_actions` (vendored). Deny statements only take away, so they are skipped.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from mlops_checks import iam_actions


@dataclass(frozen=True)
class Statement:
    label: str  # "statement 1 (ReadModels)"
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    negated: tuple[str, ...]  # "NotAction" / "NotResource" when the statement uses them
    principals: tuple[str, ...] = ()  # a trust policy's: "Service:ec2.amazonaws.com", "*"


def parse(document: Any) -> list[Statement]:
    """The statements of a policy document (a dict, or JSON text)."""
    doc = json.loads(document) if isinstance(document, str) else document
    raw = doc.get("Statement", []) if isinstance(doc, dict) else []
    entries = raw if isinstance(raw, list) else [raw]
    found = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            continue
        sid = f" ({entry['Sid']})" if entry.get("Sid") else ""
        found.append(
            Statement(
                f"statement {n}{sid}",
                str(entry.get("Effect", "")),
                _strings(entry.get("Action")),
                _strings(entry.get("Resource")),
                tuple(k for k in ("NotAction", "NotResource", "NotPrincipal") if k in entry),
                _principals(entry.get("Principal")),
            )
        )
    return found


def _principals(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        return ("*",) if value == "*" else (str(value),)
    return tuple(f"{kind}:{who}" for kind, whom in value.items() for who in _strings(whom))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcards: `*` any run of characters (`/` included), `?` one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def allows(statements: list[Statement], action: str, arn: str) -> bool:
    """Whether an Allow statement grants ``action`` on ``arn``."""
    return any(
        s.effect == "Allow"
        and any(matches(a, action, ignore_case=True) for a in s.actions)
        and any(matches(r, arn) for r in s.resources)
        for s in statements
    )


def action_problems(s: Statement) -> list[str]:
    problems = []
    for action in s.actions:
        if "*" in action or "?" in action:
            problems.append(f'{s.label}: Action "{action}" is a wildcard (name each action)')
        elif iam_actions.spelled(action) is None:
            guess = difflib.get_close_matches(action.lower(), iam_actions.KNOWN, n=1)
            hint = f" (did you mean {iam_actions.KNOWN[guess[0]]}?)" if guess else ""
            service = action.partition(":")[0].lower()
            known = ", ".join(iam_actions.SERVICES)
            what = (
                "is not an IAM action"
                if service in iam_actions.SERVICES
                else f"is not an action this check knows (it knows {known})"
            )
            problems.append(f'{s.label}: "{action}" {what}{hint}')
        elif action.lower().startswith("s3:") and not iam_actions.read_only_s3(action):
            problems.append(f'{s.label}: "{action}" changes S3 (the instance only reads)')
    return problems


def resource_problems(s: Statement, bucket: str) -> list[str]:
    """An S3 statement's resources: not "*", not other buckets, not beyond the prefixes."""
    if not any(a.lower().startswith("s3:") or a == "*" for a in s.actions):
        return []
    other = f"{bucket}-not-yours"
    problems = []
    for resource in s.resources:
        if resource == "*":
            on = ", ".join(s.actions)
            problems.append(f'{s.label}: Resource "*" on {on} (every bucket in every account)')
        elif matches(resource, f"arn:aws:s3:::{other}") or matches(
            resource, f"arn:aws:s3:::{other}/models/ames-price/1/linear.joblib"
        ):
            problems.append(f'{s.label}: Resource "{resource}" reaches other buckets too')
        elif matches(resource, f"arn:aws:s3:::{bucket}/data/private.csv"):
            problems.append(
                f'{s.label}: Resource "{resource}" reaches the whole bucket, beyond models/ '
                "and releases/"
            )
    return problems


def problems(document: Any, bucket: str) -> list[str]:
    """What makes the policy more than a reader of ``bucket``'s models/ and releases/."""
    found = []
    for s in parse(document):
        if s.effect != "Allow":
            continue
        found += [f"{s.label}: {k} allows all but what it names" for k in s.negated]
        found += action_problems(s) + resource_problems(s, bucket)
    return found


def trusts(document: Any, service: str) -> tuple[bool, list[str]]:
    """Whether a role's trust policy lets ``service`` (``ec2.amazonaws.com``) assume it, and
    whom else its Allow statements let."""
    allowed, others = False, []
    for s in parse(document):
        if s.effect != "Allow":
            continue
        for principal in s.principals:
            if principal == f"Service:{service}":
                allowed = True
            else:
                others.append(principal)
    return allowed, others
