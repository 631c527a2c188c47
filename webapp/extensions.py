"""Flask extensions, created unbound; `create_app` binds them."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from webapp.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True, user_module_prefix="mtypes.")
login_manager = LoginManager()
csrf = CSRFProtect()


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
    from sqlalchemy import event

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite" and not event.contains(
                engine, "connect", _sqlite_on_connect
            ):
                event.listen(engine, "connect", _sqlite_on_connect)
                event.listen(engine, "begin", _sqlite_on_begin)
