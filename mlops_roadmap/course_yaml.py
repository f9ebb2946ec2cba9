"""roadmap.yaml's YAML, read strictly: every problem a ``RoadmapError`` with the line and the fix.

PyYAML's safe loader (libyaml's parser where present) with three more rules: a key given twice in
one mapping is an error (PyYAML keeps the last silently), a number of more than ``MAX_DIGITS``
digits is an error (Python refuses to convert 4,300), and the document may hold at most
``MAX_VALUES`` values once its aliases are expanded (an alias bomb: a few lines that expand to
billions of values).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mlops_roadmap.errors import RoadmapError, brief, clip

MAX_DIGITS = 100
MAX_VALUES = 100_000
MERGE = "tag:yaml.org,2002:merge"


def parse(text: str, name: str) -> object:
    """The YAML document in ``text`` (from the file ``name``) as plain Python values."""
    import yaml

    try:
        raw = yaml.load(text, Loader=_loader())
    except yaml.reader.ReaderError as exc:  # a control character such as a NUL byte
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise RoadmapError(
            f"{name}: line {line}, column {column}: not valid YAML: character "
            f"#x{exc.character:04x} is not allowed ({exc.reason}): remove it"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RoadmapError(f"{name}:{where}: not valid YAML: {problem}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. a date of month 13
        raise RoadmapError(f"{name}: not valid YAML: {clip(str(exc))}") from None
    _within_limit(raw, name)
    return raw


def _within_limit(raw: object, name: str) -> None:
    """Refuse a document of more than ``MAX_VALUES`` values, counting each alias's use."""
    left, stack = MAX_VALUES, [raw]
    while stack:
        value = stack.pop()
        left -= 1
        if left < 0:
            raise RoadmapError(
                f"{name}: more than {MAX_VALUES} values once its aliases (*name) are expanded: "
                "write the values out, or repeat fewer aliases"
            )
        if isinstance(value, dict):
            stack += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            stack += value


@cache
def _loader() -> type:
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present

    class Loader(base):  # type: ignore[misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            seen: dict[tuple[str, str], int] = {}
            for key, _ in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == MERGE:
                    continue
                first = seen.get((key.tag, key.value))
                seen.setdefault((key.tag, key.value), key.start_mark.line)
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"the key {brief(key.value)} is given twice (first on line {first + 1}): "
                        "keep one",
                        key.start_mark,
                    )
            return super().construct_mapping(node, deep)

        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except (ValueError, OverflowError) as exc:  # a date of month 13: say where
                raise yaml.constructor.ConstructorError(
                    None, None, clip(str(exc)), node.start_mark
                ) from None

        def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
            digits = sum(c.isdigit() for c in str(node.value))
            if digits > MAX_DIGITS:
                raise yaml.constructor.ConstructorError(
                    None, None, f"a number of {digits} digits: write a smaller one", node.start_mark
                )
            return super().construct_yaml_int(node)

    Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
    return Loader
