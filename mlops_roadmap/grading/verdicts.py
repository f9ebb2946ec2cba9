"""From what a sandbox returned to a grade, trusting nothing the submission could have written.

The checks and the student's code share the sandbox, so a verdict may be forged. The backends
open its seal (``seal``: a verdict the checker did not sign is an error); a checker that did
not exit cleanly leaves no grade, whatever it wrote. A verdict is accepted only when it agrees
with the week's manifest (collected by the grader from the course): exactly the course's check
ids (a check it leaves out is recorded as an error, one it adds is refused), each worth the
course's points, each outcome a known one, every number finite and every text a string. Titles
come from the manifest. A refused verdict is the student's ``invalid-verdict``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from mlops_roadmap.grading.model import Grade, Limits
from mlops_roadmap.grading.sandbox import Ran
from mlops_roadmap.manifest import Manifest, ManifestCheck
from mlops_roadmap.results import JSON_FORMAT, OUTCOMES, CheckResult, RunReport, as_outcome

TEXTS = ("expected", "found", "hint", "notes", "title", "message")
SHOWN = 5  # problems named in a refused verdict's message
MISSING = "the sandbox's verdict does not report this check"


class InvalidVerdict(ValueError):
    """The verdict disagrees with the week's manifest; the message says where."""


def grade_from(
    base: Grade, ran: Ran, limits: Limits, notes: list[str], manifest: Manifest
) -> Grade:
    """The grade for what the sandbox saw: graded only with a verdict the manifest accepts."""
    extra = "; ".join(notes)
    took = ran.duration if math.isfinite(ran.duration) and ran.duration >= 0 else 0.0
    grade = replace(base, isolation=ran.isolation, duration=took, message=extra)
    if ran.pending:
        return replace(grade, status="queued", message=ran.output or "waiting for its verdict")
    if ran.timed_out:
        why = f"stopped after the {limits.wall_seconds:g} s limit for one submission"
        return replace(grade, status="timed-out", message="; ".join(filter(None, [why, extra])))
    result = ran.result or {}
    if "error" in result or not result:
        why = str(
            result.get("error") or f"the checks ended without a verdict (exit {ran.returncode})"
        )
        tail = ran.output.strip().splitlines()[-3:]
        detail = f"{why}: {' | '.join(tail)}" if tail and "error" not in result else why
        return replace(grade, status="crashed", message="; ".join(filter(None, [detail, extra])))
    if ran.returncode != 0:  # killed or failed after writing: its verdict may not be its own
        why = f"the checker did not exit cleanly (exit {ran.returncode}), so its verdict is void"
        return replace(grade, status="crashed", message="; ".join(filter(None, [why, extra])))
    try:
        report = validated(result, manifest)
    except InvalidVerdict as exc:
        why = f"the verdict was refused: {exc}"
        return replace(
            grade, status="invalid-verdict", message="; ".join(filter(None, [why, extra]))
        )
    return replace(grade, status="graded", report=report)


def validated(result: Mapping[str, object], manifest: Manifest) -> RunReport:
    """The run report in ``result`` (``RunReport.to_json``'s shape), held against ``manifest``;
    raise ``InvalidVerdict`` naming every disagreement (the first few)."""
    problems: list[str] = []
    if result.get("format") != JSON_FORMAT:
        raise InvalidVerdict(f"unknown report format {_shown(result.get('format'))}")
    if result.get("week") != manifest.week:
        problems.append(f"it is for week {_shown(result.get('week'))}, not {manifest.week}")
    checks = result.get("checks")
    if not isinstance(checks, list):
        raise InvalidVerdict("it has no list of checks")
    took = _number(result.get("duration"), "duration", problems)
    learner = _number(result.get("learner_seconds"), "learner_seconds", problems)
    expected = {c.id: c for c in manifest.checks}
    found: dict[str, CheckResult] = {}
    for i, data in enumerate(checks):
        check = _check(i, data, expected, problems)
        if check is not None and check.id in found:
            problems.append(f"check {check.id!r} is reported twice")
        elif check is not None:
            found[check.id] = check
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise InvalidVerdict("; ".join(problems[:SHOWN]) + more)
    results = tuple(found.get(c.id) or _missing(c) for c in manifest.checks)
    return RunReport(manifest.week, manifest.title, results, took, learner)


def _check(
    i: int, data: object, expected: Mapping[str, ManifestCheck], problems: list[str]
) -> CheckResult | None:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        problems.append(f"checks[{i}] is not a check with a text id")
        return None
    where = f"check {data['id']!r}"
    known = expected.get(data["id"])
    if known is None:
        problems.append(f"{where} is not one of the course's checks for this week")
        return None
    before = len(problems)
    if data.get("outcome") not in OUTCOMES:
        problems.append(
            f"{where}: outcome {_shown(data.get('outcome'))} is not one of {', '.join(OUTCOMES)}"
        )
    points = _number(data.get("points"), f"{where}: points", problems)
    if len(problems) == before and points != known.points:
        problems.append(
            f"{where}: points {points:g}, but the course's check is worth {known.points:g}"
        )
    duration = _number(data.get("duration", 0.0), f"{where}: duration", problems)
    texts = {key: data.get(key, "") for key in TEXTS}
    problems += [f"{where}: {k} is not text" for k, v in texts.items() if not isinstance(v, str)]
    if len(problems) > before:
        return None
    return CheckResult(
        known.id,
        known.title,
        as_outcome(data["outcome"]),
        str(texts["expected"]),
        str(texts["found"]),
        str(texts["hint"]),
        known.points,
        duration,
        str(texts["notes"]),
    )


def _number(value: object, where: str, problems: list[str]) -> float:
    """``value`` as a finite number; 0.0 when it is not one (and a problem is recorded)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{where}: expected a number, got {_shown(value)}")
        return 0.0
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        problems.append(f"{where}: {number} is not a finite number")
        return 0.0
    return number


def _missing(check: ManifestCheck) -> CheckResult:
    hint = "grade the submission again; if it stays missing, look at what the submission ran"
    return CheckResult(
        check.id, check.title, "error", found=MISSING, hint=hint, points=check.points
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
