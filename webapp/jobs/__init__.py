"""RQ job functions: thin adapters named by their effect, each registered with
`webapp.outbox.job("name")` — load by id, call a service, commit. The outbox (defer, dispatch,
sweep, `run_record`) lives in `webapp.outbox`, below the services.

Importing this package registers every job function; `rq cron` reads `cron_config`.
"""

from __future__ import annotations

from flask import Flask

from webapp import outbox
from webapp.jobs import certificates, mail, quizzes, recertification

# Records enqueued before the outbox moved name this entry point.
run_record = outbox.run_record

__all__ = ["certificates", "init_app", "mail", "quizzes", "recertification", "run_record"]


def init_app(app: Flask) -> None:
    """The job functions are registered (by importing this package); the outbox dispatches."""
    outbox.init_app(app)
