"""The process jail's plan: what ``jail_plan`` decides on the grader's side and ``jail_setup``
builds, as one frozen dataclass that travels between them as JSON and is checked on arrival.

Standard library only: ``jail_setup`` runs with ``python -I -S`` before anything of the
submission's and imports this file as a plain module of its own folder.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

JailMode = Literal["namespaces", "userns", "plain"]
MODES: tuple[JailMode, ...] = get_args(JailMode)
Rlimit = Literal["cpu", "as", "fsize", "core", "nofile", "nproc"]


class PlanError(ValueError):
    """A plan that does not have the shape ``JailPlan`` gives it (names the place)."""


@dataclass(frozen=True)
class Link:
    """A symlink at ``path`` in the private root (merged /usr: /bin -> usr/bin)."""

    path: str
    target: str


@dataclass(frozen=True)
class Bind:
    """A host path bound at ``dst`` in the private root, read-only unless ``writable``."""

    src: str
    dst: str
    writable: bool


@dataclass(frozen=True)
class Copy:
    """A folder copied into a tmpfs of its own at ``dst`` (the submission)."""

    src: str
    dst: str
    size_mb: int


@dataclass(frozen=True)
class JailPlan:
    """Everything the jail holds and the one command it runs."""

    mode: JailMode
    uid: int  # the command runs as this uid and gid
    gid: int
    switch_uid: bool  # whether the set-up (root) switches to them, or they are only a name
    root: str  # where the private root is built
    links: tuple[Link, ...]
    binds: tuple[Bind, ...]
    hide: tuple[str, ...]  # folders a bind shows that the jail must not (the course's solutions)
    scratch_mb: int  # the tmpfs for /tmp, /dev/shm and home
    copy: Copy
    home: str
    cwd: str
    argv: tuple[str, ...]
    env: dict[str, str]  # the command's whole environment
    rlimits: dict[Rlimit, int]
    cgroups: tuple[str, ...] = ()  # cgroup.procs files the set-up joins before anything else
    hide_files: tuple[str, ...] = ()  # files a bind shows that the jail must not (held-out answers)
    stdin: str = ""  # the command's stdin (the grader's seal), in a memfd only it holds

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> JailPlan:
        """The plan ``to_json`` wrote, or a ``PlanError`` naming the first thing out of shape."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PlanError(f"plan: not JSON ({exc})") from None
        plan: JailPlan = _value(cls, data, "plan")
        return plan


def _value(kind: Any, value: Any, where: str) -> Any:
    """``value`` (decoded JSON) as ``kind``, checked all the way down."""
    origin, args = get_origin(kind), get_args(kind)
    if dataclasses.is_dataclass(kind):
        return _record(kind, value, where)
    if origin is Literal:
        if value not in args:
            raise PlanError(f"{where}: expected one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise PlanError(f"{where}: expected a list, got {value!r}")
        return tuple(_value(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise PlanError(f"{where}: expected a mapping, got {value!r}")
        pairs = value.items()
        return {_value(args[0], k, where): _value(args[1], v, f"{where}.{k}") for k, v in pairs}
    if type(value) is not kind:  # exact: a bool is not an int here, nor an int a bool
        raise PlanError(f"{where}: expected {kind.__name__}, got {value!r}")
    return value


def _record(kind: Any, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise PlanError(f"{where}: expected a mapping, got {value!r}")
    hints = typing.get_type_hints(kind)
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise PlanError(f"{where}: unknown key {unknown[0]!r}")
    missing = [n for n, f in fields.items() if n not in value and f.default is dataclasses.MISSING]
    if missing:
        raise PlanError(f"{where}: missing {missing[0]!r}")
    return kind(**{n: _value(hints[n], v, f"{where}.{n}") for n, v in value.items()})
