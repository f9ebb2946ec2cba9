"""Week 6 fixtures: the registered model ames-price, promote.py at work, the champion served.

The tracking store is the one env.sh declares (``mlops_roadmap.tracking``). MLflow only
ever runs in the learner's interpreter: probe_registry.py gathers the registry's facts once,
probe_promote.py runs promote.py, and `mlflow models serve` serves the champion
(``mlops_checks.model_serving``), all started through `run` or in a process group of their own.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import HOLDOUT, TARGET, mlflow_probe, model_serving
from mlops_checks.mlflow_probe import FIRST_IMPORT, MARKER, Facts
from mlops_checks.model_serving import Served, cell
from mlops_roadmap import tracking
from mlops_roadmap.answers import HeldOut
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import CleanCopy, Run
from mlops_roadmap.tracking import Store

pytest_plugins = ["mlops_checks.mlflow_fixtures"]
CHECKS_DIR = Path(__file__).resolve().parent
MODEL = "ames-price"
ALIAS = "champion"
CHAMPION_URI = f"models:/{MODEL}@{ALIAS}"
PROBE_TIMEOUT = 240
PROMOTE_TIMEOUT = 180  # seconds for one `python promote.py` (the solution takes about 8)
FIRST_MODEL = f"Make the check 'The registered model {MODEL} has at least two versions' pass first."


def run_probe(
    run: Run,
    python: Path,
    script: str,
    store_uri: str,
    cwd: Path,
    args: Sequence[str],
    timeout: float = PROBE_TIMEOUT,
) -> dict[str, Any]:
    """A probe script's answer, or {"crash": what went wrong} when it printed none."""
    argv = [python, CHECKS_DIR / script, MARKER, MODEL, ALIAS, *args]
    return mlflow_probe.run_probe(run, argv, store_uri, cwd, timeout)


@pytest.fixture(scope="session")
def store(week_dir: Path) -> Store:
    return tracking.declared_store(week_dir)


@pytest.fixture(scope="session")
def libraries() -> str:
    """What the week's environment must import, for the shared check's message."""
    return "mlflow, scikit-learn, pandas and uvicorn (which `mlflow models serve` runs)"


@pytest.fixture(scope="session")
def facts(run: Run, learner_python: Path, week_dir: Path, store: Store, held_out: HeldOut) -> Facts:
    """One probe run: the imports, then (when the store is there) the model and its champion."""
    problem = tracking.store_problem(store)
    holdout = held_out.features(HOLDOUT, drop=[TARGET])  # the prices stay with the check
    test = week_dir / "data" / "raw" / "test.csv"
    args = ["--imports-only"] if problem else [f"holdout={holdout}", f"test={test}"]
    answer = run_probe(run, learner_python, "probe_registry.py", store.uri, week_dir, args)
    return Facts(store, problem, answer)


@pytest.fixture(scope="session")
def registry(facts: Facts) -> dict[str, Any]:
    """The registered model's facts, or the check is blocked because they cannot be read."""
    if facts.import_errors:
        blocked("MLflow does not import in the workspace virtual environment", hint=FIRST_IMPORT)
    if facts.problem is not None and facts.problem.blocked:
        blocked(facts.problem.found, hint=facts.problem.hint)
    if facts.problem is not None or not facts.store_facts.get("model"):
        blocked(f"the registered model {MODEL} cannot be read yet", hint=FIRST_MODEL)
    return facts.store_facts


@pytest.fixture(scope="session")
def champion(registry: dict[str, Any]) -> dict[str, Any]:
    """The champion's facts (loaded by alias), or blocked when there is no alias yet."""
    if registry.get("champion") is None:
        blocked(
            f"the alias {ALIAS} is not set on {MODEL}",
            hint=f"Make the check 'The alias {ALIAS} points to the best version' pass first.",
        )
    return dict(registry["champion"])


def promote_store(store: Store, week_dir: Path, copy: Path) -> tuple[str, bool]:
    """The store promote.py runs against, and whether the check may move the alias first.

    A SQLite store is copied (the copy of the week folder holds its database when it lives
    there), so the learner's own registry is never changed by the check; a server, or a
    store of another kind, is used as it is, and promote.py must leave its alias in place.
    """
    if store.kind != "sqlite" or store.path is None:
        return store.uri, False
    try:
        database = copy / store.path.relative_to(week_dir)
    except ValueError:
        database = copy.parent / store.path.name
        shutil.copy2(store.path, database)
    return f"sqlite:///{database}", True


@pytest.fixture(scope="module")
def promotion(
    registry: dict[str, Any],
    facts: Facts,
    run: Run,
    clean_copy: CleanCopy,
    learner_python: Path,
    week_dir: Path,
) -> dict[str, Any]:
    """promote.py run twice in a copy of the week folder (probe_promote.py's answer)."""
    copy = clean_copy()
    if not (copy / "promote.py").is_file():
        return {"error": "promote.py is missing from the week folder"}
    uri, sabotage = promote_store(facts.store, week_dir, copy)
    args = [str(PROMOTE_TIMEOUT), *(["--sabotage"] if sabotage else [])]
    timeout = 2 * PROMOTE_TIMEOUT + 60
    answer = run_probe(run, learner_python, "probe_promote.py", uri, copy, args, timeout)
    return {**answer, "sabotage": sabotage}


# JSON numbers as a client reading the model's signature writes them (pandas reads 1656.0 as a
# double column, 1656 as a long one).
AS_SIGNATURE: dict[str, Callable[[str], Any]] = {
    "DataType.double": float,
    "DataType.float": float,
    "DataType.long": int,
    "DataType.integer": int,
    "DataType.string": str,
}


def typed_payload(path: Path, inputs: list[dict[str, str]]) -> bytes:
    """The rows of a features CSV as a dataframe_split request, each value typed as the
    champion's signature declares its column (as the CSV reads, for columns it does not name)."""
    kinds = {i["name"]: AS_SIGNATURE.get(i["type"]) for i in inputs}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0]) if rows else []

    def value(column: str, text: str) -> Any:
        kind = kinds.get(column)
        try:
            return kind(float(text)) if kind is int else kind(text) if kind else cell(text)
        except ValueError:
            return cell(text)

    data = [[value(c, row[c]) for c in columns] for row in rows]
    return json.dumps({"dataframe_split": {"columns": columns, "data": data}}).encode()


@pytest.fixture(scope="module")
def served(
    champion: dict[str, Any],
    facts: Facts,
    learner_python: Path,
    week_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    held_out: HeldOut,
) -> Served:
    """The champion asked over HTTP: the learner's server when env.sh names one (SERVING_URL),
    else `mlflow models serve` started, asked and stopped here."""
    payload = typed_payload(held_out.features(HOLDOUT, drop=[TARGET]), champion.get("inputs", []))
    declared = tracking.env_value(week_dir, "SERVING_URL")
    if declared is not None:
        url, raw, origin = declared
        where = f"SERVING_URL={raw} ({origin})"
        if "$" in url or "`" in url:
            return model_serving.Served(raw, where, error=f"{where} needs a shell to expand")
        return model_serving.ask_running(url.rstrip("/"), where, payload, CHAMPION_URI)
    env = tracking.probe_env(facts.store.uri)
    workdir = tmp_path_factory.mktemp("serve")
    return model_serving.serve_and_ask(learner_python, env, CHAMPION_URI, workdir, payload)
