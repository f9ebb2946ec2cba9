"""The API contract: what a valid request and response look like (week 9)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The 28 neighbourhoods of the Ames data: anything else is rejected with 422.
Neighborhood = Literal[
    "Blmngtn", "Blueste", "BrDale", "BrkSide", "ClearCr", "CollgCr", "Crawfor", "Edwards",
    "Gilbert", "Greens", "GrnHill", "IDOTRR", "Landmrk", "MeadowV", "Mitchel", "NAmes",
    "NPkVill", "NWAmes", "NoRidge", "NridgHt", "OldTown", "SWISU", "Sawyer", "SawyerW",
    "Somerst", "StoneBr", "Timber", "Veenker",
]  # fmt: skip
BuildingType = Literal["1Fam", "2fmCon", "Duplex", "Twnhs", "TwnhsE"]


class House(BaseModel):
    """One house: the 13 feature columns of data/raw/train.csv (no price, no personal data)."""

    model_config = ConfigDict(extra="forbid")  # unknown fields are an error, not ignored

    area: float = Field(gt=0, le=10_000, description="above-ground living area, sq ft")
    lot_area: float = Field(gt=0, le=250_000)
    overall_qual: int = Field(ge=1, le=10)
    overall_cond: int = Field(ge=1, le=10)
    year_built: int = Field(ge=1800, le=2100)
    year_remod: int = Field(ge=1800, le=2100)
    total_bsmt_sf: float = Field(ge=0, le=10_000)
    bedrooms: int = Field(ge=0, le=20)
    full_bath: int = Field(ge=0, le=10)
    garage_cars: int = Field(ge=0, le=10)
    fireplaces: int = Field(ge=0, le=10)
    neighborhood: Neighborhood
    building_type: BuildingType


class PredictRequest(BaseModel):
    houses: list[House] = Field(min_length=1, max_length=1000)


class PredictResponse(BaseModel):
    predictions: list[float]
