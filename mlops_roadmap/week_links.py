"""What a week takes from the rest of the course, as roadmap.yaml declares it: the data files its
scaffold lays (``data``) and the week whose finished work the scaffold carries on
(``starts_from``). Existence is checked against the course folder later (``course``,
``lineage``); here only the shape, with errors that name the place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from mlops_roadmap.schema import Node

WEEK_ID = re.compile(r"^week[0-9]{2}$")  # ASCII digits: \d matches any script's


@dataclass(frozen=True)
class DataFile:
    """A course data file the scaffold lays: ``path`` in the week folder, ``source`` under data/."""

    path: str
    source: str


@dataclass(frozen=True)
class Lineage:
    """The week whose finished work this week's scaffold carries on, and the files that differ
    from it wholesale (``starts_from`` in roadmap.yaml)."""

    week: str
    differs: tuple[str, ...] = ()


def data(node: Node) -> tuple[DataFile, ...]:
    """A week's ``data``: path in the week folder -> file under the course's data/."""
    if node.value is None:
        return ()
    if not isinstance(node.value, dict):
        raise node.error(
            "expected a mapping of a path in the week folder to a file under data/, like "
            "'data/raw/train.csv: ames/train.csv'"
        )
    files = []
    for key, value in node.value.items():
        entry = Node(value, f'{node.where}["{key}"]', node.source)
        where = Node(key, entry.where, node.source)
        path = _relative(where, "the week folder", "data/raw/train.csv")
        if path == "README.md":
            raise entry.error("README.md is the week's lesson: lay the data under another name")
        files.append(DataFile(path, _relative(entry, "data/", "ames/train.csv")))
    return tuple(files)


def held_out(grading: Node) -> tuple[str, ...]:
    """``grading.held_out``: files under data/ that the checks judge with (held-out labels).

    The learner's code never reads them: no week may lay them, a graded sandbox never holds
    them, and checks read them only through the engine (``mlops_roadmap.answers``)."""
    if grading.value is None:
        return ()
    node = grading.get("held_out")
    if node.value is None:
        return ()
    if not isinstance(node.value, list):
        raise node.error("expected a list of files under data/, like ['ames/holdout.csv']")
    items = (Node(v, f"{node.where}[{i}]", node.source) for i, v in enumerate(node.value))
    files = tuple(_relative(item, "data/", "ames/holdout.csv") for item in items)
    return files


def starts_from(node: Node) -> Lineage | None:
    """A week's ``starts_from``: a week id, or ``{week: ..., differs: [...]}``."""
    if node.value is None:
        return None
    if isinstance(node.value, str):
        return Lineage(node.text(WEEK_ID, "a week id like 'week05'"))
    node.mapping(("week",), ("differs",))
    differs = node.get("differs")
    paths = () if differs.value is None else differs.items()
    return Lineage(
        node.get("week").text(WEEK_ID, "a week id like 'week05'"),
        tuple(_relative(n, "the week folder", "requirements.txt") for n in paths),
    )


def _relative(node: Node, inside: str, example: str) -> str:
    """A plain relative POSIX path that stays inside ``inside``."""
    value = node.text(what=f"a path relative to {inside}")
    path = PurePosixPath(value)
    if path.is_absolute():
        problem = "an absolute path"
    elif ".." in path.parts:
        problem = f"'..' leads out of {inside}"
    elif str(path) != value or "\\" in value:
        problem = "not a plain path"
    else:
        return value
    raise node.error(
        f"expected a path relative to {inside}, got {value!r} ({problem}): "
        f"write it like {example!r}"
    )


def check_starts(node: Node, weeks: list[tuple[str, Lineage | None]]) -> None:
    """Each ``starts_from`` names a week before its own (``weeks``: id and lineage, in order)."""
    for i, (item, (week, start)) in enumerate(zip(node.items("id"), weeks, strict=True)):
        earlier = [w for w, _ in weeks[:i]]
        if start is None or start.week in earlier:
            continue
        where = item.get("starts_from")
        where = where.get("week") if isinstance(where.value, dict) else where
        choice = f"there is none before {week}"
        if earlier:
            choice = earlier[0] if len(earlier) == 1 else f"{earlier[0]} to {earlier[-1]}"
        raise where.error(
            f"expected an earlier week ({choice}), got {start.week!r}: a scaffold "
            "starts from a week the learner has finished"
        )
