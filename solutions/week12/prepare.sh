# The lesson step 1: the holdout and the two batches, made from data/raw/test.csv.
python make_batches.py
