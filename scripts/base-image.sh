#!/usr/bin/env bash
# Build the course's base image, mlops-roadmap/python:3.11-bookworm, without Docker Hub.
#
# Debian bookworm's Python 3.11 with, from Debian's own packages, everything week 4's training
# and serving images need: scikit-learn, pandas, joblib, FastAPI and uvicorn (plus pip and
# venv, and this machine's CA bundle, for learners who pip install). The Dockerfiles built on
# it then only copy the learner's own code, so building them needs no network at all.
#
# Made with debootstrap, apt-get in a chroot and `docker import` (about 2 minutes).
# Idempotent: does nothing when the image exists (pass --rebuild to make it again). Needs root,
# a Debian mirror ($DEBIAN_MIRROR, default http://deb.debian.org/debian) and a running engine
# (scripts/docker-engine.sh).
set -euo pipefail

TAG=${BASE_IMAGE_TAG:-mlops-roadmap/python:3.11-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
BASE=(python3 python-is-python3 ca-certificates)
PACKAGES=(
  python3-venv python3-pip
  python3-sklearn python3-pandas python3-joblib
  python3-fastapi python3-uvicorn uvicorn
)

if [ "${1:-}" != "--rebuild" ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base image: $TAG already exists"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "base-image.sh: debootstrap needs root" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "base image: installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

rootfs=$(mktemp -d /var/tmp/mlops-roadmap-rootfs.XXXXXX)
log=$(mktemp /var/tmp/mlops-roadmap-base-image.XXXXXX)
trap 'rm -rf "$rootfs" "$log" "$rootfs.deb"' EXIT
quietly() {
  "$@" >>"$log" 2>&1 || { echo "base-image.sh: failed: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
}
started=$SECONDS

echo "base image: debootstrap $SUITE from $MIRROR"
quietly debootstrap --variant=minbase --include="$(IFS=,; echo "${BASE[*]}")" \
  "$SUITE" "$rootfs" "$MIRROR"

# bookworm's python3-scipy depends on python3-pythran, which drags in g++, Boost and the BLAS
# headers (about 450 MB) although scipy only needs it to build, never to run (trixie dropped
# the dependency). An empty package of that name satisfies it.
mkdir -p "$rootfs.deb/DEBIAN"
cat >"$rootfs.deb/DEBIAN/control" <<'EOF'
Package: python3-pythran
Version: 0~mlops-roadmap
Architecture: all
Maintainer: mlops-roadmap <noreply@example.invalid>
Description: placeholder: scipy needs pythran to build, not to run
EOF
quietly dpkg-deb --build "$rootfs.deb" "$rootfs/tmp/python3-pythran.deb"

echo "base image: apt-get install ${PACKAGES[*]}"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
quietly chroot "$rootfs" dpkg -i /tmp/python3-pythran.deb
quietly chroot "$rootfs" apt-get update
quietly chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
quietly chroot "$rootfs" apt-mark hold python3-pythran

# This machine's CA bundle, so pip inside a build trusts what the host trusts (a proxy's CA).
if [ -s "$CA_BUNDLE" ]; then
  cp "$CA_BUNDLE" "$rootfs/etc/ssl/certs/ca-certificates.crt"
fi
# What an image never needs at run time: package caches and lists, documentation (the
# copyright files stay), the libraries' own test suites, and this machine's resolver.
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
find "$rootfs/usr/lib/python3/dist-packages" -depth -type d -name tests \
  \( -path '*/pandas/*' -o -path '*/scipy/*' -o -path '*/sklearn/*' -o -path '*/numpy/*' \) \
  -exec rm -rf {} +
: >"$rootfs/etc/resolv.conf"

echo "base image: importing as $TAG"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV PIP_CERT=$CA_BUNDLE SSL_CERT_FILE=$CA_BUNDLE REQUESTS_CA_BUNDLE=$CA_BUNDLE" \
  --change 'LABEL org.opencontainers.image.description="Debian bookworm, Python 3.11, scikit-learn, pandas, FastAPI (mlops-roadmap)"' \
  --change 'CMD ["python3"]' \
  - "$TAG" >/dev/null
size=$(docker image inspect --format '{{.Size}}' "$TAG")
echo "base image: $TAG built in $((SECONDS - started)) s, $((size / 1000000)) MB"
