# What a finished learner has run beyond writing the files: the tuning runs, tracked in the
# week folder's MLflow store, and the best child's model registered with the alias champion.
export MLFLOW_TRACKING_URI=sqlite:///mlflow.db
python tune.py
