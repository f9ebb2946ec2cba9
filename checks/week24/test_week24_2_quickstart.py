"""Week 24: the portfolio's quickstart runs from a clean copy with no network, and the numbers
of its results are the ones the learner's MLflow store logged."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import RESULTS, SECTIONS_HINT, Logged, QuickstartRun, section

from mlops_checks import result_claims
from mlops_checks.markdown_doc import Doc
from mlops_roadmap.checking import expect, expect_none, fail


@pytest.mark.points(3)
@pytest.mark.timeout(600)
@pytest.mark.hint(
    "Run the block yourself in a fresh clone (`git clone` your repository to /tmp, then the "
    "commands) with the network off, and fix the first error."
)
def test_quickstart_runs(
    quickstart_run: QuickstartRun, record_property: Callable[[str, object], None]
) -> None:
    """The quickstart runs in a clean copy of the folder, offline, in under two minutes"""
    q = quickstart_run
    expect_none(
        q.refused,
        expected="quickstart commands the check can run offline in a copy of the folder "
        "(python, make, bash scripts, dvc and mlflow commands that end)",
        hint="Keep installing and cloning in a 'Setup' block before the quickstart, and start "
        "servers in a separate 'Try it' block: the quickstart's own block must end by itself, "
        "offline.",
    )
    record_property("quickstart", f"{q.seconds:.0f} s, {q.offline}")
    expect(
        not q.ended,
        expected=f"`{' && '.join(q.commands)}` to exit 0 in a clean copy with no network",
        found=f"it {q.ended}: {q.tail}",
    )
    expect_none(
        [f"{name} changed" for name in q.touched],
        expected="the quickstart to change nothing outside its own folder",
        hint="Write outputs under the project folder (relative paths), never to absolute paths "
        "or your own week folder.",
        shown=6,
    )


@pytest.mark.points(3)
@pytest.mark.hint(
    "Copy each number from `mlflow ui` (or MlflowClient().get_run(id).data.metrics) and cite "
    "the run id or the registered model version beside it, rounded as you like."
)
def test_results_match_store(portfolio: Doc, logged: Logged) -> None:
    """Every metric the results cite is one your MLflow store logged"""
    where = section(portfolio, RESULTS, "Results", SECTIONS_HINT)
    names = result_claims.metric_names(logged.runs)
    claims = result_claims.claims(where, names)
    if not claims:
        fail(
            expected=f"under '{where.heading.text}', at least one metric with its number (RMSE, "
            "R², accuracy, or a name your runs logged), in a table or a list",
            found="no metric followed by a number",
        )
    if not logged.runs:
        fail(
            expected=f"runs in your MLflow store ({logged.store.uri})",
            found="the store holds no run",
            hint="Run your quickstart in the week folder to log the runs your results cite.",
        )
    problems = [p for c in claims if (p := result_claims.problem(c, logged.runs, logged.versions))]
    expect_none(
        problems,
        expected=f"each number to equal, to the digits shown, a metric your store logged "
        f"({logged.store.uri})",
        shown=5,
    )
