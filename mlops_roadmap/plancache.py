"""A cache of the validated roadmap, so fast commands skip YAML parsing and validation.

Keyed by the file's path, size, modification time and the engine's version; written atomically
(temporary file, then ``replace``). Any problem reading or writing it means parsing afresh.
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


def _key(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    raw = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{__version__}|{roadmap.FORMAT}"
    return f"{binascii.crc32(raw.encode()):08x}"


def load(path: Path) -> roadmap.Roadmap:
    """``roadmap.load(path)``, from the cache when the file has not changed."""
    key = _key(path)
    cached = cache_dir() / f"roadmap-{key}.pickle"
    if key is not None:
        with contextlib.suppress(Exception):
            plan = pickle.loads(cached.read_bytes())
            if isinstance(plan, roadmap.Roadmap):
                return plan
    plan = roadmap.load(path)
    if key is not None:
        import tempfile

        with contextlib.suppress(OSError, pickle.PicklingError):
            cached.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(plan, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cached)
    return plan
