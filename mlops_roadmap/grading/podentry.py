"""What each pod of the grading Job runs: its own submission's checks, to /results.

    python -m mlops_roadmap.grading.podentry --run RUN

The pod's /submissions and /results are its own index's folders of the two volumes
(``<run>/<index>/``). Reads JOB_COMPLETION_INDEX (set by an Indexed Job) and who that index is
from ``/submissions/index.json``, unpacks ``/submissions/<index>.tar`` into the writable work
volume, runs ``mlops_roadmap.grading.entry`` under the wall-clock limit (``entry.command``:
isolated, from the temporary folder, outside the submission), and writes
``/results/<index>.json``: the student, week, commit, what the sandbox saw and the report.
Exits 0 whenever the checks ran, whatever they found, so a failing submission never looks like
a failing pod; exits 3 (after writing the reason) when they could not run at all.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from mlops_roadmap import procs
from mlops_roadmap.grading import entry
from mlops_roadmap.grading.kube import SEAL_DIR, SEAL_FILE

CANNOT_RUN = 3
ISOLATION = (
    "kubernetes pod: no network (NetworkPolicy), {memory_mb} MB, {cpus:g} CPU, "
    "read-only root, uid {uid}, cap-drop ALL"
)


def unpack(tar_path: Path, dest: Path) -> None:
    """Extract a submission tar, refusing anything that would land outside ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    with tarfile.open(tar_path) as tar:
        for member in tar:
            target = (root / member.name).resolve()
            inside = target == root or target.is_relative_to(root)
            if member.issym():
                inside = inside and (target.parent / member.linkname).resolve().is_relative_to(root)
            if not inside or not (member.isfile() or member.isdir() or member.issym()):
                continue  # escapes, hard links, devices and fifos are left out
            member.mode = (member.mode | 0o600) & 0o755 if member.isfile() else 0o755
            tar.extract(member, root, set_attrs=not member.issym())


def grade(
    run: str, index: int, submissions: Path, work: Path, tmp: Path, seal_dir: Path = Path(SEAL_DIR)
) -> dict[str, Any]:
    """Run one index's checks; the verdict document (never raises for the submission's sake)."""
    who = json.loads((submissions / "index.json").read_text(encoding="utf-8"))
    if (who["run"], who["index"]) != (run, index):
        raise ValueError(f"index.json is {who['run']} #{who['index']}, not {run} #{index}")
    limits = who["limits"]
    submission = work / "submission"
    unpack(submissions / f"{index}.tar", submission)
    limit_files(int(limits["file_mb"]))  # after unpacking: the limit is on what the checks write
    result_path = tmp / f"result-{index}.json"
    sealed = seal_dir / SEAL_FILE
    command = entry.command(
        sys.executable,
        who["week"],
        submission,
        result_path,
        float(limits["check_seconds"]),
        seal=str(sealed) if sealed.is_file() else None,
    )
    tmp.mkdir(parents=True, exist_ok=True)  # where the checker starts: outside the submission
    finished = procs.run(command, cwd=tmp, timeout=float(limits["wall_seconds"]))
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result = None
    return {
        "format": 1,
        "index": index,
        "run": run,
        "student": who["student"],
        "week": who["week"],
        "commit": who.get("commit"),
        "returncode": finished.returncode,
        "timed_out": finished.timed_out,
        "duration": round(finished.duration, 3),
        "output": (finished.stdout + finished.stderr)[-limits["output_kb"] * 1024 :],
        "isolation": ISOLATION.format(uid=os.getuid(), **limits),
        "result": result if isinstance(result, dict) else None,
    }


def limit_files(file_mb: int) -> None:
    """What Kubernetes has no field for: the largest file, and no core dumps."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def write(path: Path, document: dict[str, Any]) -> None:
    """Atomically, so a half-written verdict is never collected."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document), encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlops_roadmap.grading.podentry")
    parser.add_argument("--run", required=True, help="the batch this pod belongs to")
    parser.add_argument("--submissions", type=Path, default=Path("/submissions"))
    parser.add_argument("--results", type=Path, default=Path("/results"))
    parser.add_argument("--work", type=Path, default=Path("/work"))
    parser.add_argument("--tmp", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")))
    parser.add_argument("--seal", type=Path, default=Path(SEAL_DIR), help="the seal's folder")
    args = parser.parse_args(argv)
    index = int(os.environ.get("JOB_COMPLETION_INDEX", "-1"))
    out = args.results / f"{index}.json"
    started = time.monotonic()
    try:
        document = grade(args.run, index, args.submissions, args.work, args.tmp, args.seal)
    except (OSError, ValueError, KeyError, TypeError, tarfile.TarError) as exc:
        document = {
            "format": 1,
            "index": index,
            "run": args.run,
            "result": None,
            "returncode": CANNOT_RUN,
            "timed_out": False,
            "output": "",
            "duration": round(time.monotonic() - started, 3),
            "error": f"cannot grade index {index}: {type(exc).__name__}: {exc}",
        }
    write(out, document)
    return CANNOT_RUN if "error" in document else 0


if __name__ == "__main__":
    sys.exit(main())
