#!/usr/bin/env bash
# Lint, type-check and run the tests. Extra arguments go to pytest
# (`scripts/test.sh -m slow` runs the slow suites).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check mlops_roadmap tests benchmarks checks
.venv/bin/ruff format --check mlops_roadmap tests benchmarks checks
.venv/bin/mypy
# The course's checks, each week on its own (every week has a conftest.py of its own), with the
# course's shared check package on the path as the engine puts it there.
MYPYPATH=checks/_lib .venv/bin/mypy --strict --python-version 3.10 checks/_lib
for week in checks/week*/; do
  MYPYPATH="checks/_lib:$week" .venv/bin/mypy --strict --ignore-missing-imports \
    --python-version 3.10 --no-error-summary "$week"
done
exec .venv/bin/python -m pytest -n 2 --durations=60 "$@"
