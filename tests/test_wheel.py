"""A built wheel carries the course, so `pip install .` works without the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlops_roadmap import venvs
from tests.conftest import REPO, clean_env
from tests.timing import scaled


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=scaled(300),
    )
    (built,) = out.glob("*.whl")
    return built


def test_wheel_contains_the_course(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "mlops_roadmap/_course/roadmap.yaml",
        "mlops_roadmap/_course/weeks/week24.md",
        "mlops_roadmap/_course/checks/week02/conftest.py",
        "mlops_roadmap/_course/solutions/week01/analysis.py",
        "mlops_roadmap/_course/data/ames/train.csv",  # laid by the weeks that declare it
        "mlops_roadmap/_course/data/ames/holdout.csv",  # read by the checks, never laid
        "mlops_roadmap/checks.ini",
        "mlops_roadmap/workflow.yml",  # written into every new workspace
        "mlops_roadmap/grading/report.css",  # inlined into the class report
        "mlops_roadmap/grading/jail_setup.py",  # run on its own inside the jail
        "mlops_roadmap/grading/jail_spec.py",  # which jail_setup reads its plan with
        "mlops_roadmap/_course/checks/_lib/mlops_checks/api_fixtures.py",  # the check library
        "mlops_roadmap/_course/checks/_lib/mlops_probes.py",  # imported by the MLflow probes
    ):
        assert needed in names


def test_installed_wheel_finds_its_bundled_course(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = venvs.layered(venv)  # dependencies come from this environment
    target = next(
        Path(p)
        for p in subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    zipfile.ZipFile(wheel).extractall(target)  # what pip does for a pure-Python wheel
    env = clean_env(tmp_path)
    env.pop("PYTHONPATH")
    result = subprocess.run(
        [python, "-m", "mlops_roadmap", "show", "week", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Ames" in result.stdout
    where = subprocess.run(
        [python, "-c", "import mlops_roadmap; print(mlops_roadmap.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(target) in where.stdout
    # The installed check library finds the installed course's data (as a run puts it on the path).
    lib = target / "mlops_roadmap" / "_course" / "checks" / "_lib"
    holdout = subprocess.run(
        [python, "-c", "import mlops_checks as m; print((m.DATA / m.HOLDOUT).is_file())"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(lib)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert holdout.stdout.strip() == "True"
