"""ONNX model files measured by the check itself: each is loaded in ONNX Runtime in the
learner's interpreter (never in the engine's process), labels the check's tables, has its
weights counted, and gets a small latency benchmark of the check's own.

The probe feeds a model the way its results file says: through the learner's fitted
preprocessor (a joblib file turning the raw columns into one float32 matrix), or, when there is
none, column by column to a graph that takes the raw columns as named inputs (a whole Pipeline
converted with skl2onnx). What the engine reads back is plain JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlops_roadmap.fixtures import Run

MARKER = "ONNX-MODELS-JSON:"
PROBE_TIMEOUT = 180
ONNX_START = b"\x08"  # an ONNX file is a ModelProto: its first field is ir_version (tag 0x08)
PROBE = r"""
import json, sys, time, traceback
import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from onnx import numpy_helper

marker, spec = sys.argv[1], json.loads(sys.argv[2])
tables = {name: pd.read_csv(path).drop(columns=spec["drop"], errors="ignore")
          for name, path in spec["tables"].items()}
answer = {"preprocess_error": "", "models": {}}
prepared = {}
if spec["preprocess"]:
    try:
        import joblib
        prep = joblib.load(spec["preprocess"])
        prepared = {n: np.asarray(prep.transform(t), dtype=np.float32) for n, t in tables.items()}
    except Exception as exc:
        answer["preprocess_error"] = "".join(traceback.format_exception_only(type(exc), exc))
KINDS = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
         "tensor(int32)": np.int32, "tensor(string)": object}

def feeds(session, table):
    inputs = session.get_inputs()
    if spec["preprocess"]:
        return {inputs[0].name: prepared[table]}
    frame = tables[table]
    missing = [i.name for i in inputs if i.name not in frame.columns]
    if missing:
        raise LookupError(f"the model's inputs {missing} are not columns of the data, and "
                          "results.json names no preprocess file")
    return {i.name: frame[[i.name]].to_numpy().astype(KINDS.get(i.type, np.float32))
            for i in inputs}

def labels(session, feed):
    names = [o.name for o in session.get_outputs()]
    out = session.run(["label" if "label" in names else names[0]], feed)[0]
    out = np.asarray(out)
    if out.ndim == 2 and out.shape[1] > 1:
        out = out.argmax(axis=1)
    return [int(float(v)) for v in out.ravel()]

def bench(session, feed, repeats):
    row = {k: v[:1] for k, v in feed.items()}
    for _ in range(20):
        session.run(None, row)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, row)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))

def weights(path):
    model = onnx.load(path)
    arrays = [numpy_helper.to_array(t) for t in model.graph.initializer]
    mats = [a for a in arrays if a.ndim >= 2 and a.dtype.kind in "iuf"]
    return {"weights": int(sum(a.size for a in mats)),
            "nonzero": int(sum(np.count_nonzero(a) for a in mats)),
            "eight_bit": any(a.dtype in (np.int8, np.uint8) for a in mats),
            "ops": sorted({n.op_type for n in model.graph.node})}

for name, path in spec["models"].items():
    facts, stage = {}, "loading it in onnxruntime.InferenceSession"
    try:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        stage = "reading its weights with onnx.load"
        facts.update(weights(path))
        stage = "running it on the check's rows"
        if spec["preprocess"] and answer["preprocess_error"]:
            raise RuntimeError("the preprocess file did not load")
        facts["labels"] = {t: labels(session, feeds(session, t)) for t in tables}
        stage = "timing it"
        facts["p50_ms"], facts["p95_ms"] = bench(session, feeds(session, "test"), spec["repeats"])
    except Exception as exc:
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        facts["error"] = f"{stage} failed: {error[:600]}"
    answer["models"][name] = facts
print(marker + json.dumps(answer))
"""


@dataclass(frozen=True)
class ModelFacts:
    """What the probe found out about one model file."""

    error: str = ""  # why it could not be loaded or run ("" when it was)
    weights: int = 0  # elements of its weight matrices (initializers of 2 dimensions or more)
    nonzero: int = 0
    eight_bit: bool = False  # holds 8-bit integer weight matrices
    ops: tuple[str, ...] = ()
    labels: dict[str, list[int]] = field(default_factory=dict)  # by table name
    p50_ms: float = 0.0
    p95_ms: float = 0.0


@dataclass(frozen=True)
class Probed:
    """Every model's facts, and whether the preprocess file loaded."""

    models: dict[str, ModelFacts]
    preprocess_error: str
    problem: str  # "" when the probe reported


def file_kind(data: bytes) -> str:
    """What a file that should be ONNX really is, by its first bytes."""
    if not data:
        return "an empty file"
    if data.startswith(b"\x80"):
        return "a Python pickle (what joblib.dump or pickle.dump write), not ONNX"
    if data.startswith(b"PK\x03\x04"):
        return "a zip archive, not ONNX"
    if data.lstrip()[:1] in (b"{", b"["):
        return "JSON text, not ONNX"
    if not data.startswith(ONNX_START):
        return f"not ONNX: it starts with {data[:12]!r}"
    return "ONNX"


def probe_models(
    run: Run,
    python: Path,
    models: Mapping[str, Path],
    tables: Mapping[str, Path],
    *,
    preprocess: Path | None,
    drop: Sequence[str],
    repeats: int = 200,
) -> Probed:
    """Load each model file in ONNX Runtime in ``python`` and label each table with it."""
    spec = {
        "models": {name: str(path) for name, path in models.items()},
        "tables": {name: str(path) for name, path in tables.items()},
        "preprocess": str(preprocess) if preprocess else None,
        "drop": list(drop),
        "repeats": repeats,
    }
    result = run([python, "-c", PROBE, MARKER, json.dumps(spec)], timeout=PROBE_TIMEOUT)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(MARKER)]
    if not lines:
        return Probed({}, "", f"exit status {result.returncode}: {result.tail(6)}")
    answer = json.loads(lines[-1][len(MARKER) :])
    facts = {
        name: ModelFacts(
            error=str(f.get("error", "")),
            weights=int(f.get("weights", 0)),
            nonzero=int(f.get("nonzero", 0)),
            eight_bit=bool(f.get("eight_bit", False)),
            ops=tuple(f.get("ops", ())),
            labels={str(k): [int(x) for x in v] for k, v in f.get("labels", {}).items()},
            p50_ms=float(f.get("p50_ms", 0.0)),
            p95_ms=float(f.get("p95_ms", 0.0)),
        )
        for name, f in answer["models"].items()
    }
    return Probed(facts, str(answer["preprocess_error"]).strip(), "")
