#!/usr/bin/env bash
# The Airflow environment of weeks 7, 8 and 12 (.tools/airflow-venv, or the folder given): Airflow 3
# cannot share an environment with kserve (psutil pins), so the checks of those weeks run the
# learner's DAGs with its python. `course verify` and CI find it through
# MLOPS_ROADMAP_AIRFLOW_VENV (export MLOPS_ROADMAP_AIRFLOW_VENV="$PWD/.tools/airflow-venv").
# Installs the pins the weeks' scaffolds give learners (templates/week*/requirements-airflow.txt),
# from PyPI only; does nothing when they are already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.tools/airflow-venv}
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"  # test workers may ask for it at the same time: one installs, the others wait
flock 9
requirements=(templates/week*/requirements-airflow.txt)
stamp="$venv/.requirements.sha256"
wanted=$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  exit 0
fi
args=()
for file in "${requirements[@]}"; do args+=(-r "$file"); done
if command -v uv >/dev/null 2>&1; then
  uv venv -q --allow-existing -p "${PYTHON:-python3}" "$venv"
  VIRTUAL_ENV="$venv" uv pip install -q "${args[@]}"
  VIRTUAL_ENV="$venv" uv pip check -q
else
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install -q "${args[@]}"
  "$venv/bin/pip" check
fi
echo "$wanted" >"$stamp"
"$venv/bin/python" -c "import airflow; print('Airflow', airflow.__version__, 'in $venv')"
