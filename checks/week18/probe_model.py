"""Run in the learner's interpreter: load each Model artifact the pipeline wrote (argv[1], a JSON
list of paths) with joblib and predict the prices of each CSV of houses (argv[2], a JSON list;
a price column is dropped). Prints MARKER + JSON {"predictions": [[[...] per CSV] per model],
"error": "..."}.
"""

import json
import sys
import traceback

MARKER = "KFP-MODEL-JSON:"


def main() -> None:
    models, tables = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    answer: dict[str, object] = {"predictions": [], "error": ""}
    try:
        import joblib
        import pandas as pd

        frames = [pd.read_csv(t) for t in tables]
        frames = [f.drop(columns=["price"]) if "price" in f.columns else f for f in frames]
        answer["predictions"] = [
            [[float(p) for p in joblib.load(m).predict(f)] for f in frames] for m in models
        ]
    except Exception as exc:
        answer["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-800:]
    print(MARKER + json.dumps(answer))


main()
