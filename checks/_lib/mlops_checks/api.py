"""The learner's API under test, for the weeks that serve the house-price model over HTTP.

Each week's checks train the model once and start the app once: `python train.py` in a clean
copy of the week folder (without models/), then `python -m uvicorn app.main:app` there on a
free loopback port with the learner's interpreter, through the engine's `serve` fixture (which
stops it when the checks end). Anything that needs the learner's libraries (joblib, pandas,
prometheus_client) runs in the learner's interpreter through `run`; this module itself only
uses the standard library and the engine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_checks import PACKAGE_DATA
from mlops_checks.waits import ready_wait
from mlops_roadmap.checking import blocked, expect, fail
from mlops_roadmap.fixtures import CleanCopy, Run, Serve
from mlops_roadmap.servers import Server, ServerFailed

HOUSES_JSON = PACKAGE_DATA / "houses.json"
MODEL = "models/linear.joblib"
TRAIN_TIMEOUT = 240  # `python train.py` (the solution takes about 3 s)
START_TIMEOUT = ready_wait(60)  # `python -m uvicorn` to a first answer (the solution: about 3 s)
PROBE_TIMEOUT = 120
ERROR_ROUTE = "/debug/error"  # the scaffold's route that raises, when ENABLE_DEBUG_ROUTES=1
DEBUG_ENV = {"ENABLE_DEBUG_ROUTES": "1"}
# Any answer below 500 means uvicorn has run the app's lifespan (start-up) and serves requests;
# /health itself is judged by a check, so an unhealthy app fails that check at once instead of
# keeping the start-up waiting until its time limit.
READY_PATH = "/openapi.json"
UVICORN_ARGS = ("-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", "{port}")
MARKER = "API-CHECK-JSON:"
START_TITLE = "The app starts under uvicorn and GET /health answers 200"
TRAIN_TITLE = "train.py saves models/linear.joblib from a clean start"
START_HINT = (
    "From the week folder: `python train.py`, then `python -m uvicorn app.main:app --port "
    "8000`, and fix the first error it prints (a missing package: `pip install -r "
    "requirements.txt` into the workspace .venv)."
)

PREDICT_PROBE = """
import json, sys, traceback
marker, model_path, houses_path = sys.argv[1:4]
try:
    import joblib
    import pandas as pd
    model = joblib.load(model_path)
    with open(houses_path, encoding="utf-8") as handle:
        frame = pd.DataFrame(json.load(handle)["houses"])
    answer = {"predictions": [float(v) for v in model.predict(frame)]}
except Exception as exc:
    answer = {"error": "".join(traceback.format_exception_only(type(exc), exc)).strip()}
print(marker + json.dumps(answer))
"""

PARSE_PROBE = """
import json, sys
marker, paths = sys.argv[1], sys.argv[2:]
try:
    from prometheus_client.parser import text_string_to_metric_families
except Exception as exc:
    print(marker + json.dumps({"import_error": f"{type(exc).__name__}: {exc}"}))
    raise SystemExit(0)
answers = []
for path in paths:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        families = [
            {"name": f.name, "type": f.type,
             "samples": [[s.name, s.labels, s.value] for s in f.samples]}
            for f in text_string_to_metric_families(text)
        ]
        answers.append({"families": families})
    except Exception as exc:
        answers.append({"error": f"{type(exc).__name__}: {exc}"})
print(marker + json.dumps({"scrapes": answers}))
"""


@dataclass
class AppRun:
    """One clean-copy training run and one start of the app on top of it."""

    folder: Path
    training_problem: str  # what went wrong in `python train.py`; "" when it worked
    server: Server | None
    start_problem: str  # why the app did not start; "" when it did

    @property
    def trained(self) -> bool:
        return not self.training_problem


def sample_houses() -> list[dict[str, Any]]:
    """Eight valid houses from the week 2 holdout (the learner never saw them)."""
    houses: list[dict[str, Any]] = json.loads(HOUSES_JSON.read_text(encoding="utf-8"))["houses"]
    return houses


def app_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the app runs in: the debug route on, output unbuffered."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", **DEBUG_ENV}
    env.update(extra or {})
    return env


def launch(
    run: Run,
    serve: Serve,
    clean_copy: CleanCopy,
    python: Path,
    env: Mapping[str, str] | None = None,
) -> AppRun:
    """Train in a clean copy of the week folder, then start the app there (once)."""
    folder = clean_copy("models")
    full_env = app_env(env)
    if not (folder / "train.py").is_file():
        return AppRun(folder, "train.py is missing from the week folder", None, "")
    result = run([python, "train.py"], cwd=folder, timeout=TRAIN_TIMEOUT, env=full_env)
    if result.timed_out:
        return AppRun(folder, f"still running after {TRAIN_TIMEOUT} s, so it was stopped", None, "")
    if result.returncode != 0:
        return AppRun(folder, f"exit status {result.returncode}:\n{result.tail(8)}", None, "")
    if not (folder / MODEL).is_file():
        return AppRun(folder, f"it exited with status 0 but wrote no {MODEL}", None, "")
    return start(serve, folder, python, full_env)


def launch_untrained(
    serve: Serve, clean_copy: CleanCopy, python: Path, env: Mapping[str, str] | None = None
) -> AppRun:
    """Start the app the same way in a clean copy of the week folder where train.py never ran
    (no models/): the lesson's app starts anyway and says so on /health."""
    return start(serve, clean_copy("models"), python, app_env(env))


def start(serve: Serve, folder: Path, python: Path, env: Mapping[str, str]) -> AppRun:
    """The app under uvicorn in ``folder``, once it answers; or why it did not start."""
    try:
        server = serve(
            [python, *UVICORN_ARGS],
            cwd=folder,
            env=dict(env),
            ready_path=READY_PATH,
            timeout=START_TIMEOUT,
        )
    except ServerFailed as exc:
        return AppRun(folder, "", None, f"{exc}; its last output:\n{exc.tail}")
    return AppRun(folder, "", server, "")


def require_trained(app: AppRun) -> None:
    if not app.trained:
        blocked(
            "train.py did not make models/linear.joblib, so the app cannot serve a model",
            hint=f"Make the check '{TRAIN_TITLE}' pass first.",
        )


def require_server(app: AppRun) -> Server:
    """The running app, or the check is blocked because it did not start."""
    require_trained(app)
    if app.server is None:
        blocked("the app did not start", hint=f"Make the check '{START_TITLE}' pass first.")
    return app.server


def check_trained(app: AppRun) -> None:
    """The check 'train.py saves models/linear.joblib from a clean start'."""
    expect(
        app.trained,
        expected="`python train.py` in a fresh copy of the week folder (no models/) to exit "
        "with status 0 and write models/linear.joblib",
        found=app.training_problem,
        hint="The scaffold's train.py does this already: restore it if you changed it, and "
        "install the week's requirements into the workspace .venv.",
    )


def check_started(app: AppRun, http: Callable[[], Any]) -> None:
    """The check START_TITLE: the app is up, and GET /health (through ``http()``) says 200."""
    require_trained(app)
    if app.server is None:
        fail(
            expected="`python -m uvicorn app.main:app --host 127.0.0.1 --port PORT` (on a free "
            f"port) to start and answer requests within {START_TIMEOUT:g} s",
            found=app.start_problem,
            hint=START_HINT,
        )
    response = http().get("/health")
    expect(
        response.status_code == 200,
        expected="GET /health to answer 200 once the model is loaded",
        found=f"status {response.status_code}: {quote(response.text)}",
        hint="Load the model in the lifespan handler from models/linear.joblib (relative to "
        "the week folder, where uvicorn runs) and answer 200 when app.state.model is set.",
    )


def parse_marked(stdout: str, marker: str = MARKER) -> Any:
    """The JSON a probe printed after its marker (the last such line), or None."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith(marker)]
    return json.loads(lines[-1][len(marker) :]) if lines else None


def model_predictions(
    run: Run, python: Path, folder: Path, houses_json: Path = HOUSES_JSON
) -> dict[str, Any]:
    """What the learner's own saved model predicts for the sample houses, in their interpreter:
    {"predictions": [...]} or {"error": "..."}."""
    result = run(
        [python, "-c", PREDICT_PROBE, MARKER, folder / MODEL, houses_json],
        cwd=folder,
        timeout=PROBE_TIMEOUT,
    )
    answer = parse_marked(result.stdout)
    if answer is None:
        return {"error": f"the prediction probe failed: {result.tail(5)}"}
    return dict(answer)


def parse_metrics(run: Run, python: Path, texts: list[str], workdir: Path) -> list[dict[str, Any]]:
    """Parse Prometheus exposition texts with prometheus_client's own parser, in the learner's
    interpreter: one {"families": [...]} or {"error": "..."} per text. Blocked when the
    interpreter has no prometheus_client."""
    paths = []
    for number, text in enumerate(texts):
        path = workdir / f"scrape-{number}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    result = run([python, "-c", PARSE_PROBE, MARKER, *paths], cwd=workdir, timeout=PROBE_TIMEOUT)
    answer = parse_marked(result.stdout)
    if answer is None:
        return [{"error": f"the parser probe failed: {result.tail(5)}"}] * len(texts)
    if "import_error" in answer:
        blocked(
            f"prometheus_client does not import in the workspace virtual environment: "
            f"{answer['import_error']}",
            hint="`.venv/bin/pip install prometheus-client` from the workspace root.",
        )
    return list(answer["scrapes"])


class Http:
    """Requests to the running app with httpx; a dropped connection or a timeout fails the
    check (the app crashed or hung on that request) with the app's last output."""

    def __init__(self, server: Server, headers: Mapping[str, str] | None = None) -> None:
        try:
            import httpx
        except ImportError:
            blocked(
                "the checks need httpx to call your API, and it is not installed",
                hint="`pip install httpx` into the environment that runs mlops-roadmap.",
            )
        self.server = server
        self.errors: tuple[type[Exception], ...] = (httpx.HTTPError,)
        # A fresh connection per request: an app that closes its connection after an error
        # must not make the next request fail.
        # ``headers`` go with every request (a bearer token, for an API behind one).
        self.client = httpx.Client(
            base_url=server.url,
            timeout=30,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers=dict(headers or {}),
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self.client.request(method, path, **kwargs)
        except self.errors as exc:
            for _ in range(20):  # a crashing app may take a moment to exit
                if not self.server.alive():
                    break
                time.sleep(0.05)
            alive = "still running" if self.server.alive() else "no longer running"
            fail(
                expected=f"{method} {path} to get an HTTP answer",
                found=f"{type(exc).__name__}: {exc} (the app is {alive}); its last output:\n"
                f"{self.server.tail(8)}",
                hint="Send the same request to your app by hand and watch its output.",
            )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def close(self) -> None:
        self.client.close()


def promtool() -> str:
    """promtool's path: on PATH or next to the engine's interpreter (as the tool probe finds it)."""
    path = os.pathsep.join((os.environ.get("PATH", ""), str(Path(sys.executable).parent)))
    exe = shutil.which("promtool", path=path)
    if exe is None:
        blocked("promtool is not on PATH", hint="Run `mlops-roadmap doctor` to see how to get it.")
    return exe


# What an answer to the debug route's deliberate RuntimeError must never show.
LEAKS = ("Traceback", 'File "', "RuntimeError", "deliberate error")


def error_answer(body: str, leaks: tuple[str, ...] = LEAKS) -> tuple[bool, list[str]]:
    """Whether an error answer's body is a JSON object, and the words of ``leaks`` it shows."""
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    return isinstance(value, dict), [word for word in leaks if word in body]


# Keys under which an error body echoes what was sent rather than where the problem is.
ECHOED = {"input", "ctx", "url", "body", "value", "received"}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def names_in(body: Any, keys: bool = True) -> set[str]:
    """Every word an error body uses to say where the problem is: the parts of FastAPI's `loc`
    lists, of dotted paths (`houses.0.area`, `body.houses[0].area`), of an error's `field`, of
    its messages and (with ``keys``) of its keys (`{"area": [...]}`); never of the request
    values it echoes (`input` and the like)."""
    if isinstance(body, dict):
        found: set[str] = set()
        for key, value in body.items():
            if str(key) in ECHOED:
                continue
            found |= (set(WORD.findall(str(key))) if keys else set()) | names_in(value, keys)
        return found
    if isinstance(body, list):
        return set().union(*(names_in(item, keys) for item in body)) if body else set()
    return set(WORD.findall(body)) if isinstance(body, str) else set()


def field_named(text: str, field: str, fields: tuple[str, ...]) -> bool:
    """Whether a 422 body (JSON text) names ``field``, and not every field alike (a body that
    lists every field names none of them); when its keys name every field (a house echoed
    under a key of its own), only its values count."""
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    for keys in (True, False):
        named = names_in(body, keys)
        if not set(fields) <= named:
            return field in named
    return False


def quote(text: str, limit: int = 300) -> str:
    """A response body or a log line, cut to a readable length for a message."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " ..."


def listed(problems: list[str], shown: int) -> list[str]:
    """The first ``shown`` problems, then how many more there are (for ``expect_none``)."""
    more = len(problems) - shown
    return problems[:shown] + ([f"and {more} more"] if more > 0 else [])


def excerpt(text: str, needle: str, around: int = 80) -> str:
    """The part of ``text`` around the first ``needle`` (whole), for a message that must show
    the offending value however long the line is; ``quote`` when the needle is not there."""
    at = text.find(needle)
    if at < 0:
        return quote(text)
    start, end = max(0, at - around), min(len(text), at + len(needle) + around)
    return ("... " if start else "") + text[start:end].strip() + (" ..." if end < len(text) else "")
