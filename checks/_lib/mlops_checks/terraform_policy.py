"""IAM policy documents written in Terraform, read into the JSON IAM sees, without Terraform.

Three forms are read: ``jsonencode({...})`` (HCL object syntax), a ``data
"aws_iam_policy_document"`` (its ``.json``), and a JSON string or heredoc. References to the
model bucket (``aws_s3_bucket.models.arn`` / ``.id`` / ``.bucket``, or the bucket's own name
expression) become a stand-in bucket, so `iam_policy` can judge the result; locals are followed.
Anything else (``file()``, ``templatefile()``, a ``for`` expression, a policy built elsewhere) is
reported as a form this reader does not understand, never guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mlops_checks import terraform_config as tf

BUCKET = "ames-mlops-123456789012-eu-west-1"  # the stand-in: moto's account, the lesson's region
FORMS = 'jsonencode({...}), data "aws_iam_policy_document" (its .json) or a JSON string/heredoc'
INTERPOLATION = re.compile(r"\$\{([^{}]*)\}")
DOCUMENT = re.compile(r"^data\.aws_iam_policy_document\.([\w-]+)\.(?:json|minified_json)$")
KEYS = {
    "sid": "Sid",
    "effect": "Effect",
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
}


@dataclass(frozen=True)
class Policy:
    """A policy read from the configuration: the document, or why it could not be read."""

    where: str  # "aws_iam_role_policy.read_models"
    document: dict[str, Any] | None
    problem: str = ""


def bucket_names(config: tf.Config) -> dict[str, str]:
    """What stands for each bucket: ``aws_s3_bucket.models.arn`` -> an ARN, and the bucket's
    own name expression (``var.bucket_name``) -> its name."""
    names: dict[str, str] = {}
    for n, bucket in enumerate(config.resources("aws_s3_bucket")):
        name = BUCKET if n == 0 else f"{BUCKET}-{bucket.name}"
        names[f"{bucket.address}.arn"] = f"arn:aws:s3:::{name}"
        names[f"{bucket.address}.id"] = names[f"{bucket.address}.bucket"] = name
        own = bucket.body.get("bucket")
        if own is not None and tf.literal(own) is None:
            names.setdefault(tf.expression(own), name)
    return names


def fill(text: str, names: dict[str, str], config: tf.Config) -> str:
    """``text`` with the bucket's references filled in; other interpolations stay as written."""

    def one(match: re.Match[str]) -> str:
        expr = tf.resolve_locals(config, match.group(1).strip()).strip("() ")
        return names.get(expr, match.group(0))

    own = {k: v for k, v in names.items() if k.startswith('"')}
    for expr, name in own.items():
        text = text.replace(tf.unquote(expr), name)
    return INTERPOLATION.sub(one, text)


def strings(value: Any) -> Any:
    """A parsed HCL value with each string as JSON would hold it (quotes gone, ``${}`` kept)."""
    if isinstance(value, dict):
        return {tf.unquote(k): strings(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [strings(v) for v in value]
    if isinstance(value, str):
        inner = tf.template(value)
        return inner if inner is not None else value
    return value


def from_jsonencode(source: str) -> Any:
    """The object inside ``jsonencode(...)``, parsed as HCL; raises ValueError."""
    import hcl2  # type: ignore[import-untyped,unused-ignore]

    inner = source.strip()[len("jsonencode(") : -1]
    try:
        return strings(hcl2.loads(f"x = {inner}\n")["x"])
    except Exception as exc:
        raise ValueError(f"jsonencode(...) does not read as an object: {exc}") from exc


def from_document(block: tf.Block) -> dict[str, Any]:
    """A data "aws_iam_policy_document" as the JSON it renders."""
    statements = []
    for raw in tf.blocks(block.body, "statement"):
        s = strings(raw)
        out: dict[str, Any] = {"Effect": s.get("effect", "Allow")}
        out.update({KEYS[k]: v for k, v in s.items() if k in KEYS and k != "effect"})
        for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            given = tf.blocks(raw, key)
            if given:
                out[name] = {
                    strings(p.get("type", "")): strings(p.get("identifiers", [])) for p in given
                }
        statements.append(out)
    return {"Version": "2012-10-17", "Statement": statements}


def read(config: tf.Config, value: Any, where: str) -> Policy:
    """The document ``value`` (a policy attribute's value) holds."""
    source = tf.resolve_locals(config, tf.expression(value)).strip()
    while source.startswith("(") and source.endswith(")"):
        source = source[1:-1].strip()
    names = bucket_names(config)
    try:
        if source.startswith("jsonencode("):
            document = from_jsonencode(source)
        elif DOCUMENT.match(source):
            found = config.get(f"data.aws_iam_policy_document.{DOCUMENT.match(source)[1]}")  # type: ignore[index]
            if found is None:
                return Policy(where, None, f"{source} names no data block of this configuration")
            document = from_document(found)
        elif tf.template(value) is not None:
            return Policy(where, json.loads(fill(str(tf.template(value)), names, config)))
        else:
            return Policy(
                where,
                None,
                f"written as `{source[:80]}`, which this check does not "
                f"read: write it with {FORMS}",
            )
    except ValueError as exc:
        return Policy(where, None, f"its policy does not read as JSON: {exc}")
    return Policy(where, json.loads(fill(json.dumps(document), names, config)))
