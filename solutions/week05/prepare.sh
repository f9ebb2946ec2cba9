# What a finished learner has run beyond writing train.py: two configurations, logged to the
# store env.sh names (mlflow.db in the week folder).
source env.sh
python train.py --model linear
python train.py --model ridge --alpha 10
