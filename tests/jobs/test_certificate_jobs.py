"""The PDF job: runs after the commit, renders once (also with two workers at once), records
failures for admins and lets RQ retry, survives a Redis outage, and runs on a real worker."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, issued_certificate, published_path
from webapp import outbox
from webapp.extensions import db
from webapp.models import Certificate, JobRecord, JobStatus, PdfStatus, Role
from webapp.services import certificates
from webapp.services import certification_path_management as paths
from webapp.services.certificates import pdf as certificate_pdfs
from webapp.storage import get_storage

needs_redis = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL not set (run by .ci/run)"
)


def pdf_files() -> set[Path]:
    root = Path(get_storage().root) / "certificates"
    return set(root.rglob("*.pdf")) if root.exists() else set()


def pdf_job(certificate: Certificate) -> JobRecord:
    return db.session.scalars(
        sa.select(JobRecord)
        .where(JobRecord.name == "render_certificate_pdf")
        .where(JobRecord.args == [certificate.id])
        .order_by(JobRecord.id)
    ).first()


def test_pdf_is_rendered_after_the_commit_and_once(app):
    app.config["REDIS_URL"] = None
    before = pdf_files()
    certificate = issued_certificate()
    assert certificate.pdf_status is PdfStatus.PENDING
    db.session.commit()
    outbox.dispatch_committed()
    db.session.expire_all()
    assert certificate.pdf_status is PdfStatus.READY and certificate.pdf_error is None
    rendered_at = certificate.pdf_rendered_at
    assert pdf_files() - before == {Path(get_storage().path(certificate.pdf_key))}
    assert pdf_job(certificate).status is JobStatus.DONE
    # Running it again (a retry, a duplicate record) changes nothing.
    assert certificates.store_certificate_pdf(certificate.id) is False
    outbox.REGISTRY["render_certificate_pdf"](certificate.id)
    db.session.expire_all()
    assert certificate.pdf_rendered_at == rendered_at
    assert pdf_files() - before == {Path(get_storage().path(certificate.pdf_key))}


def test_two_workers_at_once_leave_one_file_and_one_ready_transition(app, monkeypatch):
    """Worker B runs completely while worker A is rendering: A's conditional update finds the
    PDF ready and changes nothing; both wrote the same key."""
    before = pdf_files()
    certificate = issued_certificate()
    real_render = certificate_pdfs.render
    outcomes, started = [], []

    def render_while_another_worker_runs(document):
        if not started:
            started.append("B")
            outcomes.append(("B", certificates.store_certificate_pdf(certificate.id)))
        return real_render(document)

    monkeypatch.setattr(certificate_pdfs, "render", render_while_another_worker_runs)
    outcomes.append(("A", certificates.store_certificate_pdf(certificate.id)))
    assert outcomes == [("B", True), ("A", False)]
    db.session.expire_all()
    assert certificate.pdf_status is PdfStatus.READY
    assert len(pdf_files() - before) == 1


def test_a_failing_render_is_recorded_for_admins_and_retried_under_rq(app, monkeypatch):
    certificate = issued_certificate()
    db.session.commit()

    def broken(document):
        raise RuntimeError("the badge font is missing")

    monkeypatch.setattr(certificate_pdfs, "render", broken)
    record = pdf_job(certificate)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # as under RQ: the error propagates
    with pytest.raises(RuntimeError):
        outbox.run_record(record.id)
    db.session.expire_all()
    assert certificate.pdf_status is PdfStatus.FAILED
    assert certificate.pdf_error == "RuntimeError: the badge font is missing"
    assert db.session.get(JobRecord, record.id).status is JobStatus.FAILED
    # RQ's retry runs the same record again; this time it works.
    monkeypatch.undo()
    outbox.run_record(record.id)
    db.session.expire_all()
    assert certificate.pdf_status is PdfStatus.READY and certificate.pdf_error is None
    assert db.session.get(JobRecord, record.id).status is JobStatus.DONE


def test_admin_re_render_queues_a_new_render(app):
    app.config["REDIS_URL"] = None
    certificate = issued_certificate()
    db.session.commit()
    outbox.dispatch_committed()
    admin = UserFactory(tenant_id=certificate.tenant_id, role=Role.ADMIN)
    certificates.request_pdf_render(certificate, admin)
    assert certificate.pdf_status is PdfStatus.PENDING
    db.session.commit()
    outbox.dispatch_committed()
    db.session.expire_all()
    assert certificate.pdf_status is PdfStatus.READY
    records = db.session.scalars(
        sa.select(JobRecord.status).where(JobRecord.name == "render_certificate_pdf")
    ).all()
    assert records[-2:] == [JobStatus.DONE, JobStatus.DONE]


def test_redis_down_keeps_the_pdf_pending_until_the_sweep(app, client, login):
    tenant = TenantFactory()
    learner = UserFactory(tenant=tenant)
    programme = published_path(tenant, requirements=1, slug="basics")
    enrolment, _ = paths.enrol(learner, programme)
    requirement = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    login(learner)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.post(f"/certs/programs/basics/requirements/{requirement}/complete")
    assert response.status_code == 303
    certificate = certificates.certificate_of(enrolment.id)
    assert certificate.pdf_status is PdfStatus.PENDING
    assert pdf_job(certificate).status is JobStatus.PENDING
    page = client.get("/certs/my").get_data(as_text=True)
    assert "PDF being prepared" in page and "Download PDF" not in page
    app.config["REDIS_URL"] = None  # the queue is back (embedded mode runs it in-process)
    assert outbox.sweep(older_than_seconds=0) >= 1
    db.session.expire_all()
    assert certificate.pdf_status is PdfStatus.READY
    page = client.get("/certs/my").get_data(as_text=True)
    assert "Download PDF" in page and "PDF being prepared" not in page


@pytest.mark.redis
@needs_redis
def test_a_real_worker_renders_the_pdf_once_even_when_queued_twice(app):
    from redis import Redis
    from rq import Queue, SimpleWorker

    app.config["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    connection = Redis.from_url(app.config["REDIS_URL"])
    connection.flushdb()
    before = pdf_files()
    certificate = issued_certificate()
    # A duplicate record for the same certificate, as if the job had been deferred twice.
    outbox.defer("render_certificate_pdf", certificate.id, queue="pdf")
    db.session.commit()
    outbox.dispatch_committed()
    records = db.session.scalars(
        sa.select(JobRecord).where(JobRecord.name == "render_certificate_pdf")
    ).all()
    assert [r.status for r in records] == [JobStatus.ENQUEUED, JobStatus.ENQUEUED]
    queue = Queue("pdf", connection=connection)
    # And RQ handing the first record out twice (a redelivery).
    queue.enqueue("webapp.worker.run_record", records[0].id, job_id="certifikation-job-dup")
    assert queue.count == 3
    worker = SimpleWorker([queue], connection=connection)
    assert worker.work(burst=True)
    db.session.expire_all()
    assert certificate.pdf_status is PdfStatus.READY
    assert pdf_files() - before == {Path(get_storage().path(certificate.pdf_key))}
    assert {db.session.get(JobRecord, r.id).status for r in records} == {JobStatus.DONE}
    connection.flushdb()
