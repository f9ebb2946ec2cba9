"""The API contract: what a valid request and response look like."""
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# The 28 neighbourhoods of the Ames data: anything else is rejected with 422.
Neighborhood = Literal[
    "Blmngtn", "Blueste", "BrDale", "BrkSide", "ClearCr", "CollgCr", "Crawfor", "Edwards",
    "Gilbert", "Greens", "GrnHill", "IDOTRR", "Landmrk", "MeadowV", "Mitchel", "NAmes",
    "NPkVill", "NWAmes", "NoRidge", "NridgHt", "OldTown", "SWISU", "Sawyer", "SawyerW",
    "Somerst", "StoneBr", "Timber", "Veenker",
]
BuildingType = Literal["1Fam", "2fmCon", "Duplex", "Twnhs", "TwnhsE"]


class House(BaseModel):
    model_config = ConfigDict(extra="forbid")  # unknown fields are an error, not ignored

    area: float = Field(gt=0, le=10_000, description="Above-ground living area, sq ft")
    overall_qual: int = Field(ge=1, le=10)
    neighborhood: Neighborhood
    building_type: BuildingType
    # TODO: add lot_area, overall_cond, year_built, year_remod, total_bsmt_sf, bedrooms,
    #       full_bath, garage_cars and fireplaces with types and sensible ranges


class PredictRequest(BaseModel):
    houses: list[House] = Field(min_length=1, max_length=1000)


class PredictResponse(BaseModel):
    predictions: list[float]
    model_version: str
