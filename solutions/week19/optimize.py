"""Week 19: how much accuracy does each speed-up cost?

    python optimize.py

Trains a small neural network (scikit-learn's MLPClassifier) for the week 2 task, expensive =
price > 160000, on data/raw/train.csv, and writes:
    models/preprocess.joblib   the fitted ColumnTransformer: DataFrame -> float32 features
    models/baseline.onnx       the network exported to ONNX (float32)
    models/int8.onnx           the same graph with dynamic INT8 quantization
    models/pruned.onnx         80% of the hidden layers' smallest weights set to zero
    results.json               accuracy on data/raw/test.csv, file size and latency of each
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import joblib
import numpy as np
import onnxruntime as ort
import pandas as pd
from onnxruntime.quantization import QuantType, quantize_dynamic
from skl2onnx import to_onnx
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
RAW = HERE / "data" / "raw"
MODELS = HERE / "models"
TARGET, EXPENSIVE_PRICE = "price", 160_000
PRUNED_SHARE = 0.8  # of each hidden layer's weights, the smallest, set to zero


def features_and_labels(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(RAW / f"{name}.csv")
    return frame.drop(columns=[TARGET]), (frame[TARGET] > EXPENSIVE_PRICE).to_numpy(int)


def preprocessor() -> ColumnTransformer:
    onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return ColumnTransformer(
        [
            ("num", StandardScaler(), make_column_selector(dtype_include="number")),
            ("cat", onehot, make_column_selector(dtype_exclude="number")),
        ]
    )


def export(model: MLPClassifier, sample: np.ndarray, path: Path) -> Path:
    onx = to_onnx(model, sample[:1], options={id(model): {"zipmap": False}})
    path.write_bytes(onx.SerializeToString())
    return path


def prune(model: MLPClassifier, share: float) -> MLPClassifier:
    """A copy whose hidden layers keep only their largest weights (unstructured pruning)."""
    pruned = copy.deepcopy(model)
    for weights in pruned.coefs_[:-1]:
        weights[np.abs(weights) < np.quantile(np.abs(weights), share)] = 0
    return pruned


def onnx_predict(path: Path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda X: session.run(["label"], {name: X})[0]


def bench(predict, X: np.ndarray, repeats: int = 300, warmup: int = 20) -> dict:
    """Latency percentiles and throughput of single-row predict() calls, on the same rows."""
    rows = [X[i % len(X) : i % len(X) + 1] for i in range(repeats + warmup)]
    for row in rows[:warmup]:
        predict(row)
    times = []
    for row in rows[warmup:]:
        start = time.perf_counter()
        predict(row)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "rows_per_s": float(len(ms) / (ms.sum() / 1000)),
    }


def measure(predict, X: np.ndarray, y: np.ndarray, path: Path | None = None) -> dict:
    """One variant's entry in results.json: its file and size, accuracy, latency."""
    saved = {}
    if path is not None:
        saved = {"file": path.relative_to(HERE).as_posix(), "size_bytes": path.stat().st_size}
    return {**saved, "accuracy": float((predict(X) == y).mean()), **bench(predict, X)}


def main() -> None:
    MODELS.mkdir(exist_ok=True)
    train, y_train = features_and_labels("train")
    test, y_test = features_and_labels("test")
    prep = preprocessor().fit(train)
    joblib.dump(prep, MODELS / "preprocess.joblib")
    X_train = prep.transform(train).astype(np.float32)
    X_test = prep.transform(test).astype(np.float32)

    mlp = MLPClassifier(hidden_layer_sizes=(256, 128), early_stopping=True, random_state=0)
    mlp.fit(X_train, y_train)
    baseline = export(mlp, X_train, MODELS / "baseline.onnx")
    same = (onnx_predict(baseline)(X_test) == mlp.predict(X_test)).all()
    assert same, "the ONNX model's labels differ from scikit-learn's"
    int8 = MODELS / "int8.onnx"
    quantize_dynamic(str(baseline), str(int8), weight_type=QuantType.QInt8)
    pruned = export(prune(mlp, PRUNED_SHARE), X_train, MODELS / "pruned.onnx")

    variants = {"sklearn": measure(mlp.predict, X_test, y_test)}
    for name, path in (("baseline", baseline), ("int8", int8), ("pruned", pruned)):
        variants[name] = measure(onnx_predict(path), X_test, y_test, path)
    results = {
        "variants": variants,
        "preprocess": (MODELS / "preprocess.joblib").relative_to(HERE).as_posix(),
        "recommended": "int8",
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    for name, v in variants.items():
        print(f"{name:9} accuracy {v['accuracy']:.3f}  p50 {v['p50_ms']:.3f} ms  "
              f"{v.get('size_bytes', 0) / 1000:8.1f} KB")


if __name__ == "__main__":
    main()
