"""Week 9 fixtures: the learner's API trained and started once for all the week's checks, the
real houses of the course's Ames data with what the learner's model predicts for them, and a
second start of the app without a model.

The shared ``mlops_checks.api_fixtures`` train the model in a clean copy of the week folder and
start `python -m uvicorn app.main:app` there with ENABLE_DEBUG_ROUTES=1; the engine's `serve`
fixture stops it (and anything it started) when the checks end.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT, TARGET, api
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.fixtures import CleanCopy, Run, Serve

pytest_plugins = ["mlops_checks.api_fixtures"]

# The Ames data the scaffold lays (train, test) and the sales it never lays (their features
# only: the prices stay with the checks).
LAID = ("ames/train.csv", "ames/test.csv")
# The ends of the scales the lesson sets that the data itself never reaches: accepted too.
SCALE_ENDS = {"overall_qual": (1, 10), "overall_cond": (1, 10)}
House = dict[str, Any]


@dataclass(frozen=True)
class RealHouses:
    """Every sale of the course's Ames data as a request's house (no price), then a few real
    houses moved to the ends of the lesson's scales; and what each edge house stands for."""

    houses: list[House]
    real: int  # how many of ``houses`` are the data's own rows
    edges: list[tuple[str, House]]  # (what it stands for, the house)
    ranges: dict[str, tuple[Any, Any]]  # each numeric feature's smallest and largest value


def typed(row: dict[str, str]) -> House:
    """A CSV row as JSON would send it: whole numbers as int, the rest as text; no price."""
    out: House = {}
    for key, value in row.items():
        if key == TARGET:
            continue
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


def edges_of(houses: list[House]) -> tuple[list[tuple[str, House]], dict[str, tuple[Any, Any]]]:
    """The houses holding each numeric feature's smallest and largest value, and the first
    house of each category."""
    edges: list[tuple[str, House]] = []
    ranges: dict[str, tuple[Any, Any]] = {}
    for key, value in houses[0].items():
        if isinstance(value, str):
            for category in sorted({h[key] for h in houses}):
                first = next(h for h in houses if h[key] == category)
                edges.append((f'{key} "{category}"', first))
            continue
        low = min(houses, key=lambda h: h[key])
        high = max(houses, key=lambda h: h[key])
        ranges[key] = (low[key], high[key])
        edges.append((f"{key} {low[key]} (the smallest in the data)", low))
        edges.append((f"{key} {high[key]} (the largest in the data)", high))
    return edges, ranges


@pytest.fixture(scope="session")
def real_houses(course_data: Path, held_out: HeldOut) -> RealHouses:
    """The 2,923 sales of data/ames (train, test and the held-out sales' features), each as a
    house of a request, then real houses at the ends of the quality and condition scales."""
    rows: list[dict[str, str]] = []
    for name in LAID:
        with (course_data / name).open(encoding="utf-8", newline="") as handle:
            rows += list(csv.DictReader(handle))
    rows += held_out.rows(HOLDOUT)
    houses = [typed(row) for row in rows]
    edges, ranges = edges_of(houses)
    extra = []
    for key, ends in SCALE_ENDS.items():
        for end in ends:
            if end not in {h[key] for h in houses}:
                house = {**houses[0], key: end}
                extra.append(house)
                edges.append((f"{key} {end} (an end of the lesson's 1-10 scale)", house))
    return RealHouses(houses + extra, len(houses), edges, ranges)


@pytest.fixture(scope="session")
def predicted(
    app_run: api.AppRun,
    run: Run,
    learner_python: Path,
    houses: list[House],
    real_houses: RealHouses,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """What the learner's saved model itself predicts for the sample houses, then for every
    real house: one probe in the learner's interpreter (it imports pandas and scikit-learn)."""
    api.require_trained(app_run)
    path = tmp_path_factory.mktemp("houses") / "houses.json"
    path.write_text(json.dumps({"houses": houses + real_houses.houses}), encoding="utf-8")
    return api.model_predictions(run, learner_python, app_run.folder, path)


def part(answer: dict[str, Any], start: int, stop: int | None = None) -> dict[str, Any]:
    if "error" in answer:
        return answer
    return {"predictions": answer["predictions"][start:stop]}


@pytest.fixture(scope="session")
def model_predictions(predicted: dict[str, Any], houses: list[House]) -> dict[str, Any]:
    """What the learner's saved model itself predicts for the sample houses (this week's
    override of the shared fixture: one probe for these and the real houses)."""
    return part(predicted, 0, len(houses))


@pytest.fixture(scope="session")
def real_predictions(predicted: dict[str, Any], houses: list[House]) -> dict[str, Any]:
    """What the learner's saved model itself predicts for every real house."""
    return part(predicted, len(houses))


@pytest.fixture(scope="session")
def app_without_model(
    app_run: api.AppRun,
    serve: Serve,
    clean_copy: CleanCopy,
    learner_python: Path,
) -> api.AppRun:
    """The app started the same way in a copy of the week folder where train.py never ran."""
    api.require_server(app_run)
    return api.launch_untrained(serve, clean_copy, learner_python)
