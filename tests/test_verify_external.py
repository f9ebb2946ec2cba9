"""A check that needs something outside this machine (a Kubernetes cluster, a cloud account) is
marked ``external``: blocked on the reference solution for want of it, `course verify` lists it
as not proven here instead of failing the course; it is never counted as passed, and anything
else (an external check that fails, a blocked check without the marker) is still a problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_roadmap import course
from mlops_roadmap.commands.verify import verify
from mlops_roadmap.manifest import Manifest, collect_week
from tests.conftest import Cli

CLUSTER = '''
import pytest
from mlops_roadmap.checking import blocked


@pytest.mark.external("a Kubernetes cluster")
def test_cluster() -> None:
    """The service answers on your cluster"""
    blocked("no Kubernetes context", hint="make one with kind")
'''


def with_check(root: Path, body: str) -> course.Course:
    (root / "checks" / "week01" / "test_cluster.py").write_text(body, encoding="utf-8")
    return course.load(root)


def test_an_external_check_blocked_here_is_not_proven_and_no_problem(toy_course: Path) -> None:
    loaded = with_check(toy_course, CLUSTER)
    manifest = collect_week(loaded, loaded.plan.week(1))
    cluster = {c.id: c for c in manifest.checks}["test_cluster.py::test_cluster"]
    assert cluster.external == "a Kubernetes cluster"
    assert Manifest.from_json(manifest.to_json()) == manifest
    v = verify(loaded, [1])
    assert v.problems == []
    (line,) = v.not_proven_here
    assert line == (
        "week01: 'The service answers on your cluster' needs a Kubernetes cluster: not proven "
        "here (no Kubernetes context)"
    )
    (proof,) = v.proofs
    assert proof.solution.count("passed") == len(proof.solution.results) - 1  # never a pass


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (CLUSTER.replace('blocked("no Kubernetes context", hint="make one with kind")',
                         "assert False, 'wrong prices'"), "failed"),
        (CLUSTER.replace('@pytest.mark.external("a Kubernetes cluster")\n', ""), "blocked"),
    ],
    ids=["external-but-failed", "blocked-without-the-marker"],
)  # fmt: skip
def test_anything_else_is_still_a_problem(toy_course: Path, body: str, said: str) -> None:
    v = verify(with_check(toy_course, body), [1])
    assert v.not_proven_here == []
    (problem,) = v.problems
    assert problem.startswith(
        f"week01: the reference solution does not pass 'The service answers on your cluster': "
        f"{said}"
    )


def test_the_cli_says_what_is_not_proven_and_passes(toy_course: Path, cli: Cli) -> None:
    with_check(toy_course, CLUSTER)
    done = cli("--course", toy_course, "course", "verify", "--week", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "needs a Kubernetes cluster: not proven here" in done.stdout
    assert "course verified" in done.stdout
