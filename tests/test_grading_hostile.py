"""A class with hostile submissions, graded for real: each is contained and reported for that
student, nothing reaches the grader's secrets or files, and every other grade is right."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests import classroom
from tests.conftest import Cli

pytestmark = pytest.mark.slow
TOKEN = uuid.uuid4().hex[:12]
SECRET = f"hunter2-{TOKEN}"


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
    return {
        "forkbomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
        "        pass\n",
        "loop-after-answer": solution.replace(
            "sys.exit(main())",
            "main()\n    while True:  # the answer is written; never exit\n        pass",
        ),
        "memory-hog": "hog = bytearray(64 * 2**30)\n" + solution,
        "flood": "import sys\nfor _ in range(1024):\n    sys.stdout.buffer.write(b'x' * 2**20)\n"
        + solution,
        "daemon": daemon + solution,
        "snoop": snoop,
        "escape": escape + solution,
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


def test_hostile_class(graded: tuple[Path, Path, Path], cli: Cli, tmp_path: Path) -> None:
    roster, grader_file, outside = graded
    out = tmp_path / "out"
    done = cli(
        "grade",
        roster,
        "--week",
        "2",
        "--backend",
        "process",
        "--jobs",
        "2",
        "--timeout",
        "40",
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
    assert grades["flood"]["status"] == "graded"
    assert grades["daemon"]["status"] == "graded"
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
    assert not outside.exists() and not (grader_file.parent / "written").exists()
    assert not Path(f"/tmp/outside-{TOKEN}").exists()
    assert "dropped symlink" in grades["snoop"]["message"]
    assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) < 50 * 2**20


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""
