"""Week 9's checks judged both ways: submissions each check must fail (mutations of the reference
solution, grouped so that each run breaks each selected check once) and right submissions
written differently from the lesson (in tests/fixtures/week09/) that every check must pass.

Every case runs the real CLI on one shared workspace (scaffold and virtual environment made
once per module, as `course verify` makes them), the week folder laid afresh. The fast cases
select the checks they are about (-k); schemathesis and the learner's own tests, the slow part,
run on the right submissions only in the slow suite.
"""

from __future__ import annotations

import pytest

from tests.conftest import Cli
from tests.shared_week import Shared, prepare
from tests.test_week09_api import TITLES, check, edit, lay, outcomes

WEEK = 9
FAST = "not generated_requests and not own_tests"
SLOW = "training or app_starts or generated_requests or own_tests"
SCHEMAS = "app/schemas.py"
MAIN = "app/main.py"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """One workspace (scaffold and virtual environment) for the module's cases."""
    return prepare(tmp_path_factory, WEEK)


# -- right submissions written from the lesson -----------------------------------------------

RIGHT = ["right-errors-list", "right-dotted-paths"]


@pytest.mark.slow  # a whole class or week run through the CLI
@pytest.mark.parametrize("case", RIGHT)
def test_right_submission_passes(cli: Cli, shared: Shared, case: str) -> None:
    checks = check(cli, lay(shared, solved=False, case=case), FAST)
    assert len(checks) == len(TITLES) - 2, checks.keys()
    assert set(c["outcome"] for c in checks.values()) == {"passed"}, checks


@pytest.mark.slow  # schemathesis and the submission's own tests: about 15 s more each
@pytest.mark.parametrize("case", RIGHT)
def test_right_submission_passes_the_contract(cli: Cli, shared: Shared, case: str) -> None:
    checks = check(cli, lay(shared, solved=False, case=case), SLOW)
    assert outcomes(checks, TITLES) == {
        "training": "passed",
        "starts": "passed",
        "schemathesis": "passed",
        "own tests": "passed",
    }, checks


# -- wrong submissions: mutations of the reference solution ----------------------------------


@pytest.mark.slow  # a whole class or week run through the CLI
def test_ranges_too_tight_and_no_batch_limit(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    schemas = week / SCHEMAS
    edit(schemas, "Field(gt=0, le=10_000, description", "Field(gt=0, le=3_000, description")
    edit(schemas, "Field(min_length=1, max_length=1000)", "Field(min_length=1)")
    checks = check(cli, week, "real_houses or invalid_input or predictions_match")
    assert outcomes(checks, TITLES) == {
        "predictions": "passed",
        "real houses": "failed",
        "422": "failed",
    }
    real = checks[TITLES["real houses"]]
    assert (
        "the house with area 3820 (the largest in the data): status 422 naming area 3820 "
        in (real["found"])
    )
    assert "(the data: 334 to 3820)" in real["found"]
    assert real["hint"].startswith("Widen the ranges in app/schemas.py")
    refused = checks[TITLES["422"]]
    assert refused["found"] == "1,001 houses (the limit is 1,000): status 200 (accepted)"
    assert refused["hint"] == (
        "In app/schemas.py: houses: list[House] = Field(min_length=1, max_length=1000)."
    )


CROSS_FIELD = """
    @model_validator(mode="after")
    def remodelled_after_built(self) -> "House":
        if self.year_remod < self.year_built:
            raise ValueError("a house cannot be remodelled before it is built")
        return self
"""


def test_rule_refusing_one_real_house_and_a_422_naming_nothing(cli: Cli, shared: Shared) -> None:
    """A cross-field rule no edge house breaks is found by halving the refused batch; a 422
    body that names no field gets a hint about the body, not the schema."""
    week = lay(shared)
    schemas = week / SCHEMAS
    edit(schemas, "ConfigDict, Field", "ConfigDict, Field, model_validator")
    edit(
        schemas,
        "    building_type: BuildingType\n",
        "    building_type: BuildingType\n" + CROSS_FIELD,
    )
    main = week / MAIN
    edit(main, "from fastapi.responses import JSONResponse\n",
         "from fastapi.exceptions import RequestValidationError\n"
         "from fastapi.responses import JSONResponse\n")  # fmt: skip
    edit(
        main,
        "@app.exception_handler(Exception)\n",
        "@app.exception_handler(RequestValidationError)\n"
        "async def invalid(request: Request, exc: Exception) -> JSONResponse:\n"
        '    return JSONResponse(status_code=422, content={"detail": "invalid request"})\n\n\n'
        "@app.exception_handler(Exception)\n",
    )
    checks = check(cli, week, "real_houses or invalid_input")
    assert outcomes(checks, TITLES) == {"real houses": "failed", "422": "failed"}
    found = checks[TITLES["real houses"]]["found"]
    assert found.startswith("1 of 3 batches refused; house 2279 {")
    assert '"year_built": 2002' in found and found.endswith("}: status 422")
    refused = checks[TITLES["422"]]
    assert refused["found"].startswith(
        'area missing: 422 without naming area: {"detail": "invalid request"}; '
    )
    assert refused["found"].endswith("; and 22 more")
    assert refused["hint"].startswith("Your 422 body does not say which field failed")


@pytest.mark.slow  # a whole class or week run through the CLI
def test_scale_cut_at_the_data_and_a_health_that_always_says_ok(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    schemas = week / SCHEMAS
    edit(schemas, "overall_cond: int = Field(ge=1, le=10,", "overall_cond: int = Field(ge=1, le=9,")
    edit(schemas, "year_built: int = Field(ge=1800, le=2100)", "year_built: int = Field(ge=1900)")
    main = week / MAIN
    edit(
        main,
        "    if request.app.state.model is None:\n"
        '        raise HTTPException(status_code=503, detail="model not loaded")\n'
        '    return {"status": "ok"',
        '    return {"status": "ok"',
    )
    checks = check(cli, week, "real_houses or health_tells")
    assert outcomes(checks, TITLES) == {"real houses": "failed", "health": "failed"}
    found = checks[TITLES["real houses"]]["found"]
    assert "the house with year_built 1872 (the smallest in the data): status 422 naming " in found
    assert (
        "overall_cond 10 (an end of the lesson's 1-10 scale): status 422 naming overall_cond"
        in (found)
    )
    health = checks[TITLES["health"]]
    assert health["found"].startswith("status 200: ")
    assert "HTTPException(status_code=503" in health["hint"]


@pytest.mark.slow  # a whole class or week run through the CLI
def test_batch_limit_too_low_and_a_400(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(week / SCHEMAS, "max_length=1000)", "max_length=500)")
    main = week / MAIN
    edit(main, "from fastapi.responses import JSONResponse\n",
         "from fastapi.exceptions import RequestValidationError\n"
         "from fastapi.responses import JSONResponse\n")  # fmt: skip
    edit(
        main,
        "@app.exception_handler(Exception)\n",
        "@app.exception_handler(RequestValidationError)\n"
        "async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:\n"
        '    return JSONResponse(status_code=400, content={"detail": exc.errors()})\n\n\n'
        "@app.exception_handler(Exception)\n",
    )
    checks = check(cli, week, "real_houses or invalid_input")
    assert outcomes(checks, TITLES) == {"real houses": "failed", "422": "failed"}
    assert checks[TITLES["real houses"]]["found"] == (
        "3 of 3 batches refused; a batch of 1,000 real houses is refused although each of its "
        "halves is accepted: the batch limit is too low"
    )
    refused = checks[TITLES["422"]]
    assert refused["found"].startswith("area missing: status 400; ")
    assert refused["hint"].startswith("Answer invalid input with 422")


def test_body_parsed_by_hand(cli: Cli, shared: Shared) -> None:
    week = lay(shared)
    edit(
        week / MAIN,
        "def predict(body: PredictRequest, request: Request) -> PredictResponse:\n",
        "async def predict(request: Request) -> PredictResponse:\n"
        "    body = PredictRequest(**(await request.json()))\n",
    )
    checks = check(cli, week, "malformed")
    malformed = checks[TITLES["malformed"]]
    assert malformed["outcome"] == "failed"
    assert malformed["found"] == 'status 500: {"detail":"internal server error"}'
