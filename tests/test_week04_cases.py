"""Week 4's checks judged both ways on a real engine. The static checks' cases (right variants
written from the lesson and wrong ones, no engine needed) are in tests/test_week04_docker.py;
here a right submission written from the lesson, not from the solution
(tests/fixtures/week04/right-multistage: a build argument for the base, ENTRYPOINT + CMD, a
multi-stage serving image finding its model through $MODEL_PATH, numeric USER, HEALTHCHECK, an
allow-list .dockerignore) must pass all twelve checks, and mutations of the reference solution
must fail the image checks the lesson's words make them fail.

Each case builds and runs real images (20-60 s): slow. The session fixture starts the engine
and builds the course base image when they are missing (scripts/docker-engine.sh,
scripts/base-image.sh); nothing labelled for the checks, and no new dangling layer, is left.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import cloudpickle
import joblib
import pytest

from tests.conftest import FIXTURES, Cli
from tests.test_week04_docker import check, engine, outcomes, tidy, week4  # noqa: F401
from tests.test_week09_api import edit

CASES = FIXTURES / "week04"
IMAGES = "test_week04_2_images.py::"
BUILDS_TRAIN = IMAGES + "test_training_image_builds"
WRITES_MODEL = IMAGES + "test_training_writes_model"
BUILDS_SERVE = IMAGES + "test_serving_image_builds"
HEALTH = IMAGES + "test_serving_answers_health"
PREDICTS = IMAGES + "test_serving_predicts"
SAME = IMAGES + "test_same_libraries"
SMALL = IMAGES + "test_images_are_small"
# This interpreter's joblib (newer than the base image's) and the cloudpickle it needs.
VENDORED = (Path(joblib.__file__).parent, Path(cloudpickle.__file__).parent)


def everything_passed_but(checks: dict[str, Any], **changed: str) -> dict[str, str]:
    return {cid: changed.get(cid.rpartition("::")[2], "passed") for cid in checks}


@pytest.mark.slow
def test_right_submission_passes(cli: Cli, tmp_path: Path, tidy: Any) -> None:  # noqa: F811
    folder = week4(cli, tmp_path, solved=False)
    shutil.copytree(CASES / "right-multistage", folder, dirs_exist_ok=True)
    checks = check(cli, folder)
    assert len(checks) == 12
    assert outcomes(checks) == dict.fromkeys(checks, "passed"), checks


@pytest.mark.slow
def test_training_runs_away_from_the_mounts(cli: Cli, tmp_path: Path, tidy: Any) -> None:  # noqa: F811
    folder = week4(cli, tmp_path, solved=True)
    edit(folder / "Dockerfile.train", "WORKDIR /app\n", "WORKDIR /srv\n")
    checks = check(cli, folder)
    assert outcomes(checks) == everything_passed_but(
        checks,
        test_training_writes_model="failed",
        test_serving_image_builds="blocked",
        test_serving_answers_health="blocked",
        test_serving_predicts="blocked",
        test_same_libraries="blocked",
        test_images_are_small="blocked",
    )
    found = checks[WRITES_MODEL]["found"]
    assert found.startswith("exit status 1; its last lines:\n"), found
    assert "FileNotFoundError" in found and "/srv/data/raw/train.csv" in found
    assert checks[WRITES_MODEL]["hint"].startswith("Run it yourself: docker run --rm --user")


@pytest.mark.slow
def test_serving_image_copies_a_missing_file(cli: Cli, tmp_path: Path, tidy: Any) -> None:  # noqa: F811
    folder = week4(cli, tmp_path, solved=True)
    edit(
        folder / "Dockerfile.serve",
        "COPY models/linear.joblib models/linear.joblib\n",
        "COPY model/linear.joblib models/linear.joblib\n",
    )
    checks = check(cli, folder)
    assert outcomes(checks) == everything_passed_but(
        checks,
        test_serving_image_builds="failed",
        test_serving_answers_health="blocked",
        test_serving_predicts="blocked",
        test_same_libraries="blocked",
        test_images_are_small="blocked",
    )
    built = checks[BUILDS_SERVE]
    assert "model/linear.joblib" in built["found"], built["found"]
    assert built["hint"].startswith("A COPY names a file that is not in the build context")


@pytest.mark.slow
def test_rounded_prices_a_vendored_joblib_and_a_padded_image(
    cli: Cli,
    tmp_path: Path,
    tidy: Any,  # noqa: F811
) -> None:
    folder = week4(cli, tmp_path, solved=True)
    edit(
        folder / "serve.py",
        "[float(price) for price in prices]",
        "[round(float(price), -3) for price in prices]",
    )
    edit(
        folder / "Dockerfile.train",
        "COPY train.py .\n",
        "COPY train.py .\nRUN head -c 1100000000 /dev/zero > /opt/padding\n",
    )
    # The serving image brings its own joblib (this interpreter's, newer than the base's).
    for package in VENDORED:
        shutil.copytree(package, folder / "vendor" / package.name)
    edit(
        folder / "Dockerfile.serve",
        "COPY serve.py .\n",
        "COPY serve.py .\nCOPY vendor/ /opt/vendor/\nENV PYTHONPATH=/opt/vendor\n",
    )
    checks = check(cli, folder)
    assert outcomes(checks) == everything_passed_but(
        checks,
        test_serving_predicts="failed",
        test_same_libraries="failed",
        test_images_are_small="failed",
    )
    predicts = checks[PREDICTS]["found"]
    assert re.fullmatch(r"40 values, first ones \[\d+000\.0, \d+000\.0, \d+000\.0\]", predicts), (
        predicts
    )
    same = checks[SAME]["found"]
    assert same == (
        f"joblib: 1.2.0 in the training image, {joblib.__version__} in the serving image"
    ), same
    small = checks[SMALL]["found"]
    assert re.fullmatch(r"training image 1,\d{3} MB, serving image \d{3} MB", small), small
