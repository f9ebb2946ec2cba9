#!/usr/bin/env bash
# A learner's first steps: install, make a workspace, start week 1, check it, see the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
ws=${1:-$(mktemp -d)/my-mlops}
set -x
mlops-roadmap init "$ws"
cd "$ws"
mlops-roadmap start week 1
cd week01-python-data-science
mlops-roadmap check || true   # a fresh scaffold fails its checks: they say what to do
mlops-roadmap hint
mlops-roadmap status
