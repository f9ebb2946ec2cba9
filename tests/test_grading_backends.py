"""The sandbox registry: names, the `--backend` choice built from them, and the protocol each
backend keeps (stop_all included), on real backend objects."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import get_args

import pytest

from mlops_roadmap.errors import RoadmapError
from mlops_roadmap.grading import backends
from mlops_roadmap.grading.sandbox import Backend, BackendName
from tests.conftest import Cli

PROTOCOL = [n for n, _ in inspect.getmembers(Backend, inspect.isfunction) if not n.startswith("_")]


def test_the_registry_holds_every_backend_name() -> None:
    assert tuple(backends.BACKENDS) == get_args(BackendName)
    assert backends.choices() == ("auto", *backends.BACKENDS)
    assert set(PROTOCOL) == {"run", "stop_all", "unavailable"}


@pytest.mark.parametrize("name", get_args(BackendName))
def test_every_backend_keeps_the_protocol(name: BackendName, tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    setting = backends.Setting(tmp_path, tmp_path / "out", tmp_path / "results")
    made = backends.BACKENDS[name](
        setting if name == "kubernetes" else backends.Setting(tmp_path, tmp_path / "out")
    )
    assert made.name == name
    for method in PROTOCOL:
        assert callable(getattr(made, method)), (name, method)
    made.stop_all()  # nothing running: nothing to stop, and no error


def test_collect_belongs_to_kubernetes(tmp_path: Path) -> None:
    with pytest.raises(RoadmapError, match="add --backend kubernetes"):
        backends.choose("process", backends.Setting(tmp_path, tmp_path, tmp_path))
    with pytest.raises(RoadmapError, match="choose one of auto, process, docker, kubernetes"):
        backends.choose("vm", backends.Setting(tmp_path, tmp_path))


def test_the_cli_offers_the_registry(cli: Cli, tmp_path: Path) -> None:
    shown = cli("grade", "--help")
    assert "--backend <auto|process|docker|kubernetes>" in shown.stdout
    refused = cli("grade", tmp_path / "roster.csv", "--week", "1", "--backend", "vm")
    assert refused.returncode == 2
    assert "'vm' is not one of auto, process, docker, kubernetes" in refused.stderr


def test_the_cli_knows_the_registry_without_loading_it() -> None:
    """`grade --backend` takes its names from backend_names (light, for --help): the same keys."""
    from mlops_roadmap.grading import backend_names, backends

    assert tuple(backends.BACKENDS) == backend_names.NAMES
    assert backends.choices() == ("auto", *backends.BACKENDS)
