"""Test fixtures: one migrated database per run, each test inside a rolled-back transaction.

Default: SQLite file, jobs in-process. With TEST_DATABASE_URL (a PostgreSQL server URL) a
fresh database `certifikation_test_<random>` is created for the run and dropped after; with
TEST_REDIS_URL jobs go through that Redis database.
"""

from __future__ import annotations

import contextvars
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from config import TestingConfig
from webapp import clock as clock_module
from webapp import create_app
from webapp.clock import FrozenClock
from webapp.extensions import db, limiter

TestingConfig.__test__ = False  # a config class, not a test class

TEST_PASSWORD = "correct horse battery staple"
FROZEN_AT = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        path = tmp_path_factory.mktemp("db") / "test.sqlite"
        yield f"sqlite:///{path}"
        return
    url = sa.make_url(server_url)
    name = f"certifikation_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    yield from _database_url(tmp_path_factory)


def make_config(database_url: str, tmp_path_factory, **overrides) -> TestingConfig:
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.STORAGE_PATH = str(tmp_path_factory.mktemp("storage"))
    config.WTF_CSRF_ENABLED = False  # the CSRF tests switch it back on
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    app = create_app(make_config(database_url, tmp_path_factory))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    frozen = FrozenClock(FROZEN_AT)
    previous = clock_module.install(frozen)
    yield frozen
    clock_module.install(previous)


@pytest.fixture
def app(_app: Flask, clock: FrozenClock) -> Iterator[Flask]:
    """The app inside an app context whose session runs in a transaction rolled back after the
    test; commits in views become savepoint releases."""
    saved_config = dict(_app.config)
    with _app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original_session = db.session
        # One session per app context, as in production: the test body has its own, each
        # request gets a fresh one (see IsolatedClient); all share the test's connection.
        db.session = scoped_session(
            sessionmaker(
                bind=connection,
                class_=Session,
                join_transaction_mode="create_savepoint",
                expire_on_commit=True,
            ),
            scopefunc=_app_context_scope,
        )
        try:
            yield _app
        finally:
            limiter.reset()  # rate-limit counters never carry over to the next test
            db.session.remove()
            db.session = original_session
            if transaction.is_active:
                transaction.rollback()
            connection.close()
            _app.config.clear()
            _app.config.update(saved_config)


def _app_context_scope() -> object:
    """The scope of `db.session`: one per app context (each has its own `g`)."""
    return g.setdefault("_test_session_scope", object())


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (fresh `g` and session), as in production,
    even though the test body holds an app context open: the request runs in an empty
    `contextvars.Context`, where no app context is active, so Flask pushes a new one.
    Afterwards the test's session is expired so it sees what the request committed. The body
    is read inside that context too (`buffered`), as a server reads a streamed response
    (`stream_with_context`) in the context of its request."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        if not has_app_context():  # a redirect followed from inside the empty context
            return super().open(*args, **kwargs)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def login(client: FlaskClient):
    """Log a user in through the real form: `login(user)`; returns the client."""

    def do_login(user, password: str = TEST_PASSWORD) -> FlaskClient:
        response = client.post("/auth/login", data={"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client

    return do_login


@pytest.fixture
def csrf_on(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = True
    return app


class QueryCounter:
    """Counts SQL statements sent on the test connection while active."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args, **kwargs) -> None:
        self.count += 1


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter: ...; counter.count` — statements run inside."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter)

    return counting
