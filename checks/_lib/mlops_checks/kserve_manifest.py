"""An InferenceService manifest, judged offline (week 20).

``unknown_fields`` walks the manifest against KServe's own generated model classes
(``kserve.models.V1beta1InferenceService`` and the Kubernetes classes it refers to, each with
``openapi_types`` and ``attribute_map``): a misspelt field, which the API server would drop
without a word on a CRD with a loose schema and which kubernetes-validate only warns about,
is named with its path and the closest real field. ``settings_problems`` holds the lesson's
choices: the scikit-learn format, the learner's own storageUri, the V2 protocol, and CPU and
memory requests and limits that fit together.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mlops_roadmap.checking import blocked

Find = Callable[[str], Any]  # a class name -> the generated class, or None
API_VERSION = "serving.kserve.io/v1beta1"
PUBLIC_EXAMPLES = ("gs://kfserving-examples/", "gs://kfserving-samples/", "gs://seldon-models/")
SCHEMES = ("s3", "gs", "pvc", "https", "http", "hdfs", "webhdfs", "oci", "hf")
MODEL_FILES = (".joblib", ".pkl", ".pickle")
NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")  # a DNS-1035 label, as KServe requires
QUANTITY = re.compile(
    r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]([0-9]+))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
)
UNITS = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
         "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}  # fmt: skip
# The generated classes write their containers both ways: list[X] or List[X], dict(str, X) or
# Dict[str, X].
LIST = re.compile(r"^[lL]ist\[(.+)\]$")
MAPPING = re.compile(r"^(?:dict\(str, (.+)\)|Dict\[str, (.+)\])$")
# KServe's Python server, scikit-learn and NumPy take about 200 MB before the model.
MIN_MEMORY = 256 * 2**20


def load(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The manifest's one document, or None and what is wrong."""
    if not path.is_file():
        return None, "no such file in the week folder"
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, f"not YAML: {exc}"
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return None, f"{len(docs)} YAML documents; expected one InferenceService mapping"
    return docs[0], ""


def finder(*modules: Any) -> Find:
    """Look a generated class up by name in the given modules (KServe's, then Kubernetes')."""

    def find(kind: str) -> Any:
        for module in modules:
            cls = getattr(module, kind, None)
            if cls is not None and hasattr(cls, "attribute_map"):
                return cls
        return None

    return find


def sdk_finder() -> Find:
    """The finder over KServe's SDK and the Kubernetes client, or the check blocked with how to
    install them."""
    try:
        import kserve.models  # type: ignore[import-untyped,unused-ignore]
        import kubernetes.client.models  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        blocked(
            f"the checks need KServe's SDK to read the manifest, and it does not import: {exc}",
            hint="`pip install 'kserve>=0.21,<0.22'` into the environment that runs "
            "mlops-roadmap (the workspace .venv).",
        )
    return finder(kserve.models, kubernetes.client.models)


def described(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def walk(value: Any, kind: str, path: str, find: Find) -> list[str]:
    """Every problem of ``value`` read as the generated type ``kind`` (e.g. "list[V1EnvVar]")."""
    if listed := LIST.match(kind):
        if not isinstance(value, list):
            return [f"{path}: expected a list, found {described(value)}"]
        inner = listed.group(1)
        return [p for i, v in enumerate(value) for p in walk(v, inner, f"{path}[{i}]", find)]
    if mapped := MAPPING.match(kind):
        if not isinstance(value, dict):
            return [f"{path}: expected a mapping, found {described(value)}"]
        inner = mapped.group(1) or mapped.group(2)
        return [p for k, v in value.items() for p in walk(v, inner, f"{path}.{k}", find)]
    # Quantities and int-or-string values come through as str.
    if kind in ("str", "bytes", "datetime", "date"):
        ok = isinstance(value, (str, int, float)) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a string, found {described(value)}"]
    if kind in ("int", "float", "bool"):
        ok = isinstance(value, bool) if kind == "bool" else (
            isinstance(value, (int, float) if kind == "float" else int)
            and not isinstance(value, bool))  # fmt: skip
        return [] if ok else [f"{path}: expected {kind}, found {described(value)}"]
    cls = find(kind)
    if cls is None:  # "object", or a type the SDK leaves open
        return []
    if not isinstance(value, dict):
        return [f"{path}: expected an object ({kind}), found {described(value)}"]
    fields = {json_name: name for name, json_name in cls.attribute_map.items()}
    problems = []
    for key, item in value.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in fields:
            near = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            near += [f for f in fields if f.lower() == str(key).lower()][:1]
            guess = f" (did you mean {near[-1]}?)" if near else ""
            problems.append(f"{where}: not a field of {kind}{guess}")
        elif item is not None:
            problems += walk(item, cls.openapi_types[fields[key]], where, find)
    return problems


def unknown_fields(doc: dict[str, Any], find: Find) -> list[str]:
    return walk(doc, "V1beta1InferenceService", "", find)


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity ("100m", "1", "256Mi", "1e9") as a number, or None."""
    match = QUANTITY.match(str(value)) if not isinstance(value, bool) else None
    if match is None:
        return None
    base = float(match.group(1)) * 10 ** int(match.group(2) or 0)
    return float(base * UNITS.get(match.group(3) or "", 1))


def resource_problems(resources: Any) -> list[str]:
    """CPU and memory requests and limits, each a quantity, the request within the limit."""
    if not isinstance(resources, dict):
        return ["resources: missing (requests and limits for cpu and memory)"]
    problems = []
    got: dict[tuple[str, str], float] = {}
    for part in ("requests", "limits"):
        for name in ("cpu", "memory"):
            raw = (resources.get(part) or {}).get(name)
            where = f"resources.{part}.{name}"
            amount = quantity(raw) if raw is not None else None
            if raw is None:
                problems.append(f"{where}: missing")
            elif amount is None or amount <= 0:
                problems.append(f"{where}: {raw!r} is not a quantity such as 500m or 1Gi")
            else:
                got[part, name] = amount
    for name in ("cpu", "memory"):
        low, high = got.get(("requests", name)), got.get(("limits", name))
        if low is not None and high is not None and low > high:
            problems.append(f"resources: the {name} request is above its limit")
    memory = got.get(("limits", "memory"))
    if memory is not None and memory < MIN_MEMORY:
        problems.append(f"resources.limits.memory: {resources['limits']['memory']!r} is below "
                        "256Mi, less than the runtime needs before your model")  # fmt: skip
    return problems


def storage_problem(uri: Any) -> str:
    if not isinstance(uri, str) or not uri:
        return "storageUri: missing"
    if uri.startswith(PUBLIC_EXAMPLES):
        return f"storageUri: {uri} is KServe's public example model, not yours"
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme not in SCHEMES:
        return f"storageUri: {uri} has no storage scheme KServe reads ({', '.join(SCHEMES)})"
    if scheme in ("s3", "gs", "pvc") and uri.rstrip("/").endswith(MODEL_FILES):
        return f"storageUri: {uri} names a file; name the folder that holds model.joblib"
    return ""


def settings_problems(doc: dict[str, Any], protocol: str | None = "v2") -> list[str]:
    """The lesson's choices, each problem naming its place; ``protocol`` None leaves the
    protocol to the learner."""
    problems = []
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "InferenceService":
        problems.append(f"apiVersion/kind: {doc.get('apiVersion')}/{doc.get('kind')}, "
                        f"not {API_VERSION}/InferenceService")  # fmt: skip
    name = (doc.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not NAME.match(name) or len(name) > 63:
        problems.append(f"metadata.name: {name!r} is not a DNS-1035 name (a-z, 0-9, -)")
    predictor = (doc.get("spec") or {}).get("predictor") or {}
    model = predictor.get("model") if isinstance(predictor, dict) else None
    if not isinstance(model, dict):
        return [*problems, "spec.predictor.model: missing (modelFormat, storageUri, ...)"]
    form = (model.get("modelFormat") or {}).get("name")
    if form != "sklearn":
        problems.append(f"spec.predictor.model.modelFormat.name: {form!r}, not 'sklearn'")
    if problem := storage_problem(model.get("storageUri")):
        problems.append(f"spec.predictor.model.{problem}")
    if protocol is not None and model.get("protocolVersion") != protocol:
        problems.append(f"spec.predictor.model.protocolVersion: "
                        f"{model.get('protocolVersion')!r}, not {protocol!r}")  # fmt: skip
    problems += [f"spec.predictor.model.{p}" for p in resource_problems(model.get("resources"))]
    return problems
