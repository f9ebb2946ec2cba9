#!/usr/bin/env bash
# Week 13: make the bucket, upload the model and the app, then the role, the firewall and the
# instance. `mlops-roadmap check` runs it against an emulated AWS; you run it against yours.
set -euo pipefail
cd "$(dirname "$0")/.."
python scripts/aws_deploy.py up
