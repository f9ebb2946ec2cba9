"""Week 19: optimize.py makes a baseline ONNX model, an INT8-quantized one and a pruned (or
smaller) one, and results.json tells the truth about each.

Every model file is measured by the check in the learner's interpreter (the ``measured``
fixture); accuracy is recomputed here from the labels each model gave, on data/raw/test.csv
(what results.json reports) and on 380 held-out houses optimize.py never saw (what the
budget is judged on). Latency is timed by the check and shown as a note, never judged: a
shared machine's timings are noise.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import Measured

from mlops_checks.clean_run import CleanRun, expect_ran
from mlops_checks.onnx_models import file_kind
from mlops_checks.optimization_results import EXAMPLE, REQUIRED, Results
from mlops_roadmap.checking import expect, expect_none

# The lesson's accuracy budget: an optimized variant may lose at most 2 points of accuracy
# against the baseline. Reference solution (MLP 256-128, seed 0, one thread), on the 380
# held-out houses: baseline 0.932, INT8 0.932, pruned (80% of hidden weights zeroed) 0.937.
BUDGET = 0.02
MIN_BASELINE = 0.88  # held-out accuracy; week 2's logistic regression gets 0.929
MAX_INT8_SHARE = 0.5  # of the baseline's bytes (dynamic INT8 stores weights in a quarter)
MAX_PRUNED_SHARE = 0.5  # of the baseline's nonzero weights
SLACK = 1e-9
pytestmark = pytest.mark.timeout(600)  # the clean run (300 s at most) and the probe (180 s)


@pytest.mark.points(2)
def test_optimize_runs(optimize_run: CleanRun) -> None:
    """optimize.py runs from a clean start"""
    expect_ran(
        optimize_run,
        expected="`python optimize.py` in a fresh copy of the week folder (no models/, no "
        "results.json) to exit with status 0",
        hint="Finish the TODOs in optimize.py, then run `python optimize.py` yourself from the "
        "week folder and fix the first error it shows.",
    )


@pytest.mark.points(1)
def test_results_file(results_or_problem: Results | str, optimize_run: CleanRun) -> None:
    """results.json lists the baseline, int8 and pruned variants with their measures"""
    if isinstance(results_or_problem, str):
        problems = [results_or_problem]
    else:
        files = [v.file for v in results_or_problem.with_files().values() if v.file]
        problems = [f"{f} does not exist" for f in files if not (optimize_run.folder / f).is_file()]
    expect_none(
        problems,
        expected=f"results.json like {EXAMPLE}",
        hint="Write every measure as a number (float(...) around numpy values), sizes in "
        "bytes from Path(file).stat().st_size, and paths relative to the week folder.",
    )


@pytest.mark.points(2)
def test_models_load(measured: Measured, record_property: Callable[[str, object], None]) -> None:
    """Every model file loads in ONNX Runtime and labels every house"""
    problems = []
    if measured.probed.preprocess_error:
        problems.append(f"{measured.results.preprocess}: {measured.probed.preprocess_error}")
    rows = {t: len(v) for t, v in measured.truth.items()}
    for name, variant in measured.results.with_files().items():
        facts = measured.probed.models[name]
        kind = file_kind((measured.folder / str(variant.file)).read_bytes()[:64])
        if facts.error:
            problems.append(f"{variant.file} ({name}): {facts.error if kind == 'ONNX' else kind}")
            continue
        given = {t: len(facts.labels[t]) for t in rows}
        if given != rows:
            problems.append(f"{variant.file} ({name}): {given} labels for {rows} rows")
        record_property(
            f"{name} latency",
            f"p50 {facts.p50_ms:.3f} ms, p95 {facts.p95_ms:.3f} ms",
        )
    expect_none(
        problems,
        expected="every model file in results.json to load with onnxruntime.InferenceSession "
        "and give one label (0 or 1) per house",
        hint="Save each model with Path(file).write_bytes(onx.SerializeToString()) after "
        "skl2onnx.to_onnx(model, X[:1], options={id(model): {'zipmap': False}}); "
        "quantize_dynamic writes its own file. joblib.dump writes a pickle, not ONNX.",
    )


@pytest.mark.points(1)
def test_sizes_reported(measured: Measured) -> None:
    """The sizes in results.json are the model files' sizes"""
    wrong = []
    for name, variant in measured.results.with_files().items():
        real = (measured.folder / str(variant.file)).stat().st_size
        if variant.size_bytes != real:
            wrong.append(f"{name}: {variant.size_bytes:,} reported, {variant.file} has {real:,}")
    expect_none(
        wrong,
        expected="each size_bytes equal to its file's size in bytes",
        hint="Measure after writing the file: Path(file).stat().st_size (bytes, not KB).",
    )


@pytest.mark.points(1)
def test_int8_is_smaller(measured: Measured) -> None:
    """The INT8 model holds 8-bit weights and is at most half the baseline's size"""
    base, int8 = measured.results.variants["baseline"], measured.results.variants["int8"]
    facts = measured.facts("int8")
    sizes = [(measured.folder / str(v.file)).stat().st_size for v in (base, int8)]
    expect(
        facts.eight_bit and sizes[1] <= MAX_INT8_SHARE * sizes[0],
        expected=f"{int8.file} with 8-bit integer weights, at most {MAX_INT8_SHARE:.0%} of "
        f"{base.file}'s {sizes[0]:,} bytes",
        found=f"{sizes[1]:,} bytes ({sizes[1] / sizes[0]:.0%}), "
        + (
            "8-bit weights"
            if facts.eight_bit
            else f"no 8-bit weights (ops: {', '.join(facts.ops)})"
        ),
        hint="quantize_dynamic(baseline_path, int8_path, weight_type=QuantType.QInt8) on the "
        "baseline ONNX file, not a copy of it.",
    )


@pytest.mark.points(1)
def test_pruned_is_smaller(measured: Measured) -> None:
    """The pruned variant keeps at most half the baseline's nonzero weights"""
    base, pruned = measured.facts("baseline"), measured.facts("pruned")
    expect(
        pruned.nonzero <= MAX_PRUNED_SHARE * base.nonzero,
        expected=f"at most {MAX_PRUNED_SHARE:.0%} of the baseline's {base.nonzero:,} nonzero "
        "weights in the pruned (or smaller) model",
        found=f"{pruned.nonzero:,} nonzero weights of {pruned.weights:,} "
        f"({pruned.nonzero / max(base.nonzero, 1):.0%} of the baseline's)",
        hint="Zero the 80% smallest weights of each hidden layer (unstructured), or remove "
        "hidden units (structured), or train a smaller network; then export it to ONNX.",
    )


@pytest.mark.points(2)
def test_accuracy_reported(measured: Measured) -> None:
    """The accuracies in results.json are the models' own on data/raw/test.csv"""
    wrong = []
    rows = len(measured.truth["test"])
    for name, variant in measured.results.with_files().items():
        real = measured.accuracy(name, "test")
        if abs(variant.accuracy - real) > 0.5 / rows:
            wrong.append(f"{name}: {variant.accuracy:.4f} reported, its model gets {real:.4f}")
    expect_none(
        wrong,
        expected=f"each accuracy equal to its model file's on the {rows} houses of "
        "data/raw/test.csv (to the house)",
        hint="Compute each variant's accuracy with the very model you saved, on X_test made "
        "by the preprocessor fitted on train.",
    )


@pytest.mark.points(1)
def test_baseline_predicts_unseen_houses(measured: Measured) -> None:
    """The baseline tells expensive houses apart on unseen houses (held-out accuracy)"""
    found = measured.accuracy("baseline", "holdout")
    rows = len(measured.truth["holdout"])
    expect(
        found >= MIN_BASELINE,
        expected=f"an accuracy of at least {MIN_BASELINE} on {rows} houses the model never saw",
        found=f"{found:.3f}",
        hint="Scale the numeric columns and one-hot encode the text ones (fitted on train "
        "only), label expensive = price > 160000, and train with early_stopping=True.",
    )


def drops(measured: Measured, names: tuple[str, ...]) -> list[str]:
    """The variants that lose more than the budget against the baseline on held-out houses."""
    base = measured.accuracy("baseline", "holdout")
    over = []
    for name in names:
        found = measured.accuracy(name, "holdout")
        if found < base - BUDGET - SLACK:
            over.append(f"{name}: {found:.3f} against the baseline's {base:.3f}")
    return over


@pytest.mark.points(2)
def test_within_budget(measured: Measured) -> None:
    """The optimized models lose at most 2 points of accuracy on unseen houses"""
    expect_none(
        drops(measured, REQUIRED[1:]),
        expected=f"int8 and pruned each at most {BUDGET * 100:.0f} points of accuracy below "
        f"the baseline on {len(measured.truth['holdout'])} houses none of them saw",
        hint="Prune less (0.8 of the smallest weights, not 0.99), or fine-tune after pruning, "
        "or train the smaller network from scratch; check accuracy before you time anything.",
    )


@pytest.mark.points(1)
def test_recommendation(measured: Measured) -> None:
    """RESULTS.md recommends the variant results.json names, and it keeps to the budget"""
    chosen = measured.results.recommended
    notes = measured.folder / "RESULTS.md"
    text = notes.read_text(encoding="utf-8", errors="replace") if notes.is_file() else ""
    problems = (
        []
        if chosen in text
        else [f"RESULTS.md does not name {chosen!r}" if text else "no RESULTS.md"]
    )
    if chosen in measured.results.with_files():
        problems += drops(measured, (chosen,))
    expect_none(
        problems,
        expected=f"RESULTS.md naming the recommended variant ({chosen!r}), which loses at "
        f"most {BUDGET * 100:.0f} points of accuracy on unseen houses",
        hint="Write RESULTS.md: the table of variants, the budget, the variant you recommend "
        "(by its name in results.json) and why.",
    )
