"""Week 20's file checks, both ways, on small fixtures (tests/fixtures/week20/manifests and
requests): inferenceservice.yaml walked against KServe's own classes and judged on the lesson's
settings, and the request files read against the model's columns. Right submissions written
differently from the lesson pass; wrong ones fail, each problem named with its place.

The functions are the checks' own (mlops_checks.kserve_manifest, kserve_requests); the checks
around them run through the real CLI in test_week20_cases.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops_checks import kserve_manifest
from mlops_checks.kserve_protocol import COLUMNS, TEXT, v1_predictions, v2_predictions
from mlops_checks.kserve_requests import read_v1, read_v2
from tests.conftest import FIXTURES, REPO

MANIFESTS = FIXTURES / "week20" / "manifests"
REQUESTS = FIXTURES / "week20" / "requests"
SOLUTION = REPO / "solutions" / "week20"
SCAFFOLD = REPO / "templates" / "week20"


@pytest.fixture(scope="module")
def find() -> kserve_manifest.Find:
    import kserve.models
    import kubernetes.client.models

    return kserve_manifest.finder(kserve.models, kubernetes.client.models)


def doc(path: Path) -> dict[str, Any]:
    loaded, problem = kserve_manifest.load(path)
    assert loaded is not None, problem
    return dict(loaded)


# -- inferenceservice.yaml ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        SOLUTION / "inferenceservice.yaml",
        MANIFESTS / "right-s3-flow-style.yaml",
        MANIFESTS / "right-https-autoscaling.yaml",
    ],
    ids=lambda p: p.name,
)
def test_right_manifests_pass(find: kserve_manifest.Find, path: Path) -> None:
    manifest = doc(path)
    assert kserve_manifest.unknown_fields(manifest, find) == []
    assert kserve_manifest.settings_problems(manifest) == []


def test_misspelt_fields_are_named_with_the_real_one(find: kserve_manifest.Find) -> None:
    manifest = doc(MANIFESTS / "wrong-typos.yaml")
    assert kserve_manifest.unknown_fields(manifest, find) == [
        "spec.predictor.minReplica: not a field of V1beta1PredictorSpec (did you mean "
        "minReplicas?)",
        "spec.predictor.model.modelformat: not a field of V1beta1ModelSpec (did you mean "
        "modelFormat?)",
        "spec.predictor.model.storageURI: not a field of V1beta1ModelSpec (did you mean "
        "storageUri?)",
    ]
    assert kserve_manifest.settings_problems(manifest) == [
        "spec.predictor.model.modelFormat.name: None, not 'sklearn'",
        "spec.predictor.model.storageUri: missing",
    ]


def test_values_of_the_wrong_type(find: kserve_manifest.Find) -> None:
    assert kserve_manifest.unknown_fields(doc(MANIFESTS / "wrong-types.yaml"), find) == [
        "spec.predictor.minReplicas: expected int, found str 'one'",
        "spec.predictor.model.modelFormat: expected an object (V1beta1ModelFormat), found str "
        "'sklearn'",
        "spec.predictor.model.env: expected a list, found dict {'LOG_LEVEL': 'INFO'}",
    ]


def test_real_fields_with_the_wrong_settings(find: kserve_manifest.Find) -> None:
    manifest = doc(MANIFESTS / "wrong-example-v1-no-limits.yaml")
    assert kserve_manifest.unknown_fields(manifest, find) == []
    assert kserve_manifest.settings_problems(manifest) == [
        "spec.predictor.model.storageUri: gs://kfserving-examples/models/sklearn/1.0/model is "
        "KServe's public example model, not yours",
        "spec.predictor.model.protocolVersion: 'v1', not 'v2'",
        "spec.predictor.model.resources.limits.cpu: missing",
        "spec.predictor.model.resources.limits.memory: missing",
    ]


def test_a_file_uri_requests_above_limits_and_memory_in_bytes(find: kserve_manifest.Find) -> None:
    manifest = doc(MANIFESTS / "wrong-file-uri-small-memory.yaml")
    assert kserve_manifest.unknown_fields(manifest, find) == []
    assert kserve_manifest.settings_problems(manifest) == [
        "metadata.name: 'Ames_Price' is not a DNS-1035 name (a-z, 0-9, -)",
        "spec.predictor.model.storageUri: pvc://ames-models/ames-numeric/model.joblib names a "
        "file; name the folder that holds model.joblib",
        "spec.predictor.model.resources: the cpu request is above its limit",
        "spec.predictor.model.resources.limits.memory: '512' is below 256Mi, less than the "
        "runtime needs before your model",
    ]


def test_the_scaffold_manifest_has_real_fields_and_the_public_example(
    find: kserve_manifest.Find, tmp_path: Path
) -> None:
    text = (SCAFFOLD / "inferenceservice.yaml.jinja").read_text(encoding="utf-8")
    (tmp_path / "inferenceservice.yaml").write_text(text.replace("{{", "#").replace("}}", ""))
    manifest = doc(tmp_path / "inferenceservice.yaml")
    assert kserve_manifest.unknown_fields(manifest, find) == []
    assert [p.split(":")[0] for p in kserve_manifest.settings_problems(manifest)] == [
        "spec.predictor.model.storageUri"
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", "0 YAML documents; expected one InferenceService mapping"),
        ("a: [1\n", "not YAML: "),
        ("kind: A\n---\nkind: B\n", "2 YAML documents; expected one InferenceService mapping"),
        ("- 1\n", "1 YAML documents; expected one InferenceService mapping"),
    ],
)
def test_not_one_mapping(tmp_path: Path, text: str, found: str) -> None:
    path = tmp_path / "inferenceservice.yaml"
    path.write_text(text)
    loaded, problem = kserve_manifest.load(path)
    assert loaded is None and problem.startswith(found)
    assert kserve_manifest.load(tmp_path / "none.yaml") == (None, "no such file in the week folder")


@pytest.mark.parametrize(
    ("value", "amount"),
    [("100m", 0.1), ("1", 1.0), (0.5, 0.5), ("256Mi", 256 * 2**20), ("1e9", 1e9), ("2G", 2e9)],
)
def test_quantities(value: object, amount: float) -> None:
    assert kserve_manifest.quantity(value) == pytest.approx(amount)


@pytest.mark.parametrize("value", ["abc", "1 Gi", "-1", True, "1.5.2"])
def test_not_quantities(value: object) -> None:
    assert kserve_manifest.quantity(value) is None


# -- request files --------------------------------------------------------------------------------


def read(path: Path) -> Any:
    reader = read_v1 if "v1" in path.name else read_v2
    return reader(path, list(COLUMNS), set(TEXT))


@pytest.mark.parametrize(
    ("path", "houses"),
    [
        (SOLUTION / "v1-request.json", 2),
        (SOLUTION / "v2-request.json", 2),
        (SCAFFOLD / "v2-request.json", 1),
        (REQUESTS / "right-v1-shuffled-keys.json", 3),
        (REQUESTS / "right-v2-column-shapes.json", 2),
    ],
    ids=lambda p: p.name if isinstance(p, Path) else str(p),
)
def test_right_request_files(path: Path, houses: int) -> None:
    file = read(path)
    assert file.problems == []
    assert len(file.rows) == houses
    assert all(list(row) == list(COLUMNS) for row in file.rows)


def test_column_shapes_become_one_row_per_house() -> None:
    rows = read(REQUESTS / "right-v2-column-shapes.json").rows
    assert rows[1]["area"] == 1479.5 and rows[1]["neighborhood"] == "Somerst"


@pytest.mark.parametrize(
    ("name", "problems"),
    [
        ("wrong-v1-missing-and-text.json", [
            "instance 1 lacks fireplaces",
            "instance 1 has pool_area, which the model lacks",
            'instance 1: area "1656" is not a number',
        ]),
        ("wrong-v1-rows.json", ["instance 1 is not an object of named features"]),
        ("wrong-v2-shape-missing-datatype.json", [
            "area: shape [3] does not hold its 2 value(s) one per house",
            'building_type: datatype FP64 with ["1Fam", "1Fam"]: text features are BYTES '
            "tensors of strings",
            "no tensor for fireplaces",
        ]),
        ("wrong-v2-lengths.json", [
            "tensors of different lengths: area 2, lot_area 1, overall_qual 2, overall_cond 2, "
            "year_built 2, year_remod 2, total_bsmt_sf 2, bedrooms 2, full_bath 2, "
            "garage_cars 2, fireplaces 2, neighborhood 2, building_type 2"
        ]),
    ],
)  # fmt: skip
def test_wrong_request_files(name: str, problems: list[str]) -> None:
    file = read(REQUESTS / name)
    assert (file.problems, file.rows) == (problems, [])


def test_missing_and_not_json(tmp_path: Path) -> None:
    assert read_v1(tmp_path / "v1-request.json", [], set()).problems == [
        "no such file in the week folder"
    ]
    (tmp_path / "v2-request.json").write_text('{"inputs": [')
    assert read(tmp_path / "v2-request.json").problems[0].startswith("not JSON: ")
    (tmp_path / "v2-request.json").write_text('{"instances": []}')
    assert read(tmp_path / "v2-request.json").problems == [
        'not {"inputs": [...]} with at least one tensor'
    ]


# -- reading answers ------------------------------------------------------------------------------


def test_answers_read_both_ways() -> None:
    assert v1_predictions('{"predictions": [1.5, 2]}', 2) == ([1.5, 2.0], "")
    assert v1_predictions('{"predictions": [[1.5], [2]]}', 2) == ([1.5, 2.0], "")
    assert v1_predictions('{"predictions": [1.5]}', 2)[1].startswith('"predictions" is not')
    assert v1_predictions("<html>", 1) == (None, 'no "predictions" list in the answer')
    v2 = '{"id": "x", "outputs": [{"name": "p", "datatype": "FP64", "shape": [2], "data": [1, 2]}]}'
    assert v2_predictions(v2, 2, "x") == ([1.0, 2.0], "")
    assert v2_predictions(v2, 2, None) == ([1.0, 2.0], "")
    assert v2_predictions(v2, 2, "y")[1] == "\"id\" is 'x', not the request's 'y'"
    assert v2_predictions(v2.replace("FP64", "BYTES"), 2, "x")[1].startswith(
        "the output is not numbers"
    )
    two = '{"outputs": [{"datatype": "FP64", "data": [1]}, {"datatype": "FP64", "data": [2]}]}'
    assert v2_predictions(two, 1, None) == (None, 'not one output in "outputs"')
