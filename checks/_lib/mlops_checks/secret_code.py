"""Hard-coded secrets a Python file gives as fallbacks, found by reading it as code (``ast``).

A secret read from the environment must have no value in code: not as a default
(``os.environ.get("JWT_SECRET", "...")``, ``getenv("X") or "..."``, ``... if ... else "..."``),
not as a settings class's default (pydantic-settings: ``jwt_secret: str = "..."``,
``Field(default="...")``, ``SecretStr("...")``), not as a default of a parameter named for a
secret. A name holds a secret when it says so (secret, password, token, key,
credentials) and is not about one (JWT_SECRET_TTL, TOKEN_ALGORITHM, API_KEY_FILE).
"""

from __future__ import annotations

import ast
import re

SECRET_NAME = re.compile(r"(?i)secret|passw|pwd|token|key|credential")
NOT_SECRET = re.compile(
    r"(?i)(ttl|minutes?|seconds?|hours?|expir\w*|lifetime|alg\w*|length|len|path|file|dir|url"
    r"|uri|name|header|type|issuer|audience|scheme|prefix|id)$"
)
ENV_READS = {"get", "getenv", "setdefault", "pop"}  # os.environ.get(...), config.get(...)
WRAPPERS = {"Field", "SecretStr", "SecretBytes"}  # pydantic's ways of giving a default


def placeholder(value: str) -> bool:
    """Values that only point at a secret: empty, $VAR, ${VAR}, <fill me in>, {{ x }}, ****,
    or the name of another variable."""
    value = value.strip().strip("\"'")
    return (
        not value
        or value[0] in "$<{%"
        or len(set(value)) <= 2
        or re.fullmatch(r"[A-Z][A-Z0-9_]*", value) is not None
        or value.lower() in {"none", "null", "true", "false"}
    )


def secret_name(name: str) -> bool:
    """A name that holds a secret (JWT_SECRET, api_key), not one about it (JWT_SECRET_TTL)."""
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET.search(name)


def literal(node: ast.AST | None) -> str | None:
    """A string constant that could be a secret (not a placeholder, not a number)."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") in WRAPPERS:
        given = node.args[:1] + [k.value for k in node.keywords if k.arg == "default"]
        node = given[0] if given else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        value = node.value.strip()
        if not placeholder(value) and not value.replace(".", "").isdigit():
            return node.value
    return None


def env_read(node: ast.AST) -> str | None:
    """The secret-like name a call reads (os.environ.get("X"), getenv("X"), os.environ["X"],
    settings.get("x")), or None."""
    key: ast.AST | None = None
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        key = node.args[0] if called in ENV_READS else None
    elif isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
        key = node.slice
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and secret_name(key.value):
        return key.value
    return None


def reads_in(node: ast.AST) -> list[str]:
    return [name for sub in ast.walk(node) if (name := env_read(sub))]


def fallback_parts(node: ast.AST) -> tuple[str, list[ast.AST | None]]:
    """What kind of fallback ``node`` would be, and the nodes that would be its value."""
    if isinstance(node, ast.Call) and (name := env_read(node)):
        given = node.args[1:2] + [k.value for k in node.keywords if k.arg == "default"]
        return f"a hard-coded fallback for the environment variable {name}", list(given)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and (names := reads_in(node)):
        return f'a hard-coded fallback (`or "..."`) for {names[0]}', list(node.values)
    if isinstance(node, ast.IfExp):
        # One branch reads the secret, the other gives it a value.
        for read, other in ((node.body, node.orelse), (node.orelse, node.body)):
            if names := reads_in(read):
                return f'a hard-coded fallback (`... if ... else "..."`) for {names[0]}', [other]
    if isinstance(node, (ast.AnnAssign, ast.Assign)) and node.value is not None:
        # A settings class's default; `SECRET = "..."` is the line rules' (a literal assigned).
        wrapped = isinstance(node.value, ast.Call) or isinstance(node, ast.AnnAssign)
        targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
        names = [n for t in targets if secret_name(n := ast.unparse(t).split(".")[-1])]
        if names and wrapped:
            return f"a hard-coded default for {names[0]}", [node.value]
    return "", []


def fallback_of(node: ast.AST) -> tuple[str, str] | None:
    """(what, value) when ``node`` gives a secret a hard-coded value."""
    what, candidates = fallback_parts(node)
    value = next((v for v in map(literal, candidates) if v), None)
    return (what, value) if what and value else None


def parameter_defaults(node: ast.AST) -> list[tuple[int, str, str]]:
    """Secret-looking string defaults of a function's parameters (def secret(x="..."))."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    args = node.args.posonlyargs + node.args.args
    pairs = list(zip(args[len(args) - len(node.args.defaults) :], node.args.defaults, strict=True))
    kw_pairs = zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
    pairs += [(a, d) for a, d in kw_pairs if d is not None]
    return [
        (d.lineno, f"a hard-coded default for the parameter {a.arg} of {node.name}()", v)
        for a, d in pairs
        if secret_name(a.arg) and (v := literal(d))
    ]


def fallbacks(text: str) -> list[tuple[int, str, str]]:
    """(line, what, value) for each hard-coded secret a Python file gives as a fallback."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []  # not Python this interpreter reads: the line rules still apply
    found = []
    for node in ast.walk(tree):
        found += parameter_defaults(node)
        hit = fallback_of(node)
        if hit:
            found.append((getattr(node, "lineno", 1), *hit))
    return found
