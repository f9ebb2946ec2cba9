"""Week 16: write the sales without personal data in the clear.

Run it from this folder, with PSEUDONYM_KEY in the environment (see .env.example):

    python pseudonymise.py

It reads data/raw/sales.csv and writes data/processed/sales.csv: the same rows in the same
order, without owner_name and owner_email, and with a new column owner_id holding the
pseudonym of the owner's e-mail address (app/privacy.py). Analysts and training jobs get
the processed file; the raw one stays where few people can read it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from app.privacy import pseudonym

HERE = Path(__file__).resolve().parent
RAW = HERE / "data" / "raw" / "sales.csv"
PROCESSED = HERE / "data" / "processed" / "sales.csv"
PERSONAL = ["owner_name", "owner_email"]


def main() -> int:
    # TODO(week 16): refuse to run without a key: call app.privacy.pseudonym_key() first (it
    #   raises when PSEUDONYM_KEY is missing), so nothing is ever written unprotected.
    sales = pd.read_csv(RAW)
    sales.insert(1, "owner_id", sales["owner_email"].map(pseudonym))
    # TODO(week 16): drop the PERSONAL columns: the owner_id is all analysts need (data
    #   minimisation), and a name kept next to its pseudonym undoes the pseudonymisation.
    PROCESSED.parent.mkdir(parents=True, exist_ok=True)
    sales.to_csv(PROCESSED, index=False)
    print(f"Wrote {len(sales)} sales of {sales['owner_id'].nunique()} owners to {PROCESSED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
