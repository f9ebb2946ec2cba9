"""Week 24's checks judged both ways through the real CLI, on a workspace made as `course verify`
makes it (the reference solution laid and its prepare.sh run, so mlflow.db holds the demo's run):
the finished portfolio passes and is left untouched, with the mentor's items listed apart; the
fresh scaffold fails every check, but the size and secret scans, which wait (blocked) for the
projects that say what the portfolio publishes; portfolios written differently
(other headings, results as a list, an SVG or a JPEG diagram, a project outside the week folder,
questions as headings, mock notes as paragraphs, a resume in its own layout) pass; and each wrong portfolio fails its own
check, for its own reason, named in `found`.

First, offline and fast, the readers the checks use: Markdown anchors and links, images read for
real, the quickstart's refusals, and the results' numbers against a store's runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import doc_links, image_files, markdown_doc, quickstart, result_claims
from mlops_roadmap import course
from mlops_roadmap.commands import verify
from tests.conftest import FIXTURES, REPO, Cli
from tests.test_week09_api import check, edit, outcomes, tree_hashes

WEEK = 24
CASES = FIXTURES / "week24"
TITLES = {
    "sections": "PORTFOLIO.md has Problem, Architecture, Quickstart, Results, a demo link, no "
    "placeholder",
    "image": "The architecture section shows a diagram that is a real PNG, SVG or JPEG file",
    "links": "Every local link and anchor in the portfolio's Markdown files resolves",
    "quickstart": "The quickstart runs in a clean copy of the folder, offline, in under two minutes",
    "results": "Every metric the results cite is one your MLflow store logged",
    "size": "No file of the portfolio that git would commit is over 50 MB",
    "secrets": "A secret scan of the portfolio's files and their git history finds nothing",
    "projects": "Three projects indexed, each README with the problem, how to run it and results",
    "questions": "Every core question answered, MLflow vs SageMaker vs Vertex AI included",
    "design": "The written system design covers data, training, serving, monitoring and retraining",
    "star": "Three STAR stories (incident, trade-off, collaboration) with measurable results",
    "mock": "Notes from two mock interviews",
    "resume": "RESUME.md on a page: contact, summary, skills, three linked projects, education",
}
SELECT = {  # a case's -k: its own check alone
    "sections": "test_portfolio_sections",
    "image": "test_architecture_image",
    "links": "test_links_resolve",
    "quickstart": "test_quickstart_runs",
    "results": "test_results_match_store",
    "size": "test_no_large_files",
    "secrets": "test_no_secrets",
    "projects": "test_three_projects",
    "questions": "test_core_questions_answered",
    "star": "test_star_stories",
    "mock": "test_mock_interviews",
    "design": "test_system_design and not quality",
    "resume": "test_resume",
}
REVIEWS = [
    "The capstone's recorded demo",
    "The written system design's quality",
    "The quality of the answers and STAR stories",
    "The project READMEs and the resume, as a hiring manager reads them",
]


# -- the readers, offline ------------------------------------------------------------------------


def doc(tmp_path: Path, text: str, name: str = "README.md") -> markdown_doc.Doc:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return markdown_doc.read(path)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Results", "results"),
        ("What it achieves: 24.6k RMSE!", "what-it-achieves-246k-rmse"),
        ("`make demo` in *one* step", "make-demo-in-one-step"),
        ("snake_case stays", "snake_case-stays"),
        ("[Linked](x.md) heading", "linked-heading"),
    ],
)
def test_anchors_are_githubs(tmp_path: Path, heading: str, anchor: str) -> None:
    assert doc(tmp_path, f"# {heading}\n").headings[0].anchor == anchor


def test_setext_headings_are_headings_and_rules_are_not(tmp_path: Path) -> None:
    page = doc(
        tmp_path, "Portfolio\n=========\n\nResults\n-------\n- a\n---\n\n---\n| a |\n|---|\n"
    )
    assert [(h.level, h.text, h.line) for h in page.headings] == [
        (1, "Portfolio", 1),
        (2, "Results", 4),
    ]
    results = page.section("results")
    assert results is not None and results.start == 4


def test_links_resolve_inside_the_repository_only(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Alpha\n## Beta\n## Beta\n", encoding="utf-8")
    text = (
        "# Top\n[ok](docs/a.md#beta-1) [root](/docs/a.md) [self](#top) [web](https://x.org/y)\n"
        "```\n[in code](missing.md)\n```\n`[inline](missing.md)`\n"
        "[gone](docs/b.md) [anchor](docs/a.md#gamma) [out](../../etc/passwd)\n"
        "[ref]: docs/c.md\n<img src='docs/d.png'>\n"
    )
    page = doc(tmp_path, text)
    problems = [p for k in page.links if (p := doc_links.problem(page, k, tmp_path, tmp_path))]
    assert problems == [
        "README.md line 7: (docs/b.md): no such file or folder docs/b.md",
        "README.md line 7: (docs/a.md#gamma): docs/a.md has no heading with the anchor #gamma",
        "README.md line 7: (../../etc/passwd) leads outside the repository, where a reader's "
        "clone has nothing",
        "README.md line 8: (docs/c.md): no such file or folder docs/c.md",
        "README.md line 9: (docs/d.png): no such file or folder docs/d.png",
    ]


def test_images_are_read_for_real(tmp_path: Path) -> None:
    png = REPO / "solutions" / "week24" / "docs" / "architecture.png"
    svg = CASES / "right-differently" / "docs" / "architecture.svg"
    assert image_files.problem(png) is None and image_files.problem(svg) is None
    fake = tmp_path / "fake.png"
    fake.write_text("TODO: draw the diagram\n", encoding="utf-8")
    assert image_files.problem(fake) == (
        "its bytes are not a PNG, JPEG or SVG image (it starts with 'TODO: draw the diagram')"
    )
    cut = tmp_path / "cut.png"
    cut.write_bytes(png.read_bytes()[:200])
    assert "damaged" in (image_files.problem(cut) or "") or "incomplete" in str(
        image_files.problem(cut)
    )
    empty_svg = tmp_path / "empty.svg"
    empty_svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>', encoding="utf-8")
    assert image_files.problem(empty_svg) == "the SVG draws nothing (no shape, path or text)"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("pip install -r requirements.txt", "runs pip, which needs the network"),
        ("python -m pip install mlflow", "installs packages, which needs the network"),
        ("git clone https://github.com/me/p && cd p", "runs `git clone`, which needs the network"),
        ("docker compose up", "runs docker, which needs a container engine or a cluster"),
        ("AWS_PROFILE=me aws s3 ls", "runs aws, which needs a cloud account"),
        ("uvicorn app.main:app", "starts uvicorn, a server that never ends"),
        ("mlflow ui", "runs `mlflow ui`, which starts a server"),
        ("dvc pull", "runs `dvc pull`, which needs a remote"),
        ("ollama run llama3", "runs ollama, which the check does not run"),
    ],
)
def test_the_quickstart_refuses_what_needs_the_world(tmp_path: Path, line: str, why: str) -> None:
    (command,) = quickstart.commands(markdown_doc.Block("bash", line, 3))
    assert why in (quickstart.refusal(command, tmp_path) or "")


def test_the_quickstart_runs_python_make_and_its_own_scripts(tmp_path: Path) -> None:
    block = markdown_doc.Block(
        "console", "$ source env.sh\n$ make demo \\\n    ALPHA=10\noutput line\n$ ./run.sh", 5
    )
    found = quickstart.commands(block)
    assert [(c.text, c.line) for c in found] == [
        ("source env.sh", 5),
        ("make demo      ALPHA=10", 6),
        ("./run.sh", 9),
    ]
    assert [quickstart.refusal(c, tmp_path) for c in found] == [None, None, None]


RUN_ID = "0123456789abcdef0123456789abcdef"
RUNS = [
    result_claims.Run(RUN_ID, "ridge", {"rmse": 24606.85, "r2": 0.8806, "accuracy": 0.912}),
    result_claims.Run("f" * 32, "linear", {"test_rmse": 25110.2}),
]
VERSIONS = [result_claims.Version("ames-price", 1, RUN_ID, ("champion",))]


@pytest.mark.parametrize(
    ("results", "problems"),
    [
        ("| model | RMSE |\n|---|---|\n| ames-price v1 | $24,607 |\n", []),
        ("- RMSE 24.6k, R² 0.88, accuracy 91.2%\n- test rmse: 25,110 (run ffffffff)\n", []),
        ("RMSE of ames-price@champion: 24,606.85\n", []),
        (
            "| run | RMSE |\n|---|---|\n| 0123456 | 21,950 |\n",
            ["line 5: rmse 21,950 is not what the run it cites logged (closest: run 'ridge' "
             "(01234567) rmse 24,606.85)"],
        ),
        (
            "- RMSE 21,950\n",
            ["line 3: rmse 21,950 is not what any run in your store logged (closest: run "
             "'ridge' (01234567) rmse 24,606.85)"],
        ),
        ("- MAE 17,442\n", ["line 3: mae 17,442: no run in your store logged a metric named mae"]),
        ("RMSE 24,607 for ames-price v3\n", ["line 3: rmse 24,607: it cites ames-price version "
                                              "3, which is not registered"]),
    ],
)  # fmt: skip
def test_results_are_held_against_the_runs(
    tmp_path: Path, results: str, problems: list[str]
) -> None:
    where = doc(tmp_path, f"# P\n## Results\n{results}").section("results")
    assert where is not None
    claims = result_claims.claims(where, result_claims.metric_names(RUNS))
    assert claims
    assert [p for c in claims if (p := result_claims.problem(c, RUNS, VERSIONS))] == problems


# -- the portfolio through the CLI ----------------------------------------------------------------


class Portfolio:
    """One workspace with the reference solution prepared (its demo run logged), the week
    folder put back to it before each case."""

    def __init__(self, base: Path) -> None:
        plan = course.load(REPO)
        week = plan.plan.week(WEEK)
        ws = verify.prepare(plan, week, base / "ws", with_solution=True)
        self.workspace, self.week = ws.root, ws.week_dir(week)
        self.pristine = base / "pristine"
        shutil.copytree(self.week, self.pristine, symlinks=True)

    def reset(self) -> Path:
        shutil.rmtree(self.week)
        shutil.copytree(self.pristine, self.week, symlinks=True)
        for extra in self.workspace.glob("capstone-*"):
            shutil.rmtree(extra)
        return self.week


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Portfolio:
    return Portfolio(tmp_path_factory.mktemp("week24-cases"))


def found(checks: dict[str, dict[str, Any]], key: str) -> str:
    return str(checks[TITLES[key]]["found"])


@pytest.mark.slow
def test_the_finished_portfolio_passes_and_is_left_untouched(
    cli: Cli, portfolio: Portfolio
) -> None:
    week = portfolio.reset()
    before = tree_hashes(week)
    result = cli("--course", REPO, "check", "--json", cwd=week, timeout=900)
    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    checks = {c["title"]: c for c in report["checks"]}
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks
    assert [r["title"] for r in report["reviews"]] == REVIEWS
    assert tree_hashes(week) == before


@pytest.mark.slow
def test_the_scaffold_fails_with_guidance(cli: Cli, tmp_path: Path) -> None:
    plan = course.load(REPO)
    ws = verify.prepare(plan, plan.plan.week(WEEK), tmp_path / "ws", with_solution=False)
    checks = check(cli, ws.week_dir(plan.plan.week(WEEK)))
    assert outcomes(checks, TITLES) == {
        **dict.fromkeys(TITLES, "failed"),
        "size": "blocked",
        "secrets": "blocked",
    }
    assert found(checks, "links") == "no local link in PORTFOLIO.md"
    assert found(checks, "size").startswith("PORTFOLIO.md links no project yet")
    assert "placeholder line 1: <your name>" in found(checks, "sections")
    assert found(checks, "image") == "no image in that section"
    assert found(checks, "quickstart") == "the block holds no command"
    assert "no database file at" in found(checks, "results")
    assert found(checks, "projects") == "0: no project link"
    assert "still holds the outline's placeholder" in found(checks, "questions")
    assert found(checks, "mock") == "0 filled in"
    assert found(checks, "resume").startswith(
        "15 placeholders left, the first at line 1: <your name>; no email address or link"
    )


def move_projects_out(portfolio: Portfolio, week: Path) -> None:
    """The right-differently case's capstone lives beside the week folder, as a learner's
    earlier week does."""
    shutil.move(str(week / "capstone"), str(portfolio.workspace / "capstone-ames"))


@pytest.mark.slow
def test_a_portfolio_written_differently_passes(cli: Cli, portfolio: Portfolio) -> None:
    week = portfolio.reset()
    shutil.copytree(CASES / "right-differently", week, dirs_exist_ok=True)
    move_projects_out(portfolio, week)
    (week / "docs" / "architecture.png").unlink()
    checks = check(cli, week, timeout=900)
    assert outcomes(checks, TITLES) == dict.fromkeys(TITLES, "passed"), checks


def logged_run_id(week: Path) -> str:
    with sqlite3.connect(week / "mlflow.db") as db:
        (run_id,) = db.execute("select run_uuid from runs").fetchone()
    return str(run_id)


@pytest.mark.slow  # the MLflow probe
def test_results_citing_the_run_id_and_a_jpeg_diagram_pass(cli: Cli, portfolio: Portfolio) -> None:
    from PIL import Image

    week = portfolio.reset()
    Image.new("RGB", (64, 32), "white").save(week / "docs" / "architecture.jpg", quality=80)
    portfolio_md = week / "PORTFOLIO.md"
    edit(portfolio_md, "](docs/architecture.png)", "](docs/architecture.jpg)")
    edit(portfolio_md, "| ames-price v1 |", f"| run `{logged_run_id(week)[:8]}` |")
    select = "test_results_match_store or test_architecture_image"
    checks = check(cli, week, select)
    assert outcomes(checks, TITLES) == {"image": "passed", "results": "passed"}, checks


def answer(week: Path, question: str, text: str) -> None:
    """Replace the answer under the core question that starts with ``question``."""
    path = week / "INTERVIEW_PREP.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if question in line) + 1
    end = next(
        i for i in range(start, len(lines)) if lines[i][:1].isdigit() or lines[i][:2] == "##"
    )
    lines[start:end] = ["", text, ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


def outside_write(p: Portfolio, week: Path) -> None:
    stray = week / "stray.txt"
    edit(week / "PORTFOLIO.md", "make demo\n```", f"echo oops > {stray}\n```")


WRONG: dict[str, tuple[str, Callable[[Portfolio, Path], None], str]] = {
    "the outline's placeholder left in the portfolio": (
        "sections",
        lambda p, w: edit(w / "PORTFOLIO.md", "Sam Rivera", "<your name>"),
        "placeholder line 1: <your name>",
    ),
    "no demo link": (
        "sections",
        lambda p, w: edit(
            w / "PORTFOLIO.md",
            "- [Five-minute demo: script and recording notes](docs/demo.md)",
            "- Coming soon.",
        ),
        "no link to your demo",
    ),
    "a design that forgets monitoring": (
        "design",
        lambda p, w: edit(
            w / "INTERVIEW_PREP.md",
            "Monitoring: latency and errors page on-call",
            "Operations: latency and errors page on-call",
        ),
        "no word about monitoring",
    ),
    "broken link": (
        "links",
        lambda p, w: edit(w / "docs" / "demo.md", "(../PORTFOLIO.md#demo)", "(../PORTFOLO.md)"),
        "docs/demo.md line 12: (../PORTFOLO.md): no such file or folder PORTFOLO.md",
    ),
    "broken anchor": (
        "links",
        lambda p, w: edit(w / "PORTFOLIO.md", "README.md#results)", "README.md#numbers)"),
        "projects/price-api/README.md has no heading with the anchor #numbers",
    ),
    "image missing": (
        "image",
        lambda p, w: (w / "docs" / "architecture.png").unlink(),
        "docs/architecture.png: no such file",
    ),
    "a text file named .png": (
        "image",
        lambda p, w: (w / "docs" / "architecture.png").write_text("diagram to come\n"),
        "its bytes are not a PNG, JPEG or SVG image (it starts with 'diagram to come')",
    ),
    "a pasted number": (
        "results",
        lambda p, w: edit(w / "PORTFOLIO.md", "$24,602", "$21,950"),
        "rmse $21,950 is not what the run it cites logged (closest: run 'ridge-alpha-10'",
    ),
    "a quickstart that fails": (
        "quickstart",
        lambda p, w: edit(w / "PORTFOLIO.md", "make demo\n```", "make demo-all\n```"),
        "it failed (exit 2)",
    ),
    "a quickstart that needs the network": (
        "quickstart",
        lambda p, w: edit(
            w / "PORTFOLIO.md",
            "make demo\n```",
            "python -c \"import urllib.request as u; u.urlopen('http://example.org', timeout=5)\""
            "\n```",
        ),
        "it failed (exit 1)",
    ),
    "a quickstart that installs": (
        "quickstart",
        lambda p, w: edit(w / "PORTFOLIO.md", "make demo\n```", "pip install -r req.txt\n```"),
        "`pip install -r req.txt` (line 27) runs pip, which needs the network",
    ),
    "a quickstart that writes outside its copy": (
        "quickstart",
        outside_write,
        "week24-portfolio-interviews/stray.txt changed",
    ),
    "a 60 MB file": (
        "size",
        lambda p, w: sparse(w / "docs" / "recording.mp4", 60 * 1024 * 1024),
        "docs/recording.mp4 (60 MB)",
    ),
    "an AWS key in a README": (
        "secrets",
        lambda p, w: edit(
            w / "projects" / "cloud-delivery" / "README.md",
            "bash deploy/setup.sh",
            "AWS_ACCESS_KEY_ID=AKIAZ7QX3KD5PLM2WQ4R bash deploy/setup.sh",
        ),
        "projects/cloud-delivery/README.md:14: an AWS access key ID (AKIA… (20 characters))",
    ),
    "a project folder that is not there": (
        "projects",
        lambda p, w: shutil.rmtree(w / "projects" / "cloud-delivery"),
        "line 61: projects/cloud-delivery/README.md: no such folder in the workspace",
    ),
    "a STAR story without a number": (
        "star",
        lambda p, w: edit(
            w / "INTERVIEW_PREP.md",
            "zero restarts over the next 7 days, and start-up became visible as a metric (38 s).",
            "no more restarts, and start-up became visible as a metric.",
        ),
        "'An incident you debugged': its Result has no number",
    ),
    "an unanswered question": (
        "questions",
        lambda p, w: answer(w, "Batch or online inference", ""),
        "('Batch or online inference: how do you choose?') has an answer of",
    ),
    "the placeholder left in": (
        "questions",
        lambda p, w: answer(w, "Training/serving skew", "   <your answer>"),
        "('Training/serving skew: what is it, how did you prevent it?') still holds the "
        "outline's placeholder",
    ),
    "one mock interview": (
        "mock",
        lambda p, w: edit(
            w / "INTERVIEW_PREP.md",
            "| 2026-11-17 | mentor | system design covered monitoring and cost |",
            "|  |  |  |",
        ),
        "1 filled in",
    ),
    "a resume whose project states no result": (
        "resume",
        lambda p, w: edit(
            w / "RESUME.md",
            "request validation, at a p95 latency of 18 ms.\n- Exported request, latency and "
            "price metrics to Prometheus and drew 4 Grafana panels.",
            "request validation.\n- Exported request, latency and price metrics to Prometheus "
            "in 2026.",
        ),
        "project 'House-price API with monitoring' states no measured result (no number)",
    ),
    "a resume with no way to reach its author": (
        "resume",
        lambda p, w: edit(
            w / "RESUME.md",
            "MLOps engineer · sam.rivera@example.com · [portfolio](PORTFOLIO.md)",
            "MLOps engineer",
        ),
        "no email address or link before the first section",
    ),
    "a resume project that links no README": (
        "resume",
        lambda p, w: edit(
            w / "RESUME.md",
            "README: [projects/cloud-delivery](projects/cloud-delivery/README.md)",
            "",
        ),
        "project 'Cloud delivery' links no README",
    ),
    "a resume without education, beside a project named Retraining": (
        "resume",
        lambda p, w: edit(w / "RESUME.md", "## Education", "## Also"),
        "no Education section",
    ),
    "a two-page resume": (
        "resume",
        lambda p, w: edit(
            w / "RESUME.md",
            "## Education",
            "Kept every log line, in full. " * 120 + "\n\n## Education",
        ),
        "words (one page is about 700)",
    ),
}


SLOW = {"results"}  # the MLflow probe alone takes about 10 s


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=[pytest.mark.slow] if WRONG[c][0] in SLOW else []) for c in WRONG],
    ids=lambda c: re.sub(r"\W+", "-", c).strip("-"),
)
def test_a_wrong_portfolio_fails_its_own_check(cli: Cli, portfolio: Portfolio, case: str) -> None:
    key, change, named = WRONG[case]
    week = portfolio.reset()
    change(portfolio, week)
    checks = check(cli, week, SELECT[key])
    assert outcomes(checks, TITLES) == {key: "failed"}, checks
    assert named in found(checks, key), found(checks, key)


def test_nothing_outside_the_copy_is_reached(tmp_path: Path) -> None:
    env = quickstart.environment(
        {"HOME": "/root", "MLFLOW_TRACKING_URI": "http://x", "AWS_SECRET_ACCESS_KEY": "s",
         "https_proxy": "http://proxy:3128", "PATH": "/usr/bin"},
        tmp_path / "home", tmp_path / "venv", offline_proxies=True,
    )  # fmt: skip
    assert env["HOME"] == str(tmp_path / "home")
    assert "MLFLOW_TRACKING_URI" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["https_proxy"] == "http://127.0.0.1:9"
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "venv" / "bin")
