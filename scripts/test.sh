#!/usr/bin/env bash
# Lint, type-check and run the tests. Extra arguments go to pytest
# (`scripts/test.sh -m slow` runs the slow suites).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check mlops_roadmap tests benchmarks checks
.venv/bin/ruff format --check mlops_roadmap tests benchmarks
.venv/bin/mypy
exec .venv/bin/python -m pytest -n 2 "$@"
