"""Reading a raw YAML tree into typed values, with errors that name the place.

A ``Node`` is a value plus where it sits (``weeks[4] (week05) -> resources[1].url``). Every
accessor either returns the typed value or raises ``RoadmapError`` naming the file, the place and
the fix. Unknown keys are collected as warnings, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from mlops_roadmap.errors import RoadmapError, brief

URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


@dataclass
class Source:
    """The file being read and the warnings gathered while reading it."""

    name: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Node:
    """A raw value and its location inside ``source``."""

    value: object
    where: str
    source: Source

    def error(self, message: str) -> RoadmapError:
        where = self.where.removesuffix(" ->")
        place = f": {where}" if where else ""
        return RoadmapError(f"{self.source.name}{place}: {message}")

    def child(self, key: str) -> str:
        """The place of ``key`` inside this node: ``weeks[4] (week05) -> resources``."""
        if not self.where:
            return key
        return f"{self.where} {key}" if self.where.endswith("->") else f"{self.where}.{key}"

    def mapping(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        """Check this is a mapping with ``required`` keys; warn on keys outside both lists."""
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {_kind(self.value)}")
        missing = [k for k in required if k not in self.value]
        if missing:
            raise self.error(f"missing key '{missing[0]}': add it")
        for key in self.value:
            if key not in required and key not in optional:
                place = self.child(str(key))
                self.source.warnings.append(f"{self.source.name}: {place}: unknown key, ignored")

    def get(self, key: str) -> Node:
        assert isinstance(self.value, dict)
        return Node(self.value.get(key), self.child(key), self.source)

    def items(self, label_key: str = "") -> Iterator[Node]:
        """The elements of a list, each labelled with its ``label_key`` value when it has one."""
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {_kind(self.value)}")
        for i, item in enumerate(self.value):
            label = ""
            if label_key and isinstance(item, dict) and isinstance(item.get(label_key), str):
                label = f" ({item[label_key]}) ->"
            yield Node(item, f"{self.where}[{i}]{label}", self.source)

    def text(self, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.error(f"expected {what or 'text'}, got {_show(self.value)}")
        if pattern is not None and not pattern.match(self.value):
            raise self.error(f"expected {what}, got {_show(self.value)}")
        return self.value.strip()

    def url(self) -> str:
        return self.text(URL, "a URL")

    def integer(self, low: int | None = None, high: int | None = None) -> int:
        v = self.value
        if not isinstance(v, int) or isinstance(v, bool):
            raise self.error(f"expected a whole number, got {_show(v)}")
        if (low is not None and v < low) or (high is not None and v > high):
            if high is None:
                raise self.error(f"expected a whole number of at least {low}, got {_show(v)}")
            raise self.error(f"expected a number from {low} to {high}, got {_show(v)}")
        return v

    def scalar(self, what: str) -> str:
        """A text or a number, as text (a version: ``1``, ``1.2`` or ``"1.2.0"``)."""
        v = self.value
        if isinstance(v, bool) or not isinstance(v, str | int | float) or not str(v).strip():
            raise self.error(f"expected {what}, got {_show(v)}")
        return str(v).strip()

    def number(self, low: float, high: float) -> float:
        v = self.value
        if not isinstance(v, int | float) or isinstance(v, bool) or not low <= v <= high:
            raise self.error(f"expected a number from {low:g} to {high:g}, got {_show(v)}")
        return float(v)

    def texts(self, allow_empty: bool = True) -> tuple[str, ...]:
        values = tuple(n.text() for n in self.items())
        if not values and not allow_empty:
            raise self.error("expected at least one entry, got an empty list")
        return values


def _kind(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


def _show(value: object) -> str:
    return "nothing" if value is None else brief(value)
