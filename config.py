"""Configuration classes, read from the environment when instantiated.

`create_app("development" | "testing" | "production")` or `create_app(SomeConfig())`.
Every business rule of SPEC §4 lives here and can be overridden by an environment
variable of the same name.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _int_list(name: str, default: str) -> tuple[int, ...]:
    raw = os.environ.get(name, default)
    try:
        return tuple(sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True))
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a comma-separated list of integers") from exc


def _str_list(name: str, default: str) -> tuple[str, ...]:
    raw = os.environ.get(name, default)
    return tuple(part.strip().lower() for part in raw.split(",") if part.strip())


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.STORAGE_PATH = env.get("STORAGE_PATH", str(INSTANCE_DIR / "storage"))
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "").rstrip("/")
        # Development only, when PUBLIC_BASE_URL is unset: the base of links built outside a
        # request (CLI, worker). `make run` sets it to its own host and port.
        self.DEV_SERVER_URL = env.get("CERTIFIKATION_SERVER_URL", "http://127.0.0.1:5000")
        self.MAIL_SERVER = env.get("MAIL_SERVER") or None
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_FROM = env.get("MAIL_FROM", "CertifiKation <no-reply@certifikation.invalid>")

        # Sessions and cookies
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "0") == "1"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.WTF_CSRF_HEADERS = ["X-CSRFToken"]

        # Rules of SPEC §4
        self.CERT_PASS_PERCENT = _int("CERT_PASS_PERCENT", 80)
        self.QUIZ_RETRY_COOLDOWN_MIN = _int("QUIZ_RETRY_COOLDOWN_MIN", 30)
        self.QUIZ_DEADLINE_GRACE_SECONDS = _int("QUIZ_DEADLINE_GRACE_SECONDS", 10)
        self.RENEWAL_WINDOW_DAYS = _int("RENEWAL_WINDOW_DAYS", 30)
        self.CERT_REMINDER_OFFSETS_DAYS = _int_list("CERT_REMINDER_OFFSETS_DAYS", "30,7")
        self.CERT_EXPIRING_SOON_DAYS = _int("CERT_EXPIRING_SOON_DAYS", 30)
        self.CERT_NUMBER_PREFIX = env.get("CERT_NUMBER_PREFIX", "CERT")
        self.UPLOAD_MAX_FILE_MB = _int("UPLOAD_MAX_FILE_MB", 10)
        self.UPLOAD_MAX_SUBMISSION_MB = _int("UPLOAD_MAX_SUBMISSION_MB", 25)
        self.UPLOAD_ALLOWED_TYPES = _str_list(
            "UPLOAD_ALLOWED_TYPES", "pdf,png,jpg,gif,txt,docx,xlsx"
        )
        self.VERIFY_RATE_LIMIT_PER_MINUTE = _int("VERIFY_RATE_LIMIT_PER_MINUTE", 30)
        self.PAGE_SIZE = _int("PAGE_SIZE", 20)
        # People: invitation and password-reset links, passwords, forgot-password throttling
        self.ACCOUNT_LINK_HOURS = _int("ACCOUNT_LINK_HOURS", 72)
        self.PASSWORD_MIN_LENGTH = _int("PASSWORD_MIN_LENGTH", 10)
        self.PASSWORD_RESET_RATE_LIMIT = env.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour")
        # Whole-request ceiling: the largest submission plus room for form fields.
        self.MAX_CONTENT_LENGTH = (self.UPLOAD_MAX_SUBMISSION_MB + 1) * 1024 * 1024

    @property
    def is_production(self) -> bool:
        return self.ENV_NAME == "production"


def _instance_secret_key() -> str:
    """A development key kept in instance/ (never in the repository); sessions survive restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class DevelopmentConfig(Config):
    """Embedded default: SQLite file under instance/, local files, jobs in-process."""

    ENV_NAME = "development"
    DEBUG = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or _instance_secret_key()
        self.SQLALCHEMY_DATABASE_URI = (
            self.SQLALCHEMY_DATABASE_URI or f"sqlite:///{INSTANCE_DIR / 'certifikation.db'}"
        )
        # PUBLIC_BASE_URL may stay unset: links then follow the server actually serving
        # (the request's host and port; DEV_SERVER_URL outside a request), see webapp.urls.


class TestingConfig(Config):
    """Used by the test suite: TEST_DATABASE_URL / TEST_REDIS_URL switch to real services."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        env = os.environ
        self.SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = env.get("TEST_DATABASE_URL") or "sqlite://"
        self.REDIS_URL = env.get("TEST_REDIS_URL") or None
        self.PUBLIC_BASE_URL = "http://certifikation.test"
        self.SERVER_NAME = None


class ProductionConfig(Config):
    """PostgreSQL, Redis, shared storage; refuses to start without SECRET_KEY."""

    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in the environment for production")
        if not self.SQLALCHEMY_DATABASE_URI:
            raise RuntimeError("DATABASE_URL must be set in the environment for production")
        if not self.PUBLIC_BASE_URL:
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in the environment for production (the base of "
                "verification links and QR codes, e.g. https://certs.example.org)"
            )
        self.SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name_or_config: str | Config | None) -> Config:
    """Turn a name (or None: $CERTIFIKATION_ENV, default production) into a Config instance."""
    if isinstance(name_or_config, Config):
        return name_or_config
    name = name_or_config or os.environ.get("CERTIFIKATION_ENV", "production")
    try:
        return CONFIGS[name]()
    except KeyError as exc:
        raise RuntimeError(f"Unknown configuration {name!r}; use one of {sorted(CONFIGS)}") from exc
