#!/usr/bin/env bash
# Make .venv with mlops-roadmap and everything its tests and weeks 1-2 need.
# Uses uv when it can (seconds), else pip (minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import mlops_roadmap, sklearn" 2>/dev/null; then
  if command -v uv >/dev/null 2>&1 || "$PY" -m pip install -q uv >/dev/null 2>&1; then
    UV=$(command -v uv || echo "$PY -m uv")
    $UV venv -q --allow-existing -p "$PY" .venv
    VIRTUAL_ENV=$PWD/.venv $UV pip install -q -e '.[dev]'
  else
    "$PY" -m venv .venv
    .venv/bin/python -m pip install -q -e '.[dev]'
  fi
fi
