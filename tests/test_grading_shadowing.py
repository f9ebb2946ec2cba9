"""A submission that tries to run its own code in the checker's place, or to configure the
checker's pytest run, gets the verdict of its real work from every backend.

The hostile submission is week 2's fresh scaffold plus every way into the checker process it
could try: packages named like the engine (``mlops_roadmap``, its grading entry included) and like
the course's shared check package (``mlops_checks``), ``sitecustomize``/``usercustomize``, ``.pth``
files (in a user site and in a ``.venv`` it ships), ``conftest.py`` hooks that mark every check
passed, and pytest settings (``pytest.ini``, ``tox.ini``, ``setup.cfg``, ``pyproject.toml``) that
load a plugin of its own and change ``python_files``; at the workspace root and in the week
folder. Each piece says ``GAMED by <piece>`` on stderr when it runs and turns the verdict into
full marks. The first tests show that each does, where Python or pytest honours it (so the
backend tests can fail); each backend's test then grades the hostile submission beside the
plain scaffold and wants the same verdict, with no piece having run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mlops_roadmap.grading import image, jail, kube, kubebundle
from mlops_roadmap.grading.container import LABEL, DockerBackend
from mlops_roadmap.grading.model import Limits
from mlops_roadmap.grading.sandbox import Job, Ran
from mlops_roadmap.results import report_from_json
from tests import classroom
from tests.conftest import REPO, Cli, docker_ready
from tests.timing import scaled

SYSTEM_PYTHON = "/usr/bin/python3"  # the course image's interpreter; the shipped .venv's base
SITE = "lib/python3.11/site-packages"
GAMED = "GAMED by"

# Runs wherever it is imported: says so, and at exit gives every check in a verdict file named
# on the command line full marks (the entry's RESULT argument).
PAYLOAD = """\
import atexit, json, sys

sys.stderr.write("GAMED by {piece}\\n")


def _full_marks():
    for arg in sys.argv[1:]:
        try:
            with open(arg) as f:
                report = json.load(f)
            for check in report["checks"]:
                check.update(outcome="passed", found="GAMED by {piece}")
            with open(arg, "w") as f:
                json.dump(report, f)
        except Exception:
            continue


atexit.register(_full_marks)
"""
# A conftest or plugin: drops every check's failure from its reports before the engine reads them.
HOOKS = (
    PAYLOAD
    + """
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    kept = [p for p in report.user_properties if p[0] != "mlops_roadmap.verdict"]
    report.user_properties[:] = kept + [("GAMED by", "{piece}")]
"""
)
# The grading entry in the engine's place: a verdict of full marks without running anything.
FAKE_ENTRY = """\
import json, sys

sys.stderr.write("GAMED by mlops_roadmap\\n")
check = {"id": "all", "title": "GAMED by mlops_roadmap", "outcome": "passed", "points": 100.0}
report = {"format": 1, "week": sys.argv[1], "title": "all", "checks": [check],
          "duration": 0.0, "learner_seconds": 0.0}
with open(sys.argv[3], "w") as f:
    json.dump(report, f)
"""
INI = "[{section}]\naddopts = -p gamed_plugin\npython_files = gamed_*.py\npythonpath = .\n"
SETTINGS = {
    "pytest.ini": INI.format(section="pytest"),
    "tox.ini": INI.format(section="pytest"),
    "setup.cfg": INI.format(section="tool:pytest"),
    "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p gamed_plugin"\n'
    'python_files = ["gamed_*.py"]\npythonpath = ["."]\n',
}
COLLECTED = "def test_collected_by_the_submissions_settings():\n    pass\n"


def hostile_files(folder: str) -> dict[str, str]:
    """Every piece, by path in the submission; ``-> target`` is a symlink."""
    files = {
        ".local/" + SITE + "/gamed.pth": "import gamed_user_site\n",  # $HOME's user site
        ".local/" + SITE + "/gamed_user_site.py": PAYLOAD.format(piece="user-site"),
        SITE + "/gamed.pth": "import gamed_user_site\n",  # $PYTHONUSERBASE's
        SITE + "/gamed_user_site.py": PAYLOAD.format(piece="user-site"),
        **{name: text for name, text in SETTINGS.items() if name != "pytest.ini"},
    }
    for base in ("", f"{folder}/"):
        files |= {
            base + "mlops_roadmap/__init__.py": PAYLOAD.format(piece="mlops_roadmap"),
            base + "mlops_roadmap/grading/__init__.py": "",
            base + "mlops_roadmap/grading/entry.py": FAKE_ENTRY,
            base + "mlops_checks/__init__.py": PAYLOAD.format(piece="mlops_checks"),
            base + "sitecustomize.py": PAYLOAD.format(piece="sitecustomize"),
            base + "usercustomize.py": PAYLOAD.format(piece="usercustomize"),
            base + "conftest.py": HOOKS.format(piece="conftest"),
            base + "gamed_plugin.py": HOOKS.format(piece="plugin"),
            base + "gamed_checks.py": COLLECTED,
            base + "pytest.ini": SETTINGS["pytest.ini"],
            base + ".venv/pyvenv.cfg": f"home = {os.path.dirname(SYSTEM_PYTHON)}\n",
            base + ".venv/bin/python": f"-> {SYSTEM_PYTHON}",
            base + ".venv/" + SITE + "/gamed.pth": "import gamed_venv\n",
            base + ".venv/" + SITE + "/gamed_venv.py": PAYLOAD.format(piece="venv"),
        }
    return files


def lay(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("-> "):
            path.symlink_to(text[3:])
        else:
            path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Week 2's fresh scaffold in a workspace, and the week folder's name."""
    return classroom.template(tmp_path_factory.mktemp("template"))


def submissions(scaffold: tuple[Path, str], top: Path) -> tuple[Path, Path]:
    """Two copies of the scaffold: as it is, and with every hostile piece added."""
    template, folder = scaffold
    honest, hostile = top / "honest", top / "hostile"
    for dest in (honest, hostile):
        shutil.copytree(template, dest, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    lay(hostile, hostile_files(folder))
    return honest, hostile


def announced(text: str) -> set[str]:
    """The pieces that said they ran."""
    return {line.split(GAMED, 1)[1].strip() for line in text.splitlines() if GAMED in line}


def python(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": str(cwd.parent), "LANG": "C.UTF-8"}
    return subprocess.run(
        args,
        cwd=cwd,
        env=base | (env or {}),
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )


FAILING = {
    "format": 1,
    "week": "week02",
    "title": "t",
    "duration": 0.0,
    "learner_seconds": 0.0,
    "checks": [{"id": "a", "title": "a", "outcome": "failed", "points": 3.0}],
}


needs_system_python = pytest.mark.skipif(
    not os.access(SYSTEM_PYTHON, os.X_OK), reason=f"needs {SYSTEM_PYTHON}, the .venv's interpreter"
)


@pytest.fixture
def hostile(scaffold: tuple[Path, str], tmp_path: Path) -> Path:
    return submissions(scaffold, tmp_path)[1]


def test_started_inside_the_submission_the_entry_is_its_own(hostile: Path, tmp_path: Path) -> None:
    """As the backends once started the checker: ``python -m`` from the submission folder."""
    result = tmp_path / "result.json"
    entry = [
        sys.executable,
        "-m",
        "mlops_roadmap.grading.entry",
        "week02",
        str(hostile),
        str(result),
    ]
    assert announced(python(entry, hostile).stderr) == {"mlops_roadmap"}
    assert report_from_json(json.loads(result.read_text())).passed


@needs_system_python
def test_python_runs_the_pieces_on_its_path_and_in_its_sites(
    hostile: Path, scaffold: tuple[Path, str], tmp_path: Path
) -> None:
    """Whatever is on the path, in a user site or in a .venv runs at start-up, and gives a
    verdict file named on the command line full marks."""
    result = tmp_path / "result.json"
    result.write_text(json.dumps(FAILING))
    on_path = [SYSTEM_PYTHON, "-c", "import mlops_checks", str(result)]
    ran = {"PYTHONPATH": python(on_path, tmp_path, {"PYTHONPATH": str(hostile)})}
    assert report_from_json(json.loads(result.read_text())).passed
    start = [SYSTEM_PYTHON, "-c", "pass"]
    for variable in ("HOME", "PYTHONUSERBASE"):
        ran[variable] = python(start, tmp_path, {variable: str(hostile)})
    for venv in (hostile / ".venv", hostile / scaffold[1] / ".venv"):
        ran[str(venv)] = python([str(venv / "bin" / "python"), "-c", "pass"], tmp_path)
    assert {how: announced(done.stderr) for how, done in ran.items()} == {
        "PYTHONPATH": {"sitecustomize", "usercustomize", "mlops_checks"},
        "HOME": {"user-site"},
        "PYTHONUSERBASE": {"user-site"},
        str(hostile / ".venv"): {"venv"},
        str(hostile / scaffold[1] / ".venv"): {"venv"},
    }


@pytest.mark.parametrize("settings", list(SETTINGS))
def test_pytest_reads_the_settings_conftests_and_plugin(
    hostile: Path, scaffold: tuple[Path, str], settings: str
) -> None:
    """Each settings file, when pytest reads it, loads the plugin and changes python_files."""
    week = hostile / scaffold[1]
    where = hostile / settings if (hostile / settings).exists() else week / settings
    args = [sys.executable, "-m", "pytest", "-c", str(where), "--rootdir", str(where.parent)]
    args += ["-s", "-p", "no:cacheprovider", "--collect-only", "-q", str(week)]  # -s: as the engine
    done = python(args, hostile)
    assert "gamed_checks.py::test_collected_by_the_submissions_settings" in done.stdout
    assert announced(done.stdout + done.stderr) == {"plugin", "conftest"}


def test_the_hooks_give_full_marks_among_the_course_checks(
    toy_course: Path, cli: Cli, tmp_path: Path
) -> None:
    """Loaded where the engine does load conftests, the hooks turn a failing week into a pass."""
    ws = tmp_path / "ws"
    assert cli("--course", toy_course, "init", ws).returncode == 0
    assert cli("--course", toy_course, "start", "1", cwd=ws).returncode == 0
    verdicts = []
    for hooks in ("", HOOKS.format(piece="conftest")):
        (toy_course / "checks" / "week01" / "conftest.py").write_text(hooks)
        checked = cli("--course", toy_course, "check", "1", "--json", cwd=ws)
        verdicts.append((json.loads(checked.stdout)["passed"], GAMED in checked.stdout))
    assert verdicts == [(False, False), (True, True)]


def outcomes(ran: Ran) -> dict[str, str]:
    assert ran.result is not None and "error" not in ran.result, (ran.result, ran.output[-3000:])
    return {c.id: c.outcome for c in report_from_json(ran.result).results}


def expect_the_honest_verdict(honest: Ran, hostile: Ran) -> None:
    """The hostile submission's verdict is the plain scaffold's, and none of its pieces ran."""
    assert GAMED not in hostile.output, hostile.output[-3000:]
    assert GAMED not in json.dumps(hostile.result)
    assert outcomes(hostile) == outcomes(honest)
    report = report_from_json(hostile.result or {})
    assert not report.passed and 0 < report.points < report.max_points, hostile.result


def side_by_side(scaffold: tuple[Path, str], top: Path, run: Callable[[Job], Ran]) -> None:
    honest, hostile = submissions(scaffold, top)
    jobs = []
    for slot, tree in enumerate((honest, hostile)):
        scratch = top / f"scratch-{slot}"
        scratch.mkdir()
        jobs.append(Job("week02", tree, scratch, Limits(wall_seconds=scaled(300)), slot=slot))
    with ThreadPoolExecutor(2) as pool:
        expect_the_honest_verdict(*pool.map(run, jobs))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux jail")
def test_process_jail_grades_the_real_work(scaffold: tuple[Path, str], tmp_path: Path) -> None:
    mode, why = jail.best_mode()
    if mode == "plain" and "cannot enter namespaces" in why:  # as tests/test_jail.py skips
        pytest.skip(f"this kernel allows no namespaces here: {why}")
    side_by_side(scaffold, tmp_path, jail.ProcessBackend().run)


@pytest.fixture(scope="module")
def grader_image() -> Iterator[str]:
    docker_ready()
    yield image.ensure_image(REPO)


@pytest.mark.slow
def test_docker_grades_the_real_work(
    scaffold: tuple[Path, str], tmp_path: Path, grader_image: str
) -> None:
    side_by_side(scaffold, tmp_path, DockerBackend(image_tag=grader_image).run)


def run_pod(engine: Any, pod: dict[str, Any], bundle: Path, run: str, index: int) -> None:
    """Pod ``index`` of the Job in a local container, as the manifest makes it: its image and
    command, its own index's folders of the two volumes (``subPathExpr``), each ``emptyDir`` a
    tmpfs of its size for the image's user (but the seal's: its init container's copy), no
    network, a read-only root, no capabilities."""
    from docker.types import Mount

    (spec,) = pod["containers"]
    sizes = {v["name"]: v["emptyDir"]["sizeLimit"] for v in pod["volumes"] if "emptyDir" in v}
    user = image.USER_ID
    tmpfs = {
        m["mountPath"]: f"size={sizes[m['name']].removesuffix('Mi')}m,uid={user},gid={user}"
        for m in spec["volumeMounts"]
        if m["name"] in sizes and m["name"] != "seal"
    }
    own = f"{run}/{index}"
    sealed = bundle / f"seal-{index}"  # what the pod's init container leaves in /seal
    sealed.mkdir()
    shutil.copy(bundle / "submissions" / run / "seals" / str(index) / "seal.json", sealed)
    for path in (sealed, sealed / "seal.json"):
        os.chown(path, user, user)
    container = engine.containers.create(
        spec["image"],
        spec["command"],
        environment={"JOB_COMPLETION_INDEX": str(index)},
        mounts=[
            Mount("/submissions", str(bundle / "submissions" / own), type="bind", read_only=True),
            Mount("/results", str(bundle / "results" / own), type="bind"),
            Mount("/seal", str(sealed), type="bind"),
        ],
        tmpfs=tmpfs,
        user=f"{user}:{user}",
        network_mode="none",
        read_only=True,
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        mem_limit=spec["resources"]["limits"]["memory"].replace("Mi", "m"),
        labels={LABEL: "1"},
    )
    try:
        container.start()
        container.wait(timeout=scaled(600))
    finally:
        container.remove(force=True)


@pytest.mark.slow
def test_kubernetes_pod_grades_the_real_work(
    scaffold: tuple[Path, str], tmp_path: Path, grader_image: str
) -> None:
    honest, hostile = submissions(scaffold, tmp_path)
    limits = Limits(wall_seconds=scaled(300))
    staged = [
        kube.Submission(index, who, "week02", tree, f"{index:040x}")
        for index, (who, tree) in enumerate((("honest", honest), ("hostile", hostile)))
    ]
    bundle = tmp_path / "kubernetes"
    run = kubebundle.write_bundle(bundle, "shadowing", staged, grader_image, limits).name
    manifests = kube.manifests("shadowing", staged, grader_image, limits)
    (job,) = (d for d in manifests if d["kind"] == "Job")
    for index in range(2):
        os.chown(bundle / "results" / run / str(index), image.USER_ID, image.USER_ID)
    engine = image.client()
    try:
        with ThreadPoolExecutor(2) as pool:
            pod = job["spec"]["template"]["spec"]
            list(pool.map(lambda index: run_pod(engine, pod, bundle, run, index), (0, 1)))
    finally:
        engine.close()
    verdicts = kubebundle.collect(bundle / "results" / run)
    expect_the_honest_verdict(kubebundle.ran(verdicts[0]), kubebundle.ran(verdicts[1]))
