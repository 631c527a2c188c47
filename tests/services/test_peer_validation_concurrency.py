"""Mentors deciding the same subject at the same moment leave exactly one decision.

Proved on PostgreSQL with committed data: every thread has its own app context, session and
connection, and all of them call `decide` together behind a barrier. What the test commits is
deleted at the end.
"""

import os
import threading

import pytest
import sqlalchemy as sa

from tests.factories import (
    TenantFactory,
    UserFactory,
    awaiting_evaluation,
    evidence_path,
    peer_quiz_path,
)
from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Evaluation,
    EvaluationStatus,
    EvidenceSubmission,
    Notification,
    PeerValidation,
    RequirementProgress,
    Role,
    SubmissionStatus,
    Tenant,
    User,
)
from webapp.services import certification_path_management as paths
from webapp.services import peer_validation as reviews

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
    ),
]


def delete_tenant(tenant_id: int) -> None:
    """Delete every row of a tenant, dependent tables first."""
    for table in reversed(db.metadata.sorted_tables):
        if "tenant_id" in table.c:
            db.session.execute(table.delete().where(table.c.tenant_id == tenant_id))
    db.session.execute(sa.delete(Tenant).where(Tenant.id == tenant_id))


@pytest.fixture
def committed(_app, clock):
    """An app context whose session really commits (no wrapping test transaction); the tenants
    listed in the yielded list are deleted afterwards."""
    tenants: list[int] = []
    with _app.app_context():
        try:
            yield tenants
        finally:
            db.session.rollback()
            for tenant_id in tenants:
                delete_tenant(tenant_id)
            db.session.commit()
            db.session.remove()


def decide_together(app, model, subject_id: int, decisions: list[tuple[int, str]]) -> list[str]:
    """Run `decide` for each (mentor id, decision) in its own thread, released at once."""
    barrier = threading.Barrier(len(decisions))
    results: list[str] = []

    def run(mentor_id: int, decision: str) -> None:
        with app.app_context():
            try:
                subject = db.session.get(model, subject_id)
                mentor = db.session.get(User, mentor_id)
                barrier.wait(timeout=10)
                reviews.decide(subject, mentor, decision, "Decided in a race.")
                db.session.commit()
                results.append("decided")
            except Conflict:
                db.session.rollback()
                results.append("conflict")
            except Exception as error:  # reported in the assertion below
                db.session.rollback()
                results.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=decision) for decision in decisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results)


def make_submission(tenants: list[int], *, required_approvals: int = 1, mentors: int = 3):
    tenant = TenantFactory()
    db.session.flush()
    tenants.append(tenant.id)
    learner = UserFactory(tenant=tenant)
    team = [UserFactory(tenant=tenant, role=Role.MENTOR) for _ in range(mentors)]
    programme = evidence_path(tenant, required_approvals=required_approvals)
    enrolment, _ = paths.enrol(learner, programme)
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    submission = reviews.submit_evidence(enrolment, requirement_id, learner, "Done.", None, [])
    db.session.commit()
    return submission.id, [m.id for m in team], learner.id, enrolment.id, requirement_id


@pytest.mark.parametrize(
    "choices",
    [
        pytest.param(["approved", "approved", "approved"], id="three-mentors-approve"),
        pytest.param(["approved", "rejected"], id="approve-and-reject"),
    ],
)
def test_mentors_deciding_at_the_same_moment_leave_one_decision(_app, committed, choices):
    submission_id, mentors, learner_id, enrolment_id, requirement_id = make_submission(committed)
    results = decide_together(
        _app, EvidenceSubmission, submission_id, list(zip(mentors, choices, strict=False))
    )
    assert results == ["conflict"] * (len(choices) - 1) + ["decided"], results
    db.session.expire_all()
    validations = db.session.scalars(
        sa.select(PeerValidation).where(PeerValidation.submission_id == submission_id)
    ).all()
    assert len(validations) == 1
    submission = db.session.get(EvidenceSubmission, submission_id)
    assert submission.status.value == validations[0].decision.value
    row = db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == enrolment_id,
            RequirementProgress.requirement_id == requirement_id,
        )
    )
    assert row.attempt_count == 1
    audited = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.object_type == "evidence_submission", AuditEvent.object_id == submission_id
        )
    )
    told = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.user_id == learner_id)
    )
    assert (audited, told) == (1, 1)


def test_one_mentor_deciding_twice_at_once_leaves_one_decision(_app, committed):
    submission_id, mentors, *_ = make_submission(committed, required_approvals=2)
    results = decide_together(
        _app, EvidenceSubmission, submission_id, [(mentors[0], "approved")] * 3
    )
    assert results == ["conflict", "conflict", "decided"], results
    db.session.expire_all()
    count = db.session.scalar(
        sa.select(sa.func.count(PeerValidation.id)).where(
            PeerValidation.submission_id == submission_id
        )
    )
    assert count == 1
    # One approval of the two needed: still pending.
    assert db.session.get(EvidenceSubmission, submission_id).status is SubmissionStatus.PENDING


def test_n_approvals_arriving_together_are_all_counted(_app, committed):
    submission_id, mentors, *_ = make_submission(committed, required_approvals=2, mentors=2)
    results = decide_together(
        _app, EvidenceSubmission, submission_id, [(m, "approved") for m in mentors]
    )
    assert results == ["decided", "decided"], results
    db.session.expire_all()
    assert db.session.get(EvidenceSubmission, submission_id).status is SubmissionStatus.APPROVED


def test_mentors_validating_an_attempt_at_the_same_moment_leave_one_decision(_app, committed):
    tenant = TenantFactory()
    db.session.flush()
    committed.append(tenant.id)
    learner = UserFactory(tenant=tenant)
    mentors = [UserFactory(tenant=tenant, role=Role.MENTOR) for _ in range(3)]
    enrolment, _ = paths.enrol(learner, peer_quiz_path(tenant))
    requirement_id = enrolment.program_snapshot["requirements"][0]["requirement_id"]
    evaluation = awaiting_evaluation(enrolment, requirement_id)
    db.session.commit()
    results = decide_together(
        _app,
        Evaluation,
        evaluation.id,
        [(mentors[0].id, "approved"), (mentors[1].id, "rejected"), (mentors[2].id, "approved")],
    )
    assert results == ["conflict", "conflict", "decided"], results
    db.session.expire_all()
    assert db.session.get(Evaluation, evaluation.id).status is EvaluationStatus.GRADED
    count = db.session.scalar(
        sa.select(sa.func.count(PeerValidation.id)).where(
            PeerValidation.evaluation_id == evaluation.id
        )
    )
    assert count == 1
