"""Mint a bearer token for trying the API by hand (a stand-in for a real identity provider).

    set -a; source .env; set +a
    TOKEN=$(python tools/mint_token.py --sub you@example.com --scope "predict")
    curl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
         -d '{"houses": [...]}' http://127.0.0.1:8000/predict
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import jwt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sub", default="dev@example.com", help="who the caller is")
    parser.add_argument("--scope", default="predict", help='space-separated: "predict admin"')
    parser.add_argument("--minutes", type=float, default=30, help="how long it is valid")
    args = parser.parse_args()
    secret = os.environ.get("JWT_SECRET", "")
    if not secret:
        parser.error("set JWT_SECRET first (see .env.example)")
    now = int(time.time())
    claims = {"sub": args.sub, "scope": args.scope, "iat": now, "exp": now + int(args.minutes * 60)}
    print(jwt.encode(claims, secret, algorithm="HS256"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
