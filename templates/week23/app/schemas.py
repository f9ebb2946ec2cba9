"""The API contract: what a valid request and a response look like.

FastAPI validates every request body against these models before your code runs, answers 422
with the failing fields when it does not fit, and publishes them at /docs and /openapi.json.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The categories the model was trained on (data/raw/train.csv). Anything else is rejected.
Neighborhood = Literal[
    "Blmngtn", "Blueste", "BrDale", "BrkSide", "ClearCr", "CollgCr", "Crawfor", "Edwards",
    "Gilbert", "Greens", "GrnHill", "IDOTRR", "Landmrk", "MeadowV", "Mitchel", "NAmes",
    "NPkVill", "NWAmes", "NoRidge", "NridgHt", "OldTown", "SWISU", "Sawyer", "SawyerW",
    "Somerst", "StoneBr", "Timber", "Veenker",
]  # fmt: skip
BuildingType = Literal["1Fam", "2fmCon", "Duplex", "Twnhs", "TwnhsE"]


class House(BaseModel):
    """One house, with the 13 columns the model was trained on, each in a sensible range."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not ignored

    # Ranges: the training data (df.describe()) with room to spare, and common sense.
    area: float = Field(gt=0, le=10_000, description="Above-ground living area, sq ft")
    lot_area: float = Field(gt=0, le=1_000_000, description="Lot size, sq ft")
    overall_qual: int = Field(ge=1, le=10, description="Overall material and finish, 1 to 10")
    overall_cond: int = Field(ge=1, le=10, description="Overall condition, 1 to 10")
    year_built: int = Field(ge=1800, le=2100)
    year_remod: int = Field(ge=1800, le=2100, description="Remodelling year")
    total_bsmt_sf: float = Field(ge=0, le=10_000, description="Total basement area, sq ft")
    bedrooms: int = Field(ge=0, le=20)
    full_bath: int = Field(ge=0, le=10)
    garage_cars: int = Field(ge=0, le=10, description="Garage size in car capacity")
    fireplaces: int = Field(ge=0, le=10)
    neighborhood: Neighborhood
    building_type: BuildingType


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    houses: list[House] = Field(min_length=1, max_length=1000)


class PredictResponse(BaseModel):
    predictions: list[float]
    model_version: str
