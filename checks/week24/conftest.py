"""Week 24 fixtures: the portfolio and the interview notes read as Markdown, the projects
PORTFOLIO.md links to, the quickstart run in a clean copy with no network, and what the
learner's MLflow store logged (asked by probe_results.py in the learner's interpreter).

The portfolio is the week folder: PORTFOLIO.md is its README. Its projects are the folders its
links lead to, anywhere in the workspace (the learner's git repository).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mlops_checks import doc_links, markdown_doc, mlflow_probe, quickstart
from mlops_checks.markdown_doc import Doc, Section
from mlops_checks.result_claims import Run as LoggedRun
from mlops_checks.result_claims import Version
from mlops_roadmap import tracking
from mlops_roadmap.checking import expect_file, fail
from mlops_roadmap.fixtures import CleanCopy, Run

CHECKS_DIR = Path(__file__).resolve().parent
PROBE = CHECKS_DIR / "probe_results.py"
PORTFOLIO = "PORTFOLIO.md"
PREP = "INTERVIEW_PREP.md"
RESUME = "RESUME.md"
PROBLEM = r"problem|motivation|\bwhy\b|challenge"
ARCHITECTURE = r"architecture|how it works|design|diagram"
QUICKSTART = r"quick ?start|run it|getting started|how to run|try it|usage"
RESULTS = r"results?\b|outcomes?\b|numbers|metrics"
PROJECTS = r"projects?\b"
SECTIONS_HINT = (
    "Keep the scaffold's headings (Problem, Architecture, Quickstart, Results) or your own "
    "wording of them, and replace every <placeholder> with your own text."
)
QUICKSTART_LIMIT = 120  # seconds; the lesson asks for under a minute (the solution: 15-30 s)
OUTPUTS = ("mlflow.db", "mlruns", "mlartifacts")  # the quickstart makes them again
MAX_RUNS = 200
PROBE_TIMEOUT = 180
SKIP = {".venv", "venv", "__pycache__", ".git", "node_modules", ".ipynb_checkpoints",
        ".pytest_cache", ".mlops-roadmap", ".dvc"}  # fmt: skip


def read_doc(week_dir: Path, name: str) -> Doc:
    return markdown_doc.read(expect_file(week_dir, name))


@pytest.fixture(scope="session")
def portfolio(week_dir: Path) -> Doc:
    """PORTFOLIO.md, or the check fails because the week folder lacks it."""
    return read_doc(week_dir, PORTFOLIO)


@pytest.fixture(scope="session")
def prep(week_dir: Path) -> Doc:
    """INTERVIEW_PREP.md, or the check fails because the week folder lacks it."""
    return read_doc(week_dir, PREP)


@pytest.fixture(scope="session")
def resume(week_dir: Path) -> Doc:
    """RESUME.md, or the check fails because the week folder lacks it."""
    return read_doc(week_dir, RESUME)


def section(doc: Doc, pattern: str, what: str, hint: str) -> Section:
    """The doc's section whose heading matches, or the check fails naming the headings found."""
    found = doc.section(pattern)
    if found is None:
        headings = ", ".join(f"'{h.text}'" for h in doc.headings) or "no heading at all"
        fail(expected=f"a {what} section in {doc.path.name}", found=headings, hint=hint)
    return found


# -- the projects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """A project PORTFOLIO.md links to: the folder, its README (None when it has none)."""

    link: str
    line: int
    folder: Path
    readme: Path | None


def project_target(
    doc: Doc, link: markdown_doc.Link, workspace: Path, week_dir: Path
) -> tuple[Path, Path | None] | None:
    """(folder, the README it names) for a link to a project: a README file (README.md,
    README-project.md) or a folder (``dir/``, or one that exists, read through its README.md);
    never the week folder itself, whose README.md is the lesson."""
    dest = doc_links.target(doc, link, workspace)
    if dest is None or dest.path == doc.path or link.image:
        return None
    name = dest.path.name.lower()
    if name.startswith("readme") and name.endswith(".md"):
        folder, readme = dest.path.parent, dest.path
    elif link.target.split("#")[0].endswith("/") or dest.path.is_dir():
        folder, readme = dest.path, dest.path / "README.md"
    else:
        return None
    if folder.resolve() == week_dir.resolve():
        return None
    return folder, readme if readme.is_file() else None


@pytest.fixture(scope="session")
def projects(portfolio: Doc, workspace: Path, week_dir: Path) -> list[Project]:
    """The distinct project folders PORTFOLIO.md links to, in the order it links them: from the
    sections whose headings name projects when it has some, else from anywhere in it."""
    named = [s for s in portfolio.sections if re.search(PROJECTS, s.heading.text, re.I)]
    links = {k.line: k for s in named for k in s.links} if named else {}
    found: dict[Path, Project] = {}
    for link in sorted(links.values(), key=lambda k: k.line) if named else portfolio.links:
        target = project_target(portfolio, link, workspace, week_dir)
        if target is None or target[0] in found:
            continue
        found[target[0]] = Project(link.target, link.line, *target)
    return list(found.values())


def portfolio_folders(week_dir: Path, projects: list[Project], workspace: Path) -> list[Path]:
    """The week folder and each linked project folder outside it (inside the workspace)."""
    out = [week_dir]
    for p in projects:
        known = any(doc_links.inside(p.folder, f) for f in out)
        if p.folder.is_dir() and doc_links.inside(p.folder, workspace) and not known:
            out.append(p.folder)
    return out


def markdown_files(folder: Path, limit: int = 300) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.startswith("."))
        found += [Path(root, f) for f in sorted(files) if f.lower().endswith(".md")]
        if len(found) >= limit:
            break
    return found[:limit]


# -- the quickstart ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuickstartRun:
    """The quickstart, refused or run once in a clean copy of the week folder."""

    commands: list[str]
    refused: list[str] = field(default_factory=list)
    ended: str = ""  # how it ended when it did not exit 0 in time ("" when it did)
    tail: str = ""
    seconds: float = 0.0
    offline: str = ""  # how the network was kept away
    touched: list[str] = field(default_factory=list)  # learner's files it changed


@pytest.fixture(scope="session")
def quickstart_run(
    portfolio: Doc,
    run: Run,
    clean_copy: CleanCopy,
    learner_venv: Path | None,
    workspace: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> QuickstartRun:
    """The quickstart's commands, run in a clean copy (no mlflow.db, mlruns, venv or caches)
    with bash -e, in a network namespace of their own (loopback only) where one can be made."""
    where = section(portfolio, QUICKSTART, "Quickstart", QUICKSTART_HINT)
    block = quickstart.shell_block(where.blocks)
    if block is None:
        fail(
            expected=f"a shell code block under '{where.heading.text}' with the commands to run",
            found="no code block there",
            hint=QUICKSTART_HINT,
        )
    copy = clean_copy(*OUTPUTS)
    commands = quickstart.commands(block)
    texts = [c.text for c in commands]
    refused = [r for c in commands if (r := quickstart.refusal(c, copy))]
    if refused or not commands:
        return QuickstartRun(texts, refused or ["the block holds no command"])
    scratch = tmp_path_factory.mktemp("quickstart")
    script = scratch / "quickstart.sh"
    script.write_text(quickstart.script(commands), encoding="utf-8")
    namespace = run(["unshare", "-rn", "true"], timeout=15).returncode == 0
    env = quickstart.environment(dict(os.environ), scratch / "home", learner_venv, not namespace)
    before = quickstart.snapshot(workspace, SKIP)
    result = run(quickstart.argv(script, namespace), cwd=copy, env=env, timeout=QUICKSTART_LIMIT)
    touched = quickstart.changed(before, quickstart.snapshot(workspace, SKIP))
    ended = ""
    if result.timed_out:
        ended = f"did not finish within {QUICKSTART_LIMIT} s and was stopped"
    elif result.returncode != 0:
        ended = f"failed (exit {result.returncode})"
    offline = "a network namespace with loopback only" if namespace else "proxies leading nowhere"
    return QuickstartRun(texts, [], ended, result.tail(8), result.duration, offline, touched)


QUICKSTART_HINT = (
    "Under a '## Quickstart' heading, put one ```bash block with the commands that run your "
    "demo from a fresh clone once the course's packages are installed, e.g. `make demo` or "
    "`python demo.py`: nothing that installs, downloads or needs a cloud account."
)


# -- the MLflow store ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    """What the learner's store logged: its runs with their metrics, and the model versions."""

    store: tracking.Store
    runs: list[LoggedRun]
    versions: list[Version]


@pytest.fixture(scope="session")
def logged(run: Run, learner_python: Path, week_dir: Path) -> Logged:
    """The store env.sh declares (else mlflow.db in the week folder), read by the probe."""
    store = tracking.declared_store(week_dir)
    problem = tracking.store_problem(store)
    if problem is not None and not problem.blocked:
        fail(
            expected=f"the MLflow store your results come from, at {store.declared} "
            f"({store.origin})",
            found=problem.found,
            hint=STORE_HINT,
        )
    args = [learner_python, PROBE, mlflow_probe.MARKER, MAX_RUNS]
    answer = mlflow_probe.run_probe(
        run, [*args, *(["--imports-only"] if problem else [])], store.uri, week_dir, PROBE_TIMEOUT
    )
    facts = mlflow_probe.Facts(store, problem, answer)
    found = mlflow_probe.readable_store(
        facts, "the tracking store", "Install mlflow in the workspace's .venv.", STORE_HINT
    )
    runs = [
        LoggedRun(
            str(r["id"]), str(r.get("name") or ""), {k: float(v) for k, v in r["metrics"].items()}
        )
        for r in found.get("runs", [])
    ]
    versions = [
        Version(str(v["model"]), int(v["version"]), str(v["run_id"]), tuple(v.get("aliases", [])))
        for v in found.get("versions", [])
    ]
    return Logged(store, runs, versions)


STORE_HINT = (
    "Run your quickstart in the week folder (after `source env.sh`) so that its store holds the "
    "runs your results cite."
)
