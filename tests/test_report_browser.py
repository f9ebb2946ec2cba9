"""The class report in a real browser: headless Chromium renders 30 students without a console
message, draws the heat map in every outcome's colour, and its DOM holds every cell.

Needs Debian's chromium (`scripts/chromium.sh` installs it); CI runs it with the slow suites.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image  # matplotlib's own dependency, so always in the dev environment

from mlops_roadmap.grading import report_html
from mlops_roadmap.grading.model import ClassGrades
from tests.test_exports import sample_class, toy_reports
from tests.timing import scaled

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 2000
STUDENTS = 30
OUTCOME_RGB = {  # the report's CSS colours
    "passed": (0x2D, 0xA4, 0x4E),
    "failed": (0xCF, 0x22, 0x2E),
    "blocked": (0xD4, 0xA7, 0x2C),
    "error": (0x82, 0x50, 0xDF),
    "not-graded": (0xD0, 0xD7, 0xDE),
}


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/chromium.sh (as root)"
    root = tmp_path_factory.mktemp("report")
    cg: ClassGrades = sample_class(toy_reports(root / "runs"), STUDENTS)
    path = root / "report.html"
    path.write_text(report_html.render(cg), encoding="utf-8")
    return path


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on the page, offline, console messages logged to stderr."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={WIDTH},{HEIGHT}",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=scaled(120), check=False)


def console_lines(stderr: str) -> list[str]:
    """What the page said on its console (Chromium logs it as INFO:CONSOLE)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_screenshot_shows_the_heat_map_in_every_colour(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    ran = chromium(page, tmp_path / "profile", f"--screenshot={shot}")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert console_lines(ran.stderr) == []
    with Image.open(shot) as image:
        assert image.size == (WIDTH, HEIGHT)
        pixels = {rgb for _, rgb in image.convert("RGB").getcolors(WIDTH * HEIGHT) or []}
    assert len(pixels) > 50  # text, bars and cells, not a blank page
    missing = {k for k, rgb in OUTCOME_RGB.items() if rgb not in pixels}
    assert not missing, f"no {missing} cell drawn"


def test_dom_holds_every_student_and_cell(page: Path, tmp_path: Path) -> None:
    ran = chromium(page, tmp_path / "profile", "--dump-dom")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert console_lines(ran.stderr) == []
    dom = ran.stdout
    assert dom.count('<table class="heat">') == 1
    assert len(re.findall(r'<td class="c[ "]', dom)) == STUDENTS * 4  # 30 students x 4 checks
    assert dom.count('<section class="student"') == STUDENTS
    assert "<script" not in dom and "&lt;script&gt;" in dom


MEASURE = """<script>
const seen = [];
for (const a of document.querySelectorAll("table.heat tbody th a")) {
  const id = a.querySelector(".id"), name = a.querySelector(".nm");
  const box = id.getBoundingClientRect(), row = a.closest("tr");
  const cell = row.querySelector("td.c").getBoundingClientRect();
  const clip = a.getBoundingClientRect();  // the link clips what overflows it
  const shown = box.width > 0 && id.scrollWidth <= id.clientWidth
    && box.right <= clip.right + 0.5 && box.right <= cell.left;
  seen.push([id.textContent, shown, name.scrollWidth > name.clientWidth].join("|"));
}
document.body.dataset.ids = JSON.stringify(seen);
</script>"""


def test_long_names_leave_every_id_in_sight(tmp_path: Path) -> None:
    """Laid out for real: a long name is cut short, its id stays whole beside it."""
    cg = sample_class(toy_reports(tmp_path / "runs"), 5)
    long_name = "Maximiliana Wilhelmina Theodora von Hohenzollern-Sigmaringen und Ansbach"
    first = cg.grades[0].student
    longer = type(first)(first.id, long_name, first.repo)
    grades = tuple(replace(g, student=longer) if g.student == first else g for g in cg.grades)
    page = tmp_path / "report.html"
    html = report_html.render(replace(cg, grades=grades))
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    ran = chromium(page, tmp_path / "profile", "--dump-dom")
    assert ran.returncode == 0, ran.stderr[-2000:]
    found = re.search(r'data-ids="([^"]*)"', ran.stdout)
    assert found is not None, ran.stdout[-2000:]
    seen = [row.split("|") for row in json.loads(html_lib.unescape(found.group(1)))]
    assert [sid for sid, _, _ in seen] == [s.id for s in replace(cg, grades=grades).students()]
    assert all(shown == "true" for _, shown, _ in seen), seen
    assert [cut for sid, _, cut in seen if sid == first.id] == ["true"]  # the name gave way
