"""Week 20's checks judged both ways through the real CLI, on workspaces made as `course verify`
makes them: the finished project passes (its cluster check blocked: no cluster here) and is left
untouched; the scaffold fails where it should; right submissions written differently from the
lesson (tests/fixtures/week20) pass every check; mutations of the reference solution fail each
check for their own reason; a server that crashes or never gets ready is a failed check with
its last output; and nothing the checks start survives them. The cluster check runs against
the replay server of test_week20_cluster.py, with the model train.py saved behind it.

Every case starting KServe (7 s on a quiet machine, about 40 s on a loaded one) is slow; the
cluster cases train and probe without starting it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Cli
from tests.test_week09_api import edit, make_week, outcomes, tagged_processes, tree_hashes
from tests.test_week20_cluster import Scenario, api, kubeconfig, replaying
from tests.timing import ready_wait, scaled, wait_until

WEEK = 20
CASES = FIXTURES / "week20"
TITLES = {
    "training": "train.py saves models/linear.joblib from a clean start",
    "numeric": "The numeric model predicts from a plain array of the 11 numeric columns",
    "ready": "model_server.py starts a KServe ModelServer that reports ames-price ready",
    "v1": "POST /v1/models/ames-price:predict answers the model's own prices",
    "v2": "POST /v2/models/ames-price/infer answers one output with the model's own prices",
    "malformed": "Malformed requests get a 4xx answer, not a server error",
    "request files": "v1-request.json and v2-request.json hold the model's columns and get its "
    "prices",
    "fields": "inferenceservice.yaml uses only fields KServe's InferenceService has",
    "settings": "inferenceservice.yaml sets sklearn, your own storageUri, protocol v2 and "
    "resources",
    "cluster": "On your cluster the InferenceService is Ready and answers V1 and V2 with your "
    "prices",
}
SERVER = ("v1", "v2", "malformed", "request files")
ALL_BUT_CLUSTER = {**dict.fromkeys(TITLES, "passed"), "cluster": "blocked"}


def run_checks(
    cli: Cli, folder: Path, select: str | None = None, env: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """`check --json` in the week folder (no kubeconfig unless ``env`` gives one): the checks by
    title; none is an error, and nothing they started is left running."""
    tag = uuid.uuid4().hex
    args: list[str | Path] = ["--course", Path(__file__).parent.parent, "check", "--json"]
    if select:
        args += ["-k", select]
    environ = {"MLOPS_TEST_TAG": tag, "KUBECONFIG": str(folder / "no-kubeconfig"), **(env or {})}
    result = cli(*args, cwd=folder, timeout=900, env=environ)
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    wait_until(lambda: tagged_processes(tag) == [], 30, "left running")
    return {c["title"]: c for c in data["checks"]}


def found(checks: dict[str, dict[str, Any]], key: str) -> str:
    return str(checks[TITLES[key]]["found"])


# -- the finished project and the scaffold --------------------------------------------------------


@pytest.mark.slow
def test_finished_project_passes_but_the_cluster_and_is_left_untouched(
    cli: Cli, tmp_path: Path
) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    before = tree_hashes(week)
    checks = run_checks(cli, week)
    assert set(checks) == set(TITLES.values())  # every check of the week, none unjudged
    assert outcomes(checks, TITLES) == ALL_BUT_CLUSTER, checks
    assert tree_hashes(week) == before
    assert checks[TITLES["ready"]]["notes"].startswith("ready_seconds ")
    assert checks[TITLES["numeric"]]["notes"].startswith("numeric_r2 0.8")
    cluster = checks[TITLES["cluster"]]
    assert cluster["found"].startswith("no Kubernetes context: no kubeconfig")
    assert "kind create cluster" in cluster["hint"] and "quick_install.sh" in cluster["hint"]


@pytest.mark.slow
def test_scaffold_fails_on_v2_validation_request_files_storage_and_numeric_model(
    cli: Cli, tmp_path: Path
) -> None:
    checks = run_checks(cli, make_week(tmp_path, WEEK, solved=False))
    assert outcomes(checks, TITLES) == {
        **ALL_BUT_CLUSTER,
        "numeric": "failed",
        "v2": "failed",
        "malformed": "failed",
        "request files": "failed",
        "settings": "failed",
    }
    assert found(checks, "numeric") == (
        "no models/ames-numeric/model.joblib after train.py ran in a fresh copy of the week folder"
    )
    assert found(checks, "v2").startswith('status 501: {"error":"V2 inference"}')
    assert "V1: a house without area: status 500 " in found(checks, "malformed")
    assert found(checks, "request files") == "v1-request.json: no such file in the week folder"
    assert "KServe's public example model, not yours" in found(checks, "settings")


# -- right submissions written differently --------------------------------------------------------

RIGHT = {
    "right-kserve-helpers": {"inferenceservice.yaml": "manifests/right-https-autoscaling.yaml"},
    "right-pydantic-columns": {
        "inferenceservice.yaml": "manifests/right-s3-flow-style.yaml",
        "v1-request.json": "requests/right-v1-shuffled-keys.json",
        "v2-request.json": "requests/right-v2-column-shapes.json",
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(RIGHT))
def test_right_submission_passes(cli: Cli, tmp_path: Path, case: str) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    shutil.copytree(CASES / case, week, dirs_exist_ok=True)
    for name, source in RIGHT[case].items():
        shutil.copyfile(CASES / source, week / name)
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == ALL_BUT_CLUSTER, checks


# -- wrong submissions: mutations of the reference solution ---------------------------------------

SERVER_PY = "model_server.py"


@pytest.mark.slow
def test_each_check_fails_for_its_own_reason(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(
        week / "train.py",
        "model.fit(train[NUMERIC].to_numpy()",
        "model.fit(train[NUMERIC[::-1]].to_numpy()",
    )
    server = week / SERVER_PY
    edit(
        server,
        'return {"predictions": prices.tolist()}',
        'return {"predictions": prices.tolist()[::-1]}',
    )
    edit(server, "response_id=payload.id or str(uuid.uuid4())", "response_id=str(uuid.uuid4())")
    edit(server, "    if not_numbers:\n", "    if False:\n")
    edit(
        week / "v1-request.json",
        '"garage_cars": 2,\n   "fireplaces": 2, ',
        '"garage_cars": 2,\n   ',
    )
    edit(week / "inferenceservice.yaml", "storageUri: pvc:", "storageURI: pvc:")
    checks = run_checks(cli, week)
    assert outcomes(checks, TITLES) == {
        **ALL_BUT_CLUSTER,
        **dict.fromkeys(("numeric", "v1", "v2", "malformed", "request files"), "failed"),
        **dict.fromkeys(("fields", "settings"), "failed"),
    }
    assert found(checks, "numeric").startswith("R² -")
    assert "areas as years" in checks[TITLES["numeric"]]["hint"]
    assert found(checks, "v1").startswith("house 1: ") and "(the model says " in found(checks, "v1")
    assert found(checks, "v2").startswith('"id" is ')
    assert found(checks, "malformed").startswith('V1: area "big": status 500 ')
    assert 'V2: area "big" as BYTES: status 500' in found(checks, "malformed")
    assert found(checks, "request files") == "v1-request.json: instance 1 lacks fireplaces"
    assert found(checks, "fields") == (
        "spec.predictor.model.storageURI: not a field of V1beta1ModelSpec (did you mean "
        "storageUri?)"
    )
    assert found(checks, "settings") == "spec.predictor.model.storageUri: missing"


@pytest.mark.slow
def test_a_model_served_under_another_name(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / SERVER_PY, '"--model_name", default="ames-price"', '"--model_name", default="ames"')
    checks = run_checks(cli, week, "ready")
    assert found(checks, "ready") == '404; GET /v1/models lists {"models":["ames"]}'
    assert checks[TITLES["ready"]]["hint"].startswith('Name the model "ames-price"')


# -- a server that does not start ------------------------------------------------------------------


@pytest.mark.slow
def test_a_server_that_crashes_while_loading(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / SERVER_PY, "        self.pipeline = joblib.load(self.path)\n",
         '        raise RuntimeError("model store unreachable")\n')  # fmt: skip
    checks = run_checks(cli, week, "ready or predictions or malformed or request_files")
    ready = found(checks, "ready")
    assert checks[TITLES["ready"]]["outcome"] == "failed"
    assert "exited with status 1 before it was ready" in ready and "its last output" in ready
    assert "RuntimeError: model store unreachable" in ready
    for key in SERVER:
        assert checks[TITLES[key]]["outcome"] == "blocked", key
        assert "model_server.py did not start" in checks[TITLES[key]]["message"]


@pytest.mark.slow  # waits out the start-up limit (180 s for a learner; 60 s here)
def test_a_server_that_never_gets_ready(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / SERVER_PY, "        self.pipeline = joblib.load(self.path)\n",
         '        print("loading the model...", flush=True)\n'
         "        import time\n        time.sleep(3600)\n")  # fmt: skip
    wait = ready_wait(60)  # KServe imports in about 7 s quiet, 41 s loaded, then loads
    checks = run_checks(cli, week, "ready", env=wait)
    ready = found(checks, "ready")
    assert "did not answer GET / on http://127.0.0.1:" in ready
    assert f"within {wait['MLOPS_ROADMAP_READY_WAIT']} s" in ready
    assert "loading the model..." in ready


@pytest.mark.slow
def test_training_that_fails_blocks_the_models_and_the_server(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / "train.py", "def main() -> int:\n", "def main() -> int:\n    1 / 0\n")
    checks = run_checks(cli, week, "training or numeric or ready or v1")
    assert outcomes(checks, TITLES) == {
        "training": "failed", "numeric": "blocked", "ready": "blocked", "v1": "blocked",
    }  # fmt: skip
    assert "ZeroDivisionError" in found(checks, "training")


# -- the cluster check, against the replay server --------------------------------------------------


def trained_predictor(week: Path) -> Any:
    """The model `python train.py` saves in the week folder, as the runtime would serve it."""
    python = week.parent / ".venv" / "bin" / "python"
    done = subprocess.run([python, "train.py"], cwd=week, capture_output=True, text=True,
                          timeout=scaled(300), check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    import joblib

    model = joblib.load(week / "models" / "ames-numeric" / "model.joblib")
    return lambda rows: [float(v) for v in model.predict(rows)]


def cluster_checks(cli: Cli, week: Path, scenario: Scenario) -> dict[str, Any]:
    with replaying(scenario) as port:
        env = {
            "KUBECONFIG": str(kubeconfig(week.parent, port)),
            "INGRESS_HOST": "127.0.0.1",
            "INGRESS_PORT": str(port),
        }
        return run_checks(cli, week, "cluster", env)[TITLES["cluster"]]


@pytest.mark.slow
def test_cluster_check_passes_on_a_ready_service_and_fails_otherwise(
    cli: Cli, tmp_path: Path
) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    predict = trained_predictor(week)
    ready = Scenario(api(), predict)
    check = cluster_checks(cli, week, ready)
    assert check["outcome"] == "passed", check
    assert "kind-kserve (http://127.0.0.1:" in check["notes"]
    assert [m for m, _, _ in ready.seen] == ["GET", "POST", "POST"]

    check = cluster_checks(cli, week, Scenario(api("isvc-not-ready.json"), predict))
    assert check["outcome"] == "failed"
    assert check["found"].startswith("Ready is False (Predictor ingress not created); ")
    assert check["hint"].startswith("kubectl describe inferenceservice ames-price-numeric")

    wrong = Scenario(api(), lambda rows: [p + 1000 for p in predict(rows)])
    check = cluster_checks(cli, week, wrong)
    assert check["outcome"] == "failed"
    assert check["found"].startswith("V1: house 1: ") and "; V2: house 1: " in check["found"]

    check = cluster_checks(cli, week, Scenario(api("isvc-not-found.json", 404), predict))
    assert (check["outcome"], check["found"]) == ("failed", "no such InferenceService")
