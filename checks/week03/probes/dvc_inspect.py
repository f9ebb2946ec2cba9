"""Probe, run in the learner's interpreter: what DVC itself says about the week folder.

Usage: python dvc_inspect.py WEEK_DIR MARKER
Prints one line, MARKER followed by a JSON object:
    version      DVC's version, or absent when DVC does not import
    error        {"kind", "message"} when DVC or the project cannot be opened at all
    root         the DVC project's root folder (its .dvc folder's parent)
    git_root     the git repository DVC found, or None (no git, or `dvc init --no-scm`)
    no_scm       whether the project was initialised with --no-scm
    index_error  why DVC cannot read the project's dvc.yaml / .dvc files, when it cannot
    stages       every stage: file, name, pipeline (from a dvc.yaml), cmd, deps, params, outs
    edges        [downstream, upstream] stage addresses of the pipeline graph
    status       `Repo.status()` ({} when the workspace matches what is tracked) or status_error
    metrics      the workspace's metrics as {file: {dotted.key: number}}
    remote       the default remote's name and url (None when there is none), and every remote
Only reads: DVC writes its own lock and temporary files under .dvc/tmp.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from probe_errors import describe


def flatten(data: Any, prefix: str = "") -> dict[str, float]:
    """Numbers of a nested metrics mapping by dotted key."""
    if isinstance(data, dict):
        out: dict[str, float] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return {prefix.rstrip("."): float(data)}
    return {}


def workspace_metrics(repo: Any) -> dict[str, dict[str, float]]:
    shown = repo.metrics.show()
    files = shown.get("", {}).get("data", {})
    return {name: flatten(entry.get("data", {})) for name, entry in files.items()}


def stage_info(stage: Any, root: str, pipeline_cls: type) -> dict[str, Any]:
    from dvc.dependency.param import ParamsDependency

    def rel(path: str) -> str:
        return os.path.relpath(path, root).replace(os.sep, "/")

    params = [
        {"file": rel(d.fs_path), "keys": list(d.params or [])}
        for d in stage.deps
        if isinstance(d, ParamsDependency)
    ]
    return {
        "address": stage.addressing,
        "file": rel(os.path.join(root, stage.relpath)),
        "name": getattr(stage, "name", None),
        "pipeline": isinstance(stage, pipeline_cls),
        "cmd": stage.cmd if isinstance(stage.cmd, str) else " && ".join(stage.cmd or []),
        "deps": [rel(d.fs_path) for d in stage.deps if not isinstance(d, ParamsDependency)],
        "params": params,
        "outs": [
            {
                "path": rel(o.fs_path),
                "written": str(o.def_path),
                "metric": bool(o.is_metric),
                "cache": bool(o.use_cache),
            }
            for o in stage.outs
        ],
    }


def inspect(week: str) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    try:
        import dvc
        from dvc.exceptions import NotDvcRepoError
        from dvc.repo import Repo
        from dvc.stage import PipelineStage
    except Exception as exc:
        answer["error"] = {"kind": "import", "message": describe(exc)}
        return answer
    answer["version"] = dvc.__version__
    try:
        repo = Repo(week)
    except NotDvcRepoError as exc:
        answer["error"] = {"kind": "not_dvc_repo", "message": describe(exc)}
        return answer
    except Exception as exc:
        answer["error"] = {"kind": "open", "message": describe(exc)}
        return answer
    with repo:
        root = os.path.realpath(repo.root_dir)
        answer["root"] = root
        answer["no_scm"] = bool(repo.config["core"].get("no_scm"))
        try:
            answer["git_root"] = getattr(repo.scm, "root_dir", None)
        except Exception as exc:  # no git repository above the project
            answer["git_root"] = None
            answer["git_error"] = describe(exc)
        if root != os.path.realpath(week):
            return answer
        name = repo.config["core"].get("remote")
        remotes = {k: str(v.get("url", "")) for k, v in repo.config["remote"].items()}
        answer["remote"] = {"name": name, "url": remotes.get(name), "all": remotes}
        try:
            stages = list(repo.index.stages)
            answer["stages"] = [stage_info(s, root, PipelineStage) for s in stages]
            answer["edges"] = [[a.addressing, b.addressing] for a, b in repo.index.graph.edges]
        except Exception as exc:
            answer["index_error"] = describe(exc)
            return answer
        try:
            answer["status"] = repo.status()
        except Exception as exc:
            answer["status_error"] = describe(exc)
        try:
            answer["metrics"] = workspace_metrics(repo)
        except Exception as exc:
            answer["metrics_error"] = describe(exc)
    return answer


def main() -> int:
    week, marker = sys.argv[1], sys.argv[-1]
    print(marker + json.dumps(inspect(week), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
