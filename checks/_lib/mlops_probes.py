"""What every MLflow probe does in the learner's interpreter: say which libraries import,
describe an error in one line, and ask a loaded model what a client of it would. Nothing here
imports the engine (the learner's environment has none), and nothing at module level imports
more than the standard library; the checks put ``checks/_lib`` on the probe's ``PYTHONPATH``."""

from __future__ import annotations

import contextlib
import importlib
import json
import traceback
from collections.abc import Callable, Mapping
from typing import Any


def error_text(exc: BaseException) -> str:
    """The last line of an exception as Python prints it, at most 600 characters."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text.splitlines()[-1][:600] if text else type(exc).__name__


def imports(modules: Mapping[str, str]) -> dict[str, Any]:
    """{"versions": {package: version}, "errors": ["package (why)"]} for module -> package."""
    versions, errors = {}, []
    for module, package in modules.items():
        try:
            versions[package] = getattr(importlib.import_module(module), "__version__", "?")
        except Exception as exc:
            errors.append(f"{package} ({error_text(exc)})")
    return {"versions": versions, "errors": errors}


def answer(
    marker: str, modules: Mapping[str, str], rest: list[str], read: Callable[[], Any], what: str
) -> int:
    """Print the probe's answer: the imports, then (unless ``--imports-only`` or an import
    failed) what ``read()`` found in the store, or why reading ``what`` failed."""
    found: dict[str, Any] = {"imports": imports(modules)}
    if not found["imports"]["errors"] and rest != ["--imports-only"]:
        try:
            found["store"] = read()
        except Exception as exc:
            found["store"] = {"error": f"reading {what} failed: {error_text(exc)}"}
    print(marker + json.dumps(found))
    return 0


def column_specs(model: Any) -> list[Any]:
    """The named columns of a loaded pyfunc model's input signature ([] without one)."""
    schema = model.metadata.get_input_schema()
    if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
        return []
    return list(schema.inputs)


def signature_inputs(model: Any) -> list[dict[str, str]]:
    """[{"name", "type"}] of the model's input signature, for the checks' messages."""
    return [{"name": str(s.name), "type": str(s.type)} for s in column_specs(model)]


def by_signature(frame: Any, model: Any) -> Any:
    """``frame`` with each column the signature names cast to the type it declares, as a client
    reading the signature sends it (integers as double for a model whose signature says double).
    A column that does not cast is left as it is: the model's own schema check then says why."""
    typed = frame.copy()
    for spec in column_specs(model):
        if spec.name in typed.columns and hasattr(spec.type, "to_pandas"):
            with contextlib.suppress(TypeError, ValueError):
                typed[spec.name] = typed[spec.name].astype(spec.type.to_pandas())
    return typed


def predict(model: Any, frame: Any) -> list[float]:
    """The model's predictions for ``frame`` (typed by its signature), as floats."""
    import numpy as np

    values = np.asarray(model.predict(by_signature(frame, model)), dtype=float).reshape(-1)
    return [float(v) for v in values]


def estimator(model: Any) -> dict[str, Any]:
    """The final estimator of a loaded scikit-learn model: its class and its alpha, if any
    ({} for other flavours). A learner's parameters are compared with these."""
    try:
        raw = model.get_raw_model()
    except Exception:
        return {}
    final = raw.steps[-1][1] if hasattr(raw, "steps") else raw
    final = getattr(final, "regressor_", None) or getattr(final, "regressor", None) or final
    params = final.get_params(deep=False) if hasattr(final, "get_params") else {}
    alpha = params.get("alpha")
    return {
        "class": type(final).__name__,
        "alpha": float(alpha) if isinstance(alpha, (int, float)) else None,
    }


def registered_versions(client: Any) -> list[dict[str, Any]]:
    """Every registered model version with its source run and the aliases on it."""
    found = []
    for model in client.search_registered_models():
        aliases = model.aliases or {}
        for version in client.search_model_versions(f"name = '{model.name}'"):
            number = str(version.version)
            found.append(
                {
                    "model": model.name,
                    "version": number,
                    "run_id": version.run_id or "",
                    "aliases": sorted(a for a, v in aliases.items() if str(v) == number),
                    "created": version.creation_timestamp or 0,
                }
            )
    return found
