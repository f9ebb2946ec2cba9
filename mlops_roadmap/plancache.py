"""A cache of the validated roadmap, so fast commands skip YAML parsing and validation.

Keyed on content: the cached entry (one per roadmap path and engine version) holds the bytes of
``roadmap.yaml`` it was made from, and serves its plan only when the file holds exactly those
bytes now (an edit that keeps the size and the modification time is seen too). Written
atomically (temporary file, then ``replace``). Any problem reading or writing it means parsing
afresh.
"""

from __future__ import annotations

import binascii
import contextlib
import os
import pickle
from pathlib import Path

from mlops_roadmap import __version__, roadmap

ENV_VAR = "MLOPS_ROADMAP_CACHE"


def cache_dir() -> Path:
    base = os.environ.get(ENV_VAR) or os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(base).expanduser() / "mlops-roadmap"


def _entry(path: Path) -> Path:
    raw = f"{path.resolve()}|{__version__}|{roadmap.FORMAT}"
    return cache_dir() / f"roadmap-{binascii.crc32(raw.encode()):08x}.pickle"


def load(path: Path) -> roadmap.Roadmap:
    """``roadmap.load(path)``, from the cache when the file holds the bytes it was made from."""
    try:
        data = path.read_bytes()
    except OSError:
        return roadmap.load(path)  # says what is wrong with the file
    cached = _entry(path)
    with contextlib.suppress(Exception):
        source, plan = pickle.loads(cached.read_bytes())
        if source == data and isinstance(plan, roadmap.Roadmap):
            return plan
    plan = roadmap.load(path, data)
    import tempfile

    with contextlib.suppress(OSError, pickle.PicklingError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((data, plan), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cached)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return plan
