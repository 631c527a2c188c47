"""The demo seed: certificates in every state, enrolments at several stages, reviews waiting,
a regrade that ran, notifications and e-mails — all through the services, relative to the
given day; a second run replaces the demo (one copy, new dates) and leaves other tenants
alone; the CLI commits, renders the PDFs and deletes the replaced demo's files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import FROZEN_AT
from tests.factories import (
    OrgUnitFactory,
    SkillFactory,
    TenantFactory,
    UserFactory,
    issued_certificate,
    published_path,
)
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import (
    Base,
    Certificate,
    CertificateStatus,
    CertificationPath,
    Enrolment,
    EnrolmentStatus,
    Evaluation,
    EvidenceSubmission,
    JobRecord,
    JobStatus,
    Notification,
    OutboxEmail,
    PdfStatus,
    ProgressStatus,
    RegradeBatch,
    RegradeStatus,
    RequirementProgress,
    SubmissionStatus,
    Tenant,
    User,
    path_prerequisites,
    path_skills,
)
from webapp.services import automated_evaluation as evaluation
from webapp.services import certificates as certs
from webapp.services import demo, peer_validation
from webapp.services.demo import builder, content, purge
from webapp.storage import get_storage

TODAY = FROZEN_AT


@pytest.fixture
def seeded(app):
    return demo.seed(TODAY)


def user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def certificates_of(email: str) -> list[Certificate]:
    return list(
        db.session.scalars(
            sa.select(Certificate)
            .where(Certificate.user_id == user(email).id)
            .order_by(Certificate.issued_at)
        )
    )


def status(certificate: Certificate, today: datetime = TODAY) -> str:
    return certs.display_status(certificate, today, 30)


def enrolments_of(email: str) -> list[Enrolment]:
    return list(
        db.session.scalars(
            sa.select(Enrolment).where(Enrolment.user_id == user(email).id).order_by(Enrolment.id)
        )
    )


def ledger(enrolment: Enrolment) -> dict[str, ProgressStatus]:
    kinds = {r["requirement_id"]: r["kind"] for r in enrolment.program_snapshot["requirements"]}
    rows = db.session.scalars(
        sa.select(RequirementProgress).where(RequirementProgress.enrolment_id == enrolment.id)
    )
    return {kinds[row.requirement_id]: row.status for row in rows}


def demo_tenant_ids() -> list[int]:
    return list(
        db.session.scalars(sa.select(Tenant.id).where(Tenant.slug.in_(list(demo.DEMO_TENANTS))))
    )


def counts() -> dict[str, int]:
    ids = demo_tenant_ids()
    return {
        "tenants": len(ids),
        "users": db.session.scalar(
            sa.select(sa.func.count(User.id)).where(User.tenant_id.in_(ids))
        ),
        "certificates": db.session.scalar(
            sa.select(sa.func.count(Certificate.id)).where(Certificate.tenant_id.in_(ids))
        ),
        "enrolments": db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(Enrolment.tenant_id.in_(ids))
        ),
    }


def test_learners_hold_certificates_in_every_state(seeded):
    (active,) = certificates_of("learner@acme.test")
    assert status(active) == "active" and active.pdf_status is PdfStatus.PENDING

    (expiring,) = certificates_of("learner2@acme.test")
    assert status(expiring) == "expiring"
    assert expiring.expires_at - TODAY < timedelta(days=30)

    (expired,) = certificates_of("learner3@acme.test")
    assert expired.status is CertificateStatus.EXPIRED and expired.expires_at < TODAY
    assert expired.enrolment.status is EnrolmentStatus.EXPIRED
    renewal = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.renewal_of_enrolment_id == expired.enrolment_id)
    )
    assert renewal.status is EnrolmentStatus.IN_PROGRESS

    (revoked,) = certificates_of("learner4@acme.test")
    assert revoked.status is CertificateStatus.REVOKED
    assert revoked.revoked_reason == content.REVOCATION_REASON
    assert revoked.revoked_by_id == user("admin@acme.test").id

    old, new = certificates_of("learner5@acme.test")
    assert old.status is CertificateStatus.EXPIRED and status(new) == "active"
    assert new.renews_certificate_id == old.id
    assert db.session.get(Enrolment, new.enrolment_id).renewal_of_enrolment_id == old.enrolment_id
    assert certs.verification_record(old, TODAY)["renewed_by"]["number"] == new.number
    assert certs.verification_record(new, TODAY)["renews"]["number"] == old.number

    (never,) = certificates_of("learner@globex.test")
    assert status(never) == "active" and never.expires_at is None

    assert seeded.certificates == {"active": 3, "expiring": 1, "expired": 2, "revoked": 1}
    assert seeded.renewed_certificates == 1


def test_enrolments_stand_at_several_stages(seeded):
    # The renewal of the certificate that expires soon was opened by the daily job: untouched.
    robin_first, robin_renewal = enrolments_of("learner2@acme.test")
    assert robin_renewal.renewal_of_enrolment_id == robin_first.id
    assert set(ledger(robin_renewal).values()) == {ProgressStatus.PENDING}

    sam_renewal = enrolments_of("learner3@acme.test")[-1]
    assert ledger(sam_renewal)["content"] is ProgressStatus.MET
    assert ledger(sam_renewal)["quiz"] is ProgressStatus.PENDING

    lee_specialty = enrolments_of("learner@acme.test")[-1]
    assert lee_specialty.programme.slug == "confined-space-entry"
    assert ledger(lee_specialty) == {
        "content": ProgressStatus.MET,
        "evidence": ProgressStatus.AWAITING_VALIDATION,
    }

    # Failed the quiz an hour ago: the cooldown runs (one retry a day), attempts are left.
    kim = user("learner4@acme.test")
    kim_again = enrolments_of("learner4@acme.test")[-1]
    assert kim_again.status is EnrolmentStatus.IN_PROGRESS
    quiz_id = next(
        r["requirement_id"]
        for r in kim_again.program_snapshot["requirements"]
        if r["kind"] == "quiz"
    )
    state = evaluation.requirement_state(kim, kim_again, quiz_id, TODAY)
    assert ledger(kim_again)["quiz"] is ProgressStatus.FAILED
    assert state.retry_at is not None and state.retry_at > TODAY + timedelta(hours=12)
    assert "next attempt" in state.blocker and state.attempts_left == 2


def test_evidence_waits_in_the_mentors_queue(seeded):
    queue = peer_validation.review_queue(user("mentor@acme.test"))
    assert queue.total == 2 == seeded.reviews_waiting
    assert {item.learner_name for item in queue.items} == {"Lee Learner", "Drew Learner"}
    assert peer_validation.review_queue(user("mentor@globex.test")).total == 0

    drew_submissions = list(
        db.session.scalars(
            sa.select(EvidenceSubmission)
            .where(EvidenceSubmission.user_id == user("learner6@acme.test").id)
            .order_by(EvidenceSubmission.id)
        )
    )
    assert [s.status for s in drew_submissions] == [
        SubmissionStatus.REJECTED,
        SubmissionStatus.PENDING,
    ]
    assert "fire-exit" in drew_submissions[0].validations[0].comment
    assert all(s.files for s in drew_submissions)


def test_a_corrected_key_was_regraded(seeded):
    (batch,) = db.session.scalars(sa.select(RegradeBatch)).all()
    assert batch.status is RegradeStatus.DONE and batch.finished_at < TODAY
    assert batch.requirements_newly_met == 1 and batch.attempts_rescored >= 6
    assert batch.reason == content.CORRECTION_REASON

    drew_enrolment = enrolments_of("learner6@acme.test")[0]
    assert ledger(drew_enrolment)["quiz"] is ProgressStatus.MET
    attempt_id = db.session.scalar(
        sa.select(RequirementProgress.satisfied_by_evaluation_id).where(
            RequirementProgress.enrolment_id == drew_enrolment.id,
            RequirementProgress.satisfied_by_evaluation_id.is_not(None),
        )
    )
    regraded = db.session.get(Evaluation, attempt_id)
    assert [(v.version, v.passed) for v in regraded.score_versions] == [(1, False), (2, True)]
    # The job deferred by the correction finds the batch done after the commit.
    assert db.session.scalar(sa.select(JobRecord.name).where(JobRecord.name == "regrade_batch"))


def test_notifications_and_emails_follow_from_the_services(seeded):
    ids = demo_tenant_ids()
    kinds = set(
        db.session.scalars(sa.select(Notification.kind).where(Notification.tenant_id.in_(ids)))
    )
    assert {
        "certificate_issued",
        "certificate_revoked",
        "renewal_opened",
        "certificate_expiring",
        "certificate_expired",
        "review.requested",
        "review.approved",
        "review.rejected",
    } <= kinds
    read = db.session.scalars(
        sa.select(Notification.read_at).where(Notification.tenant_id.in_(ids))
    ).all()
    assert any(r is not None for r in read) and any(r is None for r in read)
    emails = db.session.scalar(
        sa.select(sa.func.count(OutboxEmail.id)).where(OutboxEmail.tenant_id.in_(ids))
    )
    assert emails == seeded.emails > 10 and seeded.notifications > 10
    # After the commit the deferred jobs render every PDF and deliver the e-mails (the CLI
    # adds the delivery of the daily job's e-mails).
    jobs = db.session.scalars(sa.select(JobRecord.name)).all()
    assert jobs.count("render_certificate_pdf") == 7
    assert "deliver_email" in jobs


def test_the_history_ends_today_and_the_clock_is_restored(seeded, clock):
    assert clock.now() == FROZEN_AT
    moments = db.session.scalars(sa.select(Enrolment.started_at)).all()
    moments += db.session.scalars(sa.select(Certificate.issued_at)).all()
    assert max(moments) <= TODAY and min(moments) < TODAY - timedelta(days=365)
    assert seeded.expiry_runs >= 5


def test_the_clock_is_restored_when_a_story_fails(app, clock, monkeypatch):
    def broken(self):
        yield self.day(5)
        raise RuntimeError("a demo story broke a rule")

    monkeypatch.setattr(builder.DemoBuilder, "_gus", broken)
    with pytest.raises(RuntimeError):
        demo.seed(TODAY)
    assert clock.now() == FROZEN_AT


def test_seeding_again_leaves_one_copy(seeded):
    first = counts()
    assert first == {"tenants": 2, "users": 11, "certificates": 7, "enrolments": 12}
    holders = {c.number: c.user.email for c in certificates_all()}
    again = demo.seed(TODAY)
    assert counts() == first
    assert {c.number: c.user.email for c in certificates_all()} == holders
    # The files of the replaced demo (nine evidence uploads; no PDF rendered before a commit).
    assert again.tenants_replaced == 2 and len(again.stale_files) == 9


def test_a_later_run_moves_every_date(app):
    demo.seed(TODAY)
    shift = timedelta(days=30)
    before = sorted(
        (c.user.email, c.issued_at + shift, c.expires_at and c.expires_at + shift, status(c))
        for c in certificates_all()
    )
    demo.seed(TODAY + shift)
    after = sorted(
        (c.user.email, c.issued_at, c.expires_at, status(c, TODAY + shift))
        for c in certificates_all()
    )
    assert len(before) == 7 and after == before


def certificates_all() -> list[Certificate]:
    ids = demo_tenant_ids()
    return list(db.session.scalars(sa.select(Certificate).where(Certificate.tenant_id.in_(ids))))


def tenant_rows(tenant_id: int) -> dict[str, list[dict]]:
    """Every row of the tenant, table by table (link tables by the tenant's programmes)."""
    rows: dict[str, list[dict]] = {}
    programme_ids = sa.select(CertificationPath.id).where(CertificationPath.tenant_id == tenant_id)
    for table in Base.metadata.sorted_tables:
        if "tenant_id" in table.c:
            condition = table.c.tenant_id == tenant_id
        elif table is path_skills or table is path_prerequisites:
            condition = table.c.path_id.in_(programme_ids)
        elif table.name == "tenants":
            condition = table.c.id == tenant_id
        else:
            continue
        order = list(table.primary_key.columns)
        rows[table.name] = [
            dict(r._mapping)
            for r in db.session.execute(table.select().where(condition).order_by(*order))
        ]
    return rows


def test_other_tenants_are_left_alone(app):
    other = TenantFactory(slug="acme-labs", name="Acme Labs")
    parent = OrgUnitFactory(tenant=other, name="HQ")
    OrgUnitFactory(tenant=other, name="Lab", parent_id=parent.id)
    holder = UserFactory(tenant=other, email="learner@acme-labs.test")
    issued_certificate(other, holder)
    basics = published_path(other, skills=[SkillFactory(tenant=other)])
    advanced = published_path(other)
    advanced.prerequisites = [basics]
    db.session.flush()
    before = tenant_rows(other.id)
    assert before["certificates"] and before["path_skills"] and before["path_prerequisites"]

    demo.seed(TODAY)
    demo.seed(TODAY + timedelta(days=1))
    db.session.expire_all()
    assert tenant_rows(other.id) == before


def test_the_purge_removes_every_row_of_the_demo_tenants(seeded):
    ids = demo_tenant_ids()
    programme_ids = list(
        db.session.scalars(
            sa.select(CertificationPath.id).where(CertificationPath.tenant_id.in_(ids))
        )
    )
    filled = {
        table.name
        for table in Base.metadata.sorted_tables
        if "tenant_id" in table.c
        and db.session.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.c.tenant_id.in_(ids))
        )
    }
    # The demo reaches nearly every table, so the purge is tested on real rows.
    assert {
        "certificates",
        "evidence_files",
        "peer_validations",
        "evaluation_score_versions",
        "regrade_batches",
        "portfolio_items",
        "learner_tasks",
        "audit_events",
        "job_records",
    } <= filled

    replaced, files = demo.purge_demo_tenants()
    assert replaced == 2 and files
    for table in Base.metadata.sorted_tables:
        if "tenant_id" in table.c:
            left = db.session.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.c.tenant_id.in_(ids))
            )
            assert left == 0, table.name
    for table in (path_skills, path_prerequisites):
        left = db.session.scalar(
            sa.select(sa.func.count()).select_from(table).where(table.c.path_id.in_(programme_ids))
        )
        assert left == 0, table.name
    assert demo.purge_demo_tenants() == (0, [])


def test_the_cli_commits_renders_the_pdfs_and_replaces_the_files(app):
    app.config["REDIS_URL"] = None
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for email, story in demo.DEMO_STORIES.items():
        assert email in result.output and story in result.output
    assert "1 expiring soon" in result.output and "1 revoked" in result.output
    db.session.expire_all()
    storage = get_storage()
    first = certificates_all()
    assert all(c.pdf_status is PdfStatus.READY and storage.exists(c.pdf_key) for c in first)
    ids = demo_tenant_ids()
    pending = db.session.scalar(
        sa.select(sa.func.count(OutboxEmail.id)).where(
            OutboxEmail.tenant_id.in_(ids), OutboxEmail.status != "sent"
        )
    )
    assert pending == 0
    assert not db.session.scalars(
        sa.select(JobRecord).where(JobRecord.status != JobStatus.DONE)
    ).all()
    assert db.session.scalar(sa.select(JobRecord).where(JobRecord.name == "deliver_outbox"))
    evidence_keys = purge._stored_files(ids)
    assert all(storage.exists(key) for key in evidence_keys)

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert "the previous demo was replaced" in again.output
    assert not any(storage.exists(key) for key in evidence_keys)
    db.session.expire_all()
    assert counts()["certificates"] == 7
    assert all(storage.exists(c.pdf_key) for c in certificates_all())


def test_seed_defaults_to_the_clock(app, clock):
    clock.set(datetime(2027, 3, 1, 12, 0, tzinfo=UTC))
    report = demo.seed()
    assert report.today == clock.now()
    assert clock.now() == datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def test_a_real_tenant_with_a_demo_slug_is_never_purged(app):
    acme = TenantFactory(slug="acme", name="Acme Corporation")
    UserFactory(tenant=acme, email="ceo@acme.example")
    with pytest.raises(Conflict, match="not the demo"):
        demo.seed(TODAY)
    db.session.expire_all()
    assert db.session.get(Tenant, acme.id).name == "Acme Corporation"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "not the demo" in result.output
