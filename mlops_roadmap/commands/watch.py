"""`watch`: wait for the learner's files to change, using file events or polling.

A watcher is marked before each run of the checks and then waited on: it reports every change
since the mark, so a save made while the checks run starts another run instead of being lost.
A file rewritten with the bytes it had at the mark is no change: tools the checks run may touch
what they read (MLflow rewrites a registered model's `registered_model_meta` each time it is
loaded), and that must not start the checks again and again.
File events are unreliable on WSL drives, Docker volumes and network file systems, so there (or
when asked, or when events cannot be had) the watcher polls modification times instead.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from mlops_roadmap.errors import RoadmapError

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
HASHED_UP_TO = 64 * 1024 * 1024  # bytes; a larger file counts as changed whenever it is touched
Snapshot = dict[Path, tuple[int, int]]
Contents = dict[Path, str | None]


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


def snapshot(root: Path) -> Snapshot:
    """Modification time (ns) and size of every file under ``root`` outside ignored folders."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in IGNORED]
        for name in files:
            path = Path(folder) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            seen[path] = (stat.st_mtime_ns, stat.st_size)
    return seen


def digest(path: Path) -> str | None:
    """sha256 of a file's bytes (None when it is gone, unreadable or too large to hash)."""
    try:
        if path.stat().st_size > HASHED_UP_TO:
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def contents(root: Path) -> Contents:
    """The digest of every file ``snapshot`` sees, to tell a real change from a touch."""
    return {path: digest(path) for path in snapshot(root)}


def real_changes(changed: set[Path], marked: Contents) -> set[Path]:
    """The files whose bytes differ from the mark's (new and deleted files included)."""
    return {p for p in changed if marked.get(p) is None or digest(p) != marked[p]}


class Polling:
    """Changes found by comparing the folder with a snapshot taken at the last mark."""

    def __init__(self, root: Path, interval: float = 1.0, why: str = "") -> None:
        self.root, self.interval = root, interval
        self.how = f"polling: {why}" if why else "polling"
        self._stopped = threading.Event()
        self._base = snapshot(root)
        self._contents: Contents = {}

    def mark(self) -> None:
        """From now on: later changes are the ones ``wait`` reports."""
        self._base = snapshot(self.root)
        self._contents = contents(self.root)

    def wait(self) -> set[Path]:
        """The files changed since the mark, once there are some (nothing once closed)."""
        while True:
            now = snapshot(self.root)
            touched = {p for p in self._base.keys() | now.keys() if self._base.get(p) != now.get(p)}
            changed = real_changes(touched, self._contents)
            self._base.update({p: now[p] for p in touched - changed if p in now})
            if changed or self._stopped.wait(self.interval):
                return changed

    def close(self) -> None:
        self._stopped.set()


class Events:
    """Changes reported by file-system events (watchfiles), gathered by a listening thread that
    starts before the first mark and listens until closed, so no change falls between runs."""

    how = "file events"

    def __init__(self, root: Path, ready_within: float = 30) -> None:
        import watchfiles  # an ImportError here means: poll instead

        self.root = root
        self._watch = watchfiles.watch
        self._stopped = threading.Event()
        self._arrived = threading.Condition()
        self._changed: set[Path] = set()
        self._contents: Contents = {}
        self._listening = False
        self._failure: Exception | None = None
        self._thread = threading.Thread(target=self._listen, name="watch-events", daemon=True)
        self._thread.start()
        try:
            with self._arrived:
                self._arrived.wait_for(lambda: self._listening, ready_within)
        except BaseException:  # Ctrl-C while the watches are being set up
            self.close()
            raise
        if self._failure or not self._listening:
            self.close()
            raise RoadmapError(f"no file events for {root}: {self._failure or 'no answer'}")

    def _listen(self) -> None:
        try:
            # The first (possibly empty) batch, after rust_timeout, says the watches are in place.
            batches = self._watch(
                self.root, stop_event=self._stopped, debounce=400, rust_timeout=200,
                yield_on_timeout=True,
            )  # fmt: skip
            for batch in batches:
                changed = {Path(p) for _, p in batch if not _ignored(Path(p), self.root)}
                with self._arrived:
                    self._listening = True
                    self._changed |= changed
                    self._arrived.notify_all()
        except Exception as exc:  # e.g. the system's limit on watches; wait() reports it
            self._failure = exc
        finally:
            with self._arrived:
                self._stopped.set()
                self._arrived.notify_all()

    def mark(self) -> None:
        """From now on: later changes are the ones ``wait`` reports."""
        self._contents = contents(self.root)  # before forgetting: a save between the two is
        with self._arrived:  # either seen by the run about to start or reported after it
            self._changed = set()

    def wait(self) -> set[Path]:
        """The files changed since the mark, once there are some (nothing once closed)."""
        changed: set[Path] = set()
        while not changed and not self._stopped.is_set():
            with self._arrived:
                self._arrived.wait_for(lambda: self._changed or self._stopped.is_set())
                touched, self._changed = self._changed, set()
            changed = real_changes(touched, self._contents)
        if not changed and self._failure:
            raise RoadmapError(f"watching {self.root} failed: {self._failure}; try `--poll`")
        return changed

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


def watcher(root: Path, force_poll: bool = False) -> Polling | Events:
    """A watcher on ``root``: file events where they work, polling elsewhere."""
    if should_poll(root, force_poll):
        return Polling(root)
    try:
        return Events(root)
    except ImportError:
        return Polling(root, why="watchfiles is not installed")
    except RoadmapError as exc:
        return Polling(root, why=str(exc))
