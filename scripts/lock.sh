#!/usr/bin/env bash
# Renew constraints.txt: resolve the project's dev extra afresh (newest versions) in a scratch
# environment and write what was installed. Then run the tests: reference solutions that cite a
# model's numbers (week 24's PORTFOLIO.md) may need the new numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
uv venv -q -p "$PY" "$scratch/venv"
VIRTUAL_ENV=$scratch/venv uv pip install -q -e '.[dev]'
{
  sed -n '1,2p' constraints.txt
  uv pip freeze --python "$scratch/venv/bin/python" --exclude-editable 2>/dev/null
} > "$scratch/constraints.txt"
mv "$scratch/constraints.txt" constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages"
