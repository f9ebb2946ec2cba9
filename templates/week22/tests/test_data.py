"""Data tests: a broken delivery fails here, before an hour of training is spent on it.
Run them from the week folder: python -m pytest -q tests"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

HERE = Path(__file__).resolve().parent.parent
GATES = yaml.safe_load((HERE / "gates.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "raw" / "train.csv")


def test_required_columns(train: pd.DataFrame) -> None:
    assert set(GATES["schema"]["required_columns"]) <= set(train.columns)


def test_enough_rows(train: pd.DataFrame) -> None:
    assert len(train) >= GATES["schema"]["min_rows"]


def test_values_in_range(train: pd.DataFrame) -> None:
    assert train["price"].gt(0).all()
    assert train["area"].gt(0).all()
    assert train["overall_qual"].between(1, 10).all()


def test_no_missing_values(train: pd.DataFrame) -> None:
    required = GATES["schema"]["required_columns"]
    assert not train[required].isna().any().any()
