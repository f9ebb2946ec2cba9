# Source this in every terminal you use for this week: `source env.sh`
# It keeps Airflow's state inside the week folder and loads only your DAGs.
export AIRFLOW_HOME="$PWD/airflow-home"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# Uncomment once you have created the Airflow virtual environment (see the lesson):
# source "$PWD/.venv-airflow/bin/activate"
