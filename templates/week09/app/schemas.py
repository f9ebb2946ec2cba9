"""The API contract: what a valid request and a response look like.

FastAPI validates every request body against these models before your code runs, answers 422
with the failing fields when it does not fit, and publishes them at /docs and /openapi.json.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

# The categories the model was trained on (data/raw/train.csv). Anything else must be rejected.
NEIGHBORHOODS = (
    "Blmngtn", "Blueste", "BrDale", "BrkSide", "ClearCr", "CollgCr", "Crawfor", "Edwards",
    "Gilbert", "Greens", "GrnHill", "IDOTRR", "Landmrk", "MeadowV", "Mitchel", "NAmes",
    "NPkVill", "NWAmes", "NoRidge", "NridgHt", "OldTown", "SWISU", "Sawyer", "SawyerW",
    "Somerst", "StoneBr", "Timber", "Veenker",
)  # fmt: skip
BUILDING_TYPES = ("1Fam", "2fmCon", "Duplex", "Twnhs", "TwnhsE")


class House(BaseModel):
    """One house, with the 13 columns the model was trained on."""

    # TODO: reject unknown fields (model_config = ConfigDict(extra="forbid")): today a
    #       misspelt field is silently dropped and the model sees a missing value.
    # TODO: give every number a sensible range with Field(...): a living area is positive,
    #       quality and condition are 1 to 10, years are 1800 to 2100, counts are never
    #       negative. Look at the training data (df.describe()) before you choose.
    # TODO: accept only the known categories: Literal types built from NEIGHBORHOODS and
    #       BUILDING_TYPES (typing.Literal["Blmngtn", ...]).
    area: float = Field(description="Above-ground living area, sq ft")
    lot_area: float = Field(description="Lot size, sq ft")
    overall_qual: int = Field(description="Overall material and finish, 1 to 10")
    overall_cond: int = Field(description="Overall condition, 1 to 10")
    year_built: int
    year_remod: int = Field(description="Remodelling year (the year built when never remodelled)")
    total_bsmt_sf: float = Field(description="Total basement area, sq ft")
    bedrooms: int
    full_bath: int
    garage_cars: int = Field(description="Garage size in car capacity")
    fireplaces: int
    neighborhood: str
    building_type: str


class PredictRequest(BaseModel):
    # TODO: between 1 and 1000 houses per request (Field(min_length=..., max_length=...))
    houses: list[House]


class PredictResponse(BaseModel):
    predictions: list[float]
    model_version: str
