"""A Terraform root module read as data with python-hcl2 (8.x), without Terraform.

python-hcl2 8 keeps HCL's quotes: a literal string is ``'"eu-west-1"'``, an expression is
``'${var.region}'``, a template ``'"http://${aws_instance.api.public_dns}:8000"'``; block
labels keep theirs too (``'"aws_s3_bucket"'``). Here labels lose their quotes, values keep
them, and `literal` / `expression` tell the two apart. Only the root module's own ``*.tf``
files are read: a module's resources stay inside the module.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFERENCE = re.compile(
    r"(?<![\w.\-])((?:data\.[a-z0-9_]+|var|local|module|aws_[a-z0-9_]+)\.[A-Za-z_][\w-]*)"
)


def unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def literal(value: Any) -> str | None:
    """A literal string's text, or None for an expression, a template or anything else."""
    if not isinstance(value, str) or "${" in value or not value.startswith('"'):
        return None
    return heredoc(unquote(value))


def heredoc(text: str) -> str:
    """A heredoc's body (``<<EOT`` or the indented ``<<-EOT``), else the text as it is."""
    if not text.startswith("<<"):
        return text
    first, _, rest = text.partition("\n")
    body = rest.rsplit("\n", 1)[0] + "\n"
    return textwrap.dedent(body) if first.startswith("<<-") else body


def expression(value: Any) -> str:
    """An expression's source: ``${var.x}`` -> ``var.x``; a quoted template stays quoted."""
    text = value if isinstance(value, str) else repr(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def template(value: Any) -> str | None:
    """A quoted string (literal or template) without its quotes, heredocs opened."""
    if not isinstance(value, str) or not value.startswith('"'):
        return None
    return heredoc(unquote(value))


def references(value: Any) -> set[str]:
    """The addresses a value refers to: ``aws_s3_bucket.models``, ``var.x``, ``data.a.b``."""
    return set(REFERENCE.findall(str(value)))


def blocks(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The nested blocks ``key { ... }`` of a body (and a list of objects given as a value)."""
    value = body.get(key)
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [i for i in items if isinstance(i, dict)]


def clean(value: Any) -> Any:
    """A value with labels unquoted and hcl2's comment and block markers dropped."""
    if isinstance(value, dict):
        return {unquote(k): clean(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


@dataclass(frozen=True)
class Block:
    """A labelled top-level block: ``resource "aws_s3_bucket" "models"``, ``variable "x"``."""

    kind: str  # resource, data, variable, output, provider, module
    type: str  # the resource or data type ("" for the one-label kinds)
    name: str
    body: dict[str, Any]
    file: str

    @property
    def address(self) -> str:
        """How other blocks refer to it: ``aws_s3_bucket.models``, ``var.x``."""
        prefix = {"variable": "var.", "data": "data.", "output": "output.", "module": "module."}
        one = {"provider": "provider."}
        if self.kind in ("resource", "data"):
            return f"{prefix.get(self.kind, '')}{self.type}.{self.name}"
        return f"{prefix.get(self.kind, one.get(self.kind, ''))}{self.name}"

    def where(self) -> str:
        return f"{self.address} ({self.file})"


@dataclass(frozen=True)
class Config:
    """The root module: its blocks, `terraform` settings and locals, and what did not parse."""

    folder: Path
    files: tuple[str, ...]
    errors: tuple[str, ...]
    blocks: tuple[Block, ...]
    settings: tuple[dict[str, Any], ...] = ()  # each `terraform { ... }` block
    locals: dict[str, Any] = field(default_factory=dict)

    def of(self, kind: str, type_: str = "") -> list[Block]:
        return [b for b in self.blocks if b.kind == kind and (not type_ or b.type == type_)]

    def resources(self, type_: str) -> list[Block]:
        return self.of("resource", type_)

    def get(self, address: str) -> Block | None:
        return next((b for b in self.blocks if b.address == address), None)

    def pointing_at(self, type_: str, target: Block, attribute: str) -> list[Block]:
        """Resources of ``type_`` whose ``attribute`` refers to ``target``."""
        return [
            b
            for b in self.resources(type_)
            if target.address in references(resolve_locals(self, b.body.get(attribute, "")))
        ]


def resolve_locals(config: Config, value: Any, depth: int = 3) -> str:
    """A value's text with each ``local.x`` replaced by the local's own expression."""
    text = str(value)
    for _ in range(depth):
        names = [r for r in references(text) if r.startswith("local.")]
        if not names:
            break
        for ref in names:
            name = ref.split(".", 1)[1]
            if name in config.locals:
                text = text.replace(ref, f"({expression(config.locals[name])})")
    return text


LABELS = {"resource": 2, "data": 2, "variable": 1, "output": 1, "provider": 1, "module": 1}


def _labelled(kind: str, entry: dict[str, Any], file: str) -> list[Block]:
    found = []
    for first, inner in entry.items():
        if first.startswith("__") or not isinstance(inner, dict):
            continue
        if LABELS[kind] == 1:
            found.append(Block(kind, "", unquote(first), inner, file))
            continue
        for name, body in inner.items():
            if not name.startswith("__") and isinstance(body, dict):
                found.append(Block(kind, unquote(first), unquote(name), body, file))
    return found


def load(folder: Path) -> Config:
    """Every ``*.tf`` file of ``folder`` (not its subfolders), parsed; errors name the file."""
    import hcl2  # type: ignore[import-untyped,unused-ignore]

    files = sorted(p for p in folder.glob("*.tf") if p.is_file())
    errors, found, settings, local_values = [], [], [], {}
    for path in files:
        try:
            parsed = hcl2.loads(path.read_text(encoding="utf-8"))
        except Exception as exc:  # lark's parse errors have no common base with the rest
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            errors.append(f"{path.name}: does not parse: {first}")
            continue
        for kind, entries in parsed.items():
            for entry in entries if isinstance(entries, list) else []:
                if kind in LABELS and isinstance(entry, dict):
                    found += _labelled(kind, entry, path.name)
                elif kind == "terraform" and isinstance(entry, dict):
                    settings.append(entry)
                elif kind == "locals" and isinstance(entry, dict):
                    local_values.update({k: v for k, v in entry.items() if not k.startswith("__")})
    names = tuple(p.name for p in files)
    return Config(folder, names, tuple(errors), tuple(found), tuple(settings), local_values)
