# What a finished learner has run beyond writing the scripts: two registered versions, then
# promote.py, which points the alias champion at the better one.
source env.sh
python train.py --model linear
python train.py --model ridge --alpha 10
python promote.py
