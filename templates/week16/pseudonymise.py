"""Replace direct identifiers with keyed pseudonyms before data is stored or used for training.

Usage: PSEUDONYM_KEY=... python pseudonymise.py data/sales_raw.csv data/sales.csv
The same input and key always give the same pseudonym (joins still work); without the key
nobody can recompute or reverse it. Keep the key in a secret manager, never in git.
"""
import hashlib
import hmac
import os
import sys

import pandas as pd

PSEUDONYMISE = ["seller_email", "buyer_name"]   # identifiers we still need to join on
DROP = ["address", "phone"]                     # data minimisation: not needed at all


def pseudonym(value: str, key: bytes) -> str:
    # TODO: normalise the value (strip, lower-case e-mails) and return the hex HMAC-SHA256
    raise NotImplementedError("pseudonym")


def main(src: str, dst: str) -> None:
    key = os.environ.get("PSEUDONYM_KEY", "").encode()
    if len(key) < 32:
        raise SystemExit("set PSEUDONYM_KEY to at least 32 random bytes, for example the "
                         "output of: python -c 'import secrets; print(secrets.token_hex(32))'")
    df = pd.read_csv(src)
    # TODO: drop DROP columns, map PSEUDONYMISE columns through pseudonym(), write dst
    raise SystemExit(f"TODO: pseudonymise {len(df)} rows into {dst}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
