"""A class with hostile submissions, graded for real in the process jail and in containers: each
is contained and reported for that student, nothing reaches the grader's secrets or files or the
held-out answers, no verdict is forged, and every other grade is right."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from mlops_roadmap import course
from mlops_roadmap.grading import image
from mlops_roadmap.manifest import collect_week
from tests import classroom
from tests.conftest import REPO, Cli, docker_ready
from tests.test_grading_sealed import ATTACK, full_marks
from tests.timing import scaled

pytestmark = pytest.mark.slow
TOKEN = uuid.uuid4().hex[:12]
SECRET = f"hunter2-{TOKEN}"
HOLDOUT = REPO / "data" / "ames" / "holdout.csv"
HOLDOUTS = (str(HOLDOUT), f"{image.COURSE_IN_IMAGE}/data/ames/holdout.csv")  # host, image
# A line of the held-out answers (features and price) that no other file of the course holds.
ANSWER_LINE = HOLDOUT.read_text(encoding="utf-8").splitlines()[1]


def before(attack: str, solution: str) -> str:
    """``solution`` with ``attack`` run first (after its ``from __future__`` import, which must
    stay the first statement)."""
    future = "from __future__ import annotations\n"
    head, sep, rest = solution.partition(future)
    assert sep, "the reference train.py starts with a __future__ import"
    return head + sep + attack + rest


def hostile_programs(grader_file: Path, outside: Path) -> dict[str, str]:
    """Each student's train.py; most do the real work too, so only the attack can cost marks."""
    solution = classroom.solution()
    daemon = f"""
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(900)", "{TOKEN}"])
    os._exit(0)
"""
    snoop = f"""
import glob, os, sys
found = ["CHANNEL-OK", os.environ.get("GRADER_SECRET", "")]
for path in glob.glob("/proc/*/environ") + [{str(grader_file)!r}, "data/leak.txt"]:
    try:
        found.append(open(path, "rb").read().decode(errors="replace"))
    except OSError:
        pass
sys.exit("LEAKED: " + " | ".join(found))
"""
    escape = f"""
for path in [{str(outside)!r}, "/tmp/outside-{TOKEN}", {str(grader_file.parent / "written")!r}]:
    try:
        open(path, "w").write("escaped")
    except OSError:
        pass
"""
    answers = f"""
import sys
for path in {HOLDOUTS!r}:
    try:
        text = open(path).read()
    except OSError:
        continue
    if text:
        sys.exit("ANSWERS: " + text[:3000])
"""
    loaded = course.load(REPO)
    forged = full_marks(collect_week(loaded, loaded.plan.week(2)))
    forger = ATTACK.replace("FORGED", repr(forged)).replace("HOLDOUT_PATH", repr(HOLDOUTS[0]))
    return {
        "forger": before(forger, solution),
        "answers": before(answers, solution),
        "forkbomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
        "        pass\n",
        "loop-after-answer": solution.replace(
            "sys.exit(main())",
            "main()\n    while True:  # the answer is written; never exit\n        pass",
        ),
        "memory-hog": before("hog = bytearray(64 * 2**30)\n", solution),
        "flood": before(
            "import sys\nfor _ in range(1024):\n    sys.stdout.buffer.write(b'x' * 2**20)\n",
            solution,
        ),
        "daemon": before(daemon, solution),
        "snoop": snoop,
        "escape": before(escape, solution),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], Path, Path]:
    root = tmp_path_factory.mktemp("class")
    grader_file = root / "grader" / "secret.txt"
    grader_file.parent.mkdir()
    grader_file.write_text(SECRET)
    grader_file.chmod(0o644)  # readable by any user on the host: only isolation protects it
    outside = root / "outside.txt"
    template, folder = classroom.template(root / "template")
    rows = [
        (
            "alice",
            "Alice",
            str(classroom.student(template, folder, root / "alice", classroom.solution())),
        ),
        ("bob", "Bob", str(classroom.student(template, folder, root / "bob", None))),
    ]
    for name, code in hostile_programs(grader_file, outside).items():
        extra = {"data/leak.txt": f"-> {grader_file}"} if name == "snoop" else None
        rows.append(
            (name, name, str(classroom.student(template, folder, root / name, code, extra=extra)))
        )
    rows.append(("ext", "Ext", f"ext::sh -c touch% /tmp/pwned-{TOKEN}"))
    roster = classroom.roster(root / "roster.csv", rows)
    return roster, grader_file, outside  # type: ignore[return-value]


@pytest.mark.parametrize("backend", ["process", "docker"])
def test_hostile_class(
    graded: tuple[Path, Path, Path], cli: Cli, tmp_path: Path, backend: str
) -> None:
    if backend == "docker":
        docker_ready()
    roster, grader_file, outside = graded
    out = tmp_path / "out"
    done = cli(
        "grade",
        roster,
        "--week",
        "2",
        "--backend",
        backend,
        "--jobs",
        "2",
        "--timeout",
        str(round(scaled(90))),  # week 2's checks train three copies: ~40 s on a loaded machine
        "--out",
        out,
        "--json",
        env={"GRADER_SECRET": SECRET},
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    grades = {g["student"]: g for g in json.loads(done.stdout)["grades"]}
    assert set(grades) == {"alice", "bob", "ext", *hostile_programs(grader_file, outside)}

    # Every honest grade is right.
    assert grades["alice"]["status"] == "graded" and grades["alice"]["points"] == 12
    assert grades["bob"]["status"] == "graded" and 0 < grades["bob"]["points"] < 12

    # Each attack is contained and reported for that student.
    assert grades["ext"]["status"] == "fetch-failed" and "refused" in grades["ext"]["message"]
    assert not Path(f"/tmp/pwned-{TOKEN}").exists()
    for name in ("forkbomb", "loop-after-answer", "memory-hog"):
        g = grades[name]
        assert g["status"] in ("graded", "timed-out") and g["points"] < 12, (name, g)
    # No forged verdict counts: the jail's checker was killed (no grade); a container's checker
    # is pid 1, which the kill cannot stop, and graded what train.py did (it ended at its attack).
    forger = grades["forger"]
    assert forger["points"] < 12 and forger["status"] in ("crashed", "graded"), forger
    if backend == "process":
        assert forger["status"] == "crashed" and "not written by the checker" in forger["message"]
    # The held-out answers are not in the sandbox: the reading student did the real work.
    assert grades["answers"]["status"] == "graded" and grades["answers"]["points"] == 12
    assert grades["flood"]["status"] == "graded"
    assert grades["daemon"]["status"] == "graded" and grades["daemon"]["points"] == 12
    assert grades["escape"]["status"] == "graded" and grades["escape"]["points"] == 12
    alive = [p for p in Path("/proc").glob("[0-9]*") if TOKEN.encode() in _cmdline(p)]
    assert not alive, "a daemonized process outlived its grading"

    # Nothing the grader holds leaked, though the channel it would leak through works.
    everything = "".join(
        p.read_text(errors="replace")
        for p in out.rglob("*")
        if p.is_file() and p.suffix in (".json", ".csv", ".html", ".xml")
    )
    assert "CHANNEL-OK" in everything
    assert SECRET not in everything and SECRET not in done.stdout + done.stderr
    assert ANSWER_LINE not in everything
    assert not outside.exists() and not (grader_file.parent / "written").exists()
    assert not Path(f"/tmp/outside-{TOKEN}").exists()
    assert "dropped symlink" in grades["snoop"]["message"]
    assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) < 50 * 2**20


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""
