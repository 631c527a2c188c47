"""Periodic jobs run by `rq cron` (see cron_config.py): they take no arguments and build the
app from the environment, like any worker job."""

from __future__ import annotations

import logging

from flask import has_app_context

from webapp import jobs

log = logging.getLogger(__name__)


def _in_app(func):
    if has_app_context():
        return func()
    with jobs._worker_app().app_context():
        return func()


def sweep_pending_jobs() -> int:
    """Enqueue job records left pending while Redis was unreachable."""
    return _in_app(lambda: jobs.sweep(older_than_seconds=30))
