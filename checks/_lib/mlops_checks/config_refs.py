"""ConfigMaps and Secrets a Deployment's pods use: every reference resolves, the app's secrets
come from a Secret, and no file git would commit holds a secret's real value.

A reference resolves when an object of that kind and name, with that key, is declared in the
manifest folder (a file, a kustomize generator, or an example file kept out of the
kustomization) or is ``optional: true``. A value counts as real unless it is empty or plainly a
placeholder (``<jwt secret>``, ``${JWT_SECRET}``, ``REPLACE_ME``, ``change-me``, ``xxxx``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_checks.manifests import Doc, ObjectSet
from mlops_checks.workloads import POD_KINDS, containers, each_container, pod_owners, pod_spec

SECRET_NAME = re.compile(
    r"(?i)(secret|password|passwd|token|api_?key|private_?key|pseudonym_?key|credential)"
)
PLACEHOLDER_WORDS = (
    "change",
    "replace",
    "placeholder",
    "example",
    "dummy",
    "your",
    "fill",
    "todo",
    "redacted",
    "not-a-secret",
    "set-me",
    "setme",
)
PLACEHOLDER = re.compile(r"<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|[xX*.\-_#?]+|[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class Ref:
    kind: str  # ConfigMap or Secret
    name: str
    key: str | None  # None: the whole object (envFrom, a volume without items)
    optional: bool
    where: str


def refs(objects: ObjectSet) -> Iterator[Ref]:
    """Every ConfigMap and Secret reference of the set's Deployments."""
    for where, _, c in each_container(objects):
        for source in c.get("envFrom") or []:
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = source.get(field)
                if isinstance(ref, dict):
                    yield Ref(
                        kind,
                        str(ref.get("name")),
                        None,
                        bool(ref.get("optional")),
                        f"{where}: envFrom {field}",
                    )
        for var in c.get("env") or []:
            value_from = var.get("valueFrom") or {}
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = value_from.get(field)
                if isinstance(ref, dict):
                    yield Ref(
                        kind,
                        str(ref.get("name")),
                        str(ref.get("key")),
                        bool(ref.get("optional")),
                        f"{where}: env {var.get('name')}",
                    )
    for doc in pod_owners(objects):
        yield from volume_refs(doc)


def volume_refs(doc: Doc) -> Iterator[Ref]:
    for volume in pod_spec(doc).get("volumes") or []:
        sources = [volume, *list((volume.get("projected") or {}).get("sources") or [])]
        where = f"{doc.kind} {doc.name}: volume {volume.get('name')}"
        for source in sources:
            for field, kind, key in (
                ("configMap", "ConfigMap", "name"),
                ("secret", "Secret", "secretName"),
            ):
                ref = source.get(field)
                if not isinstance(ref, dict):
                    continue
                name = str(ref.get(key) or ref.get("name"))
                items: list[str | None] = [str(i.get("key")) for i in ref.get("items") or []]
                for item in items or [None]:
                    yield Ref(kind, name, item, bool(ref.get("optional")), where)


def keys(doc: Doc) -> set[str]:
    found: set[str] = set()
    for field in ("data", "stringData", "binaryData"):
        found |= set((doc.obj.get(field) or {}).keys())
    return found


def unresolved(objects: ObjectSet, declared: Iterable[Doc]) -> list[str]:
    """References to a ConfigMap or Secret, or a key of one, that nothing declares."""
    known = {(d.kind, d.name): keys(d) for d in declared if d.kind in ("ConfigMap", "Secret")}
    problems = []
    for ref in refs(objects):
        if ref.optional:
            continue
        have = known.get((ref.kind, ref.name))
        if have is None:
            problems.append(f"{ref.where}: no {ref.kind} named {ref.name!r} is declared")
        elif ref.key is not None and ref.key not in have:
            problems.append(
                f"{ref.where}: {ref.kind} {ref.name} has no key {ref.key!r} (it has {sorted(have)})"
            )
    return problems


def env_sources(objects: ObjectSet, declared: Iterable[Doc]) -> dict[str, set[str]]:
    """Each environment variable of the Deployments' containers and the kinds it comes from:
    "Secret", "ConfigMap", "value"."""
    secrets = {(d.kind, d.name): keys(d) for d in declared}
    found: dict[str, set[str]] = {}
    for doc in pod_owners(objects):
        for c in containers(doc):
            for source in c.get("envFrom") or []:
                for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    ref = source.get(field)
                    if isinstance(ref, dict):
                        prefix = str(source.get("prefix") or "")
                        for key in secrets.get((kind, str(ref.get("name"))), set()):
                            found.setdefault(prefix + key, set()).add(kind)
            for var in c.get("env") or []:
                value_from = var.get("valueFrom") or {}
                kind = (
                    "Secret"
                    if "secretKeyRef" in value_from
                    else "ConfigMap"
                    if "configMapKeyRef" in value_from
                    else "value"
                )
                found.setdefault(str(var.get("name")), set()).add(kind)
    return found


def placeholder(value: str) -> bool:
    text = value.strip()
    low = text.lower()
    return (
        not text
        or PLACEHOLDER.fullmatch(text) is not None
        or any(w in low for w in PLACEHOLDER_WORDS)
    )


def decoded(value: object) -> str:
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return str(value)


def shown(value: str) -> str:
    """A value named without giving it away: its first characters and its length."""
    return f"{value[:3]}... ({len(value)} characters)"


def committed_values(doc: Doc) -> Iterator[tuple[str, str]]:
    """(key, value) pairs a Secret, ConfigMap or kustomization carries in its file."""
    if doc.kind == "Secret":
        yield from ((k, decoded(v)) for k, v in (doc.obj.get("data") or {}).items())
        yield from ((k, str(v)) for k, v in (doc.obj.get("stringData") or {}).items())
    elif doc.kind == "ConfigMap":
        yield from (
            (k, str(v)) for k, v in (doc.obj.get("data") or {}).items() if SECRET_NAME.search(k)
        )


def generator_values(path: Path, committed: set[Path]) -> Iterator[tuple[str, str]]:
    """A kustomization's secretGenerator literals, and the values of the env files it reads
    that git would commit."""
    import yaml

    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for gen in spec.get("secretGenerator") or []:
        for literal in gen.get("literals") or []:
            key, _, value = str(literal).partition("=")
            yield key, value
        for env in gen.get("envs") or ([gen["env"]] if gen.get("env") else []):
            source = (path.parent / str(env)).resolve()
            if source in committed and source.is_file():
                for line in source.read_text(encoding="utf-8", errors="replace").splitlines():
                    key, eq, value = line.strip().partition("=")
                    if eq and not key.startswith("#"):
                        yield key, value


def leaked(
    docs: Iterable[Doc], kustomizations: Iterable[Path], committed: set[Path], root: Path
) -> list[str]:
    """Real secret values in files git would commit: Secrets' data, ConfigMap keys named like
    a secret, secretGenerator literals and env files, and containers' literal env values."""
    problems = []
    for doc in docs:
        if (root / doc.source).resolve() not in committed:
            continue
        for key, value in committed_values(doc):
            if doc.kind == "ConfigMap" or not placeholder(value):
                what = "a secret in a ConfigMap" if doc.kind == "ConfigMap" else "a real value"
                problems.append(f"{doc.where}: {key} holds {what}: {shown(value)}")
        if doc.kind in POD_KINDS:
            for c in containers(doc):
                for var in c.get("env") or []:
                    name, value = str(var.get("name")), var.get("value")
                    if (
                        value is not None
                        and SECRET_NAME.search(name)
                        and not placeholder(str(value))
                    ):
                        problems.append(
                            f"{doc.where}: env {name} is written in the manifest: "
                            f"{shown(str(value))}"
                        )
    for path in kustomizations:
        if path.resolve() in committed:
            for key, value in generator_values(path, committed):
                if not placeholder(value):
                    problems.append(
                        f"{path.relative_to(root)}: secretGenerator {key} holds a "
                        f"real value: {shown(value)}"
                    )
    return problems


def secret_data(obj: dict[str, Any]) -> dict[str, str]:
    """A Secret's keys with their values (data decoded, stringData as it is)."""
    found = {str(k): decoded(v) for k, v in (obj.get("data") or {}).items()}
    found.update({str(k): str(v) for k, v in (obj.get("stringData") or {}).items()})
    return found
