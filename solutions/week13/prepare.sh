# What a finished learner has run beyond writing the scripts: the model the upload sends.
python train.py
