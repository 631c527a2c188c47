"""RQ job functions: thin adapters named by their effect, each registered with
`webapp.outbox.job("name")` — load by id, call a service, commit. The outbox (defer, dispatch,
sweep, `run_record`) lives in `webapp.outbox`, below the services.

Importing this package registers every job function; `rq cron` reads `cron_config`, whose
functions (and RQ's entry point for every job) are in `webapp.worker`.
"""

from __future__ import annotations

from flask import Flask

from webapp import outbox
from webapp.jobs import certificates, mail, quizzes, recertification

__all__ = ["certificates", "init_app", "mail", "quizzes", "recertification"]


def init_app(app: Flask) -> None:
    """The job functions are registered (by importing this package); the outbox dispatches."""
    outbox.init_app(app)
