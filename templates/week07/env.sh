# Source this in every terminal you use for this week: `source env.sh`
# It keeps Airflow's state inside the week folder, loads only your DAGs, and activates the
# Airflow environment (made in the workspace root, see the lesson's step 1).
export AIRFLOW_HOME="$PWD/airflow-home"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
if [ -f "$PWD/../.venv-airflow/bin/activate" ]; then
  source "$PWD/../.venv-airflow/bin/activate"
fi
