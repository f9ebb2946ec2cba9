"""ML Pipelines with Kubeflow Pipelines (week18): load -> train -> evaluate as a Kubeflow pipeline.

python pipeline.py   compiles pipeline.yaml and runs the pipeline locally (no cluster needed)
"""

import os
from pathlib import Path

from kfp import compiler, dsl, local
from kfp.dsl import Dataset, Input, Metrics, Model, Output

PACKAGES = ["pandas<3", "scikit-learn", "joblib"]  # installed in each component's container


@dsl.component(base_image="python:3.11-slim", packages_to_install=PACKAGES)
def load_data(source_dir: str, train: Output[Dataset], test: Output[Dataset]):
    import pandas as pd  # imports live inside: each component runs in its own process

    pd.read_csv(f"{source_dir}/train.csv").to_csv(train.path, index=False)
    pd.read_csv(f"{source_dir}/test.csv").to_csv(test.path, index=False)


@dsl.component(base_image="python:3.11-slim", packages_to_install=PACKAGES)
def train_model(train: Input[Dataset], alpha: float, model: Output[Model]):
    import joblib
    import pandas as pd
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df = pd.read_csv(train.path)
    prepare = ColumnTransformer(
        [
            ("numeric", StandardScaler(), make_column_selector(dtype_include="number")),
            ("text", OneHotEncoder(handle_unknown="ignore"),
             make_column_selector(dtype_exclude="number")),
        ]
    )
    pipe = Pipeline([("prepare", prepare), ("model", Ridge(alpha=alpha))])
    pipe.fit(df.drop(columns="price"), df["price"])
    joblib.dump(pipe, model.path)
    model.metadata["alpha"] = alpha
    model.metadata["framework"] = "scikit-learn"


@dsl.component(base_image="python:3.11-slim", packages_to_install=PACKAGES)
def evaluate(
    test: Input[Dataset], model: Input[Model], max_rmse: float, metrics: Output[Metrics]
) -> float:
    import math

    import joblib
    import pandas as pd

    df = pd.read_csv(test.path)
    pipe = joblib.load(model.path)
    errors = pipe.predict(df.drop(columns="price")) - df["price"]
    rmse = math.sqrt(float((errors**2).mean()))
    metrics.log_metric("rmse", rmse)
    if rmse > max_rmse:
        raise ValueError(f"RMSE {rmse:.0f} is above the gate {max_rmse:.0f}")
    return rmse


@dsl.pipeline(name="housing-training")
def housing_pipeline(source_dir: str, alpha: float = 1.0, max_rmse: float = 30000.0) -> float:
    data = load_data(source_dir=source_dir)
    trained = train_model(train=data.outputs["train"], alpha=alpha)
    scored = evaluate(test=data.outputs["test"], model=trained.outputs["model"], max_rmse=max_rmse)
    return scored.outputs["Output"]


if __name__ == "__main__":
    compiler.Compiler().compile(housing_pipeline, package_path="pipeline.yaml")
    os.environ.setdefault("PIP_NO_INDEX", "1")  # offline: the packages are installed already
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root="./kfp-local")
    housing_pipeline(source_dir=str(Path("data/raw").resolve()))
