"""Preparing a learner's virtual environment the way the lessons teach, offline.

``course verify`` and the benchmarks need a learner environment without reaching a package index:
a fresh venv whose site-packages are layered on this interpreter's (a ``.pth`` file), whose
``requirements.txt`` is then checked to be satisfied.
"""

from __future__ import annotations

import site
import sys
from pathlib import Path

from mlops_roadmap import procs
from mlops_roadmap.errors import RoadmapError

SATISFIED = """
import sys
from importlib.metadata import PackageNotFoundError, version
from packaging.requirements import Requirement
missing = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#")[0].strip()
    if not line or line.startswith("-"):
        continue
    req = Requirement(line)
    try:
        have = version(req.name)
    except PackageNotFoundError:
        missing.append(f"{req} (not installed)")
        continue
    if req.specifier and not req.specifier.contains(have, prereleases=True):
        missing.append(f"{req} (have {have})")
print("\\n".join(missing))
sys.exit(1 if missing else 0)
"""


def layered(venv: Path, requirements: Path | None = None) -> Path:
    """Make ``venv`` on top of this interpreter's packages; return its python."""
    result = procs.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=120)
    if result.returncode != 0:
        raise RoadmapError(f"{venv}: cannot make a virtual environment: {result.tail(3)}")
    python = venv_python(venv)
    probe = procs.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], timeout=30
    )
    paths = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(probe.stdout.strip(), "_mlops_roadmap_layer.pth").write_text("\n".join(paths) + "\n")
    if requirements is not None and requirements.is_file():
        check = procs.run([python, "-c", SATISFIED, str(requirements)], timeout=60)
        if check.returncode != 0:
            raise RoadmapError(
                f"{requirements}: not satisfied by this environment: {check.tail(5)}; install "
                "the course's learner packages (`pip install 'mlops-roadmap[learner]'`)"
            )
    return python


def venv_python(venv: Path) -> Path:
    """The interpreter inside a virtual environment (POSIX or Windows layout)."""
    posix = venv / "bin" / "python"
    return (
        posix
        if posix.exists() or not (venv / "Scripts").is_dir()
        else venv / "Scripts" / "python.exe"
    )
