"""Kubernetes manifests as a week folder holds them: read, rendered with kustomize, validated.

A manifest folder (``k8s/``) is read one of two ways. Without a kustomization, every YAML
document of every ``*.yaml``/``*.yml`` file in it is an object. With kustomizations, each one
that no other kustomization builds on (an overlay, or ``k8s/`` itself) is rendered with
``kubectl kustomize`` and its output is the object set; files no kustomization names (a
``secret.example.yaml``) are read as they are. Objects are validated offline against the
Kubernetes JSON schemas of one pinned version, strictly (an unknown field is an error), with
``kubernetes-validate``; a custom resource it has no schema for is left to other checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

K8S_VERSION = "1.31.0"  # the schemas manifests are validated against (kind's default in 2025)
KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUFFIXES = (".yaml", ".yml")
# Fields of a kustomization naming files or folders it builds from (patches are partial
# objects, never validated on their own).
NAMED = ("resources", "bases", "components", "crds", "patchesStrategicMerge")
NAMED_PATHS = ("patches", "patchesJson6902")
RENDER_TIMEOUT = 60
Runner = Callable[..., Any]  # the engine's `run` fixture: run(args, cwd=..., timeout=...)


@dataclass(frozen=True)
class Doc:
    """One object and where it came from (``k8s/deployment.yaml``, or a kustomization)."""

    source: str
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        meta = self.obj.get("metadata")
        return str(meta.get("name", "")) if isinstance(meta, dict) else ""

    @property
    def where(self) -> str:
        return f"{self.kind} {self.name or '(no name)'} ({self.source})"


@dataclass(frozen=True)
class ObjectSet:
    """The objects one deployment of the folder applies: ``label`` names it (the folder, or
    the kustomization rendered)."""

    label: str
    docs: tuple[Doc, ...]

    def of(self, kind: str) -> list[Doc]:
        return [d for d in self.docs if d.kind == kind]


@dataclass(frozen=True)
class Folder:
    root: Path  # the week folder; sources are relative to it
    sets: tuple[ObjectSet, ...]
    plain: tuple[Doc, ...]  # objects of files no kustomization names (validated on their own)
    declared: tuple[Doc, ...]  # every object any file or rendering declares
    problems: tuple[str, ...] = field(default=())  # unreadable YAML, renders that failed
    kustomized: tuple[str, ...] = field(default=())  # the kustomization folders rendered


def parse(text: str, source: str) -> tuple[list[Doc], list[str]]:
    """The objects of one YAML stream, and what is wrong with it (a syntax error names its
    line; a document that is not an object with apiVersion and kind is named)."""
    import yaml

    docs: list[Doc] = []
    try:
        loaded = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        return [], [f"{source}:{line} is not YAML: {getattr(exc, 'problem', None) or exc}"]
    problems = []
    for number, obj in enumerate(loaded, start=1):
        if obj is None:
            continue  # an empty document (a trailing ---)
        where = source if len(loaded) == 1 else f"{source} (document {number})"
        if not isinstance(obj, dict) or not obj.get("apiVersion") or not obj.get("kind"):
            problems.append(f"{where}: not a Kubernetes object (apiVersion and kind)")
            continue
        docs.append(Doc(source, obj))
    return docs, problems


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in SUFFIXES)


def kustomization(folder: Path) -> Path | None:
    return next((folder / n for n in KUSTOMIZATIONS if (folder / n).is_file()), None)


def named_by(path: Path) -> tuple[set[Path], set[Path]]:
    """The files and the kustomization folders a kustomization names."""
    import yaml

    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return set(), set()
    entries: list[str] = []
    for key in NAMED:
        entries += [e for e in spec.get(key) or [] if isinstance(e, str)]
    for key in NAMED_PATHS:
        entries += [e["path"] for e in spec.get(key) or [] if isinstance(e, dict) and "path" in e]
    targets = [(path.parent / e).resolve() for e in entries if "://" not in e]
    return {t for t in targets if t.is_file()}, {t for t in targets if t.is_dir()}


def read_folder(root: Path, folder: Path, run: Runner, kubectl: str | None) -> Folder:
    """Read ``folder`` (inside the week folder ``root``): its object sets, as described above."""
    files = yaml_files(folder) if folder.is_dir() else []
    kfiles = [p for p in files if p.name in KUSTOMIZATIONS]
    kfiles += [p for p in folder.rglob("Kustomization") if p.is_file()] if folder.is_dir() else []
    named_files: set[Path] = set()
    bases: set[Path] = set()
    for path in kfiles:
        used, dirs = named_by(path)
        named_files |= used
        bases |= dirs
    plain, declared, problems = [], [], []
    for path in files:
        if path in kfiles:
            continue
        docs, wrong = parse(path.read_text(encoding="utf-8", errors="replace"), rel(root, path))
        problems += wrong
        declared += docs
        if path.resolve() not in named_files:
            plain += docs
    leaves = sorted({p.parent for p in kfiles if p.parent.resolve() not in bases})
    sets, rendered = [], []
    for leaf in leaves:
        docs, problem = render(run, kubectl, leaf, rel(root, leaf))
        rendered.append(rel(root, leaf))
        if problem:
            problems.append(problem)
        sets.append(ObjectSet(f"kustomize {rel(root, leaf)}", tuple(docs)))
        declared += docs
    if not kfiles:
        sets.append(ObjectSet(rel(root, folder), tuple(plain)))
    return Folder(
        root, tuple(sets), tuple(plain), tuple(declared), tuple(problems), tuple(rendered)
    )


def rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def render(run: Runner, kubectl: str | None, folder: Path, label: str) -> tuple[list[Doc], str]:
    """``kubectl kustomize FOLDER``: its objects, or why it did not render ("" when it did).
    Without kubectl, no objects and no problem: the caller blocks."""
    if kubectl is None:
        return [], ""
    result = run([kubectl, "kustomize", str(folder)], timeout=RENDER_TIMEOUT)
    if result.returncode != 0:
        return [], f"kubectl kustomize {label} failed: {result.tail(4)}"
    docs, problems = parse(result.stdout, f"kustomize {label}")
    return docs, "; ".join(problems)


def validate(docs: Iterable[Doc], version: str = K8S_VERSION) -> tuple[list[str], list[str]]:
    """Each object against the pinned version's schema, strictly: (problems, kinds that have
    no schema there, such as a custom resource)."""
    import kubernetes_validate  # type: ignore[import-untyped,unused-ignore]

    problems, unknown = [], []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc.obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            place = ".".join(str(p) for p in exc.path) or "(the object)"
            problems.append(f"{doc.where}: {place}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            unknown.append(f"{doc.kind} ({doc.obj.get('apiVersion')})")
        except (TypeError, KeyError) as exc:
            problems.append(f"{doc.where}: cannot be validated: {exc}")
    return problems, unknown


UNITS = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "m": 1e-3,
}


def quantity(value: object) -> float | None:
    """A Kubernetes quantity as a number ("100m" is 0.1, "256Mi" is 268435456), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    for unit in sorted(UNITS, key=len, reverse=True):
        if text.endswith(unit) and text[: -len(unit)]:
            number = text[: -len(unit)]
            try:
                return float(number) * UNITS[unit]
            except ValueError:
                return None
    try:
        return float(text)
    except ValueError:
        return None
