"""The check code this course's weeks share.

The engine puts ``checks/_lib`` on pytest's path for every run, so a week's checks import these
modules by name (``from mlops_checks.api import AppRun``) and a week opts into shared fixtures
with ``pytest_plugins = ["mlops_checks.api_fixtures"]`` in its conftest. Nothing here is loaded
by file path, and no week reaches into another week's folder.
"""

from __future__ import annotations

from pathlib import Path

COURSE = Path(__file__).resolve().parents[3]  # the course this package ships in
DATA = COURSE / "data"  # the course's data sets, one copy of each
# 380 Ames sales no scaffold ever lays: a held-out answer file (roadmap.yaml grading.held_out),
# read through the `held_out` fixture; the learner's code gets its features only.
HOLDOUT = "ames/holdout.csv"
TARGET = "price"
PACKAGE_DATA = Path(__file__).resolve().parent / "data"  # data only the checks use
