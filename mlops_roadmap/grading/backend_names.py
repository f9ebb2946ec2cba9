"""The names `grade --backend` accepts, apart from the registry (which the CLI need not load to
show its help)."""

from __future__ import annotations

from typing import Literal

BackendName = Literal["process", "docker", "kubernetes"]  # the keys of backends.BACKENDS
NAMES: tuple[BackendName, ...] = ("process", "docker", "kubernetes")
AUTO = "auto"  # Docker when an engine answers, else the process jail


def choices() -> tuple[str, ...]:
    """What `grade --backend` accepts."""
    return (AUTO, *NAMES)
