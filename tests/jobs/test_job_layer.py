"""The job layer: records written with their cause, run after the commit, in-process or by a
real RQ worker on a real Redis."""

import os

import pytest
import sqlalchemy as sa

from tests.factories import UserFactory
from webapp import outbox
from webapp.extensions import db
from webapp.models import EmailStatus, JobRecord, JobStatus, OutboxEmail
from webapp.services import mail

needs_redis = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set (run by .ci/run)"
)


def test_inline_job_runs_after_the_commit(app):
    user = UserFactory()
    email = mail.queue_email(user, "Hello", "Body")
    record = db.session.scalar(sa.select(JobRecord).where(JobRecord.args == [email.id]))
    assert record.status is JobStatus.PENDING
    assert email.status is EmailStatus.PENDING
    app.config["REDIS_URL"] = None
    db.session.commit()
    assert outbox.dispatch_committed() == 1
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status is EmailStatus.SENT
    assert db.session.get(JobRecord, record.id).status is JobStatus.DONE


def test_rolled_back_work_dispatches_nothing(app):
    user = UserFactory()
    db.session.commit()
    mail.queue_email(user, "Never", "sent")
    db.session.rollback()
    assert outbox.dispatch_committed() == 0


def test_job_is_safe_to_run_twice(app):
    user = UserFactory()
    email = mail.queue_email(user, "Once", "only")
    app.config["REDIS_URL"] = None
    db.session.commit()
    outbox.dispatch_committed()
    record = db.session.scalar(sa.select(JobRecord).where(JobRecord.args == [email.id]))
    outbox.run_record(record.id)  # already done: nothing happens
    mail.deliver(email.id)
    assert db.session.get(OutboxEmail, email.id).attempts == 1


def test_redis_down_leaves_the_job_pending_for_the_sweep(app):
    user = UserFactory()
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    email = mail.queue_email(user, "Later", "body")
    db.session.commit()
    outbox.dispatch_committed()
    record = db.session.scalar(sa.select(JobRecord).where(JobRecord.args == [email.id]))
    assert record.status is JobStatus.PENDING
    # The sweep (rq cron / flask jobs sweep) hands it on once a queue is reachable; here the
    # embedded mode runs it in-process.
    app.config["REDIS_URL"] = None
    assert outbox.sweep(older_than_seconds=0) == 1
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status is EmailStatus.SENT


@needs_redis
def test_a_real_worker_runs_the_job_from_a_real_redis(app):
    from redis import Redis
    from rq import Queue, SimpleWorker

    app.config["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    connection = Redis.from_url(app.config["REDIS_URL"])
    connection.flushdb()
    user = UserFactory()
    email = mail.queue_email(user, "Through Redis", "body")
    db.session.commit()
    outbox.dispatch_committed()
    record = db.session.scalar(sa.select(JobRecord).where(JobRecord.args == [email.id]))
    assert record.status is JobStatus.ENQUEUED
    assert Queue("mail", connection=connection).count == 1
    worker = SimpleWorker([Queue("mail", connection=connection)], connection=connection)
    assert worker.work(burst=True)
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status is EmailStatus.SENT
    assert db.session.get(JobRecord, record.id).status is JobStatus.DONE
    connection.flushdb()
