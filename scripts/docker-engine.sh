#!/usr/bin/env bash
# Make sure a Docker engine answers, for week 4's checks and the slow tests.
#
# Does nothing when an engine already answers at $DOCKER_HOST (a unix socket) or at
# /var/run/docker.sock. Otherwise, as root, installs Debian's docker.io when dockerd is missing
# and starts dockerd in the background (no systemd needed), waits until it answers, and leaves
# it running. Its log is /var/log/mlops-roadmap-dockerd.log; stop it with
# `kill "$(cat /var/run/docker.pid)"`.
#
# Settings (environment): DOCKERD_STORAGE_DRIVER (overlay2; vfs works where overlay2 cannot,
# about 10x slower), DOCKERD_DATA_ROOT (/var/lib/docker), DOCKERD_WAIT (seconds, 30).
set -euo pipefail

HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
DRIVER=${DOCKERD_STORAGE_DRIVER:-overlay2}
DATA_ROOT=${DOCKERD_DATA_ROOT:-/var/lib/docker}
EXEC_ROOT=/var/run/docker-exec
PIDFILE=/var/run/docker.pid
LOG=/var/log/mlops-roadmap-dockerd.log
WAIT=${DOCKERD_WAIT:-30}

case "$HOST" in
  unix://*) SOCKET=${HOST#unix://} ;;
  *) echo "docker-engine.sh: DOCKER_HOST=$HOST is not a unix socket; start that engine yourself" >&2
     exit 1 ;;
esac

# The same question the course's docker probe asks: does GET /_ping on the socket answer 200?
answers() {
  [ -S "$SOCKET" ] || return 1
  python3 - "$SOCKET" <<'EOF' 2>/dev/null
import socket, sys
with socket.socket(socket.AF_UNIX) as s:
    s.settimeout(3)
    s.connect(sys.argv[1])
    s.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
    sys.exit(0 if b" 200 " in s.recv(256).split(b"\r\n", 1)[0] else 1)
EOF
}

if answers; then
  echo "docker engine: answering at $SOCKET"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docker-engine.sh: no engine answers at $SOCKET, and starting dockerd needs root" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker engine: installing Debian's docker.io"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
# A dockerd from an earlier start that no longer answers (killed engine, stale socket).
if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "docker-engine.sh: dockerd (pid $(cat "$PIDFILE")) runs but does not answer at $SOCKET;" \
    "see $LOG" >&2
  exit 1
fi
rm -f "$PIDFILE" "$SOCKET"
mkdir -p "$DATA_ROOT" "$EXEC_ROOT" "$(dirname "$SOCKET")"
echo "docker engine: starting dockerd ($DRIVER, data in $DATA_ROOT, log in $LOG)"
# setsid: the engine must outlive this script and its caller's process group.
setsid dockerd --storage-driver="$DRIVER" --data-root="$DATA_ROOT" --exec-root="$EXEC_ROOT" \
  --pidfile="$PIDFILE" -H "unix://$SOCKET" </dev/null >>"$LOG" 2>&1 &
started=$!
for _ in $(seq $((WAIT * 5))); do
  if answers; then
    echo "docker engine: answering at $SOCKET (pid $started)"
    exit 0
  fi
  if ! kill -0 "$started" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
echo "docker-engine.sh: dockerd did not answer at $SOCKET within ${WAIT}s; its log ends:" >&2
tail -n 15 "$LOG" >&2
exit 1
