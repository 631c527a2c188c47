"""Entry points of the worker processes, above the layers (they build the app, which wires
everything): RQ calls `run_record` for every job, `rq cron` (webapp.jobs.cron_config) calls
the periodic functions below. Each takes no app context and enters the process's own app,
created once from the environment; inside one (tests, `flask` commands) it uses that one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, has_app_context

from webapp import create_app, outbox
from webapp.extensions import db
from webapp.jobs import quizzes

T = TypeVar("T")
_app: Flask | None = None


def worker_app() -> Flask:
    """The app of this worker process, created once from the environment."""
    global _app
    if _app is None:
        _app = create_app(None)
    return _app


def _in_app(func: Callable[[], T]) -> T:
    if has_app_context():
        return func()
    with worker_app().app_context():
        return func()


def run_record(record_id: int) -> None:
    """What RQ runs for every job record: the registered job function, once."""
    _in_app(lambda: outbox.run_record(record_id))


def sweep_pending_jobs() -> int:
    """Enqueue job records left pending while Redis was unreachable."""
    return _in_app(lambda: outbox.sweep(older_than_seconds=30))


def _run_now(name: str) -> None:
    """Write a job record and dispatch it (the record makes the run visible to admins)."""
    outbox.defer(name, queue="scheduled")
    db.session.commit()
    outbox.dispatch_committed()


def daily_expiry() -> None:
    """The daily expiry and recertification run."""
    _in_app(lambda: _run_now("run_expiry"))


def hourly_reminders() -> None:
    """The hourly reminder sender."""
    _in_app(lambda: _run_now("send_reminders"))


def finalize_overdue_attempts() -> int:
    """Grade quiz attempts whose time ran out (every minute; cheap when there are none, so it
    runs directly instead of writing a job record each time)."""
    return _in_app(quizzes.finalize_overdue_attempts)
