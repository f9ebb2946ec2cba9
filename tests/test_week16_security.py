"""Week 16's checks: the secret scanner and the token minter on their own, then the real CLI
on broken week folders. Each broken state is a failed (or blocked) check that says what was
found, never a traceback, and no app is left running.

Workspaces are made the way `course verify` makes them (scaffold, optionally the solution,
a virtual environment layered on this one), then broken by editing files or with git.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from mlops_checks import secret_scan as scan
from mlops_roadmap import course, tokens
from mlops_roadmap.commands import verify
from tests.conftest import REPO, Cli
from tests.timing import ready_wait, scaled

WEEK = 16
FOLDER = "week16-security-compliance"
CHECKS = REPO / "checks" / "week16"
TITLES = {
    "starts": "The API starts under uvicorn with JWT_SECRET and PSEUDONYM_KEY from the environment",
    "no_credentials": "Without a bearer token, /predict and /admin/reload answer 401 with "
    "WWW-Authenticate",
    "bad_tokens": "Wrong, forged, unsigned, expired, never-expiring or subjectless tokens get 401",
    "scope": "A valid token without the endpoint's scope gets 403 (predict, admin)",
    "valid": "Valid tokens with the right scope get 200, and /predict answers what the model "
    "predicts",
    "logs": "The app's logs after the session hold no token, no secret and no caller's name or "
    "e-mail",
    "audit": "The audit log tells callers apart by a pseudonym keyed by PSEUDONYM_KEY, not a "
    "plain hash",
    "secrets": "A secret scan of the week folder and its git history finds nothing",
    "real_secret": "A missing, empty or 8-character JWT_SECRET stops the app, or it accepts no "
    "token at all",
    "bandit": "bandit finds no high-severity issue in the week folder's code",
    "writes": "pseudonymise.py writes data/processed/sales.csv, row for row",
    "no_personal": "No owner's name or e-mail appears in the processed file or in what the "
    "script prints",
    "consistent": "Each owner has one pseudonym, different owners have different ones, and "
    "reruns agree",
    "keyed": "The pseudonyms are not plain hashes of names or e-mails, and change with the key",
    "refuses": "Without PSEUDONYM_KEY, pseudonymise.py exits with an error and writes nothing",
}
API = ["starts", "no_credentials", "bad_tokens", "scope", "valid", "logs", "audit"]
PRIVACY = ["writes", "no_personal", "consistent", "keyed", "refuses"]
GIT_ID = {
    "GIT_AUTHOR_NAME": "Test Learner",
    "GIT_AUTHOR_EMAIL": "learner@example.com",
    "GIT_COMMITTER_NAME": "Test Learner",
    "GIT_COMMITTER_EMAIL": "learner@example.com",
}


# -- the secret scanner ---------------------------------------------------------------------
# Credential-shaped values are assembled at run time, so this file holds none itself.
AWS_ID = "AKIA" + "IOSFODNN7" + "EXAMPLE"
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----"
RANDOM = "q3Vx9KfT0pL2mZr8Yb6Nw1Hc4Jd7Ge5Sa0Uo2Xi9" + "Rk"


def whats(path: str, text: str) -> list[str]:
    return [f.what for f in scan.scan_text(path, text)]


@pytest.mark.parametrize(
    ("path", "text", "what"),
    [
        ("notes.md", f"key id {AWS_ID}", "an AWS access key ID"),
        ("deploy/id_rsa", PRIVATE_KEY, "a private key"),
        ("app/config.py", 'DB_PASSWORD = "hunter2!"', "a literal assigned to DB_PASSWORD"),
        ("settings.yaml", "api_key: 'x9Fq2LmZ'", "a literal assigned to api_key"),
        (".env", "JWT_SECRET=x9Fq2LmZ7", "a value for JWT_SECRET"),
        (
            "app/security.py",
            'SECRET = os.environ.get("JWT_SECRET", "change-me")',
            "a hard-coded fallback for the environment variable JWT_SECRET",
        ),
        ("app/keys.py", f'SIGNING = "{RANDOM}"', "a random-looking string literal (high entropy)"),
        (
            "app/keys.py",
            'DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
            "a random-looking string literal (high entropy)",
        ),
        ("client.py", "URL = 'postgresql://mlflow:s3cret@db:5432/mlflow'", "a password in a URL"),
        # Hard-coded fallbacks however they are written, read as Python code.
        (
            "app/security.py",
            'SECRET = os.environ.get("JWT_SECRET") or "dev-secret-123"',
            'a hard-coded fallback (`or "..."`) for JWT_SECRET',
        ),
        (
            "app/security.py",
            'key = os.environ["JWT_SECRET"] if "JWT_SECRET" in os.environ else "dev-secret-123"',
            'a hard-coded fallback (`... if ... else "..."`) for JWT_SECRET',
        ),
        (
            "app/settings.py",
            'class Settings(BaseSettings):\n    jwt_secret: str = "dev-secret-123"',
            "a hard-coded default for jwt_secret",
        ),
        (
            "app/settings.py",
            'class Settings(BaseSettings):\n    jwt_secret: SecretStr = Field(default="dev-123")',
            "a hard-coded default for jwt_secret",
        ),
        (
            "app/security.py",
            'from os import getenv\nSECRET = getenv("JWT_SECRET", "dev-secret-123")',
            "a hard-coded fallback for the environment variable JWT_SECRET",
        ),
        (
            "app/security.py",
            'SECRET = os.environ.get(\n    "JWT_SECRET",\n    "dev-secret-123",\n)',
            "a hard-coded fallback for the environment variable JWT_SECRET",
        ),
        (
            "app/security.py",
            'def jwt_secret(secret: str = "dev-secret-123") -> str:\n    return secret',
            "a hard-coded default for the parameter secret of jwt_secret()",
        ),
    ],
)
def test_scanner_finds(path: str, text: str, what: str) -> None:
    assert what in whats(path, text)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("app/security.py", 'secret = os.environ["JWT_SECRET"]'),
        ("app/security.py", 'secret = os.environ.get("JWT_SECRET", "")'),
        ("app/main.py", 'MODEL_PATH = os.environ.get("MODEL_PATH", "models/linear.joblib")'),
        ("app/config.py", 'password = ""'),
        ("app/config.py", 'token = "<paste your token here>"'),
        ("app/config.py", 'TOKEN_VAR = "JWT_SECRET"'),
        ("app/errors.py", 'detail_token = "missing bearer token"'),
        (".env.example", "JWT_SECRET="),
        ("env.sh", 'export JWT_SECRET="$(python -c "import secrets")"'),
        ("notes.md", 'password = "hunter2!" in a lesson is prose, not code'),
        ("app/schemas.py", 'FIELDS = "predictions_and_model_version"'),
        ("tests/test_api.py", f'SECRET = "{RANDOM}"  # pragma: allowlist secret'),
        # Settings about a secret, and empty or absent defaults, are not secrets.
        ("app/security.py", 'ttl = int(os.environ.get("JWT_TOKEN_TTL", "900"))'),
        ("app/security.py", 'alg = os.getenv("JWT_ALGORITHM") or "HS256"'),
        ("app/security.py", 'secret = os.environ.get("JWT_SECRET") or ""'),
        ("app/security.py", 'mode = "strict" if os.environ.get("JWT_SECRET") else "open"'),
        ("app/security.py", 'def decode(token: str, algorithm: str = "HS256") -> None: ...'),
        (
            "app/settings.py",
            'class Settings(BaseSettings):\n    jwt_secret: str\n    jwt_algorithm: str = "HS256"',
        ),
    ],
)
def test_scanner_leaves_alone(path: str, text: str) -> None:
    assert whats(path, text) == []


def test_scanner_never_repeats_a_secret() -> None:
    [finding] = scan.scan_text("app/keys.py", f'SIGNING = "{RANDOM}"')
    assert RANDOM not in str(finding)
    assert finding.sample == f"{RANDOM[:4]}… ({len(RANDOM)} characters)"
    assert finding.where == "app/keys.py:1"


def test_scanner_reads_added_lines_of_history() -> None:
    log = (
        "commit 0123456789abcdef\n"
        "diff --git a/app/config.py b/app/config.py\n"
        "--- /dev/null\n"
        "+++ b/app/config.py\n"
        f'+AWS = "{AWS_ID}"\n'
        'commit fedcba9876543210\n'
        "--- a/app/config.py\n"
        "+++ b/app/config.py\n"
        f'-AWS = "{AWS_ID}"\n'
        '+SECRET = os.environ.get("JWT_SECRET", "change-me")\n'
    )  # fmt: skip
    found = scan.scan_history(log)
    assert [(f.where, f.what) for f in found] == [
        ("git history, commit 0123456789, app/config.py", "an AWS access key ID")
    ]  # a fallback default is a working-tree finding only; removed lines are not added ones


def test_shipped_files_scan_as_the_lesson_says() -> None:
    """The solution and the lesson are clean; the scaffold only has its fallback secret."""

    def folder(root: Path) -> list[str]:
        return [
            str(f)
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix != ".csv"
            for f in scan.scan_text(p.relative_to(root).as_posix(), p.read_text("utf-8"))
        ]

    assert folder(REPO / "solutions" / "week16") == []
    assert scan.scan_text("README.md", (REPO / "weeks" / "week16.md").read_text("utf-8")) == []
    [fallback] = folder(REPO / "templates" / "week16")
    assert fallback.startswith("app/security.py:")
    assert "hard-coded fallback for the environment variable JWT_SECRET" in fallback


# -- the token minter -----------------------------------------------------------------------


def test_minted_tokens_are_standard_jwts() -> None:
    jwt = pytest.importorskip("jwt")
    secret = "s" * 40
    claims = {"sub": "a@example.com", "scope": "predict admin", "exp": int(time.time()) + 60}
    token = tokens.mint(claims, secret)
    assert jwt.decode(token, secret, algorithms=["HS256"]) == claims
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tokens.tampered(token, {**claims, "sub": "b"}), secret, algorithms=["HS256"])
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(tokens.mint(claims, "", alg="none"), secret, algorithms=["HS256"])
    expired = tokens.mint({**claims, "exp": int(time.time()) - 600}, secret)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(expired, secret, algorithms=["HS256"])


# -- workspaces and the real CLI ------------------------------------------------------------


def make_workspace(base: Path, solved: bool) -> Path:
    """A workspace at base/ws as `course verify` prepares it; returns the week folder."""
    plan = course.load(REPO)
    ws = verify.prepare(plan, plan.plan.week(WEEK), base / "ws", with_solution=solved)
    return ws.week_dir(plan.plan.week(WEEK))


@pytest.fixture(scope="module")
def solved_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A solved workspace, made once per module: copy it before changing anything."""
    return make_workspace(tmp_path_factory.mktemp("solved"), solved=True).parent


@pytest.fixture
def solved(solved_template: Path, tmp_path: Path) -> Path:
    """A private copy of the solved workspace; returns its week folder."""
    ws = tmp_path / "ws"
    shutil.copytree(solved_template, ws, symlinks=True)
    # The copied virtual environment's interpreter must be this copy's (pyvenv.cfg is shared).
    return ws / FOLDER


def check(
    cli: Cli, week: Path, select: str | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """`mlops-roadmap check --json` (optionally `-k select`) in the week folder, by key."""
    args: list[str | Path] = ["--course", REPO, "check", "--json"]
    if select:
        args += ["-k", select]
    result = cli(*args, cwd=week, timeout=900, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    data = json.loads(result.stdout)
    assert data["counts"]["error"] == 0, data
    by_title = {c["title"]: c for c in data["checks"]}
    return {key: by_title[title] for key, title in TITLES.items() if title in by_title}


def outcomes(checks: dict[str, Any]) -> dict[str, str]:
    return {k: c["outcome"] for k, c in checks.items()}


def running_in(ws: Path) -> list[str]:
    """Command lines of live processes started from the workspace's interpreter."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(ws) in text and "mlops_roadmap" not in text:
            found.append(text)
    return found


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def git(cwd: Path, *args: str) -> None:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ID}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


# -- the API --------------------------------------------------------------------------------


def test_app_that_does_not_start(cli: Cli, solved: Path) -> None:
    edit(
        solved / "app" / "security.py",
        'os.environ.get("JWT_SECRET", "")',
        'os.environ["API_SECRET"]',
    )
    checks = check(cli, solved, "test_week16_1_api")
    assert outcomes(checks) == {"starts": "failed"} | dict.fromkeys(API[1:], "blocked")
    found = checks["starts"]["found"]
    assert "the server exited with status" in found and "KeyError: 'API_SECRET'" in found
    assert "Make the check 'The API starts' pass first." in checks["scope"]["hint"]
    assert running_in(solved.parent) == []


def test_training_that_fails(cli: Cli, solved: Path) -> None:
    edit(solved / "train.py", 'pd.read_csv(RAW_DIR / "train.csv")', 'pd.read_csv("nowhere.csv")')
    checks = check(cli, solved, "app_starts or valid_tokens")
    assert outcomes(checks) == {"starts": "failed", "valid": "blocked"}
    assert "`python train.py` exited with 1, so the app has no model" in checks["starts"]["found"]
    assert "nowhere.csv" in checks["starts"]["found"]


def test_app_that_dies_and_leaks(cli: Cli, solved: Path) -> None:
    """An app that logs claims to a file, then exits in the middle of the session."""
    main = solved / "app" / "main.py"
    edit(
        main,
        'logger = logging.getLogger("ames.api")',
        'logger = logging.getLogger("ames.api")\n'
        'os.makedirs("logs", exist_ok=True)\n'
        'logger.addHandler(logging.FileHandler("logs/audit.log"))',
    )
    edit(
        main,
        "    return PredictResponse(predictions=predictions)",
        '    logger.info("caller %s", caller.subject)\n'
        "    os._exit(3)  # the process dies before it answers",
    )
    checks = check(cli, solved, "test_week16_1_api")
    result = outcomes(checks)
    assert result["starts"] == "passed" and result["valid"] == "failed"
    assert (
        'a valid token with scope "predict" to POST /predict: no answer'
        in (checks["valid"]["found"])
    )
    assert result["logs"] == "failed"
    logs = checks["logs"]["found"]
    assert "caller's e-mail address in logs/audit.log (written by the app)" in logs
    assert "caller's e-mail address in the app's console output" in logs
    assert running_in(solved.parent) == []


@pytest.mark.slow  # about 11 s; `course verify` runs the scaffold's checks too
def test_scaffold_auth_fails_each_way(cli: Cli, tmp_path: Path) -> None:
    week = make_workspace(tmp_path, solved=False)
    checks = check(cli, week, "test_week16_1_api")
    assert outcomes(checks) == {
        "starts": "passed",
        "no_credentials": "failed",
        "bad_tokens": "failed",
        "scope": "failed",
        "valid": "passed",
        "logs": "failed",
        "audit": "failed",
    }
    assert "no Authorization header to POST /predict: HTTP 200" in checks["no_credentials"]["found"]
    bad = checks["bad_tokens"]["found"]
    assert "a bearer token that is not a JWT to POST /predict: HTTP 500" in bad
    assert 'an unsigned token ("alg": "none") to POST /predict: HTTP 200' in bad
    assert 'scope "predictions:read" to POST /predict: HTTP 200' in checks["scope"]["found"]
    logs = checks["logs"]["found"]
    assert "'authorization': 'Bearer eyJhbGci…'" in logs  # a leaked token is shown cut short
    assert (
        "the first caller is named by their e-mail address or name (" in (checks["audit"]["found"])
    )
    assert running_in(week.parent) == []


# -- secrets --------------------------------------------------------------------------------


def test_secret_in_history_and_unignored_env(cli: Cli, solved: Path) -> None:
    git(solved, "add", "-A", ".")
    git(solved, "commit", "-qm", "week 16")
    config = solved / "app" / "config.py"
    config.write_text(f'AWS_KEY_ID = "{AWS_ID}"\n')
    git(solved, "add", "app/config.py")
    git(solved, "commit", "-qm", "oops")
    config.unlink()
    git(solved, "commit", "-qam", "remove the key")
    (solved / ".env").write_text("JWT_SECRET=only-on-my-laptop-0123456789\n")
    passed = check(cli, solved, "no_secrets_in_the_week_folder")
    assert outcomes(passed) == {"secrets": "failed"}  # the history still holds the key
    found = passed["secrets"]["found"]
    assert "app/config.py: an AWS access key ID (AKIA… (20 characters))" in found
    assert "git history, commit" in found and AWS_ID not in found
    assert ".env" not in found  # git-ignored: the right place for a local secret

    edit(solved / ".gitignore", ".env\n", "")
    found = check(cli, solved, "no_secrets_in_the_week_folder")["secrets"]["found"]
    assert ".env: a .env file that git would commit" in found
    assert ".env:1: a value for JWT_SECRET (only… (28 characters))" in found


def test_bandit_reports_high_issues_only(cli: Cli, solved: Path) -> None:
    (solved / "tools" / "shell.py").write_text(
        "import subprocess\n\n\ndef run(cmd: str) -> None:\n"
        "    subprocess.run(cmd, shell=True)\n"
        "    assert cmd\n"  # B101, low severity: not reported
    )
    checks = check(cli, solved, "bandit")
    assert outcomes(checks) == {"bandit": "failed"}
    found = checks["bandit"]["found"]
    assert found.startswith("tools/shell.py:5 B602") and "B101" not in found


# -- pseudonymisation -----------------------------------------------------------------------


PLAIN_HASH = "hashlib.sha256(normalised.encode()).hexdigest()[:20]"
KEYED = "hmac.new(pseudonym_key(), normalised.encode(), hashlib.sha256).hexdigest()"


@pytest.mark.parametrize(
    ("new", "expected", "says"),
    [
        pytest.param(
            PLAIN_HASH,
            {"keyed": "failed"},
            "200 pseudonyms are plain hashes or encodings",
            id="plain-hash",
        ),
        pytest.param(
            'hmac.new(b"a-salt-in-the-code-0123456789", normalised.encode(), "sha256").hexdigest()',
            {"keyed": "failed"},
            "200 of 200 pseudonyms stayed the same with another key",
            id="salt-in-code",
        ),
        pytest.param(
            "hmac.new(pseudonym_key(), value.encode(), hashlib.sha256).hexdigest()",
            {"consistent": "failed"},
            "owners get several pseudonyms",
            id="not-normalised",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "hmac.new(pseudonym_key() + os.urandom(8), normalised.encode(), 'sha256').hexdigest()",
            {"consistent": "failed"},
            "a second run with the same key gave other pseudonyms",
            id="random-salt",
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "hmac.new(pseudonym_key(), normalised.encode(), hashlib.sha256).hexdigest()[:4]",
            {"consistent": "failed"},
            "pseudonyms shorter than 8 characters",
            id="too-short",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_weak_pseudonyms(
    cli: Cli, solved: Path, new: str, expected: dict[str, str], says: str
) -> None:
    edit(solved / "app" / "privacy.py", KEYED, new)
    checks = check(cli, solved, "test_week16_3_privacy and pseudonym")
    result = outcomes(checks)
    assert {k: v for k, v in result.items() if v != "passed"} == expected, checks
    [key] = expected
    assert says in checks[key]["found"]


def test_pipeline_without_key_guard_and_leaky_output(cli: Cli, solved: Path) -> None:
    script = solved / "pseudonymise.py"
    edit(script, "        pseudonym_key()  # before", "        pass  # before")
    edit(
        script, "    sales = sales.drop(columns=PERSONAL)\n", "    print(sales.iloc[0].to_dict())\n"
    )
    edit(solved / "app" / "privacy.py", "    if len(key) < MIN_KEY_LENGTH:", "    if False:")
    checks = check(cli, solved, " or ".join(f"test_week16_3_privacy and {k}" for k in (
        "writes", "personal", "refuses")))  # fmt: skip
    assert outcomes(checks) == {"writes": "passed", "no_personal": "failed", "refuses": "failed"}
    found = checks["no_personal"]["found"]
    assert "columns owner_name, owner_email still there" in found
    assert "2 in what it printed, e.g. Jessica Martin" in found
    assert (
        checks["refuses"]["found"] == "it exited with status 0; it wrote data/processed/sales.csv"
    )


def test_pipeline_missing(cli: Cli, solved: Path) -> None:
    (solved / "pseudonymise.py").unlink()
    checks = check(cli, solved, "test_week16_3_privacy")
    assert outcomes(checks) == {
        "writes": "failed",
        "no_personal": "blocked",
        "consistent": "blocked",
        "keyed": "blocked",
        "refuses": "failed",
    }
    assert checks["writes"]["found"] == "no pseudonymise.py"


# -- the whole week (15-25 s each), and a hung start-up (60 s): slow suite --------------------------------------------


# The finished week passing every check, its files left as they were and nothing left running, is
# proven by tests/test_walk.py (the whole roadmap walked with the reference solutions).


@pytest.mark.slow
def test_scaffold_fails_what_it_asks_for(cli: Cli, tmp_path: Path) -> None:
    week = make_workspace(tmp_path, solved=False)
    passed = {k for k, o in outcomes(check(cli, week)).items() if o == "passed"}
    assert passed == {"starts", "valid", "writes", "consistent"}


@pytest.mark.slow
def test_app_that_never_answers_is_stopped(cli: Cli, solved: Path) -> None:
    """An app whose start-up hangs: the check waits (60 s for a learner, 20 s here), fails,
    and leaves nothing running."""
    edit(
        solved / "app" / "main.py",
        "    jwt_secret()  #",
        "    time.sleep(3600)\n    jwt_secret()  #",
    )
    edit(solved / "app" / "main.py", "import logging\n", "import logging\nimport time\n")
    started = time.monotonic()
    checks = check(cli, solved, "app_starts", env=ready_wait(20))
    assert time.monotonic() - started < scaled(80)
    assert outcomes(checks) == {"starts": "failed"}
    assert "did not answer GET /health" in checks["starts"]["found"]
    assert "Waiting for application startup." in checks["starts"]["found"]
    assert running_in(solved.parent) == []
