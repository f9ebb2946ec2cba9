"""Probe, run in the learner's interpreter: is everything DVC tracks in the default remote?

Usage: python dvc_cloud.py WEEK_DIR [OUTPUT=REV,REV... ...] MARKER
Prints one line, MARKER followed by a JSON object:
    error          {"kind", "message"} when DVC or the project cannot be opened
    remote         the default remote's name (None when there is none) and url
    current        `Repo.status(cloud=True)` for the workspace: {} when everything is pushed
    current_error  why DVC could not compare with the remote
    history        for each data output (e.g. data/raw) and the git commits that changed its
                   hash: "lacking", a list of {path, rev, object, state: "new" | "missing"}
                   for every object of those versions that the remote lacks (what
                   `dvc status --cloud` compares), and "unreadable" revisions DVC could not read
    history_error  why that comparison failed
"""

from __future__ import annotations

import json
import sys
from typing import Any

from probe_errors import describe


def history_status(repo: Any, versions: dict[str, list[str]]) -> dict[str, Any]:
    """What the remote lacks of the data each listed commit tracks (the workspace left out).

    `status(cloud=True, all_commits=True)` would also check every pipeline output ever
    committed and fail on any commit whose DVC files were broken; this asks, commit by
    commit, about the data outputs only, with the calls `status(cloud=True)` makes (the
    index's used objects at that revision, then the comparison with the remote).
    """
    # Collect at each revision, compare afterwards: inside the brancher DVC reads that
    # commit's config, which may predate the remote.
    collected, unreadable = [], []
    for target, revs in versions.items():
        for rev in revs:
            try:
                for _ in repo.brancher(revs=[rev], workspace=False):
                    for obj_ids in repo.index.used_objs([target], force=True).values():
                        collected.append((target, rev, obj_ids))
            except Exception as exc:
                unreadable.append({"path": target, "rev": rev, "message": describe(exc)})
    lacking = []
    for target, rev, obj_ids in collected:
        compared = repo.cloud.status(obj_ids)
        for state in ("new", "missing"):
            for hash_info in getattr(compared, state, ()):
                name = hash_info.obj_name or hash_info.value
                lacking.append({"path": target, "rev": rev, "object": name, "state": state})
    return {"lacking": lacking, "unreadable": unreadable}


def inspect(week: str, versions: dict[str, list[str]]) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    try:
        from dvc.repo import Repo

        repo = Repo(week)
    except Exception as exc:
        answer["error"] = {"kind": "open", "message": describe(exc)}
        return answer
    with repo:
        name = repo.config["core"].get("remote")
        url = repo.config["remote"].get(name, {}).get("url") if name else None
        answer["remote"] = {"name": name, "url": str(url) if url else None}
        if not name:
            return answer
        try:
            answer["current"] = repo.status(cloud=True)
        except Exception as exc:
            answer["current_error"] = describe(exc)
            return answer
        if versions:
            try:
                with repo.lock:
                    answer["history"] = history_status(repo, versions)
            except Exception as exc:
                answer["history_error"] = describe(exc)
    return answer


def main() -> int:
    week, marker = sys.argv[1], sys.argv[-1]
    versions = {}
    for arg in sys.argv[2:-1]:
        target, _, revs = arg.partition("=")
        versions[target] = [rev for rev in revs.split(",") if rev]
    print(marker + json.dumps(inspect(week, versions), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
