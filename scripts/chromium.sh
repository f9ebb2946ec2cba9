#!/usr/bin/env bash
# Put a headless browser on this machine for the class report's slow test: Debian's `chromium`.
#
# Does nothing when /usr/bin/chromium is already there. Otherwise, as root, installs it with
# apt-get (quietly, no recommended packages, refreshing the package lists only when needed).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium.sh: /usr/bin/chromium is missing; run this as root (or apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
get_chromium() { apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }
get_chromium 2>/dev/null || { apt-get update -qq >/dev/null && get_chromium; }
/usr/bin/chromium --version
