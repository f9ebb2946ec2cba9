"""Grading on Kubernetes: the manifests validate offline, the pod entry grades what it is given.

No API server can run here, so the manifests are checked with kubernetes-validate --strict
against the bundled schemas, and the pod's entry point runs for real: on this machine (fast)
and, in the slow test, inside the grading image with the pod's restrictions.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import kube, kubebundle, podentry
from mlops_roadmap.grading.model import Limits
from tests import toyclass
from tests.conftest import Cli
from tests.test_grading_container import engine, grader_image, week2  # noqa: F401
from tests.timing import scaled

VALIDATE = Path(sys.executable).with_name("kubernetes-validate")
VERSIONS = ("1.30.0", "1.37.0")  # backoffLimitPerIndex is beta (on) from 1.29, GA in 1.33


def submissions(folders: list[Path]) -> list[kube.Submission]:
    return [
        kube.Submission(i, f"student-{i}", "week02", folder, f"{i:040x}")
        for i, folder in enumerate(folders)
    ]


def validate(*files: Path, version: str = "1.37.0") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VALIDATE), "--strict", "-k", version, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folders = []
    for i in range(3):
        folder = tmp_path / f"sub{i}"
        (folder / "week02-intro-to-ml").mkdir(parents=True)
        (folder / "week02-intro-to-ml" / "train.py").write_text(f"print({i})\n")
        (folder / ".venv").mkdir()
        folders.append(folder)
    out = tmp_path / "out" / "kubernetes"
    limits = Limits(memory_mb=1024, cpus=0.5)
    kubebundle.write_bundle(out, "MLOps Fall 2026", submissions(folders), "reg.example/g:1", limits)
    return out


def docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_validate_strictly(bundle: Path, version: str) -> None:
    result = validate(bundle / "setup.yaml", bundle / "job.yaml", version=version)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed for resource") == 5


def test_validation_catches_an_unknown_field(bundle: Path, tmp_path: Path) -> None:
    (job,) = docs(bundle / "job.yaml")
    job["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRoot"] = True
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(job))
    assert validate(bad).returncode != 0


def test_job_and_pods_are_locked_down(bundle: Path) -> None:
    policy, *claims, files = docs(bundle / "setup.yaml")
    (job,) = docs(bundle / "job.yaml")
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"mlops-roadmap.grading": "1"}},
        "policyTypes": ["Ingress", "Egress"],
    }
    assert [c["metadata"]["name"] for c in claims] == [
        "mlops-roadmap-submissions",
        "mlops-roadmap-results",
    ]
    spec = job["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", 3, 3)
    assert spec["backoffLimitPerIndex"] == 0 and spec["ttlSecondsAfterFinished"] > 0
    assert job["spec"]["template"]["metadata"]["labels"]["mlops-roadmap.grading"] == "1"
    assert files["metadata"]["labels"]["mlops-roadmap.grading"] == "1"
    pod = spec["template"]["spec"]
    assert pod["activeDeadlineSeconds"] == 600 + 120
    assert not pod["automountServiceAccountToken"] and not pod["enableServiceLinks"]
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["command"][:3] == ["python3", "-m", "mlops_roadmap.grading.podentry"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    resources = container["resources"]
    assert resources["limits"] == resources["requests"]
    assert (resources["limits"]["cpu"], resources["limits"]["memory"]) == ("500m", "1024Mi")
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/submissions"]["readOnly"] is True and mounts["/results"]["readOnly"] is False
    run = container["command"][-1]
    assert mounts["/submissions"]["subPathExpr"] == f"{run}/$(GRADING_INDEX)"
    assert mounts["/results"]["subPathExpr"] == f"{run}/$(GRADING_INDEX)"
    assert "subPathExpr" not in mounts["/tmp"]
    assert container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"] == (
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    )
    files_mounts = files["spec"]["containers"][0]["volumeMounts"]
    assert not [m for m in files_mounts if "subPathExpr" in m or m["readOnly"]]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["submissions"]["persistentVolumeClaim"]["readOnly"] is True
    assert volumes["tmp"]["emptyDir"]["sizeLimit"] == "512Mi"
    # The seal: an init container (no submission code) copies this index's seal, from beside
    # the indexes' folders, into a memory volume; the grading container never mounts the seals.
    (init,) = pod["initContainers"]
    seal_in = {m["mountPath"]: m for m in init["volumeMounts"]}["/seal-in"]
    assert seal_in["subPathExpr"] == f"{run}/seals/$(GRADING_INDEX)" and seal_in["readOnly"]
    assert init["securityContext"] == container["securityContext"] and "args" not in init
    assert mounts["/seal"]["name"] == "seal" and volumes["seal"]["emptyDir"]["medium"] == "Memory"
    assert not [m for m in container["volumeMounts"] if "seals" in m.get("subPathExpr", "")]


def test_bundle_holds_tars_and_the_index(bundle: Path) -> None:
    (run_dir,) = (bundle / "submissions").iterdir()
    index = json.loads((run_dir / "index.json").read_text())
    assert index["run"] == run_dir.name and run_dir.name.startswith("mlops-fall-2026-")
    assert index["submissions"]["2"] == {
        "student": "student-2",
        "week": "week02",
        "commit": f"{2:040x}",
    }
    own = json.loads((run_dir / "2" / "index.json").read_text())
    assert "submissions" not in own  # a pod learns nothing of its classmates
    assert (own["index"], own["student"], own["limits"]["memory_mb"]) == (2, "student-2", 1024)
    assert sorted(p.name for p in (run_dir / "1").iterdir()) == ["1.tar", "index.json"]
    with tarfile.open(run_dir / "1" / "1.tar") as tar:
        assert tar.getnames() == ["week02-intro-to-ml", "week02-intro-to-ml/train.py"]
    results = bundle / "results" / run_dir.name
    assert sorted(p.name for p in results.iterdir()) == ["0", "1", "2"]
    (job,) = docs(bundle / "job.yaml")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][-1] == run_dir.name


def test_indexes_must_be_dense(tmp_path: Path) -> None:
    gap = [kube.Submission(0, "a", "week02"), kube.Submission(2, "b", "week02")]
    with pytest.raises(RoadmapError, match=r"indexes must be 0..n-1, got \[0, 2\]"):
        kube.manifests("c", gap, "img", Limits())


def test_collect_reads_results_back(tmp_path: Path) -> None:
    (tmp_path / "0.json").write_text(json.dumps({"index": 0, "returncode": 0, "result": {}}))
    (tmp_path / "1.json.tmp").write_text("{half")
    (tmp_path / "notes.json").write_text("{}")
    found = kubebundle.collect(tmp_path)
    assert list(found) == [0]
    assert kubebundle.ran(found[0]).returncode == 0
    with pytest.raises(RoadmapError, match="copy the results back first"):
        kubebundle.collect(tmp_path / "missing")


def test_unpack_refuses_escapes(tmp_path: Path) -> None:
    tar_path = tmp_path / "evil.tar"
    with tarfile.open(tar_path, "w") as tar:
        for name, data in (("ok/a.txt", b"a"), ("../outside.txt", b"x"), ("/abs.txt", b"y")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("escape")
        link.type, link.linkname = tarfile.SYMTYPE, "../../"
        tar.addfile(link)
        fifo = tarfile.TarInfo("fifo")
        fifo.type = tarfile.FIFOTYPE
        tar.addfile(fifo)
    dest = tmp_path / "dest" / "sub"
    podentry.unpack(tar_path, dest)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == ["ok", "ok/a.txt"]
    assert not (tmp_path / "dest" / "outside.txt").exists()


def pod_run(bundle: Path, index: int, folder: int, tmp: Path) -> int:
    """podentry.main as pod ``index`` would call it, given index ``folder``'s two folders and
    its seal, copied as the init container copies it."""
    (run_dir,) = (bundle / "submissions").iterdir()
    work = tmp / f"work{index}"
    seal_dir = tmp / f"seal{index}"
    seal_dir.mkdir()
    shutil.copy(run_dir / "seals" / str(folder) / "seal.json", seal_dir / "seal.json")
    args = ["--run", run_dir.name, "--submissions", str(run_dir / str(folder))]
    args += ["--seal", str(seal_dir)]
    results = bundle / "results" / run_dir.name / str(folder)
    args += ["--results", str(results), "--work", str(work), "--tmp", str(tmp)]
    os.environ["JOB_COMPLETION_INDEX"] = str(index)
    try:
        return podentry.main(args)
    finally:
        del os.environ["JOB_COMPLETION_INDEX"]


def test_pod_entry_reports_its_index(tmp_path: Path) -> None:
    """The plumbing, fast: the index's submission unpacked, the entry run, the verdict filed.

    This submission has no week folder, so the entry answers at once with its error; real
    grading is the slow test's job.
    """
    folder = tmp_path / "sub"
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / "README.md").write_text("no week folder here\n")
    out = tmp_path / "kubernetes"
    kubebundle.write_bundle(out, "c", submissions([folder]), "img", Limits(wall_seconds=60))
    assert pod_run(out, 0, 0, tmp_path) == 0
    assert list((tmp_path / "seal0").iterdir()) == []  # the checker took the seal and deleted it
    (run_dir,) = (out / "results").iterdir()
    assert [p.name for p in (run_dir / "0").iterdir()] == ["0.json"]
    raw = json.loads((run_dir / "0" / "0.json").read_text())
    assert set(raw["result"]) == {"format", "verdict", "hmac"}  # sealed by the checker
    verdict = kubebundle.collect(run_dir)[0]
    assert (verdict["student"], verdict["week"], verdict["commit"]) == (
        "student-0",
        "week02",
        f"{0:040x}",
    )
    assert verdict["result"] == {
        "error": f"{tmp_path / 'work0' / 'submission' / 'week02-intro-to-ml'}: no such folder: "
        "run `mlops-roadmap start 2`"
    }
    assert verdict["returncode"] == 3 and not verdict["timed_out"]
    assert (tmp_path / "work0" / "submission" / "notes" / "README.md").is_file()
    assert verdict["isolation"].startswith("kubernetes pod: no network (NetworkPolicy), 2048 MB")
    # A pod given another index's folder reports it, and grades nothing.
    assert pod_run(out, 5, 0, tmp_path) == podentry.CANNOT_RUN
    error = kubebundle.collect(run_dir)[5]["error"]
    assert (
        error.startswith("cannot grade index 5: ValueError: index.json is c-") and " #0, " in error
    )


@pytest.mark.slow
def test_pod_entry_in_the_grading_image(
    cli: Cli,
    tmp_path: Path,
    grader_image: str,  # noqa: F811
    engine: Any,  # noqa: F811
) -> None:
    """Each index in a container as the pod would run it: same command, volumes, restrictions."""
    from docker.types import Mount

    folders = [week2(cli, tmp_path / f"ws{i}", solved=i == 0) for i in range(2)]
    out = tmp_path / "kubernetes"
    limits = Limits(wall_seconds=300, check_seconds=120)
    kubebundle.write_bundle(out, "c", submissions(folders), grader_image, limits)
    (job,) = docs(out / "job.yaml")
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    sizes = {v["name"]: v["emptyDir"]["sizeLimit"] for v in pod["volumes"] if "emptyDir" in v}
    tmpfs = {  # each emptyDir as a tmpfs of its sizeLimit, writable by the pod's user
        m["mountPath"]: f"size={sizes[m['name']].removesuffix('Mi')}m,uid=10001,gid=10001"
        for m in container["volumeMounts"]
        if m["name"] in sizes and m["name"] != "seal"  # the seal's: a folder, filled below
    }
    assert sorted(tmpfs) == ["/home/grader", "/tmp", "/work"]
    (run,) = (p.name for p in (out / "submissions").iterdir())
    for index in range(2):
        # subPathExpr <run>/$(GRADING_INDEX): each pod gets its own index's folders only.
        own = f"{run}/{index}"
        os.chown(out / "results" / own, 10001, 10001)
        seal_dir = tmp_path / f"seal{index}"  # what the init container leaves in /seal
        seal_dir.mkdir()
        shutil.copy(out / "submissions" / run / "seals" / str(index) / "seal.json", seal_dir)
        for path in (seal_dir, seal_dir / "seal.json"):
            os.chown(path, 10001, 10001)
        engine.containers.run(
            container["image"],
            container["command"],
            environment={"JOB_COMPLETION_INDEX": str(index)},
            mounts=[
                Mount("/submissions", str(out / "submissions" / own), type="bind", read_only=True),
                Mount("/results", str(out / "results" / own), type="bind"),
                Mount("/seal", str(seal_dir), type="bind"),
            ],
            tmpfs=tmpfs,
            user="10001:10001",
            network_mode="none",
            read_only=True,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=container["resources"]["limits"]["memory"].replace("Mi", "m"),
            labels={"mlops-roadmap.grading": "1"},
            remove=True,
        )
    (run_dir,) = (out / "results").iterdir()
    found = kubebundle.collect(run_dir)
    assert sorted(found) == [0, 1]
    assert found[0]["result"]["passed"] is True, found[0]
    assert found[1]["result"]["passed"] is False
    assert [found[i]["student"] for i in (0, 1)] == ["student-0", "student-1"]
    assert found[0]["commit"] == f"{0:040x}"
    assert not list((tmp_path / "seal0").iterdir())  # the checker deleted the seal


def test_one_bad_result_file_is_that_students_error(bundle: Path) -> None:
    """Each index's file is read alone: one that is not JSON, not an object or names another
    submission than its index becomes an error for the index's own student (from the bundle's
    index); the rest are collected."""
    (run,) = (bundle / "submissions").iterdir()
    results = bundle / "results" / run.name
    who = json.loads((run / "index.json").read_text())["submissions"]
    good = toyclass.sealed(run, 0, {**who["0"], "returncode": 0, "result": {"format": 1}})
    (results / "0" / "0.json").write_text(json.dumps(good))
    (results / "1" / "1.json").write_text('{"student": "student-1", "result": {"checks": [')
    (results / "2" / "2.json").write_text(json.dumps([good]))
    (results / "7.json").write_text("not json")  # an index the bundle does not have
    found = kubebundle.collect(results)
    assert sorted(found) == [0, 1, 2, 7] and found[0] == {**good, "result": {"format": 1}}
    for index, why in ((1, "not JSON (JSONDecodeError: "), (2, "a JSON list, not an object")):
        document = found[index]
        assert {k: document[k] for k in kubebundle.WHO} == who[str(index)]
        error = kubebundle.ran(document).result
        assert error is not None and error["error"].startswith(
            f"{index}.json: not this submission's grading result: {why}"
        )
    assert found[7]["student"] is None  # nobody to charge it to: that student stays queued
    # A pod that writes a verdict naming a classmate claims nothing for them.
    (results / "2" / "2.json").write_text(json.dumps({**good, "index": 2}))
    claimed = kubebundle.collect(results)[2]
    assert (claimed["student"], claimed["commit"]) == ("student-2", who["2"]["commit"])
    assert "it names ('student-0', 'week02', " in str(kubebundle.ran(claimed).result)
    # The pod's own error (it could not read its index) is charged to the index's student.
    own = {"index": 1, "run": run.name, "result": None, "returncode": 3, "error": "cannot grade"}
    (results / "1" / "1.json").write_text(json.dumps(own))
    pod = kubebundle.collect(results)[1]
    assert pod["student"] == "student-1" and pod["result"] == {"error": "cannot grade"}


def test_a_class_is_collected_past_a_broken_result(tmp_path: Path) -> None:
    """Real repositories staged for the Job; one pod's file is cut short: that student's grade
    is crashed with the reason, and everyone else's is collected."""
    repos = {
        sid: toyclass.repo(tmp_path / "repos" / sid,
                           [toyclass.Commit("2026-11-05T10:00Z", toyclass.week_files("week01"))])
        for sid in ("ada", "bob", "cut", "eve")
    }  # fmt: skip

    def answer(student: str, week: str, commit: str) -> dict[str, Any] | str:
        document = toyclass.document(student, week, commit)
        text = json.dumps(document)
        return text[: len(text) // 2] if student == "cut" else document

    run = toyclass.grade_class(
        tmp_path, toyclass.roster(tmp_path / "roster.csv", repos), (1,), answer
    )
    statuses = {g.student.id: (g.status, g.points) for g in run.grades.grades}
    assert statuses == {"ada": ("graded", 3), "bob": ("graded", 3), "cut": ("crashed", 0),
                        "eve": ("graded", 3)}  # fmt: skip
    message = run.of("cut", "week01").message
    assert re.fullmatch(r"\d\.json: not this submission's grading result: not JSON \(.*\)", message)
    assert (run.out / "gradescope" / "cut" / "results.json").is_file()
