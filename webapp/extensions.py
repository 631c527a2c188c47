"""Flask extensions, created unbound; `create_app` binds them."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event

from webapp.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True, user_module_prefix="mtypes.")
login_manager = LoginManager()
csrf = CSRFProtect()
# Per client address; only routes decorated with a limit are limited (the verification page).
limiter = Limiter(get_remote_address)


def init_limiter(app) -> None:
    """Counters in Redis when REDIS_URL is set (shared by every web process), in memory
    otherwise; a Redis outage falls back to memory instead of failing the request."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "certifikation")
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)


def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    """Foreign keys on; let SQLAlchemy emit BEGIN itself so SAVEPOINTs work (pysqlite)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_on_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN")


def configure_engines(app) -> None:
    """Attach the SQLite pragmas to the app's engines (no-op for other databases)."""
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite" and not event.contains(
                engine, "connect", _sqlite_on_connect
            ):
                event.listen(engine, "connect", _sqlite_on_connect)
                event.listen(engine, "begin", _sqlite_on_begin)
