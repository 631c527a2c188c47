"""The transactional job outbox, below the services (which may import it).

`defer("name", *ids)` writes a `JobRecord` in the current transaction. After the commit,
`dispatch_committed()` hands each record to RQ (with `REDIS_URL`) or runs it in-process
(embedded default). When Redis is down the record stays `pending` and `flask jobs sweep`
(run by `rq cron`) enqueues it later. `run_record` runs the function registered under the
record's name once (RQ calls it through `webapp.worker`, which builds the app). The job
functions themselves are thin adapters in `webapp.jobs`, registered with `@job("name")`; they
take ids, reload, check state, and are safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp import clock
from webapp.extensions import db
from webapp.models import JobRecord, JobStatus

log = logging.getLogger(__name__)

JobFunc = Callable[..., Any]
REGISTRY: dict[str, JobFunc] = {}
QUEUES = ("default", "pdf", "mail", "scheduled")


def job(name: str) -> Callable[[JobFunc], JobFunc]:
    """Register a job function under a stable name (stored in job records)."""

    def decorator(func: JobFunc) -> JobFunc:
        REGISTRY[name] = func
        return func

    return decorator


def defer(name: str, *args: Any, queue: str = "default", tenant_id: int | None = None) -> JobRecord:
    """Record a job to run after the current transaction commits. Flushes; never commits."""
    if name not in REGISTRY:
        raise KeyError(f"unknown job {name!r}")
    record = JobRecord(name=name, args=list(args), queue=queue, tenant_id=tenant_id)
    db.session.add(record)
    db.session.flush()
    db.session.info.setdefault("deferred_job_ids", []).append(record.id)
    return record


@event.listens_for(Session, "after_commit")
def _promote_on_commit(session: Session) -> None:
    ids = session.info.pop("deferred_job_ids", [])
    if ids:
        session.info.setdefault("committed_job_ids", []).extend(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    # Only the outermost rollback forgets; a record deferred inside a rolled-back savepoint
    # no longer exists and is skipped at dispatch.
    if previous_transaction.parent is None:
        session.info.pop("deferred_job_ids", None)


def dispatch_committed() -> int:
    """Enqueue (or, without Redis, run) the jobs whose records were just committed."""
    dispatched = 0
    while True:
        ids = db.session.info.pop("committed_job_ids", [])
        if not ids:
            return dispatched
        for record_id in ids:
            dispatch(record_id)
            dispatched += 1


def dispatch(record_id: int) -> None:
    if current_app.config.get("REDIS_URL"):
        _enqueue(record_id)
    else:
        run_record(record_id)


def redis_connection() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2)


def _enqueue(record_id: int) -> bool:
    record = db.session.get(JobRecord, record_id)
    if record is None or record.status is not JobStatus.PENDING:
        return False
    try:
        Queue(record.queue, connection=redis_connection()).enqueue(
            "webapp.worker.run_record",
            record_id,
            job_id=f"certifikation-job-{record_id}-{record.attempts}",
            retry=Retry(max=3, interval=[10, 60, 300]),
            description=record.name,
        )
    except RedisError as exc:
        log.warning("Redis unavailable, job %s stays pending for the sweep: %s", record_id, exc)
        return False
    # Set-based on purpose: only a still pending record becomes enqueued, so a worker that
    # already started it (or the sweep racing this dispatch) is not overwritten.
    db.session.execute(
        sa.update(JobRecord)
        .where(JobRecord.id == record_id, JobRecord.status == JobStatus.PENDING)
        .values(status=JobStatus.ENQUEUED, enqueued_at=clock.now())
    )
    db.session.commit()
    return True


def sweep(older_than_seconds: int = 30) -> int:
    """Enqueue pending records (Redis was down when they were written). Returns the count."""
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    ids = db.session.scalars(
        sa.select(JobRecord.id)
        .where(JobRecord.status == JobStatus.PENDING, JobRecord.created_at <= cutoff)
        .order_by(JobRecord.id)
        .limit(1000)
    ).all()
    count = 0
    for record_id in ids:
        if current_app.config.get("REDIS_URL"):
            count += _enqueue(record_id)
        else:
            run_record(record_id)
            count += 1
    return count


def run_record(record_id: int) -> None:
    """Run the function registered under the record's name once, inside the current app
    context (a worker process enters one first: `webapp.worker.run_record`)."""
    record = db.session.get(JobRecord, record_id)
    if record is None or record.status is JobStatus.DONE:
        return
    func = REGISTRY[record.name]
    record.start()
    args = list(record.args)
    db.session.commit()
    try:
        func(*args)
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s (%s) failed", record_id, record.name)
        _finish(record_id, JobStatus.FAILED, f"{type(exc).__name__}: {exc}")
        if current_app.config.get("REDIS_URL"):
            raise  # RQ retries it
        return
    _finish(record_id, JobStatus.DONE, None)
    dispatch_committed()


def _finish(record_id: int, status: JobStatus, error: str | None) -> None:
    # Set-based on purpose: runs after the job's own commits or rollback, by id, whatever the
    # job did to the session.
    db.session.execute(
        sa.update(JobRecord)
        .where(JobRecord.id == record_id)
        .values(status=status, error=error, finished_at=clock.now())
    )
    db.session.commit()


def init_app(app: Flask) -> None:
    """Dispatch the jobs a request committed once its response is ready."""

    @app.after_request
    def _dispatch_after_commit(response):
        dispatch_committed()
        return response
