"""What every MLflow probe does in the learner's interpreter: say which libraries import, and
describe an error in one line. Standard library only (the learner's environment has no engine);
the checks put ``checks/_lib`` on the probe's ``PYTHONPATH``."""

from __future__ import annotations

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
