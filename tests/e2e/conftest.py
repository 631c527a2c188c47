"""Browser journeys: a live server on a real port, Chromium driven by Playwright.

The live app has its own database (migrated once); tests write their data with real commits
through `live_db` and every table is emptied after each test.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import _database_url, make_config
from webapp import create_app
from webapp.extensions import db

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's chromium when present (or $CHROMIUM_PATH); else Playwright's own download."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    path = chromium_path()
    if path:
        args["executable_path"] = path
    return args


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory) -> Iterator[str]:
    """A database of its own for the live server (a second fresh one on PostgreSQL)."""
    yield from _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def live_app(live_database_url, tmp_path_factory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    app = create_app(make_config(live_database_url, tmp_path_factory))
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_db(live_app, clock) -> Iterator[None]:
    """An app context on the live database for setting up data (commit it), emptied after."""
    with live_app.app_context():
        yield
        db.session.rollback()
        empty_all_tables()


def empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(db.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        db.session.execute(db.text("PRAGMA defer_foreign_keys = ON"))
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def embedded_live_app(live_app, live_server) -> Iterator[Flask]:
    """Jobs in-process (PDFs and e-mails are done when the request returns) and links that
    point at the live server."""
    saved = {key: live_app.config[key] for key in ("REDIS_URL", "PUBLIC_BASE_URL")}
    live_app.config.update(REDIS_URL=None, PUBLIC_BASE_URL=live_server)
    yield live_app
    live_app.config.update(saved)


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server
