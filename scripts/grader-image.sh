#!/usr/bin/env bash
# Build the grading image, mlops-roadmap/grader:<version>-<hash>, when it is missing.
#
# The engine and the course (roadmap.yaml, lessons, templates, checks; never solutions/) on the
# course base image, with the engine's few pure-Python dependencies from PyPI. The tag's hash
# covers every file that goes in, so a changed check means a new image. Prints the tag.
# Needs a running engine (scripts/docker-engine.sh) and the base image (scripts/base-image.sh).
# Pass --rebuild to build it afresh (no layer cache) even when the tag exists; $MLOPS_ROADMAP_COURSE picks
# another course folder.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
if [ "${1:-}" = "--rebuild" ]; then call="build(fresh=True)"; else call="ensure_image()"; fi
started=$SECONDS
tag=$("$PYTHON" -c "from mlops_roadmap.grading import image; print(image.$call)")
echo "grading image: $tag ($((SECONDS - started)) s)" >&2
echo "$tag"
