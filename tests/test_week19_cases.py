"""Week 19's checks judged both ways: wrong submissions each check must fail (mutations of the
reference solution's optimize.py) and right submissions written differently from the lesson
(tests/fixtures/week19/) that every check must pass; then the check's own helpers.

Each case runs the real CLI on a workspace made as `course verify` makes it; optimize.py trains
its networks in each (10-20 s), so the cases are in the slow suite. The helpers' tests are fast.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlops_checks.onnx_models import file_kind
from mlops_checks.optimization_results import ResultsProblem, read_results
from tests.conftest import FIXTURES, Cli
from tests.test_week09_api import check, edit, make_week, outcomes

WEEK = 19
CASES = FIXTURES / "week19"
SCRIPT = "optimize.py"
TITLES = {
    "libraries": "The week's libraries import in the workspace virtual environment",
    "runs": "optimize.py runs from a clean start",
    "results": "results.json lists the baseline, int8 and pruned variants with their measures",
    "loads": "Every model file loads in ONNX Runtime and labels every house",
    "sizes": "The sizes in results.json are the model files' sizes",
    "int8": "The INT8 model holds 8-bit weights and is at most half the baseline's size",
    "pruned": "The pruned variant keeps at most half the baseline's nonzero weights",
    "accuracy": "The accuracies in results.json are the models' own on data/raw/test.csv",
    "baseline": "The baseline tells expensive houses apart on unseen houses (held-out accuracy)",
    "budget": "The optimized models lose at most 2 points of accuracy on unseen houses",
    "recommended": "RESULTS.md recommends the variant results.json names, and it keeps to the "
    "budget",
}
PASSED = dict.fromkeys(TITLES, "passed")
NOT_LIBRARIES = "not libraries_import"


def expect_only(checks: dict[str, dict[str, str]], failed: set[str]) -> None:
    """Every check but the library one ran; those in ``failed`` failed, the rest passed."""
    wanted = {k: ("failed" if k in failed else "passed") for k in TITLES if k != "libraries"}
    assert outcomes(checks, TITLES) == wanted, checks


# -- right submissions written from the lesson -----------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("case", ["right-whole-pipeline", "right-structured"])
def test_right_submission_passes(cli: Cli, tmp_path: Path, case: str) -> None:
    week = make_week(tmp_path, WEEK, solved=False)
    shutil.copytree(CASES / case, week, dirs_exist_ok=True)
    checks = check(cli, week)
    assert outcomes(checks, TITLES) == PASSED, checks
    notes = checks[TITLES["loads"]]["notes"]
    assert "baseline latency p50 " in notes and "pruned latency p95" not in notes, notes


# -- wrong submissions: mutations of the reference solution ----------------------------------


@pytest.mark.slow
def test_int8_a_copy_and_sizes_in_kilobytes(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    script = week / SCRIPT
    edit(script, "    quantize_dynamic(str(baseline), str(int8), weight_type=QuantType.QInt8)\n",
         "    int8.write_bytes(baseline.read_bytes())\n")  # fmt: skip
    edit(script, '"size_bytes": path.stat().st_size}', '"size_bytes": path.stat().st_size // 1000}')
    checks = check(cli, week, NOT_LIBRARIES)
    expect_only(checks, {"sizes", "int8"})
    assert checks[TITLES["sizes"]]["found"].startswith(
        "baseline: 179 reported, models/baseline.onnx has 179,"
    )
    int8 = checks[TITLES["int8"]]
    assert int8["found"].startswith("179,") and "(100%), no 8-bit weights (ops: " in int8["found"]
    assert int8["hint"].startswith("quantize_dynamic(baseline_path, int8_path")


@pytest.mark.slow
def test_overpruned_with_pasted_accuracy(cli: Cli, tmp_path: Path) -> None:
    """Pruning 99.9% of the weights ruins the model; reporting the baseline's accuracy for
    every variant hides it, and recommending it breaks the budget too."""
    week = make_week(tmp_path, WEEK, solved=True)
    script = week / SCRIPT
    edit(script, "PRUNED_SHARE = 0.8 ", "PRUNED_SHARE = 0.999 ")
    edit(script, '"recommended": "int8",', '"recommended": "pruned",')
    edit(script, "    results = {\n", '    for v in variants.values():\n'
         '        v["accuracy"] = variants["sklearn"]["accuracy"]\n    results = {\n')  # fmt: skip
    (week / "RESULTS.md").write_text("I recommend pruned: the same accuracy, 1000 x fewer weights.")
    checks = check(cli, week, NOT_LIBRARIES)
    expect_only(checks, {"accuracy", "budget", "recommended"})
    assert checks[TITLES["accuracy"]]["found"].startswith("pruned: 0.9231 reported, its model gets")
    assert checks[TITLES["budget"]]["found"].startswith("pruned: 0.")
    assert "against the baseline's 0.9" in checks[TITLES["recommended"]]["found"]


@pytest.mark.slow
def test_pickle_saved_as_onnx_and_no_notes(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    script = week / SCRIPT
    edit(script, '    pruned = export(prune(mlp, PRUNED_SHARE), X_train, MODELS / "pruned.onnx")\n',
         '    pruned, small = MODELS / "pruned.onnx", prune(mlp, PRUNED_SHARE)\n'
         '    joblib.dump(small, pruned)\n')  # fmt: skip
    edit(script, '(("baseline", baseline), ("int8", int8), ("pruned", pruned))',
         '(("baseline", baseline), ("int8", int8))')  # fmt: skip
    edit(script, "    results = {\n",
         '    variants["pruned"] = measure(small.predict, X_test, y_test, pruned)\n'
         "    results = {\n")  # fmt: skip
    (week / "RESULTS.md").unlink()
    checks = check(cli, week, NOT_LIBRARIES)
    assert outcomes(checks, TITLES) == {
        **{k: "passed" for k in ("runs", "results", "sizes", "int8", "baseline")},
        "loads": "failed",
        "pruned": "blocked",
        "accuracy": "blocked",
        "budget": "blocked",
        "recommended": "failed",
    }, checks
    loads = checks[TITLES["loads"]]
    assert loads["found"] == (
        "models/pruned.onnx (pruned): a Python pickle (what joblib.dump or pickle.dump write), "
        "not ONNX"
    )
    assert "joblib.dump writes a pickle, not ONNX" in loads["hint"]
    assert checks[TITLES["recommended"]]["found"] == "no RESULTS.md"


@pytest.mark.slow
def test_latencies_swapped_block_the_rest(cli: Cli, tmp_path: Path) -> None:
    week = make_week(tmp_path, WEEK, solved=True)
    edit(week / SCRIPT, '"p95_ms": float(np.percentile(ms, 95)),',
         '"p95_ms": float(np.percentile(ms, 5)),')  # fmt: skip
    checks = check(cli, week, "results_file or models_load or within_budget")
    assert outcomes(checks, TITLES) == {
        "results": "failed",
        "loads": "blocked",
        "budget": "blocked",
    }
    found = checks[TITLES["results"]]["found"]
    assert found.startswith("sklearn: p50_ms ") and "(0 < p50 <= p95)" in found


# -- the check's helpers, fast -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        (b"", "an empty file"),
        (
            b"\x80\x04\x95\x10\x00",
            "a Python pickle (what joblib.dump or pickle.dump write), not ONNX",
        ),
        (b"PK\x03\x04rest", "a zip archive, not ONNX"),
        (b'  {"variants": 1}', "JSON text, not ONNX"),
        (b"hello", "not ONNX: it starts with b'hello'"),
        (b"\x08\x08\x12\x07skl2onnx", "ONNX"),
    ],
)
def test_file_kind(start: bytes, kind: str) -> None:
    assert file_kind(start) == kind


ENTRY = {"accuracy": 0.9, "p50_ms": 0.1, "p95_ms": 0.2, "rows_per_s": 900}


def results(tmp_path: Path, data: object) -> Path:
    (tmp_path / "results.json").write_text(json.dumps(data))
    return tmp_path


def test_results_read(tmp_path: Path) -> None:
    files = {n: {**ENTRY, "file": f"m/{n}.onnx", "size_bytes": 10} for n in ("baseline", "int8")}
    data = {
        "variants": {**files, "pruned": {**ENTRY, "file": "m/p.onnx", "size_bytes": 3},
                     "sklearn": ENTRY},
        "preprocess": None,
        "recommended": "sklearn",
    }  # fmt: skip
    found = read_results(results(tmp_path, data))
    assert sorted(found.with_files()) == ["baseline", "int8", "pruned"]
    assert found.variants["pruned"].size_bytes == 3 and found.preprocess is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([1, 2], "no 'variants' object: [1, 2]"),
        (
            {
                "variants": {"baseline": {**ENTRY, "file": "b.onnx", "size_bytes": 1.5}},
                "recommended": "int8",
            },
            "no variant 'int8'; no variant 'pruned'; baseline.size_bytes: not a whole number of "
            "bytes (1.5); recommended: 'int8' names none of the variants",
        ),
        (
            {
                "variants": {
                    n: {**ENTRY, "accuracy": 93.1, "file": "x", "size_bytes": 1}
                    for n in ("baseline", "int8", "pruned")
                },
                "recommended": "int8",
            },
            "baseline.accuracy: 93.1 is not a share from 0 to 1; int8.accuracy: 93.1 is not a "
            "share from 0 to 1; pruned.accuracy: 93.1 is not a share from 0 to 1",
        ),
        (
            {
                "variants": {"baseline": {"p50_ms": "fast"}, "int8": {}, "pruned": True},
                "recommended": "int8",
            },
            "baseline.accuracy: not a number; baseline.p50_ms: not a number; baseline.p95_ms: not "
            "a number; baseline.rows_per_s: not a number; baseline.file: no model file named; "
            "int8.accuracy: not a number",
        ),
    ],
)
def test_results_problems(tmp_path: Path, data: object, problem: str) -> None:
    with pytest.raises(ResultsProblem) as caught:
        read_results(results(tmp_path, data))
    assert str(caught.value).startswith(problem)


def test_results_not_json(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text("{'variants': {}}")
    with pytest.raises(ResultsProblem, match=r"^results\.json does not read as JSON: Expecting"):
        read_results(tmp_path)
