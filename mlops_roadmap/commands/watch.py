"""`watch`: wait for the learner's files to change, using file events or polling.

File events are unreliable on WSL drives, Docker volumes and network file systems, so there (or
when asked) the watcher polls modification times instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

IGNORED = {".venv", "__pycache__", ".git", ".ipynb_checkpoints", ".pytest_cache", ".dvc"}
POLLED_FS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "9p",
    "v9fs",
    "drvfs",
    "fuse.sshfs",
    "virtiofs",
    "fuse.grpcfuse",
    "fakeowner",
    "vboxsf",
    "prl_fs",
}
POLL_ENV = "MLOPS_ROADMAP_POLL"


def filesystem(path: Path) -> str:
    """The file-system type of the mount holding ``path`` (Linux), or '' when unknown."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    best, kind = "", ""
    target = str(path.resolve())
    for line in mounts:
        fields = line.split()
        if len(fields) > 2 and target.startswith(fields[1]) and len(fields[1]) > len(best):
            best, kind = fields[1], fields[2]
    return kind


def should_poll(path: Path, forced: bool) -> bool:
    """Poll when asked, when $MLOPS_ROADMAP_POLL is set, or on a file system without events."""
    return forced or bool(os.environ.get(POLL_ENV)) or filesystem(path) in POLLED_FS


def _ignored(path: Path, root: Path) -> bool:
    return any(part in IGNORED for part in path.relative_to(root).parts)


def snapshot(root: Path) -> dict[Path, tuple[float, int]]:
    """Modification time and size of every file under ``root`` outside ignored folders."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in IGNORED]
        for name in files:
            path = Path(folder) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            seen[path] = (stat.st_mtime, stat.st_size)
    return seen


def poll(root: Path, stop: threading.Event, interval: float = 1.0) -> Iterator[set[Path]]:
    """Yield the set of changed files each time something under ``root`` changes."""
    before = snapshot(root)
    while not stop.wait(interval):
        after = snapshot(root)
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        before = after
        if changed:
            yield changed


def events(root: Path, stop: threading.Event) -> Iterator[set[Path]]:
    """Yield changed files from file-system events (watchfiles)."""
    import watchfiles

    for batch in watchfiles.watch(root, stop_event=stop, debounce=400, raise_interrupt=False):
        changed = {Path(p) for _, p in batch if not _ignored(Path(p), root)}
        if changed:
            yield changed


def changes(root: Path, stop: threading.Event, force_poll: bool = False) -> Iterator[set[Path]]:
    """Changes under ``root``, by events where they work and by polling elsewhere."""
    if should_poll(root, force_poll):
        return poll(root, stop)
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        return poll(root, stop)
    return events(root, stop)
