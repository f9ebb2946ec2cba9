"""Week 4: both images build, train into a mounted folder, and serve predictions over HTTP.

Every check here needs a Docker engine (blocked without one). The fixtures in conftest.py
build, run and remove everything; the checks only read what happened.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from conftest import LIBRARIES

from mlops_roadmap.checking import blocked, expect, expect_none, fail

if TYPE_CHECKING:
    from conftest import Build, Engine, Served, TrainingRun

MAX_IMAGE_MB = 1_000  # python:3.11-slim plus scikit-learn and pandas is about 500 MB
REL_TOL = 1e-6
BASE_HINT = (
    "The engine could not pull the base image. Pull it while you have network "
    "(`docker pull python:3.11-slim`), or build the course's base image offline "
    "(scripts/base-image.sh in the course repository) and use "
    "FROM mlops-roadmap/python:3.11-bookworm."
)
pytestmark = [pytest.mark.requires("docker"), pytest.mark.timeout(600)]


def build_hint(build: Build) -> str:
    """What to do about a failed build, from the builder's own error."""
    error = build.error
    if "Cannot locate specified Dockerfile" in error or "there is no" in error:
        return f"Create {build.dockerfile} in the week folder (the scaffold has a skeleton)."
    if "COPY failed" in error or "ADD failed" in error:
        return (
            "A COPY names a file that is not in the build context: check the path, and that "
            ".dockerignore does not leave it out."
        )
    if "returned a non-zero code" in error:
        return (
            "A RUN step failed: the build log above shows its output. Try the command in a "
            "container of the base image (`docker run --rm -it <base> sh`) and fix it."
        )
    return (
        f"Run `docker build -f {build.dockerfile} .` in the week folder and fix the first "
        "error it shows."
    )


def expect_built(build: Build) -> None:
    if build.unreachable:
        blocked(f"{build.dockerfile} could not pull its base image: {build.error}", BASE_HINT)
    expect(
        build.image is not None,
        expected=f"`docker build -f {build.dockerfile} .` to finish with an image",
        found=f"the build stopped: {build.error}"
        + (f"\nlast lines of the build log:\n{build.tail()}" if build.log else ""),
        hint=build_hint(build),
    )


@pytest.mark.points(2)
@pytest.mark.hint("Run `docker build -f Dockerfile.train .` in the week folder.")
def test_training_image_builds(
    training_build: Build, record_property: Callable[[str, object], None]
) -> None:
    """Dockerfile.train builds into an image"""
    record_property("build_seconds", round(training_build.seconds, 1))
    expect_built(training_build)


@pytest.mark.points(2)
@pytest.mark.hint("WORKDIR /app, COPY train.py, and CMD runs it; outputs go to models/.")
def test_training_writes_model(training_run: TrainingRun) -> None:
    """The training container writes a loadable model to the mounted models/ folder"""
    if training_run.status is None:
        found = "it was still running after the time limit and was stopped"
    elif training_run.never_started:
        found = training_run.logs
    else:
        found = f"exit status {training_run.status}; its last lines:\n" + "\n".join(
            training_run.logs.strip().splitlines()[-10:]
        )
    expect(
        training_run.status == 0,
        expected="the training image, run with data/ mounted read-only at /app/data and an "
        "empty folder mounted at /app/models, to exit with status 0",
        found=found,
        hint='Run it yourself: docker run --rm --user "$(id -u):$(id -g)" -v '
        '"$PWD/data:/app/data:ro" -v "$PWD/models:/app/models" <image>; train.py must write '
        "only under models/ (metrics.json too).",
    )
    expect(
        "linear.joblib" in training_run.files,
        expected="models/linear.joblib written into the mounted folder",
        found="it wrote " + (", ".join(training_run.files) or "nothing"),
        hint="WORKDIR /app and train.py saving to models/ next to it puts the model in "
        "/app/models, the mounted folder.",
    )
    model = training_run.model
    expect(
        "error" not in model,
        expected="models/linear.joblib to load with joblib in the training image and predict",
        found=str(model.get("error")),
        hint="Save the fitted Pipeline with joblib.dump, preprocessing included.",
    )


@pytest.mark.points(2)
@pytest.mark.hint("Run `docker build -f Dockerfile.serve .` after training into models/.")
def test_serving_image_builds(
    serving_build: Build, record_property: Callable[[str, object], None]
) -> None:
    """Dockerfile.serve builds into an image, with the model the training container wrote"""
    record_property("build_seconds", round(serving_build.seconds, 1))
    expect_built(serving_build)


@pytest.mark.points(2)
@pytest.mark.hint('CMD ["uvicorn", "serve:app", "--host", "0.0.0.0", "--port", "8000"]')
def test_serving_answers_health(served: Served) -> None:
    """The serving container answers GET /health on a published loopback port"""
    if served.problem:
        fail(
            expected="GET /health to answer on port 8000, published on 127.0.0.1",
            found=served.problem,
            hint="Listen on 0.0.0.0 inside the container (127.0.0.1 there is unreachable from "
            "outside) on port 8000, and check the container's logs with `docker logs`.",
        )
    status, body = served.health
    expect(
        status == 200,
        expected="GET /health to answer 200",
        found=f"status {status}: {body[:300]}",
        hint='serve.py answers {"status": "ok"} on GET /health: the image must run it.',
    )


def served_prices(served: Served, payload: list[dict[str, Any]]) -> list[Any]:
    """POST the houses to /predict and return its predictions, or fail saying what came back."""
    if served.problem or served.health[0] != 200:
        blocked(
            "the serving container does not answer GET /health",
            hint="Make the check 'The serving container answers GET /health on a published "
            "loopback port' pass first.",
        )
    status, body = served.post("/predict", payload)
    try:
        answer = json.loads(body) if status == 200 else None
    except ValueError:
        answer = None
    prices = answer.get("predictions") if isinstance(answer, dict) else None
    if not isinstance(prices, list):
        fail(
            expected='POST /predict with a JSON list of houses to answer 200 with {"predictions":'
            " [...]}",
            found=f"status {status}: {body[:300]}",
            hint="The container must run serve.py with models/linear.joblib next to it.",
        )
    return prices


@pytest.mark.points(2)
@pytest.mark.hint("COPY the trained models/linear.joblib into the serving image.")
def test_serving_predicts(
    served: Served, training_run: TrainingRun, houses: list[dict[str, Any]]
) -> None:
    """The serving container's POST /predict gives the trained model's prices"""
    if "error" in training_run.model:
        blocked(
            "the trained model could not be run in the training image, so there is nothing "
            "to compare the served prices with",
            hint="Make the check 'The training container writes a loadable model to the "
            "mounted models/ folder' pass first.",
        )
    prices = served_prices(served, houses)
    wanted = training_run.model["predictions"]
    numbers = all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in prices)
    same = numbers and len(prices) == len(wanted)
    same = same and all(
        math.isclose(p, w, rel_tol=REL_TOL) for p, w in zip(prices, wanted, strict=True)
    )
    expect(
        same,
        expected=f"{len(wanted)} prices for {len(houses)} houses, equal to what the model the "
        f"training container wrote predicts (first: {wanted[0]:,.0f})",
        found=f"{len(prices)} values, first ones {prices[:3]}",
        hint="Build the serving image after training, so it copies the model training just "
        "wrote; both images need the same scikit-learn version.",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Build both images FROM the same base and install the same pinned versions.")
def test_same_libraries(library_versions: dict[str, dict[str, str] | str]) -> None:
    """Both images hold the same versions of scikit-learn, joblib, numpy and pandas"""
    training, serving = library_versions["training"], library_versions["serving"]
    for name, found in library_versions.items():
        if isinstance(found, str):
            fail(
                expected=f"Python in the {name} image to report its library versions",
                found=found,
                hint="Both images run Python: `docker run --rm --entrypoint python <image> -c "
                "'import sklearn; print(sklearn.__version__)'` shows what the check asks.",
            )
    assert isinstance(training, dict) and isinstance(serving, dict)
    differ = [
        f"{lib}: {training.get(lib)} in the training image, {serving.get(lib)} in the serving image"
        for lib in LIBRARIES
        if training.get(lib) != serving.get(lib)
    ]
    expect_none(
        differ,
        expected="the same scikit-learn, joblib, numpy and pandas in both images: a model "
        "pickled by one version is not guaranteed to load, or to predict the same, in another",
        hint="Use one base image for both Dockerfiles and the same pinned requirements "
        "(requirements-serve.txt starts with -r requirements-train.txt); copy no libraries of "
        "your own into either image.",
    )


@pytest.mark.points(1)
@pytest.mark.hint("Start from a slim base image and install only what the code needs.")
def test_images_are_small(
    engine: Engine,
    training_build: Build,
    serving_build: Build,
    record_property: Callable[[str, object], None],
) -> None:
    """Both images stay under 1,000 MB"""
    sizes = {}
    for name, build in (("training", training_build), ("serving", serving_build)):
        image = build.image or blocked(
            f"the {name} image did not build",
            hint=f"Make the check '{build.dockerfile} builds into an image' pass first.",
        )
        sizes[name] = engine.client.api.inspect_image(image)["Size"] / 1e6
        record_property(f"{name}_image_mb", round(sizes[name]))
    report = ", ".join(f"{name} image {mb:,.0f} MB" for name, mb in sizes.items())
    expect(
        max(sizes.values()) <= MAX_IMAGE_MB,
        expected=f"each image at most {MAX_IMAGE_MB:,} MB",
        found=report,
        hint="Use python:3.11-slim (not python:3.11), pip install with --no-cache-dir, and "
        "keep data and virtual environments out with .dockerignore.",
    )
