"""Week 16's checks judged both ways: wrong submissions each check must fail (mutations of the
reference solution: a secret hard-coded in three forms, a secret taken at any length, callers
named in the audit log by an unkeyed hash, a constant-keyed one or not at all, tokens taken
without a subject or past their expiry) and right submissions written from the lesson, not
from the solution (tests/fixtures/week16/), that every check must pass.

Each case runs the real CLI on a copy of one workspace the module prepares (as `course verify`
does), selecting the checks it is about; the whole week on the right submissions. Each starts
the app (and some restart it): about 30 s a case, so one case of each kind runs by default and
the rest in the slow suite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, Cli
from tests.test_week16_security import TITLES, check, edit, make_workspace, outcomes, running_in

CASES = FIXTURES / "week16"
FALLBACK = "local-development-secret-0123456789"  # pragma: allowlist secret
SECRETS = "no_secrets_in_the_week_folder or needs_a_real_secret"
AUDIT = "audit_log_names_callers"
NOT_SET = (
    "with JWT_SECRET not set, the app started and accepted a token signed with the string "
    f"'loca…' ({len(FALLBACK)} characters) from app/security.py"
)


@pytest.fixture(scope="module")
def scaffold_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The week's fresh scaffold in a workspace, made once per module: copied by each case."""
    return make_workspace(tmp_path_factory.mktemp("scaffold"), solved=False).parent


@pytest.fixture(scope="module")
def solved_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The solved week in a workspace, made once per module: copied by each case."""
    return make_workspace(tmp_path_factory.mktemp("solved"), solved=True).parent


def copy_of(template: Path, tmp_path: Path) -> Path:
    """A private copy of a template workspace; its week folder."""
    ws = tmp_path / "ws"
    shutil.copytree(template, ws, symlinks=True)
    return ws / "week16-security-compliance"


# -- right submissions written from the lesson -----------------------------------------------

RIGHT = [
    "right-file-audit-log",
    pytest.param("right-checked-per-request", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("case", RIGHT)
def test_right_submission_passes(
    cli: Cli, scaffold_template: Path, tmp_path: Path, case: str
) -> None:
    week = copy_of(scaffold_template, tmp_path)
    shutil.copytree(CASES / case, week, dirs_exist_ok=True)
    checks = check(cli, week)
    assert outcomes(checks) == dict.fromkeys(TITLES, "passed"), checks
    assert running_in(week.parent) == []


# -- a hard-coded secret, in three forms; a secret taken at any length -------------------------

SECURITY = "app/security.py"
READ = 'os.environ.get("JWT_SECRET", "")'
SETTINGS = f'''"""The app's settings, from the environment (pydantic-settings)."""

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    jwt_secret: str = "{FALLBACK}"
'''
HARD_CODED = {
    "or": (READ, f'os.environ.get("JWT_SECRET") or "{FALLBACK}"', 'fallback (`or "..."`)'),
    "if-else": (
        READ,
        f'os.environ["JWT_SECRET"] if "JWT_SECRET" in os.environ else "{FALLBACK}"',
        'fallback (`... if ... else "..."`)',
    ),
    "settings-default": (READ, "Settings().jwt_secret", "default for jwt_secret"),
}


@pytest.mark.parametrize(
    "form",
    [
        "or",
        pytest.param("if-else", marks=pytest.mark.slow),
        pytest.param("settings-default", marks=pytest.mark.slow),
    ],
)
def test_hard_coded_secret(cli: Cli, solved_template: Path, tmp_path: Path, form: str) -> None:
    week = copy_of(solved_template, tmp_path)
    old, new, what = HARD_CODED[form]
    edit(week / SECURITY, old, new)
    if form == "settings-default":
        (week / "app" / "settings.py").write_text(SETTINGS, encoding="utf-8")
        edit(week / SECURITY, "import jwt\n", "import jwt\n\nfrom app.settings import Settings\n")
    checks = check(cli, week, SECRETS)
    assert outcomes(checks) == {"secrets": "failed", "real_secret": "failed"}, checks
    where = "app/settings.py" if form == "settings-default" else SECURITY
    assert f"{where}:" in checks["secrets"]["found"]
    assert f"a hard-coded {what}" in checks["secrets"]["found"]
    assert FALLBACK not in checks["secrets"]["found"]
    found = checks["real_secret"]["found"]
    assert found.startswith(NOT_SET.replace(SECURITY, where)), found
    assert checks["real_secret"]["hint"].startswith("That string is a hard-coded fallback secret")
    assert running_in(week.parent) == []


@pytest.mark.slow  # each case starts the app five times: about 30 s
def test_secret_of_any_length(cli: Cli, solved_template: Path, tmp_path: Path) -> None:
    week = copy_of(solved_template, tmp_path)
    edit(week / SECURITY, "    if len(secret) < MIN_SECRET_LENGTH:\n", "    if not secret:\n")
    checks = check(cli, week, SECRETS)
    assert outcomes(checks) == {"secrets": "passed", "real_secret": "failed"}, checks
    assert checks["real_secret"]["found"] == (
        "with JWT_SECRET set to 8 random characters, the app started and accepted a token "
        "signed with that 8-character JWT_SECRET"
    )
    assert checks["real_secret"]["hint"].startswith("Refuse a JWT_SECRET shorter than 32")


# -- the audit log ---------------------------------------------------------------------------

AUDIT_LINE = "pseudonym(caller.subject))\n    return PredictResponse"
AUDITS = {
    "unkeyed-hash": (
        "hashlib.sha256(caller.subject.encode()).hexdigest())\n    return PredictResponse",
        "import hashlib\n",
        "a caller named by an unkeyed hash: ",
    ),
    "constant-key": (
        'hmac.new(b"audit-log", caller.subject.encode(), "sha256").hexdigest())\n'
        "    return PredictResponse",
        "import hmac\n",
        "with one PSEUDONYM_KEY and with another: the pseudonym does not depend on the key",
    ),
    "no-caller": (
        '"someone")\n    return PredictResponse',
        "",
        "do not tell the callers apart",
    ),
}


@pytest.mark.parametrize(
    "case",
    [
        "unkeyed-hash",
        pytest.param("constant-key", marks=pytest.mark.slow),
        pytest.param("no-caller", marks=pytest.mark.slow),
    ],
)
def test_audit_log_without_a_keyed_pseudonym(
    cli: Cli, solved_template: Path, tmp_path: Path, case: str
) -> None:
    week = copy_of(solved_template, tmp_path)
    new, imports, says = AUDITS[case]
    main = week / "app" / "main.py"
    edit(main, AUDIT_LINE, new)
    edit(main, "import logging\n", imports + "import logging\n")
    checks = check(cli, week, AUDIT)
    assert outcomes(checks) == {"audit": "failed"}, checks
    assert says in checks["audit"]["found"], checks["audit"]["found"]
    if case == "unkeyed-hash":
        assert "@example." in checks["audit"]["found"]  # names the caller it recognised


# -- tokens ----------------------------------------------------------------------------------


def test_tokens_without_subject_or_past_expiry(
    cli: Cli, solved_template: Path, tmp_path: Path
) -> None:
    week = copy_of(solved_template, tmp_path)
    security = week / SECURITY
    edit(
        security,
        'options={"require": ["exp", "sub"]},',
        'options={"require": ["exp"], "verify_exp": False},',
    )
    edit(
        security,
        'Caller(str(claims["sub"]), scopes)',
        'Caller(str(claims.get("sub", "anonymous")), scopes)',
    )
    checks = check(cli, week, "bad_tokens")
    assert outcomes(checks) == {"bad_tokens": "failed"}, checks
    assert checks["bad_tokens"]["found"] == (
        "a token that expired 10 minutes ago to POST /predict: HTTP 200; a token without a sub "
        "claim (no caller) to POST /predict: HTTP 200"
    )
