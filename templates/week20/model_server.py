"""A custom KServe model for the full Ames pipeline (named and categorical features).

Run locally (after `python train.py`): python model_server.py --model_path models/linear.joblib
Then: curl localhost:8080/v1/models/ames-price  and the requests in the lesson.
"""
import argparse

import joblib
import pandas as pd
from kserve import InferRequest, Model, ModelServer

COLUMNS = ["area", "lot_area", "overall_qual", "overall_cond", "year_built", "year_remod",
           "total_bsmt_sf", "bedrooms", "full_bath", "garage_cars", "fireplaces",
           "neighborhood", "building_type"]


class AmesPrice(Model):
    def __init__(self, name: str, path: str):
        super().__init__(name)
        self.path = path
        self.load()

    def load(self) -> bool:
        self.pipeline = joblib.load(self.path)
        self.ready = True
        return self.ready

    def predict(self, payload, headers=None):
        if isinstance(payload, InferRequest):
            # TODO (V2): build a DataFrame with one column per input tensor (tensor.name,
            #   tensor.as_numpy(), decoding BYTES to str), predict, and return an
            #   InferResponse with one FP64 InferOutput named "price" and a response id
            raise NotImplementedError("V2 inference")
        # TODO: validate before predicting (lesson, step 2): a missing column, text where a
        #   number belongs or no "instances" must be a 400 (kserve.errors.InvalidInput), not a
        #   500 KeyError; log what was wrong, never the houses themselves.
        frame = pd.DataFrame(payload["instances"])  # V1: {"instances": [{...}, {...}]}
        return {"predictions": self.pipeline.predict(frame[COLUMNS]).tolist()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_name", default="ames-price")
    parser.add_argument("--model_path", default="models/linear.joblib")
    parser.add_argument("--http_port", type=int, default=8080)
    args = parser.parse_args()
    model = AmesPrice(args.model_name, args.model_path)
    ModelServer(http_port=args.http_port, enable_grpc=False).start([model])
