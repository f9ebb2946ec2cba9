#!/usr/bin/env bash
# Put Prometheus' promtool on this machine without running the Prometheus service:
# Debian's `prometheus` package, downloaded and unpacked, its promtool linked into .venv/bin.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/promtool ] || command -v promtool >/dev/null 2>&1; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download prometheus >/dev/null 2>&1) \
  || { apt-get update -qq >/dev/null && (cd "$work" && apt-get download prometheus >/dev/null); }
mkdir -p .tools
dpkg-deb -x "$work"/prometheus_*.deb .tools/prometheus
ln -sf "$PWD/.tools/prometheus/usr/bin/promtool" .venv/bin/promtool
.venv/bin/promtool --version | head -1
