"""Week 22 fixtures: the week's workflow at the repository root (the shared plugin's
``found``), and the learner's pipeline and gate run in fresh copies of the week folder.

Each copy leaves out virtual environments, DVC's cache and temporary files, opens the DVC
project without git (``core.no_scm`` in the copy's .dvc/config.local) and runs the learner's
own commands in the learner's interpreter: `python -m dvc repro`, `python validate.py`. The
learner's folder is never touched.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_roadmap.fixtures import Run

pytest_plugins = ["mlops_checks.workflow_fixtures"]

TRAIN = Path("data", "raw", "train.csv")
APPENDED = 60  # rows the check appends to the training data
REPRO_TIMEOUT = 300  # the solution's pipeline takes about 5 s
GATE_TIMEOUT = 120
MARGIN = 0.02  # the lesson's gate: at most 2% worse than the champion
WORSE, WITHIN = 1.05, 1.005  # candidate RMSE / champion RMSE in the check's two champions
BAD_PARAMS = {"model": "ridge", "alpha": 1_000_000.0}  # train.*: a model that predicts the mean
NOT_COPIED = {".venv", "venv", "__pycache__", ".git", ".pytest_cache", ".ipynb_checkpoints"}
NOT_COPIED_DVC = {".dvc/cache", ".dvc/tmp"}


def copy_week(week_dir: Path, dest: Path, cache: bool = False) -> None:
    """The week folder without environments and DVC's temporary files (and its cache unless
    ``cache``: without one, `dvc repro` reruns every stage, changed or not); symbolic links
    followed."""
    skipped = NOT_COPIED_DVC if not cache else NOT_COPIED_DVC - {".dvc/cache"}

    def ignore(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(week_dir).as_posix()
        return {
            n for n in names if n in NOT_COPIED or (f"{rel}/{n}" if rel != "." else n) in skipped
        }

    shutil.copytree(week_dir, dest, ignore=ignore, symlinks=False)
    if (dest / ".dvc").is_dir():  # the copy is not a git repository
        (dest / ".dvc" / "config.local").write_text("[core]\n    no_scm = true\n", "utf-8")


def learner_env(learner_python: Path, base: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(base / "dvc-site-cache"),
        "PATH": str(learner_python.parent) + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def lock_hashes(folder: Path, kind: str) -> dict[str, str]:
    """{path: md5} of every stage's ``kind`` (outs or deps) in dvc.lock."""
    path = folder / "dvc.lock"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for stage in (data.get("stages") or {}).values():
        for entry in stage.get(kind) or []:
            out[str(entry.get("path"))] = str(entry.get("md5") or entry.get("hash") or "")
    return out


def models(hashes: dict[str, str]) -> dict[str, str]:
    return {p: h for p, h in hashes.items() if "model" in p.lower() or p.endswith(".joblib")}


def append_rows(path: Path, count: int) -> int:
    """Append ``count`` new sales made from the first ones (prices raised 15%)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    new = []
    for row in rows[:count]:
        row = dict(row)
        row["price"] = str(round(float(row["price"]) * 1.15))
        new.append(row)
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerows(new)
    return len(new)


@dataclass
class Retraining:
    error: str = ""  # why nothing could be compared
    before: dict[str, str] = field(default_factory=dict)  # model outs in the learner's dvc.lock
    after: dict[str, str] = field(default_factory=dict)  # after the rows and `dvc repro`
    data_before: str = ""
    data_after: str = ""
    tail: str = ""


@pytest.fixture(scope="session")
def retraining(
    run: Run, week_dir: Path, learner_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Retraining:
    base = tmp_path_factory.mktemp("retrain")
    copy = base / week_dir.name
    # With the cache, `dvc repro` reruns only what the new rows change, as in CI after `dvc pull`.
    copy_week(week_dir, copy, cache=True)
    result = Retraining(before=models(lock_hashes(copy, "outs")))
    if not (copy / ".dvc").is_dir():
        result.error = "the week folder is not a DVC project (no .dvc folder)"
    elif not result.before:
        result.error = "dvc.lock records no model output (run `dvc repro` and commit dvc.lock)"
    elif not (copy / TRAIN).is_file():
        result.error = f"{TRAIN} is missing from the week folder (`dvc pull` or `dvc checkout`)"
    if result.error:
        return result
    deps = lock_hashes(copy, "deps")
    result.data_before = next((h for p, h in deps.items() if p.startswith("data/raw")), "")
    append_rows(copy / TRAIN, APPENDED)
    args = [learner_python, "-m", "dvc", "repro"]
    done = run(args, cwd=copy, env=learner_env(learner_python, base), timeout=REPRO_TIMEOUT)
    result.tail = done.tail(8)
    if done.returncode != 0:
        result.error = f"`dvc repro` exited {done.returncode}: {result.tail}"
        return result
    result.after = models(lock_hashes(copy, "outs"))
    after_deps = lock_hashes(copy, "deps")
    result.data_after = next((h for p, h in after_deps.items() if p.startswith("data/raw")), "")
    return result


@dataclass
class GateRun:
    scenario: str  # what the check did, in words
    returncode: int = -1
    output: str = ""
    champion_after: dict[str, Any] | None = None


@dataclass
class Gates:
    error: str = ""
    champion_file: str = "champion/metrics.json"
    candidate: dict[str, float] = field(default_factory=dict)
    runs: dict[str, GateRun] = field(default_factory=dict)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def gate(run: Run, copy: Path, python: Path, env: dict[str, str], champion: Path) -> GateRun:
    done = run([python, "validate.py"], cwd=copy, env=env, timeout=GATE_TIMEOUT)
    return GateRun("", done.returncode, done.tail(12), read_json(champion))


def write_champion(path: Path, metrics: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics) + "\n", encoding="utf-8")


def candidate_metrics(copy: Path) -> dict[str, float] | None:
    data = read_json(copy / "metrics.json") or {}
    try:
        return {"rmse": float(data["rmse"]), "accuracy": float(data["accuracy"])}
    except (KeyError, TypeError, ValueError):
        return None


def champion_path(copy: Path) -> str:
    try:
        settings = yaml.safe_load((copy / "gates.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        settings = {}
    value = settings.get("champion_metrics") if isinstance(settings, dict) else None
    return str(value) if value else "champion/metrics.json"


def spoil_params(copy: Path) -> None:
    path = copy / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    params = params if isinstance(params, dict) else {}
    train = params.setdefault("train", {})
    train.update(BAD_PARAMS)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="session")
def gates(
    run: Run, week_dir: Path, learner_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Gates:
    """validate.py run three times in one copy: a champion the candidate is within the margin
    of, one it is 5% worse than, and after `dvc repro` with parameters that ruin the model."""
    base = tmp_path_factory.mktemp("gates")
    copy = base / week_dir.name
    copy_week(week_dir, copy)
    env = learner_env(learner_python, base)
    result = Gates(champion_file=champion_path(copy))
    champion = copy / result.champion_file
    repro = [learner_python, "-m", "dvc", "repro"]
    if candidate_metrics(copy) is None and (copy / ".dvc").is_dir():
        run(repro, cwd=copy, env=env, timeout=REPRO_TIMEOUT)
    candidate = candidate_metrics(copy)
    if not (copy / "validate.py").is_file():
        result.error = "no validate.py in the week folder"
    elif candidate is None:
        result.error = "no metrics.json with rmse and accuracy (run `dvc repro`)"
    if result.error or candidate is None:
        return result
    result.candidate = candidate
    rmse = candidate["rmse"]
    for key, ratio in (("within", WITHIN), ("worse", WORSE)):
        write_champion(champion, {"rmse": rmse / ratio, "accuracy": candidate["accuracy"]})
        result.runs[key] = gate(run, copy, learner_python, env, champion)
        result.runs[key].scenario = (
            f"a champion at RMSE {rmse / ratio:,.0f} and the same accuracy: the candidate's RMSE "
            f"{rmse:,.0f} is {ratio - 1:.1%} worse"
        )
    write_champion(champion, candidate)
    spoil_params(copy)
    bad = GateRun("train.model ridge with alpha 1,000,000 in params.yaml, then `dvc repro`")
    done = run(repro, cwd=copy, env=env, timeout=REPRO_TIMEOUT)
    if done.returncode == 0:
        bad = gate(run, copy, learner_python, env, champion)
        spoiled = candidate_metrics(copy) or {}
        bad.scenario = (
            "train.model ridge with alpha 1,000,000 in params.yaml, then `dvc repro` (test "
            f"RMSE {spoiled.get('rmse', float('nan')):,.0f}), the current model as champion"
        )
    else:
        bad.returncode, bad.output = -2, done.tail(8)
    result.runs["bad"] = bad
    return result
