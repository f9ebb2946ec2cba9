"""Week 20 fixtures: the models trained once in a clean copy, the learner's KServe model server
started once on them, the request files, and what the saved models predict for the checks' own
houses (the 380 sales no scaffold lays, their features only).

`python train.py` runs in a clean copy of the week folder (without models/); model_server.py
then starts there through the engine's `serve` fixture, which stops it (and anything it
started) when the checks end. What the models predict comes from one probe in the learner's
interpreter (`mlops_checks.kserve_probe`); the checker never loads their models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT, api, kserve_manifest, kserve_probe
from mlops_checks.kserve_protocol import COLUMNS, NUMERIC, TEXT, House, typed
from mlops_checks.kserve_requests import RequestFile, read_v1, read_v2
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run, Serve

Note = Callable[[str, object], None]  # the record_property fixture: a note shown with the verdict
MANIFEST = "inferenceservice.yaml"
TRAIN_TITLE = "train.py saves models/linear.joblib from a clean start"
START_TITLE = "model_server.py starts a KServe ModelServer that reports ames-price ready"


@dataclass(frozen=True)
class RequestFiles:
    v1: RequestFile
    v2: RequestFile


@pytest.fixture(scope="session")
def trained(run: Run, clean_copy: CleanCopy, learner_python: Path) -> kserve_probe.Trained:
    """`python train.py` in a clean copy of the week folder, once."""
    return kserve_probe.train(run, clean_copy, learner_python)


@pytest.fixture(scope="session")
def started(
    trained: kserve_probe.Trained, serve: Serve, learner_python: Path
) -> kserve_probe.Started:
    """model_server.py started once on the trained models (the checks' `serve` stops it)."""
    require_trained(trained)
    return kserve_probe.start(serve, trained, learner_python)


def require_trained(trained: kserve_probe.Trained) -> None:
    if trained.problem:
        blocked(
            "train.py did not make models/linear.joblib, so there is no model to serve",
            hint=f"Make the check '{TRAIN_TITLE}' pass first.",
        )


@pytest.fixture(scope="session")
def http(started: kserve_probe.Started) -> api.Http:
    """Requests to the running model server, or the check is blocked when it did not start."""
    if started.server is None:
        blocked("model_server.py did not start", hint=f"Make the check '{START_TITLE}' pass first.")
    return api.Http(started.server)


@pytest.fixture(scope="session")
def houses(held_out: HeldOut) -> list[House]:
    """The held-out sales as houses of a request: their 13 features, no price."""
    return [typed(row) for row in held_out.rows(HOLDOUT)]


@pytest.fixture(scope="session")
def prices(held_out: HeldOut) -> list[float]:
    """The held-out sales' prices, which only the checker holds."""
    return [float(v) for v in held_out.column(HOLDOUT, "price")]


@pytest.fixture(scope="session")
def numeric_rows(houses: list[House]) -> list[list[float]]:
    """The held-out houses as the scikit-learn runtime gets them: eleven numbers each."""
    return [[float(h[c]) for c in NUMERIC] for h in houses]


@pytest.fixture(scope="session")
def request_files(trained: kserve_probe.Trained) -> RequestFiles:
    """v1-request.json and v2-request.json as the week folder holds them."""
    text = set(TEXT)
    return RequestFiles(
        read_v1(trained.folder / "v1-request.json", list(COLUMNS), text),
        read_v2(trained.folder / "v2-request.json", list(COLUMNS), text),
    )


@pytest.fixture(scope="session")
def facts(
    trained: kserve_probe.Trained,
    run: Run,
    learner_python: Path,
    houses: list[House],
    numeric_rows: list[list[float]],
    request_files: RequestFiles,
    tmp_path_factory: pytest.TempPathFactory,
) -> kserve_probe.ModelFacts:
    """What both saved models predict for the checks' rows and the request files' houses."""
    require_trained(trained)
    frames = {"houses": houses, "v1": request_files.v1.rows, "v2": request_files.v2.rows}
    workdir = tmp_path_factory.mktemp("kserve-probe")
    return kserve_probe.model_facts(run, learner_python, trained.folder, frames, numeric_rows,
                                    workdir)  # fmt: skip


@dataclass(frozen=True)
class Manifest:
    doc: dict[str, Any] | None
    problem: str  # why inferenceservice.yaml is not one InferenceService mapping ("" when it is)


@pytest.fixture(scope="session")
def manifest(week_dir: Path) -> Manifest:
    """inferenceservice.yaml as the week folder holds it (one YAML document)."""
    return Manifest(*kserve_manifest.load(week_dir / MANIFEST))
