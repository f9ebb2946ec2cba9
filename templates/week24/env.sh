# Source this from this folder in every terminal you use for this week: `source env.sh`
#
# MLFLOW_TRACKING_URI names the tracking store that your demo, `mlflow ui` and the course's
# checks all use. By default it is a SQLite file in this folder:
export MLFLOW_TRACKING_URI="sqlite:///$PWD/mlflow.db"
#
# To use your own tracking server instead, start it in another terminal of this folder
#   mlflow server --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1 --port 5000 --workers 1
# and, once http://127.0.0.1:5000/health answers OK, uncomment this line (the last one wins):
# export MLFLOW_TRACKING_URI="http://127.0.0.1:5000"
