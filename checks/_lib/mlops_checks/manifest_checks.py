"""What the weeks that judge a manifest folder share (week 17's ``k8s/``, the capstone's
``deploy/``): the app's GET routes a probe may ask, the files git would commit, kustomize made
usable, problems gathered over each object set, and the set a pod is replayed or rolled out from.

Each helper reads only; a check decides what is wrong (``expect_none``) or blocked.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

from mlops_checks import manifests
from mlops_roadmap.checking import blocked

GET_KUBECTL = (
    "Install kubectl (https://kubernetes.io/docs/tasks/tools/): `kubectl kustomize` renders "
    "offline, no cluster needed."
)
Judge = Callable[[manifests.ObjectSet], list[str]]


def committed_files(week_dir: Path, run: manifests.Runner) -> set[Path]:
    """The files of the week folder git would commit (all of them outside a repository)."""
    result = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=week_dir,
        timeout=30,
    )
    if result.returncode != 0:
        return {p.resolve() for p in week_dir.rglob("*") if p.is_file()}
    return {(week_dir / n).resolve() for n in result.stdout.split("\0") if n}


def app_nodes(app: Path) -> Iterator[ast.AST]:
    """Every syntax node of a package's Python files (a file that does not parse is skipped)."""
    for path in app.rglob("*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        yield from ast.walk(tree)


def get_routes(app: Path) -> set[str]:
    """The GET routes a package declares (`@app.get("/health")`, `@router.get(...)`)."""
    found: set[str] = set()
    for node in app_nodes(app):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "api_route")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("/")
        ):
            found.add(str(node.args[0].value))
    return found


def usable(folder: manifests.Folder, kubectl: str | None, name: str = "k8s/") -> None:
    """Blocked when the folder needs kustomize and there is no kubectl to render it."""
    if folder.kustomized and kubectl is None:
        blocked(
            f"{name} has kustomizations ({', '.join(folder.kustomized)}) and kubectl is not "
            "on PATH, so they cannot be rendered",
            hint=GET_KUBECTL,
        )


def labelled(
    folder: manifests.Folder, kubectl: str | None, judge: Judge, name: str = "k8s/"
) -> list[str]:
    """Problems of every object set, each named by its set when there are several."""
    usable(folder, kubectl, name)
    found = []
    for objects in folder.sets:
        problems = judge(objects)
        found += [f"{objects.label}: {p}" if len(folder.sets) > 1 else p for p in problems]
    return found


def with_deployment(
    folder: manifests.Folder, name: str = "k8s/", to: str = "replay"
) -> manifests.ObjectSet:
    """The object set a pod is replayed or rolled out from: the first that has a Deployment."""
    with_pods = [s for s in folder.sets if s.of("Deployment")]
    if not with_pods:
        blocked(
            f"{name} has no Deployment to {to}",
            hint="Make the check on the Deployment pass first.",
        )
    return with_pods[0]
