"""Expiry and recertification: the daily job, renewal enrolments, reminders — moved clock."""

import os
import secrets
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, published_path
from webapp import clock
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    Enrolment,
    EnrolmentStatus,
    LearnerTask,
    Notification,
    OutboxEmail,
    RequirementProgress,
    Role,
)
from webapp.services import certification_path_management as paths
from webapp.services import recertification
from webapp.services.recertification import batches

ALLOWED = ("pdf",)
_numbers = iter(range(1, 10_000_000))


def certify(user, programme, *, expires_in_days=365, version=None):
    """An active certificate for `user` in `programme`, issued now, expiring after N days."""
    enrolment, _ = paths.enrol(user, programme)
    now = clock.now()
    enrolment.status = EnrolmentStatus.CERTIFIED
    enrolment.completed_at = enrolment.certified_at = now
    expires = now + timedelta(days=expires_in_days) if expires_in_days is not None else None
    enrolment.expires_at = expires
    certificate = Certificate(
        tenant_id=user.tenant_id,
        org_unit_id=user.org_unit_id,
        enrolment_id=enrolment.id,
        user_id=user.id,
        path_id=programme.id,
        path_version=version or enrolment.path_version,
        number=f"CERT-2026-{next(_numbers):05d}",
        issued_at=now,
        expires_at=expires,
        public_token=secrets.token_urlsafe(24),
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


@pytest.fixture
def setup(app):
    tenant = TenantFactory()
    programme = published_path(tenant, requirements=2, validity_days=365, renewal_window_days=30)
    user = UserFactory(tenant=tenant)
    return tenant, programme, user


def run(at):
    report = recertification.run_expiry(at)
    db.session.flush()
    db.session.expire_all()
    return report


def test_a_run_limited_to_some_tenants_leaves_the_others_alone(setup, clock):
    tenant, programme, user = setup
    mine = certify(user, programme, expires_in_days=20)
    other_tenant = TenantFactory()
    other_programme = published_path(other_tenant, validity_days=365)
    other = certify(UserFactory(tenant=other_tenant), other_programme, expires_in_days=20)
    later = clock.advance(days=21)
    report = recertification.run_expiry(later, [tenant.id])
    db.session.expire_all()
    assert (report.certificates_expired, report.reminders_sent) == (1, 1)
    assert mine.status is CertificateStatus.EXPIRED
    assert other.status is CertificateStatus.ACTIVE  # for the daily run of every tenant
    assert run(later).certificates_expired == 1


def test_expiry_happens_at_the_exact_instant(setup, clock):
    _, programme, user = setup
    certificate = certify(user, programme)
    expires_at = certificate.expires_at
    report = run(expires_at - timedelta(seconds=1))
    assert report.certificates_expired == 0
    assert certificate.status is CertificateStatus.ACTIVE
    report = run(expires_at)
    assert report.certificates_expired == 1 and report.enrolments_expired == 1
    assert certificate.status is CertificateStatus.EXPIRED
    assert certificate.expired_at == expires_at
    assert db.session.get(Enrolment, certificate.enrolment_id).status is EnrolmentStatus.EXPIRED


def test_certificates_without_expiry_never_expire(setup):
    _, programme, user = setup
    certificate = certify(user, programme, expires_in_days=None)
    report = run(clock.now() + timedelta(days=10_000))
    assert report.certificates_expired == 0 and report.renewals_opened == 0
    assert certificate.status is CertificateStatus.ACTIVE


def test_renewal_opens_on_the_first_day_of_the_window(setup):
    tenant, programme, user = setup
    certificate = certify(user, programme)
    window_opens = certificate.expires_at - timedelta(days=30)
    assert run(window_opens - timedelta(seconds=1)).renewals_opened == 0
    report = run(window_opens)
    assert report.renewals_opened == 1
    renewal = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id == certificate.enrolment_id)
    )
    assert renewal.status is EnrolmentStatus.IN_PROGRESS
    assert renewal.user_id == user.id and renewal.path_id == programme.id
    assert renewal.started_at == window_opens
    assert len(renewal.progress) == 2
    tasks = db.session.scalars(
        sa.select(LearnerTask).where(LearnerTask.enrolment_id == renewal.id)
    ).all()
    assert len(tasks) == 2
    note = db.session.scalar(
        sa.select(Notification).where(Notification.dedupe_key == f"renewal-{renewal.id}")
    )
    assert note is not None and note.user_id == user.id
    # The old certificate is untouched; renewal never extends it.
    assert certificate.status is CertificateStatus.ACTIVE


def test_renewal_uses_the_current_published_definition(setup):
    tenant, programme, user = setup
    certificate = certify(user, programme)
    paths.add_requirement(programme, None, "content", {"title": "New rule", "body": "x"}, ALLOWED)
    paths.publish_path(programme, None)
    run(certificate.expires_at - timedelta(days=10))
    renewal = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id == certificate.enrolment_id)
    )
    assert renewal.path_version == "2.0"
    assert [r["title"] for r in renewal.program_snapshot["requirements"]][-1] == "New rule"
    assert len(renewal.progress) == 3


def test_a_second_run_changes_nothing(setup):
    _, programme, user = setup
    certificate = certify(user, programme)
    at = certificate.expires_at + timedelta(days=1)
    first = run(certificate.expires_at - timedelta(days=7))
    assert first.renewals_opened == 1 and first.reminders_sent >= 1
    for moment in (certificate.expires_at - timedelta(days=7), at):
        run(moment)
    again = run(at)
    assert (
        again.certificates_expired,
        again.enrolments_expired,
        again.renewals_opened,
        again.reminders_sent,
        again.emails_queued,
    ) == (0, 0, 0, 0, 0)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(
                Enrolment.renewal_of_enrolment_id == certificate.enrolment_id
            )
        )
        == 1
    )


def test_reminders_at_each_offset_once_and_on_expiry(setup, app):
    _, programme, user = setup
    certificate = certify(user, programme)
    expires = certificate.expires_at

    def keys():
        return set(
            db.session.scalars(
                sa.select(Notification.dedupe_key).where(
                    Notification.user_id == user.id, Notification.kind != "renewal_opened"
                )
            )
        )

    assert recertification.send_reminders(expires - timedelta(days=30, seconds=1)) == 0
    assert recertification.send_reminders(expires - timedelta(days=30)) == 1
    assert recertification.send_reminders(expires - timedelta(days=29)) == 0
    assert recertification.send_reminders(expires - timedelta(days=7)) == 1
    assert recertification.send_reminders(expires - timedelta(days=1)) == 0
    assert recertification.send_reminders(expires) == 1
    assert recertification.send_reminders(expires + timedelta(hours=1)) == 0
    assert keys() == {
        f"cert-{certificate.id}-reminder-30",
        f"cert-{certificate.id}-reminder-7",
        f"cert-{certificate.id}-expired",
    }
    emails = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.user_id == user.id)).all()
    assert len(emails) == 3 and all(e.to_address == user.email for e in emails)


def test_a_late_first_run_sends_only_the_current_band(setup):
    _, programme, user = setup
    certificate = certify(user, programme)
    assert recertification.send_reminders(certificate.expires_at - timedelta(days=3)) == 1
    key = db.session.scalar(
        sa.select(Notification.dedupe_key).where(Notification.user_id == user.id)
    )
    assert key == f"cert-{certificate.id}-reminder-7"


def test_reminder_offsets_are_configurable(setup, app):
    app.config["CERT_REMINDER_OFFSETS_DAYS"] = (60,)
    _, programme, user = setup
    certificate = certify(user, programme)
    assert recertification.send_reminders(certificate.expires_at - timedelta(days=60)) == 1
    assert recertification.send_reminders(certificate.expires_at - timedelta(days=7)) == 0


def test_major_version_starts_renewal_after_the_grace_period(setup, clock):
    tenant, programme, user = setup
    programme.recert_grace_days = 14
    certify(user, programme, expires_in_days=700)
    clock.advance(days=1)
    paths.add_requirement(programme, None, "content", {"title": "New rule", "body": "x"}, ALLOWED)
    major_at = clock.now()
    assert paths.publish_path(programme, None).version == "2.0"
    assert run(major_at + timedelta(days=14) - timedelta(seconds=1)).renewals_opened == 0
    assert run(major_at + timedelta(days=14)).renewals_opened == 1
    # A holder of the current major version is not asked to renew early.
    other = UserFactory(tenant=tenant)
    certify(other, programme, expires_in_days=700)
    assert run(major_at + timedelta(days=20)).renewals_opened == 0


def test_no_renewal_when_an_enrolment_is_already_open(setup):
    _, programme, user = setup
    certificate = certify(user, programme)
    certificate.status = CertificateStatus.ACTIVE
    db.session.flush()
    # The learner already re-enrolled by hand: the job must not add a second open enrolment.
    second = Enrolment(
        tenant_id=user.tenant_id,
        user_id=user.id,
        path_id=programme.id,
        program_snapshot=certificate.enrolment.program_snapshot,
        path_version="1.0",
    )
    db.session.add(second)
    db.session.flush()
    assert run(certificate.expires_at - timedelta(days=5)).renewals_opened == 0


def test_revoked_certificates_are_left_alone(setup):
    _, programme, user = setup
    certificate = certify(user, programme)
    certificate.revoke(clock.now(), "Fraud", None)
    report = run(certificate.expires_at + timedelta(days=1))
    assert report.certificates_expired == 0 and report.renewals_opened == 0
    assert certificate.status is CertificateStatus.REVOKED


def _refuse_row(table: str, row_id: int) -> None:
    """Make the database refuse updates of one row, as a corrupt row would."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text(
                "CREATE OR REPLACE FUNCTION refuse_row() RETURNS trigger AS $$ BEGIN "
                "IF NEW.id = " + str(int(row_id)) + " THEN RAISE EXCEPTION 'corrupt row'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        db.session.execute(
            sa.text(
                f"CREATE TRIGGER refuse_row BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_row()"
            )
        )
    else:
        db.session.execute(
            sa.text(
                f"CREATE TEMP TRIGGER refuse_row BEFORE UPDATE ON {table} "
                f"WHEN NEW.id = {int(row_id)} BEGIN SELECT RAISE(ABORT, 'corrupt row'); END"
            )
        )


def test_one_bad_row_is_logged_and_skipped(setup, caplog):
    tenant, programme, user = setup
    good = [certify(UserFactory(tenant=tenant), programme) for _ in range(3)]
    bad = certify(user, programme)
    _refuse_row("certificates", bad.id)
    report = run(bad.expires_at + timedelta(seconds=1))
    assert report.certificates_expired == 3
    assert report.skipped_rows == [
        f"certificate {bad.id}: " + report.skipped_rows[0].split(": ")[1]
    ]
    assert "skipped certificate" in caplog.text
    assert all(c.status is CertificateStatus.EXPIRED for c in good)
    assert bad.status is CertificateStatus.ACTIVE


def test_cli_runs_the_job_with_as_of(setup, app):
    _, programme, user = setup
    certificate = certify(user, programme)
    db.session.commit()
    day = (certificate.expires_at + timedelta(days=1)).date().isoformat()
    result = app.test_cli_runner().invoke(args=["certs", "run-expiry", "--as-of", day])
    assert result.exit_code == 0, result.output
    assert "1 certificates expired" in result.output
    bad = app.test_cli_runner().invoke(args=["certs", "run-expiry", "--as-of", "someday"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_dashboard_marks_renewals_with_the_current_expiry(setup, client, login):
    _, programme, user = setup
    certificate = certify(user, programme)
    run(certificate.expires_at - timedelta(days=10))
    login(user)
    html = client.get("/certs").get_data(as_text=True)
    assert "Renewal" in html
    assert f"Your current certificate expires on {certificate.expires_at:%d %b %Y}" in html


def test_admin_expiring_report(setup, client, login, count_queries):
    tenant, programme, user = setup
    login(UserFactory(tenant=tenant, role=Role.ADMIN))
    certify(user, programme, expires_in_days=20)
    soon = certify(UserFactory(tenant=tenant), programme, expires_in_days=50)
    run(soon.expires_at - timedelta(days=45))
    html = client.get("/certs/admin/reports/expiring?days=60").get_data(as_text=True)
    assert programme.name in html and user.full_name in html
    assert "not opened yet" in html or "In progress" in html

    def queries():
        with count_queries() as counter:
            assert client.get("/certs/admin/reports/expiring?days=90").status_code == 200
        return counter.count

    before = queries()
    for _ in range(10):
        certify(UserFactory(tenant=tenant), programme, expires_in_days=40)
    assert queries() == before


needs_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)
needs_redis = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL"
)


@needs_redis
def test_a_real_rq_worker_runs_the_expiry_job(setup, app):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from webapp import outbox

    _, programme, user = setup
    certificate = certify(user, programme)
    app.config["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    connection = Redis.from_url(app.config["REDIS_URL"])
    connection.flushdb()
    outbox.defer(
        "run_expiry", (certificate.expires_at + timedelta(days=1)).isoformat(), queue="scheduled"
    )
    db.session.commit()
    outbox.dispatch_committed()
    worker = SimpleWorker(
        [Queue("scheduled", connection=connection), Queue("mail", connection=connection)],
        connection=connection,
    )
    assert worker.work(burst=True)
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status is CertificateStatus.EXPIRED
    connection.flushdb()


@needs_postgres
def test_two_concurrent_runs_on_postgresql_open_each_renewal_once(_app):
    """Committed data, two threads with their own connections run the job at the same time."""
    from tests.e2e.conftest import empty_all_tables

    with _app.app_context():
        tenant = TenantFactory()
        programme = published_path(tenant, requirements=2, validity_days=365)
        certificates = [certify(UserFactory(tenant=tenant), programme) for _ in range(40)]
        at = certificates[0].expires_at - timedelta(days=5)
        db.session.commit()
        errors, reports = [], []
        barrier = threading.Barrier(2)

        def worker():
            try:
                with _app.app_context():
                    barrier.wait()
                    reports.append(recertification.run_expiry(at))
                    db.session.commit()
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == []
            renewals = db.session.scalar(
                sa.select(sa.func.count(Enrolment.id)).where(
                    Enrolment.renewal_of_enrolment_id.is_not(None)
                )
            )
            assert renewals == 40
            assert sum(r.renewals_opened for r in reports) == 40
            rows = db.session.scalar(
                sa.select(sa.func.count(RequirementProgress.id))
                .join(Enrolment)
                .where(Enrolment.renewal_of_enrolment_id.is_not(None))
            )
            assert rows == 80
        finally:
            db.session.rollback()
            empty_all_tables()


def test_a_completed_renewal_issues_a_new_certificate_linked_both_ways(setup, client):
    """The renewal is a new enrolment and a new certificate; the old one is never extended."""
    from webapp.services import orchestration

    _, programme, user = setup
    enrolment, _ = paths.enrol(user, programme)
    for requirement in enrolment.program_snapshot["requirements"]:
        orchestration.mark_content_complete(enrolment, requirement["requirement_id"])
    old = db.session.scalar(sa.select(Certificate).where(Certificate.enrolment_id == enrolment.id))
    old_expiry = old.expires_at
    run(old.expires_at - timedelta(days=10))
    renewal = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id == enrolment.id)
    )
    for requirement in renewal.program_snapshot["requirements"]:
        orchestration.mark_content_complete(renewal, requirement["requirement_id"])
    new = db.session.scalar(sa.select(Certificate).where(Certificate.enrolment_id == renewal.id))
    assert new.number != old.number and new.renews_certificate_id == old.id
    db.session.expire_all()
    assert db.session.get(Certificate, old.id).expires_at == old_expiry
    db.session.commit()
    new_page = client.get(f"/certs/verify/{new.public_token}.json").get_json()
    old_page = client.get(f"/certs/verify/{old.public_token}.json").get_json()
    assert new_page["renews"]["number"] == old.number
    assert new_page["renews"]["url"].endswith(f"/certs/verify/{old.public_token}")
    assert old_page["renewed_by"]["number"] == new.number
    html = client.get(f"/certs/verify/{old.public_token}").get_data(as_text=True)
    assert f"/certs/verify/{new.public_token}" in html and "Renewed by" in html


def test_batches_walk_every_row_once_even_with_equal_expiry_times(setup, monkeypatch):
    """Keyset batches over (expires_at, id): ties on expires_at are neither skipped nor
    repeated, whatever the batch size."""
    tenant, programme, _ = setup
    monkeypatch.setattr(batches, "BATCH_SIZE", 2)
    certificates = [certify(UserFactory(tenant=tenant), programme) for _ in range(5)]
    assert len({c.expires_at for c in certificates}) == 1
    soon = run(certificates[0].expires_at - timedelta(days=7))
    assert (soon.renewals_opened, soon.reminders_sent) == (5, 5)
    assert soon.emails_queued == 10  # the renewal notice and the 7-day reminder
    expired = run(certificates[0].expires_at)
    assert (expired.certificates_expired, expired.enrolments_expired) == (5, 5)
    assert expired.reminders_sent == 5 and expired.emails_queued == 5
    assert all(c.status is CertificateStatus.EXPIRED for c in certificates)


def test_the_daily_run_audits_each_certificate_it_expires_once(app, clock):
    from tests.factories import issued_certificate
    from webapp.models import AuditEvent

    certificate = issued_certificate(validity_days=10)
    clock.advance(days=11)
    recertification.run_expiry(clock.now())
    recertification.run_expiry(clock.now())  # a rerun expires nothing and audits nothing
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "certificate.expired")
    ).all()
    assert [(e.object_id, e.subject_user_id, e.actor_id) for e in events] == [
        (certificate.id, certificate.user_id, None)
    ]
    assert events[0].created_at == clock.now() and events[0].tenant_id == certificate.tenant_id


def test_the_daily_run_audits_each_renewal_it_opens_once(app, clock):
    from tests.factories import issued_certificate
    from webapp.models import AuditEvent

    certificate = issued_certificate(validity_days=20)  # inside the 30-day renewal window
    recertification.run_expiry(clock.now())
    recertification.run_expiry(clock.now())
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "enrolment.renewal_opened")
    ).all()
    assert [(e.subject_user_id, e.actor_id, e.object_type) for e in events] == [
        (certificate.user_id, None, "enrolment")
    ]
