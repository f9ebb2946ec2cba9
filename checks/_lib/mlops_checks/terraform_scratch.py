"""A scratch module that needs no provider, built from a learner's root module, so that real
Terraform can run where the AWS provider cannot be downloaded.

It holds the learner's variable blocks as they are (their types, defaults and validation rules,
written back by python-hcl2) and, for the user data, one output: the learner's template rendered
by ``templatefile`` with the learner's own map, where each value that is a variable stays that
variable, references to the bucket become a stand-in bucket name and any other reference a
placeholder naming it. `terraform init`, `validate` and `plan`/`apply` then run on it for real.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_checks import terraform_config as tf
from mlops_checks import terraform_policy

CALL = "templatefile("
MODULE_PATH = re.compile(r"\$\{path\.(?:module|root)\}/?")


def without_markers(value: Any) -> Any:
    """A parsed body without hcl2's comments (its writer does not take them back)."""
    if isinstance(value, dict):
        return {k: without_markers(v) for k, v in value.items() if k != "__comments__"}
    if isinstance(value, list):
        return [without_markers(v) for v in value]
    return value


def variables_text(config: tf.Config) -> str:
    """The learner's variable blocks, written back as HCL."""
    import hcl2  # type: ignore[import-untyped,unused-ignore]

    entries = [{f'"{v.name}"': without_markers(v.body)} for v in config.of("variable")]
    return str(hcl2.dumps({"variable": entries})) if entries else ""


@dataclass(frozen=True)
class Call:
    """A ``templatefile(path, {map})`` call: the template's path and the map's values."""

    path: str  # relative to the module
    values: dict[str, Any]  # key -> the value as python-hcl2 gives it


def arguments(text: str) -> str:
    """What is between the parentheses of the first ``templatefile(`` in ``text``."""
    start = text.index(CALL) + len(CALL)
    depth = 1
    for n, char in enumerate(text[start:], start):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return text[start:n]
    raise ValueError("templatefile( is never closed")


def template_call(value: Any) -> Call | None:
    """The templatefile call in a ``user_data`` value, or None when there is none; raises
    ValueError when it cannot be read."""
    import hcl2  # type: ignore[import-untyped,unused-ignore]

    text = tf.expression(value)
    if CALL not in text:
        return None
    try:
        parsed = hcl2.loads(f"x = [{arguments(text)}]\n")["x"]
    except Exception as exc:
        raise ValueError(f"templatefile(...) does not read: {exc}") from exc
    path = tf.template(parsed[0]) if parsed and isinstance(parsed[0], str) else None
    if path is None or "${" in MODULE_PATH.sub("", path):
        raise ValueError(f"the template's path {parsed[0] if parsed else '?'} is not a file name")
    values = tf.clean(parsed[1]) if len(parsed) > 1 and isinstance(parsed[1], dict) else {}
    return Call(MODULE_PATH.sub("", path), values)


def value_text(config: tf.Config, value: Any) -> str:
    """A map value as the scratch module writes it."""
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    expr = tf.expression(value)
    if tf.literal(value) is not None or (expr.startswith("var.") and config.get(expr)):
        return expr
    names = terraform_policy.bucket_names(config)
    for ref, name in names.items():
        if expr == ref or expr.strip("() ") == ref:
            return json.dumps(name)
    return json.dumps("placeholder-for-" + re.sub(r"[^A-Za-z0-9_.-]", "_", expr)[:60])


def render_module(config: tf.Config, call: Call, folder: Path) -> Path:
    """A scratch module in ``folder`` whose output ``user_data`` renders the template."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "variables.tf").write_text(variables_text(config), encoding="utf-8")
    source = config.folder / call.path
    (folder / call.path).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, folder / call.path)
    pairs = "\n".join(f"    {k} = {value_text(config, v)}" for k, v in call.values.items())
    (folder / "main.tf").write_text(
        'output "user_data" {\n'
        f'  value = templatefile("${{path.module}}/{call.path}", {{\n{pairs}\n  }})\n'
        "}\n",
        encoding="utf-8",
    )
    return folder


def variables_module(config: tf.Config, folder: Path) -> Path:
    """A scratch module in ``folder`` holding the learner's variables alone."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "variables.tf").write_text(variables_text(config), encoding="utf-8")
    return folder
