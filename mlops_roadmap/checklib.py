"""A course's shared check package: on pytest's path for one run, forgotten after it.

A course keeps the code its weeks' checks share in ``checks/_lib/`` (a folder of importable
packages: the bundled course's is ``mlops_checks``). Each run puts that folder on pytest's
``pythonpath`` (pytest removes it from ``sys.path`` again when the run ends); the modules imported
from it are forgotten too, because ``watch`` and ``course verify`` run pytest many times in one
process, possibly on different courses, and an edited helper or check must be read afresh.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

FOLDER = "_lib"


def folder(checks_root: Path) -> Path | None:
    """The course's shared check folder (``checks/_lib``), or None when it has none."""
    lib = checks_root / FOLDER
    return lib if lib.is_dir() else None


def pytest_args(checks_root: Path) -> list[str]:
    """Arguments that confine conftests to the course's ``checks/`` and put its shared
    package on the path."""
    args = ["--confcutdir", str(checks_root)]
    lib = folder(checks_root)
    if lib is not None:
        args += ["-o", f"pythonpath={shlex.quote(str(lib))}"]
    return args


def forget(checks_root: Path) -> None:
    """Drop every module imported from the course's checks (its shared folder, the weeks'
    conftests and check modules), so the next run imports them afresh: pytest's importlib mode
    would otherwise reuse a module of the same name from an earlier run."""
    roots = {str(checks_root), str(checks_root.resolve())}
    for name, module in list(sys.modules.items()):
        places = [getattr(module, "__file__", None) or "", *getattr(module, "__path__", [])]
        if any(_under(str(place), roots) for place in places if place):
            del sys.modules[name]


def _under(place: str, roots: set[str]) -> bool:
    return any(place == root or place.startswith(root + "/") for root in roots)
