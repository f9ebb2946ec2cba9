"""A learner's DAG folder parsed and run by ``dag_probe.py`` in the Airflow environment.

``probe`` starts the probe once (through ``run``: its own process group, killed with everything
Airflow started when it ends or times out) and returns what it found as typed facts: the
imports, the parse (import errors, each DAG's shape) and every run. The checks judge the facts;
nothing of Airflow is imported here.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_checks import airflow_env
from mlops_checks.airflow_env import AirflowEnv
from mlops_roadmap.checking import blocked
from mlops_roadmap.fixtures import Run

PROBE = Path(__file__).resolve().parent / "dag_probe.py"
TEMPLATE_DB = "airflow-template.db"
# Top-level outputs a clean copy leaves out (Airflow's home, models, tracking stores, venvs).
CLEAN_OUTPUTS = (".venv-airflow", "airflow-home", "logs", "models", "mlruns", "mlflow.db")
# What must not be imported when the DAG folder is parsed: each belongs inside a task.
HEAVY = ("pandas", "sklearn", "mlflow", "scipy", "matplotlib", "torch", "evidently")
SUCCESS = "success"


@dataclass(frozen=True)
class DagRun:
    """One ``dag.test()``: its state, each task's state and return value, its log's end, and
    the files of the watched folder after it (path -> [size, sha256])."""

    label: str
    state: str
    tasks: dict[str, str]
    returns: dict[str, Any]
    log: str
    files: dict[str, list[Any]]
    appended: list[str]
    model: dict[str, Any]
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # named predict steps
    failure: str = ""  # the end of the last traceback in its log (the DAG folder's frames)
    read: dict[str, str] = field(default_factory=dict)  # small files read after it
    seconds: float = 0.0
    run_id: str = ""
    error: str = ""

    @property
    def failed_tasks(self) -> list[str]:
        return sorted(t for t, state in self.tasks.items() if state != SUCCESS)

    def summary(self) -> str:
        """Each task's state, then the end of the failing task's traceback."""
        if self.error:
            return f"dag.test() raised: {self.error}"
        states = ", ".join(f"{t} {s}" for t, s in sorted(self.tasks.items()))
        text = f"run {self.state}: {states or 'no task ran'}"
        if self.state != SUCCESS:
            text += ":\n" + (self.failure or self.log[-1500:])
        return text


@dataclass(frozen=True)
class Found:
    """Everything one probe found."""

    versions: dict[str, str]
    import_errors: list[str]
    parse_errors: dict[str, str]
    parse_seconds: float
    dags: dict[str, dict[str, Any]]
    heavy_imports: list[str]
    runs: list[DagRun] = field(default_factory=list)
    crash: str = ""

    def run(self, label: str) -> DagRun | None:
        return next((r for r in self.runs if r.label == label), None)


def as_run(raw: dict[str, Any]) -> DagRun:
    return DagRun(
        label=raw["label"],
        state=raw.get("state", "not run"),
        tasks=dict(raw.get("tasks") or {}),
        returns=dict(raw.get("returns") or {}),
        log=raw.get("log", ""),
        files=dict(raw.get("files") or {}),
        appended=list(raw.get("appended") or []),
        model=dict(raw.get("model") or {}),
        models=dict(raw.get("models") or {}),
        failure=raw.get("failure") or "",
        read=dict(raw.get("read") or {}),
        seconds=float(raw.get("seconds") or 0.0),
        run_id=raw.get("run_id") or "",
        error=raw.get("error") or "",
    )


def read_answer(path: Path, crash: str) -> Found:
    """The probe's answer file as facts (``crash``: how the probe ended, when it went wrong)."""
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raw = {}
    parse = raw.get("parse") or {}
    imports = raw.get("imports") or {}
    return Found(
        versions=dict(raw.get("versions") or {}),
        import_errors=list(imports.get("errors") or []),
        parse_errors=dict(parse.get("errors") or {}),
        parse_seconds=float(parse.get("seconds") or 0.0),
        dags=dict(parse.get("dags") or {}),
        heavy_imports=list(parse.get("heavy") or []),
        runs=[as_run(r) for r in raw.get("runs") or []],
        crash=raw.get("error") or ("" if parse else crash),
    )


@dataclass(frozen=True)
class Spec:
    """What one probe does: parse ``dags``, then run ``dag_id`` once per entry of ``runs``
    (label, conf, logical_date, predict), watching the files of ``watch``."""

    dags: Path
    dag_id: str
    watch: Path
    imports: tuple[str, ...] = ()
    runs: tuple[dict[str, Any], ...] = ()
    skip: tuple[str, ...] = ("data/raw",)
    read: tuple[str, ...] = ()


def probe(
    run: Run,
    env: AirflowEnv,
    spec: Spec,
    scratch: Path,
    template: Path,
    timeout: float,
    extra: Mapping[str, str] | None = None,
) -> Found:
    """Start dag_probe.py in the Airflow environment on ``spec`` with Airflow's home in
    ``scratch``, the session's migrated database ``template`` (made by the first probe) and
    ``extra`` variables (an MLflow store) in its environment."""
    home = scratch / "airflow-home"
    home.mkdir(parents=True, exist_ok=True)
    answer = scratch / "answer.json"
    payload = {
        "dags": str(spec.dags),
        "dag_id": spec.dag_id,
        "watch": str(spec.watch),
        "skip": list(spec.skip),
        "imports": list(spec.imports),
        "read": list(spec.read),
        "heavy": list(HEAVY),
        "runs": list(spec.runs),
        "db": str(home / "airflow.db"),
        "template": str(template),
        "answer": str(answer),
    }
    spec_file = scratch / "spec.json"
    spec_file.write_text(json.dumps(payload), encoding="utf-8")
    result = run(
        [env.python, "-I", PROBE, spec_file],
        cwd=scratch,  # not the week folder: tasks must build their paths from __file__
        env=airflow_env.settings(home, spec.dags, **(extra or {})),
        timeout=timeout,
    )
    crash = ""
    if result.timed_out:
        crash = f"the Airflow probe ran for more than {timeout:g} s and was stopped"
    elif result.returncode != 0:
        crash = f"the Airflow probe failed (exit {result.returncode}): {result.tail(8)}"
    found = read_answer(answer, crash or "the Airflow probe wrote no answer")
    if crash and not found.crash:
        found = Found(**{**found.__dict__, "crash": crash})
    return found


def usable(found: Found, first: str) -> Found:
    """``found`` when Airflow started and parsed the folder, else blocked (``first``: the check
    that names what is wrong, to make pass first)."""
    if found.import_errors or (found.crash and not found.dags and not found.parse_errors):
        blocked("Airflow could not parse the DAG folder in its environment", hint=first)
    return found


def dag_of(found: Found, dag_id: str, first: str) -> dict[str, Any]:
    """The shape of ``dag_id``, or blocked (the import check names what is wrong)."""
    dag = found.dags.get(dag_id)
    if dag is None or "error" in dag:
        blocked(f"there is no DAG {dag_id!r} to inspect yet", hint=first)
    return dag


def changed_data(folder: Path, seed: int) -> str:
    """Change a copy's data/raw as a new delivery would, so that only numbers computed from the
    files pass: train.csv's rows shuffled, every fifth row of test.csv left out. Returns what
    was changed, for messages."""
    raw = folder / "data" / "raw"
    done = []
    for name, change in (("train.csv", "rows shuffled"), ("test.csv", "every fifth row left out")):
        path = raw / name
        if not path.is_file():
            continue
        header, *rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if name == "train.csv":
            random.Random(seed).shuffle(rows)
        else:
            rows = [row for i, row in enumerate(rows) if i % 5 != 4]
        path.write_text(header + "".join(rows), encoding="utf-8")
        done.append(f"data/raw/{name} {change}")
    return ", ".join(done)


def first_line(text: str, limit: int = 300) -> str:
    return (text.strip().splitlines() or [""])[0][:limit]
