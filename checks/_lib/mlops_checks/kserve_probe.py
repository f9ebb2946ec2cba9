"""The learner's KServe model server under test (week 20), and what their saved models predict.

The checks train once, in a clean copy of the week folder (`python train.py`, without models/),
then start `model_server.py` there once, with the learner's interpreter, through the engine's
`serve` fixture (its whole process group stopped when the checks end, also on failure and
Ctrl-C). KServe's ModelServer binds every interface and a gRPC port of its own; the checks start
the script through LAUNCH, which binds uvicorn to 127.0.0.1 and turns gRPC off, so nothing of
it listens beyond loopback. What the saved models predict comes from PROBE, run in the learner's
interpreter through `run`: this module imports neither KServe nor scikit-learn.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_checks.api import parse_marked
from mlops_checks.waits import ready_wait
from mlops_roadmap.fixtures import CleanCopy, Run, Serve
from mlops_roadmap.servers import Server, ServerFailed

MODEL_NAME = "ames-price"
MODEL = "models/linear.joblib"
NUMERIC_MODEL = "models/ames-numeric/model.joblib"
SCRIPT = "model_server.py"
TRAIN_TIMEOUT = 240  # `python train.py` (the solution: about 4 s)
# From the first byte of Python to KServe answering: about 7 s on a quiet machine, 41 s on a
# loaded one (2 CPUs); generous, since the time is reported as a note.
START_TIMEOUT = ready_wait(180)
PROBE_TIMEOUT = 180
MARKER = "KSERVE-CHECK-JSON:"
SERVER_ARGS = (SCRIPT, "--model_path", MODEL, "--http_port", "{port}")

# Runs in the learner's interpreter as `python -c LAUNCH model_server.py ARGS...`: the script
# runs as __main__ in its own folder, with KServe's uvicorn bound to loopback and no gRPC.
LAUNCH = """
import runpy, sys
sys.argv = sys.argv[1:]
import uvicorn
_config_init = uvicorn.Config.__init__
def _loopback(self, *args, **kwargs):
    _config_init(self, *args, **kwargs)
    self.host = "127.0.0.1"
uvicorn.Config.__init__ = _loopback
try:
    import kserve
except Exception:
    kserve = None
if kserve is not None:
    _server_init = kserve.ModelServer.__init__
    def _rest_only(self, *args, **kwargs):
        _server_init(self, *args, **kwargs)
        self.enable_grpc = False
    kserve.ModelServer.__init__ = _rest_only
runpy.run_path(sys.argv[0], run_name="__main__")
"""

PROBE = """
import json, sys, traceback
marker, full_path, numeric_path, given_path = sys.argv[1:5]
def error(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
with open(given_path, encoding="utf-8") as handle:
    given = json.load(handle)
answer = {"full": {}, "numeric": {}}
try:
    import joblib
    import numpy as np
    import pandas as pd
except Exception as exc:
    print(marker + json.dumps({"import_error": error(exc)}))
    raise SystemExit(0)
def prices(values):
    return [float(v) for v in np.ravel(np.asarray(values, dtype=float))]
try:
    model = joblib.load(full_path)
    names = getattr(model, "feature_names_in_", None)
    names = None if names is None else [str(n) for n in names]
    answer["full"] = {"features": names, "predictions": {}}
    for name, rows in given["frames"].items():
        try:
            frame = pd.DataFrame(rows)
            if names and set(names) <= set(frame.columns):
                frame = frame[names]
            answer["full"]["predictions"][name] = prices(model.predict(frame))
        except Exception as exc:
            answer["full"]["predictions"][name] = error(exc)
except Exception as exc:
    answer["full"] = {"error": error(exc)}
try:
    model = joblib.load(numeric_path)
    rows = np.array(given["numeric"], dtype=np.float64)
    answer["numeric"] = {"features": getattr(model, "n_features_in_", None)}
    answer["numeric"]["predictions"] = prices(model.predict(rows))
except Exception as exc:
    answer["numeric"]["error"] = error(exc)
print(marker + json.dumps(answer))
"""


@dataclass(frozen=True)
class Trained:
    """One clean-copy run of `python train.py`: the folder, and what went wrong ("" if not)."""

    folder: Path
    problem: str = ""


@dataclass(frozen=True)
class Started:
    """One start of model_server.py in the trained folder, or why it did not start."""

    server: Server | None
    problem: str = ""
    ready_seconds: float | None = None


@dataclass(frozen=True)
class ModelFacts:
    """What the learner's saved models predict, in their interpreter.

    ``full``: models/linear.joblib's feature names (or None) and its predictions per named set
    of rows (a list, or the error text); ``numeric``: the runtime model's feature count and its
    predictions on the checks' rows; ``error`` keys where a model did not load."""

    full: dict[str, Any] = field(default_factory=dict)
    numeric: dict[str, Any] = field(default_factory=dict)
    problem: str = ""  # the probe itself failed (no joblib, pandas or numpy)

    def full_predictions(self, name: str) -> list[float] | str:
        if self.problem or "error" in self.full:
            return self.problem or str(self.full["error"])
        got = self.full.get("predictions", {}).get(name, "not predicted")
        return got if isinstance(got, (list, str)) else str(got)


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}


def train(run: Run, clean_copy: CleanCopy, python: Path) -> Trained:
    """`python train.py` in a clean copy of the week folder (without models/)."""
    folder = clean_copy("models")
    if not (folder / "train.py").is_file():
        return Trained(folder, "train.py is missing from the week folder")
    result = run([python, "train.py"], cwd=folder, timeout=TRAIN_TIMEOUT, env=env())
    if result.timed_out:
        return Trained(folder, f"still running after {TRAIN_TIMEOUT} s, so it was stopped")
    if result.returncode != 0:
        return Trained(folder, f"exit status {result.returncode}:\n{result.tail(8)}")
    if not (folder / MODEL).is_file():
        return Trained(folder, f"it exited with status 0 but wrote no {MODEL}")
    return Trained(folder)


def start(serve: Serve, trained: Trained, python: Path) -> Started:
    """model_server.py started through LAUNCH in the trained folder, once KServe answers."""
    if not (trained.folder / SCRIPT).is_file():
        return Started(None, f"there is no {SCRIPT} in the week folder")
    started = time.monotonic()
    try:
        server = serve(
            [python, "-c", LAUNCH, *SERVER_ARGS],
            cwd=trained.folder,
            env=env(),
            ready_path="/",
            timeout=START_TIMEOUT,
        )
    except ServerFailed as exc:
        return Started(None, f"{exc}; its last output:\n{exc.tail}")
    return Started(server, ready_seconds=round(time.monotonic() - started, 1))


def model_facts(
    run: Run,
    python: Path,
    folder: Path,
    frames: dict[str, list[dict[str, Any]]],
    numeric: list[list[float]],
    workdir: Path,
) -> ModelFacts:
    """Both saved models' predictions on the checks' rows, computed in the learner's
    interpreter: ``frames`` by models/linear.joblib, ``numeric`` by the runtime model."""
    given = workdir / "rows.json"
    given.write_text(json.dumps({"frames": frames, "numeric": numeric}), encoding="utf-8")
    result = run(
        [python, "-c", PROBE, MARKER, folder / MODEL, folder / NUMERIC_MODEL, given],
        cwd=folder,
        timeout=PROBE_TIMEOUT,
    )
    answer = parse_marked(result.stdout, MARKER)
    if answer is None:
        return ModelFacts(problem=f"the prediction probe failed: {result.tail(5)}")
    if "import_error" in answer:
        return ModelFacts(
            problem=f"joblib, numpy or pandas fail to import: {answer['import_error']}"
        )
    return ModelFacts(dict(answer["full"]), dict(answer["numeric"]))
