# What a finished learner has run beyond writing files: the quickstart, in the week folder, so
# that its store (mlflow.db, as env.sh declares) holds the run the results cite.
source env.sh
make demo
