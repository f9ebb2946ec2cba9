# Source this in every terminal of this week (`source env.sh`): the MLflow server terminal,
# the Airflow terminal and any shell where you run `airflow dags test`.
export AIRFLOW_HOME="$PWD/airflow-home"
export AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# The tracking server started with:
#   mlflow server --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000 --workers 1
export MLFLOW_TRACKING_URI="http://127.0.0.1:5000"
# The Airflow environment made in week 7 (the workspace root's .venv-airflow).
if [ -f "$PWD/../.venv-airflow/bin/activate" ]; then
  source "$PWD/../.venv-airflow/bin/activate"
fi
