"""Certificate issuance, numbering, revocation, verification records and the CSV export."""

import csv
import io
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import SkillFactory, TenantFactory, UserFactory, issued_certificate
from tests.factories import published_path as make_programme
from webapp import clock
from webapp.errors import Conflict, InvalidTransition, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Certificate,
    CertificateCounter,
    CertificateStatus,
    Enrolment,
    EnrolmentStatus,
    HolderNameDisplay,
    JobRecord,
    Level,
    Notification,
    OutboxEmail,
    PdfStatus,
    PortfolioItem,
    Role,
)
from webapp.services import certificates, orchestration
from webapp.services import certification_path_management as paths


def enrolled(tenant=None, user=None, requirements=2, **programme_kwargs):
    tenant = tenant or TenantFactory()
    user = user or UserFactory(tenant=tenant)
    programme = make_programme(tenant, requirements=requirements, **programme_kwargs)
    enrolment, _ = paths.enrol(user, programme)
    ids = [r["requirement_id"] for r in enrolment.program_snapshot["requirements"]]
    return enrolment, ids


def test_completing_the_last_mandatory_requirement_issues_the_certificate(app):
    tenant = TenantFactory(name="Acme Safety")
    user = UserFactory(tenant=tenant, full_name="Ana <b>&")
    enrolment, (first, second) = enrolled(
        tenant, user, name="Fire Safety", validity_days=365, level=Level.ADVANCED
    )
    enrolment.programme.skills = [
        SkillFactory(tenant=tenant, name="Evacuation"),
        SkillFactory(tenant=tenant, name="Extinguishers"),
    ]
    orchestration.mark_content_complete(enrolment, first)
    assert certificates.certificate_of(enrolment.id) is None
    orchestration.mark_content_complete(enrolment, second)

    certificate = certificates.certificate_of(enrolment.id)
    now = clock.now()
    assert certificate.number == "CERT-2026-00001"
    assert certificate.status is CertificateStatus.ACTIVE
    assert certificate.issued_at == now
    assert certificate.expires_at == now + timedelta(days=365)
    assert certificate.path_version == "1.0"
    assert len(certificate.public_token) >= 32  # 24 random bytes = 192 bits
    assert certificate.pdf_status is PdfStatus.PENDING
    assert certificate.meta == {
        "holder_name": "Ana <b>&",
        "programme_name": "Fire Safety",
        "programme_slug": enrolment.programme.slug,
        "level": "advanced",
        "version": "1.0",
        "skills": ["Evacuation", "Extinguishers"],
        "badge_key": None,
        "issuer_name": "Acme Safety",
        "issuer_logo_key": None,
        "signatory_name": None,
        "signatory_title": None,
        "serial": 1,
    }
    assert enrolment.status is EnrolmentStatus.CERTIFIED
    assert enrolment.certified_at == now and enrolment.expires_at == certificate.expires_at


def test_issuance_writes_audit_notification_email_portfolio_item_and_pdf_job(app):
    enrolment, ids = enrolled(requirements=1, name="Ladders")
    orchestration.mark_content_complete(enrolment, ids[0])
    certificate = certificates.certificate_of(enrolment.id)
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "certificate.issued", AuditEvent.object_id == certificate.id
        )
    )
    assert certificate.number in event.summary
    notification = db.session.scalar(
        sa.select(Notification).where(Notification.user_id == enrolment.user_id)
    )
    assert notification.kind == "certificate_issued" and "Ladders" in notification.title
    assert notification.link == "http://certifikation.test/certs/my"
    assert db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == enrolment.user_id))
    job = db.session.scalar(sa.select(JobRecord).where(JobRecord.name == "render_certificate_pdf"))
    assert job.args == [certificate.id] and job.queue == "pdf"
    item = db.session.scalar(
        sa.select(PortfolioItem).where(PortfolioItem.certificate_id == certificate.id)
    )
    assert item.title == "Ladders" and item.is_public is False


def test_a_programme_without_validity_gives_a_certificate_that_never_expires(app):
    certificate = issued_certificate()
    assert certificate.expires_at is None


def test_issuance_is_idempotent(app):
    certificate = issued_certificate()
    enrolment = certificate.enrolment
    assert certificates.issue_certificate(enrolment) is certificate
    count = db.session.scalar(
        sa.select(sa.func.count(Certificate.id)).where(Certificate.enrolment_id == enrolment.id)
    )
    assert count == 1
    counter = db.session.get(CertificateCounter, (certificate.tenant_id, 2026))
    assert counter.last_number == 1  # the second call took no number


def test_a_renewal_certificate_links_the_one_it_renews(app):
    old = issued_certificate(validity_days=365)
    renewal, _ = paths.enrol(old.user, old.programme, renewal_of=old.enrolment)
    requirement = renewal.program_snapshot["requirements"][0]["requirement_id"]
    orchestration.mark_content_complete(renewal, requirement)
    new = certificates.certificate_of(renewal.id)
    assert new.renews_certificate_id == old.id and new.number == "CERT-2026-00002"


def test_only_completed_enrolments_are_certified(app):
    enrolment, _ = enrolled()
    with pytest.raises(Conflict):
        certificates.issue_certificate(enrolment)
    assert db.session.get(CertificateCounter, (enrolment.tenant_id, 2026)) is None


def test_numbers_are_sequential_per_year_and_a_new_year_starts_at_one(app, clock):
    tenant = TenantFactory()
    numbers = [issued_certificate(tenant).number for _ in range(3)]
    assert numbers == ["CERT-2026-00001", "CERT-2026-00002", "CERT-2026-00003"]
    clock.set(datetime(2027, 1, 1, 0, 0, tzinfo=UTC))
    assert issued_certificate(tenant).number == "CERT-2027-00001"
    clock.set(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    assert issued_certificate(tenant).number == "CERT-2026-00004"


def test_each_tenant_is_an_issuer_with_its_own_sequence(app):
    acme, globex = TenantFactory(), TenantFactory()
    numbers = [issued_certificate(tenant).number for tenant in (acme, globex, acme, globex, acme)]
    assert numbers == [
        "CERT-2026-00001",
        "CERT-2026-00001",
        "CERT-2026-00002",
        "CERT-2026-00002",
        "CERT-2026-00003",
    ]


def test_a_tenant_may_set_its_own_prefix(app):
    tenant = TenantFactory(certificate_prefix="ACME")
    assert issued_certificate(tenant).number == "ACME-2026-00001"
    assert issued_certificate(TenantFactory()).number == "CERT-2026-00001"


def test_numbers_are_unique_per_tenant_in_the_database(app):
    first = issued_certificate()
    other = issued_certificate()
    assert first.number == other.number  # two issuers, the same serial
    second = issued_certificate(first.user.tenant)
    second.number = first.number
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.flush()


def test_a_rolled_back_issuance_leaves_no_gap(app):
    tenant = TenantFactory()
    issued_certificate(tenant)
    with db.session.begin_nested() as savepoint:
        assert certificates.next_serial(tenant.id, 2026) == 2  # taken by a transaction that fails
        savepoint.rollback()
    assert issued_certificate(tenant).number == "CERT-2026-00002"


def test_number_format_and_tokens(app):
    assert certificates.format_number("CERT", 2026, 42) == "CERT-2026-00042"
    tokens = {certificates.new_public_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(certificates.TOKEN_RE.match(t) and len(t) == 32 for t in tokens)


def test_status_as_of_the_clock_counts_expiry_before_the_daily_job(app, clock):
    certificate = issued_certificate(validity_days=30)
    soon = app.config["CERT_EXPIRING_SOON_DAYS"]
    assert certificates.display_status(certificate, clock.now(), 7) == "active"
    assert certificates.display_status(certificate, clock.now(), soon) == "expiring"
    later = clock.advance(days=30)
    assert certificate.status is CertificateStatus.ACTIVE  # the job has not run
    assert certificate.status_at(later) is CertificateStatus.EXPIRED
    assert certificates.verification_record(certificate, later)["status"] == "expired"


def test_verification_record_shows_only_public_facts(app):
    tenant = TenantFactory(name="Acme Safety")
    user = UserFactory(tenant=tenant, full_name="Ana Maria Lopez-Diaz", email="ana@example.test")
    certificate = issued_certificate(tenant, user, name="Fire Safety", validity_days=365)
    record = certificates.verification_record(certificate, clock.now())
    assert record == {
        "programme": "Fire Safety",
        "version": "1.0",
        "holder": "Ana Maria Lopez-Diaz",
        "issuer": "Acme Safety",
        "number": "CERT-2026-00001",
        "issued_on": "2026-06-15",
        "expires_on": "2027-06-15",
        "status": "valid",
        "grace_period_until": None,
        "revoked_on": None,
    }
    tenant.holder_name_display = HolderNameDisplay.INITIALS
    assert certificates.verification_record(certificate, clock.now())["holder"] == "A.M.L.D."


def test_find_by_token_refuses_malformed_tokens(app):
    certificate = issued_certificate()
    assert certificates.find_by_token(certificate.public_token) is certificate
    for token in ("", "short", "x" * 65, "a" * 31 + "!", "' OR 1=1 --aaaaaaaaaaaaaa"):
        assert certificates.find_by_token(token) is None


def test_revocation_keeps_the_certificate_and_notifies_the_holder(app, clock):
    certificate = issued_certificate()
    admin = UserFactory(tenant_id=certificate.tenant_id, role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as error:
        certificates.revoke_certificate(certificate, admin, "   ")
    assert "reason" in error.value.problems
    clock.advance(days=3)
    certificates.revoke_certificate(certificate, admin, "Issued by mistake")
    assert certificate.status is CertificateStatus.REVOKED
    assert certificate.revoked_at == clock.now() and certificate.revoked_by_id == admin.id
    assert certificate.revoked_reason == "Issued by mistake"
    record = certificates.verification_record(certificate, clock.now())
    assert record["status"] == "revoked" and record["revoked_on"] == "2026-06-18"
    assert db.session.get(Certificate, certificate.id) is not None
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.user_id == certificate.user_id)
    ).all()
    assert "certificate_revoked" in kinds
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "certificate.revoked", AuditEvent.actor_id == admin.id
        )
    )
    with pytest.raises(InvalidTransition):
        certificates.revoke_certificate(certificate, admin, "Again")


def test_linkedin_link_is_prefilled_and_encoded(app):
    certificate = issued_certificate(name="Fire & Safety", validity_days=365)
    url = certificates.linkedin_url(certificate, "Acme & Co")
    assert url.startswith("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&")
    assert "name=Fire+%26+Safety" in url and "organizationName=Acme+%26+Co" in url
    assert "issueYear=2026&issueMonth=6" in url and "expirationYear=2027" in url
    assert "certId=CERT-2026-00001" in url
    assert "certUrl=http%3A%2F%2Fcertifikation.test%2Fcerts%2Fverify%2F" in url


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("Ana", "Ana"),
        (None, ""),
    ],
)
def test_csv_cells_cannot_start_a_formula(value, cell):
    assert certificates.csv_cell(value) == cell


def test_csv_export_escapes_every_cell(app):
    tenant = TenantFactory()
    user = UserFactory(tenant=tenant, full_name="=cmd|' /C calc'!A0")
    certificate = issued_certificate(tenant, user, name="@Programme")
    text = certificates.export_csv([certificate], clock.now())
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[0] == "number"
    assert row[1] == "'=cmd|' /C calc'!A0" and row[3] == "'@Programme"


# --- Concurrency on PostgreSQL --------------------------------------------------------------

RACE_YEAR = 2031


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)
def test_parallel_completions_get_unique_numbers_without_gaps(_app, clock):
    """Many enrolments completed at the same moment from parallel threads, each with its own
    session and connection, committing for real: numbers 1..N, no duplicates, no gaps."""
    clock.set(datetime(RACE_YEAR, 3, 1, 9, 0, tzinfo=UTC))
    workers = 12
    with _app.app_context():
        tenant = TenantFactory()
        programme = make_programme(tenant, requirements=1)
        pending = []
        for _ in range(workers):
            enrolment, _ = paths.enrol(UserFactory(tenant=tenant), programme)
            pending.append((enrolment.id, enrolment.program_snapshot["requirements"][0]))
        # One enrolment completed twice at once must still get one certificate.
        pending.append(pending[0])
        db.session.commit()
        tenant_id = tenant.id
    barrier = threading.Barrier(len(pending))
    errors = []

    def complete(enrolment_id, requirement):
        with _app.app_context():
            try:
                enrolment = db.session.get(Enrolment, enrolment_id)
                barrier.wait(timeout=30)
                try:
                    orchestration.mark_content_complete(enrolment, requirement["requirement_id"])
                except Conflict:
                    db.session.rollback()  # the twin completed it first
                    return
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=complete, args=args) for args in pending]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with _app.app_context():
            numbers = db.session.scalars(
                sa.select(Certificate.number).where(Certificate.tenant_id == tenant_id)
            ).all()
        assert errors == []
        assert sorted(numbers) == [f"CERT-{RACE_YEAR}-{n:05d}" for n in range(1, workers + 1)]
    finally:
        with _app.app_context():
            delete_tenant(tenant_id)
            db.session.execute(
                sa.delete(CertificateCounter).where(CertificateCounter.year == RACE_YEAR)
            )
            db.session.commit()


def delete_tenant(tenant_id: int) -> None:
    """Remove everything a committed test wrote for one tenant (children first)."""
    for table in reversed(db.metadata.sorted_tables):
        if "tenant_id" in table.c:
            db.session.execute(table.delete().where(table.c.tenant_id == tenant_id))
    db.session.execute(sa.text("DELETE FROM tenants WHERE id = :id"), {"id": tenant_id})
