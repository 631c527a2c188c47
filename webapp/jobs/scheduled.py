"""Periodic jobs run by `rq cron` (see cron_config.py): they take no arguments and build the
app from the environment, like any worker job."""

from __future__ import annotations

import logging

from flask import has_app_context

from webapp import outbox
from webapp.extensions import db
from webapp.jobs import quizzes

log = logging.getLogger(__name__)


def _in_app(func):
    if has_app_context():
        return func()
    with outbox.worker_app().app_context():
        return func()


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
