#!/usr/bin/env bash
# Week 13: delete everything deploy/setup.sh made (the instance first, the bucket last).
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/aws_deploy.py down
