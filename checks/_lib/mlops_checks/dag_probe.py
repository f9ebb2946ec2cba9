"""A learner's Airflow DAG folder parsed, and its DAG run, inside the Airflow environment.

Run by ``mlops_checks.dag_runs`` with the Airflow environment's interpreter, isolated (``-I``:
this folder is not on its path), never imported by the checks:

    python -I dag_probe.py SPEC.json

SPEC names the DAG folder, the DAG, the metadata database (a copy of a migrated template; the
first probe of a check session migrates the template), the folder whose files the runs may
change, the runs (each a ``dag.test()`` with every task's retries forced to 0, a run conf and a
logical date) and, after a run, the model to load (a task's return value: a joblib file or an
MLflow model URI) with the feature tables to predict. The answer, a JSON file SPEC names, holds
the parse (import errors with their tracebacks, each DAG's tasks, order, retries, catchup,
schedule, params) and each run (task states, return values, the end of its log, the files it
left, the predictions). Airflow's settings come from the environment (AIRFLOW_HOME, the DAG
folder, the database). Nothing here raises: a failure is reported where it happened.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

LOG_LINES = 40  # lines of a run's log kept for the checks' messages
SKIPPED_DIRS = {"__pycache__", ".venv", ".venv-airflow", "airflow-home", "logs", ".git"}


def error_text(exc: BaseException) -> str:
    """The end of an exception's traceback: what a learner needs to find the line."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    return "".join(lines[-6:]).strip()[-2000:]


def jsonable(value: Any) -> Any:
    """A task's return value as JSON (repr when it is no JSON value, or an object Airflow
    serialised with its class name: a DataFrame, a model)."""
    if isinstance(value, dict) and "__classname__" in value:
        return {
            "repr": f"a {value['__classname__']} ({len(json.dumps(value, default=str)):,} bytes)"
        }
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return {"repr": repr(value)[:300]}
    return value


def digest(path: Path, size: int | None = None) -> str:
    """The sha256 of a file (of its first ``size`` bytes when given)."""
    with path.open("rb") as handle:
        data = handle.read() if size is None else handle.read(size)
    return hashlib.sha256(data).hexdigest()


def listing(root: Path, skip: list[str]) -> dict[str, list[Any]]:
    """Every file under ``root`` (its virtual environments, caches and ``skip`` aside): its
    relative path -> [size, sha256]."""
    out: dict[str, list[Any]] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and (here / d) != root / "dags"]
        for name in files:
            path = here / name
            rel = path.relative_to(root).as_posix()
            if any(rel == s or rel.startswith(s.rstrip("/") + "/") for s in skip):
                continue
            try:
                out[rel] = [path.stat().st_size, digest(path)]
            except OSError:
                continue
    return out


def appended(before: dict[str, list[Any]], after: dict[str, list[Any]], root: Path) -> list[str]:
    """Files that a run only added to: their earlier content is the start of the new one."""
    grown = []
    for rel, (size, sha) in before.items():
        now = after.get(rel)
        if now is None or now[0] <= size or size == 0:
            continue
        try:
            if digest(root / rel, size) == sha:
                grown.append(rel)
        except OSError:
            continue
    return grown


def timetable(dag: Any) -> dict[str, Any]:
    """What a DAG's schedule is: the value given, its timetable, cron expression or interval."""
    table = dag.timetable
    delta: Any = getattr(table, "delta", None)
    return {
        "given": None if dag.schedule is None else str(dag.schedule),
        "kind": type(table).__name__,
        "expression": getattr(table, "expression", None),
        "seconds": delta.total_seconds() if hasattr(delta, "total_seconds") else None,
    }


def structure(dag: Any) -> dict[str, Any]:
    """A DAG's tasks and their order, retries, timeouts; catchup, schedule and params."""
    tasks = {}
    for task in dag.tasks:
        timeout: Any = task.execution_timeout
        tasks[task.task_id] = {
            "upstream": sorted(task.upstream_task_ids),
            "downstream": sorted(task.downstream_task_ids),
            "retries": task.retries,
            "timeout": timeout.total_seconds() if timeout is not None else None,
            "operator": type(task).__name__,
        }
    params = {key: jsonable(dag.params[key]) for key in dag.params}
    return {
        "file": dag.fileloc,
        "tasks": tasks,
        "catchup": bool(dag.catchup),
        "schedule": timetable(dag),
        "params": params,
    }


def parse(folder: str, heavy: list[str]) -> tuple[Any, dict[str, Any]]:
    """The DagBag of ``folder`` and what it holds, with the ``heavy`` modules parsing it
    imported (they belong inside tasks)."""
    from airflow.dag_processing.dagbag import DagBag  # type: ignore[import-not-found]

    loaded = set(sys.modules)
    start = time.monotonic()
    bag = DagBag(dag_folder=folder)
    seconds = time.monotonic() - start
    imported = [name for name in heavy if name in sys.modules and name not in loaded]
    errors = {str(path): str(text)[-3000:] for path, text in bag.import_errors.items()}
    dags = {}
    for dag_id, dag in bag.dags.items():
        try:
            dags[dag_id] = structure(dag)
        except Exception as exc:  # a DAG Airflow accepted but we cannot describe
            dags[dag_id] = {"error": error_text(exc)}
    return bag, {"seconds": seconds, "errors": errors, "dags": dags, "heavy": imported}


def imports(names: list[str]) -> dict[str, Any]:
    """The modules that do not import here, each with its error, and the versions of those
    that do."""
    import importlib

    errors, versions = [], {}
    for name in names:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            errors.append(f"{name} ({type(exc).__name__}: {exc})")
            continue
        versions[name] = str(getattr(module, "__version__", ""))
    return {"errors": errors, "versions": versions}


def migrate(spec: dict[str, Any]) -> str | None:
    """The run's metadata database: the session's migrated template copied, or (the first
    time) migrated here and kept as the template. None, or what went wrong."""
    db, template = Path(spec["db"]), Path(spec["template"])
    if template.is_file():
        shutil.copyfile(template, db)
        return None
    try:
        from airflow.utils.db import upgradedb  # type: ignore[import-not-found]

        upgradedb()
    except Exception as exc:
        return f"airflow db migrate failed: {error_text(exc)}"
    partial = template.with_suffix(".partial")
    shutil.copyfile(db, partial)
    partial.replace(template)
    return None


def task_states(dag_run: Any) -> dict[str, str]:
    from airflow.utils.session import create_session  # type: ignore[import-not-found]

    with create_session() as session:
        return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances(session=session)}


def return_values(dag_id: str, run_id: str) -> dict[str, Any]:
    """Each task's return value (its XCom ``return_value``) in one run."""
    from airflow.models.xcom import XComModel  # type: ignore[import-not-found]
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (
            session.query(XComModel)
            .filter(XComModel.dag_id == dag_id, XComModel.run_id == run_id)
            .filter(XComModel.key == "return_value")
            .all()
        )
        return {row.task_id: jsonable(row.value) for row in rows}


def captured(path: Path) -> Any:
    """Send file descriptors 1 and 2 (the run's log, the tasks' prints) to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    handle = path.open("wb")
    os.dup2(handle.fileno(), 1)
    os.dup2(handle.fileno(), 2)

    def restore() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        handle.close()

    return restore


def log_tail(lines: list[str]) -> str:
    return "\n".join(line[:300] for line in lines[-LOG_LINES:])


def failure(lines: list[str], dags: str) -> str:
    """The end of the last traceback in a run's log: the frames in the DAG folder (Airflow's own
    frames dropped) and the exception, or ''."""
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent")]
    if not starts:
        return ""
    block, kept = lines[starts[-1] + 1 :], list[str]()
    for i, line in enumerate(block):
        if not line.startswith(" "):
            return "\n".join([*kept[-6:], line[:500]])
        if line.startswith("  File ") and dags in line:
            code = block[i + 1].strip() if i + 1 < len(block) else ""
            frame = line.strip().replace(str(Path(dags).parent) + os.sep, "")
            kept += [frame, f"    {code}"] if code else [frame]
    return ""


def read_small(root: Path, names: list[str]) -> dict[str, str]:
    """The text of small files a check reads after a run (a metrics file), by relative path."""
    out = {}
    for name in names:
        path = root / name
        if path.is_file() and path.stat().st_size <= 100_000:
            out[name] = path.read_text(encoding="utf-8", errors="replace")
    return out


def model_reference(value: Any, key: str | None) -> Any:
    """The model a task returned: the value itself, or one key of a returned dict."""
    if key is not None and isinstance(value, dict):
        return value.get(key)
    return value


def predict(step: dict[str, Any], values: dict[str, Any], root: Path) -> dict[str, Any]:
    """Load a model (the one a task returned, or a file under ``root``) and predict each
    feature table (its price dropped)."""
    if "path" in step:
        reference = str(root / step["path"])
        if not Path(reference).is_file():
            return {"model": reference, "error": f"no file {step['path']}"}
    else:
        reference = model_reference(values.get(step["task"]), step.get("key"))
    if not isinstance(reference, str) or not reference:
        return {"error": f"the task {step['task']!r} returned {reference!r}, not a model"}
    try:
        import pandas as pd  # type: ignore[import-untyped]

        if step["loader"] == "joblib":
            import joblib  # type: ignore[import-untyped]

            model = joblib.load(reference)
        else:
            import mlflow

            model = mlflow.pyfunc.load_model(reference)
        out: dict[str, Any] = {"model": reference, "predictions": {}}
        for name, csv in step["tables"].items():
            if not Path(csv).is_file():
                continue
            frame = pd.read_csv(csv).drop(columns=["price"], errors="ignore")
            out["predictions"][name] = [float(v) for v in model.predict(frame)]
        return out
    except Exception as exc:
        return {"model": reference, "error": error_text(exc)}


def one_run(
    dag: Any, spec: dict[str, Any], run: dict[str, Any], before: dict[str, list[Any]]
) -> dict[str, Any]:
    """One ``dag.test()``: its state, task states, return values, log, the files it left (and
    those it only appended to, since ``before``)."""
    home = Path(os.environ["AIRFLOW_HOME"])
    log = home / f"run-{run['label']}.log"
    for rel, text in run.get("files", {}).items():  # what the check changes before this run
        (Path(spec["watch"]) / rel).write_text(text, encoding="utf-8")
    restore = captured(log)
    start = time.monotonic()
    try:
        logical = datetime.fromisoformat(run["logical_date"])
        dag_run = dag.test(logical_date=logical, run_conf=run.get("conf") or {})
        error = None
    except Exception as exc:
        dag_run, error = None, error_text(exc)
    finally:
        restore()
    out: dict[str, Any] = {"label": run["label"], "seconds": time.monotonic() - start}
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    out["log"], out["failure"] = log_tail(lines), failure(lines, spec["dags"])
    if dag_run is None:
        out["error"] = error
        return out
    out["state"] = str(dag_run.state)
    out["run_id"] = dag_run.run_id
    out["tasks"] = task_states(dag_run)
    out["returns"] = return_values(dag.dag_id, dag_run.run_id)
    out["files"] = listing(Path(spec["watch"]), spec.get("skip", []))
    out["appended"] = appended(before, out["files"], Path(spec["watch"]))
    out["read"] = read_small(Path(spec["watch"]), spec.get("read", []))
    root = Path(spec["watch"])
    if run.get("predict"):
        out["model"] = predict(run["predict"], out["returns"], root)
    out["models"] = {
        k: predict(v, out["returns"], root) for k, v in run.get("predicts", {}).items()
    }
    return out


def fresh(spec: dict[str, Any]) -> Any:
    """The DAG parsed anew for one run (a run's conf must not leak into the next through the
    DAG object's params), with every task's retries forced to 0: a failing run must not wait
    through its retries."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=spec["dags"]).dags[spec["dag_id"]]
    for task in dag.tasks:
        task.retries = 0
    return dag


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    answer: dict[str, Any] = {"runs": []}
    answer_path = Path(spec["answer"])

    def save() -> None:
        answer_path.write_text(json.dumps(answer), encoding="utf-8")

    try:
        try:
            import airflow  # type: ignore[import-not-found]
        except Exception as exc:
            answer["imports"] = {"errors": [f"airflow ({type(exc).__name__}: {exc})"]}
            return
        answer["versions"] = {"airflow": airflow.__version__, "python": sys.version.split()[0]}
        save()
        bag, answer["parse"] = parse(spec["dags"], spec.get("heavy", []))
        answer["imports"] = imports(spec.get("imports", []))
        save()
        dag = bag.dags.get(spec["dag_id"])
        if not spec.get("runs") or dag is None or answer["parse"]["errors"]:
            return
        problem = migrate(spec)
        if problem:
            answer["error"] = problem
            return
        before: dict[str, list[Any]] = {}
        for run in spec["runs"]:
            done = one_run(fresh(spec), spec, run, before)
            before = done.get("files", before)
            answer["runs"].append(done)
            save()
    except Exception as exc:
        answer["error"] = error_text(exc)
    finally:
        save()


if __name__ == "__main__":
    main(sys.argv[1])
