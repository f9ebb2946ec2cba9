"""A custom KServe model for the full Ames pipeline (named and categorical features).

Run locally (after `python train.py`): python model_server.py --model_path models/linear.joblib
Then: curl localhost:8080/v1/models/ames-price  and the requests in the lesson.
"""
import argparse
import logging
import uuid

import joblib
import numpy as np
import pandas as pd
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer
from kserve.errors import InvalidInput

NUMERIC = ["area", "lot_area", "overall_qual", "overall_cond", "year_built", "year_remod",
           "total_bsmt_sf", "bedrooms", "full_bath", "garage_cars", "fireplaces"]
TEXT = ["neighborhood", "building_type"]
COLUMNS = NUMERIC + TEXT
MAX_HOUSES = 1000

# A child of KServe's own logger, so its lines go where the server's go.
log = logging.getLogger("kserve.ames_price")


def checked(frame: pd.DataFrame) -> pd.DataFrame:
    """The 13 feature columns in training order, or InvalidInput (a 400) saying what is wrong."""
    if not 1 <= len(frame) <= MAX_HOUSES:
        raise InvalidInput(f"send 1 to {MAX_HOUSES} houses, not {len(frame)}")
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(f"missing feature(s): {', '.join(missing)}")
    frame = frame[COLUMNS]
    empty = [c for c in COLUMNS if frame[c].isna().any()]
    if empty:
        raise InvalidInput(f"missing value(s) in: {', '.join(empty)}")
    not_numbers = [
        c for c in NUMERIC
        if pd.api.types.is_bool_dtype(frame[c]) or not pd.api.types.is_numeric_dtype(frame[c])
    ]
    if not_numbers:
        raise InvalidInput(f"not numbers: {', '.join(not_numbers)}")
    not_text = [c for c in TEXT if not all(isinstance(v, str) for v in frame[c])]
    if not_text:
        raise InvalidInput(f"not text: {', '.join(not_text)}")
    return frame


def frame_from_instances(payload: object) -> pd.DataFrame:
    """V1: {"instances": [{"area": ..., ...}, ...]}, one object per house."""
    instances = payload.get("instances") if isinstance(payload, dict) else None
    if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
        raise InvalidInput('a V1 request is {"instances": [{"area": ..., ...}, ...]}: '
                           "one object per house, named features")
    return checked(pd.DataFrame(instances))


def frame_from_tensors(payload: InferRequest) -> pd.DataFrame:
    """V2: one tensor per feature, each holding one value per house."""
    columns = {}
    for tensor in payload.inputs:
        try:
            values = tensor.as_numpy().reshape(-1)
        except ValueError as exc:  # data that does not fit the tensor's shape
            raise InvalidInput(f"input {tensor.name}: {exc}") from None
        if values.dtype == object:  # BYTES may arrive as bytes
            values = np.array([v.decode() if isinstance(v, bytes) else v for v in values],
                              dtype=object)
        columns[tensor.name] = values
    if len({len(v) for v in columns.values()}) > 1:
        raise InvalidInput("every input tensor must hold one value per house")
    return checked(pd.DataFrame(columns))


class AmesPrice(Model):
    def __init__(self, name: str, path: str):
        super().__init__(name)
        self.path = path
        self.load()

    def load(self) -> bool:
        self.pipeline = joblib.load(self.path)
        self.ready = True
        log.info("loaded %s", self.path)
        return self.ready

    def predict(self, payload, headers=None):
        v2 = isinstance(payload, InferRequest)
        try:
            frame = frame_from_tensors(payload) if v2 else frame_from_instances(payload)
        except InvalidInput as refused:
            # What was wrong, never the houses themselves.
            log.warning("refused a %s request: %s", "V2" if v2 else "V1", refused)
            raise
        prices = self.pipeline.predict(frame).astype(np.float64)
        log.info("priced %d house(s) (%s)", len(prices), "V2" if v2 else "V1")
        if not v2:
            return {"predictions": prices.tolist()}
        out = InferOutput(name="price", shape=[len(prices)], datatype="FP64")
        out.set_data_from_numpy(prices, binary_data=False)
        return InferResponse(model_name=self.name, infer_outputs=[out],
                             response_id=payload.id or str(uuid.uuid4()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_name", default="ames-price")
    parser.add_argument("--model_path", default="models/linear.joblib")
    parser.add_argument("--http_port", type=int, default=8080)
    args = parser.parse_args()
    model = AmesPrice(args.model_name, args.model_path)
    ModelServer(http_port=args.http_port, enable_grpc=False).start([model])
