"""Grace periods: which certificates may have one and until when, the extension row (the
certificate itself untouched), the effective validity in status, verification, lists,
reminders and the daily expiry job (honoured, idempotent), on SQLite and PostgreSQL with the
frozen clock."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TenantFactory, UserFactory, issued_certificate
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Certificate,
    CertificateExtension,
    CertificateStatus,
    Enrolment,
    EnrolmentStatus,
    Notification,
    Role,
)
from webapp.services import certificates, recertification

EXPIRES = date(2026, 7, 15)  # 30 days after the frozen clock's 15 June 2026, 10:00 UTC


@pytest.fixture
def tenant(app):
    return TenantFactory(grace_period_max_days=30)


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN)


@pytest.fixture
def certificate(tenant):
    """Expires in 30 days, on 15 July 2026 at 10:00; its programme's renewal window is 30
    days, so it is inside it from today."""
    return issued_certificate(tenant, validity_days=30, renewal_window_days=30)


def run(at):
    report = recertification.run_expiry(at)
    db.session.flush()
    db.session.expire_all()
    return report


def enrolment_status(certificate):
    return db.session.get(Enrolment, certificate.enrolment_id).status


def test_an_expiring_certificate_gets_a_grace_period_as_its_own_row(certificate, admin, clock):
    expires_at = certificate.expires_at
    extension = certificates.extend_certificate(
        certificate, admin, date(2026, 8, 1), " Renewal course full until August. "
    )
    assert extension.extended_until == expires_at + timedelta(days=17)  # same time of day
    assert (extension.reason, extension.created_by_id) == (
        "Renewal course full until August.",
        admin.id,
    )
    db.session.expire_all()
    assert certificate.expires_at == expires_at  # never edited for validity
    assert certificate.grace_until == extension.extended_until
    assert certificate.valid_until == extension.extended_until
    later = clock.advance(days=31)  # past its own expiry, inside the grace period
    assert certificate.status_at(later) is CertificateStatus.ACTIVE
    assert certificate.grace_until_at(later) == extension.extended_until
    assert certificate.status_at(extension.extended_until) is CertificateStatus.EXPIRED
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "certificate.extended")
    )
    assert (event.actor_id, event.subject_user_id, event.object_id) == (
        admin.id,
        certificate.user_id,
        certificate.id,
    )
    assert event.data["reason"] == "Renewal course full until August."
    note = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "certificate_extended")
    )
    assert note.user_id == certificate.user_id and "01 Aug 2026" in note.body


def test_the_window_runs_from_the_renewal_window_to_the_limit(tenant, admin, clock):
    certificate = issued_certificate(tenant, validity_days=100, renewal_window_days=30)
    window = certificates.grace_window(certificate, clock.now())
    assert not window.open and "renewal window, from 24 Aug 2026" in window.refusal
    with pytest.raises(ValidationFailed, match="renewal window"):
        certificates.extend_certificate(certificate, admin, date(2026, 9, 30), "Early.")
    clock.advance(days=70)  # the renewal window opens
    window = certificates.grace_window(certificate, clock.now())
    assert (window.earliest, window.latest) == (date(2026, 9, 24), date(2026, 10, 23))
    clock.advance(days=30 + 29)  # expired 29 days ago: still possible, until the limit
    window = certificates.grace_window(certificate, clock.now())
    assert (window.earliest, window.latest) == (date(2026, 10, 23), date(2026, 10, 23))
    clock.advance(days=1)  # exactly at the limit: too late
    window = certificates.grace_window(certificate, clock.now())
    assert not window.open and "more than 30 days ago" in window.refusal


def test_the_limit_and_the_current_validity_bound_the_date(certificate, admin):
    with pytest.raises(ValidationFailed) as refused:
        certificates.extend_certificate(certificate, admin, date(2026, 8, 15), "One day too far.")
    assert "15 Aug 2026" not in refused.value.problems["until"][0]
    assert "to 14 Aug 2026" in refused.value.problems["until"][0]
    certificates.extend_certificate(certificate, admin, date(2026, 8, 14), "At the limit.")
    db.session.expire_all()
    window = certificates.grace_window(certificate, certificate.issued_at)
    assert not window.open and "already runs to the limit" in window.refusal
    assert db.session.scalar(sa.select(sa.func.count(CertificateExtension.id))) == 1


def test_a_second_grace_period_only_lengthens_the_first(certificate, admin):
    certificates.extend_certificate(certificate, admin, date(2026, 7, 25), "First.")
    db.session.expire_all()
    with pytest.raises(ValidationFailed) as refused:
        certificates.extend_certificate(certificate, admin, date(2026, 7, 20), "Shorter.")
    assert "from 26 Jul 2026" in refused.value.problems["until"][0]
    certificates.extend_certificate(certificate, admin, date(2026, 8, 5), "Longer.")
    db.session.expire_all()
    assert certificate.valid_until.date() == date(2026, 8, 5)


@pytest.mark.parametrize(
    ("until", "reason", "fields"),
    [
        (None, "Why.", {"until"}),
        (date(2026, 8, 1), " ", {"reason"}),
        (None, "", {"until", "reason"}),
    ],
)
def test_a_date_and_a_reason_are_required(certificate, admin, until, reason, fields):
    with pytest.raises(ValidationFailed) as refused:
        certificates.extend_certificate(certificate, admin, until, reason)
    assert set(refused.value.problems) == fields


def test_revoked_and_never_expiring_certificates_get_none(tenant, admin, clock):
    revoked = issued_certificate(tenant, validity_days=10)
    certificates.revoke_certificate(revoked, admin, "Fraud.")
    forever = issued_certificate(tenant)
    assert "revoked" in certificates.grace_window(revoked, clock.now()).refusal
    assert "does not expire" in certificates.grace_window(forever, clock.now()).refusal
    tenant.grace_period_max_days = 0
    fresh = issued_certificate(tenant, validity_days=10)
    assert "turned off" in certificates.grace_window(fresh, clock.now()).refusal


def test_the_expiry_job_honours_a_running_grace_period(certificate, admin, clock):
    extension = certificates.extend_certificate(
        certificate, admin, date(2026, 8, 1), "Course full."
    )
    until = extension.extended_until
    first = run(certificate.expires_at)
    second = run(certificate.expires_at)
    assert (first.certificates_expired, first.enrolments_expired) == (0, 0)
    assert (second.certificates_expired, second.enrolments_expired) == (0, 0)
    assert certificate.status is CertificateStatus.ACTIVE
    assert enrolment_status(certificate) is EnrolmentStatus.CERTIFIED
    assert run(until - timedelta(seconds=1)).certificates_expired == 0
    report = run(until)
    assert (report.certificates_expired, report.enrolments_expired) == (1, 1)
    assert certificate.status is CertificateStatus.EXPIRED and certificate.expired_at == until
    assert enrolment_status(certificate) is EnrolmentStatus.EXPIRED
    again = run(until)
    assert (again.certificates_expired, again.enrolments_expired, again.reminders_sent) == (0, 0, 0)


def test_a_just_expired_certificate_with_a_grace_period_is_valid_again(certificate, admin, clock):
    run(clock.advance(days=32))  # the job marks it and its enrolment expired
    assert certificate.status is CertificateStatus.EXPIRED
    assert enrolment_status(certificate) is EnrolmentStatus.EXPIRED
    record = certificates.verification_record(certificate, clock.now())
    assert (record["status"], record["grace_period_until"]) == ("expired", None)
    certificates.extend_certificate(certificate, admin, date(2026, 8, 10), "Exam rescheduled.")
    db.session.expire_all()
    assert certificate.status is CertificateStatus.ACTIVE and certificate.expired_at is None
    assert certificate.expires_at.date() == EXPIRES
    assert enrolment_status(certificate) is EnrolmentStatus.CERTIFIED
    record = certificates.verification_record(certificate, clock.now())
    assert record["status"] == "valid" and record["grace_period_until"] == "2026-08-10"
    assert record["expires_on"] == "2026-07-15"
    assert run(clock.now()).certificates_expired == 0
    report = run(clock.advance(days=24))  # 10 August, 10:00: the grace period has ended
    assert report.certificates_expired == 1
    assert certificate.status_at(clock.now()) is CertificateStatus.EXPIRED
    assert enrolment_status(certificate) is EnrolmentStatus.EXPIRED


def test_reminders_and_the_expiry_notice_count_to_the_end_of_the_grace_period(tenant, admin, clock):
    certificate = issued_certificate(tenant, validity_days=20, renewal_window_days=30)
    certificates.extend_certificate(certificate, admin, date(2026, 8, 4), "Waiting for a course.")
    user_id = certificate.user_id

    def notices():
        return set(
            db.session.scalars(
                sa.select(Notification.dedupe_key).where(
                    Notification.user_id == user_id,
                    Notification.dedupe_key.like(f"cert-{certificate.id}-%"),
                    Notification.kind.in_(["certificate_expiring", "certificate_expired"]),
                )
            )
        )

    run(clock.now())  # 50 days left with the grace period: no 30-day reminder yet
    assert notices() == set()
    run(clock.advance(days=21))  # past its own expiry: no expiry notice, 29 days left
    assert notices() == {f"cert-{certificate.id}-reminder-30"}
    run(clock.advance(days=23))  # 6 days left
    assert notices() == {f"cert-{certificate.id}-reminder-30", f"cert-{certificate.id}-reminder-7"}
    report = run(clock.advance(days=6))
    assert report.certificates_expired == 1
    assert f"cert-{certificate.id}-expired" in notices()


def test_admin_lists_and_my_certificates_read_the_effective_validity(certificate, admin, clock):
    certificates.extend_certificate(certificate, admin, date(2026, 8, 1), "Course full.")
    later = clock.advance(days=31)
    db.session.expire_all()

    def listed(**filters):
        return db.session.scalars(certificates.admin_query(admin.tenant_id, later, **filters)).all()

    assert listed(status="active") == [certificate]
    assert listed(status="expired") == []
    assert listed(expiring_within=20) == [certificate]
    assert certificates.display_status(certificate, later, soon_days=30) == "expiring"
    held = certificates.held_certificates(certificate.user, later, 30)
    assert held[0].grace_until == certificate.grace_until
    assert (
        db.session.scalar(sa.select(Certificate.id).where(Certificate.valid_until > later))
        == certificate.id
    )
