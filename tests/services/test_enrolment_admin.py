"""Admin actions on an enrolment: recording a requirement as met (the ledger path of attempts
and decisions, completing and certifying), cancelling with a reason, the page's read model
and how every ledger row says it was met."""

import pytest
import sqlalchemy as sa

from tests.factories import (
    TenantFactory,
    UserFactory,
    awaiting_evaluation,
    enrolled_learner,
    enrolment_in,
    evidence_path,
    issued_certificate,
    peer_quiz_path,
    requirement_ids,
)
from tests.quizdata import RIGHT
from webapp.errors import Conflict, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Certificate,
    EnrolmentStatus,
    LearnerTask,
    Notification,
    ProgressStatus,
    RequirementProgress,
    Role,
    TaskStatus,
)
from webapp.services import (
    automated_evaluation,
    certificates,
    dashboard,
    enrolment_admin,
    orchestration,
    peer_validation,
)
from webapp.services import certification_path_management as paths


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def admin(tenant):
    return UserFactory(tenant=tenant, role=Role.ADMIN, full_name="Ada Admin")


def progress_of(enrolment, requirement_id):
    return db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == requirement_id,
        )
    )


def task_status(enrolment, requirement_id):
    return db.session.scalar(
        sa.select(LearnerTask.status).where(
            LearnerTask.enrolment_id == enrolment.id, LearnerTask.requirement_id == requirement_id
        )
    )


def test_an_admin_records_a_requirement_as_met_with_the_reason(tenant, admin, clock):
    enrolment = enrolment_in(tenant, requirements=2)
    first, second = requirement_ids(enrolment)
    row = enrolment_admin.record_requirement_met(
        enrolment, first, admin, "  Observed on the job, form 12 on file.  "
    )
    assert row.status is ProgressStatus.MET and row.completed_at == clock.now()
    assert (row.recorded_by_id, row.recorded_reason) == (
        admin.id,
        "Observed on the job, form 12 on file.",
    )
    assert row.attempt_count == 0  # an admin's record is no attempt
    assert row.is_recorded and row.met_how == "recorded by Ada Admin"
    assert task_status(enrolment, first) is TaskStatus.DONE
    assert task_status(enrolment, second) is TaskStatus.OPEN
    assert enrolment.status is EnrolmentStatus.IN_PROGRESS
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "requirement.recorded")
    )
    assert (event.actor_id, event.subject_user_id, event.object_id) == (
        admin.id,
        enrolment.user_id,
        enrolment.id,
    )
    assert event.data["reason"] == "Observed on the job, form 12 on file."
    assert event.data["completed"] is False
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == enrolment.user_id, Notification.kind == "requirement_recorded"
        )
    )
    assert "Ada Admin" in note.body and "form 12" in note.body


def test_recording_the_last_mandatory_requirement_completes_and_certifies(tenant, admin):
    enrolment = enrolment_in(tenant, requirements=2, validity_days=365)
    first, second = requirement_ids(enrolment)
    orchestration.mark_content_complete(enrolment, first)
    enrolment_admin.record_requirement_met(enrolment, second, admin, "Signed off on paper.")
    assert enrolment.status is EnrolmentStatus.CERTIFIED
    certificate = certificates.certificate_of(enrolment.id)
    assert certificate is not None and certificate.user_id == enrolment.user_id
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "requirement.recorded")
    )
    assert event.data["completed"] is True


def test_a_recorded_requirement_is_never_downgraded_by_a_later_result(tenant, admin):
    learner, enrolment, quiz_id = enrolled_learner(tenant)
    enrolment_admin.record_requirement_met(enrolment, quiz_id, admin, "Passed the paper test.")
    orchestration.record_result(enrolment, quiz_id, ProgressStatus.FAILED, evaluation_id=None)
    row = progress_of(enrolment, quiz_id)
    assert row.status is ProgressStatus.MET and row.met_how == "recorded by Ada Admin"
    assert row.attempt_count == 1  # the later attempt counts, and changes nothing else


def test_recording_waits_for_no_mentor(tenant, admin):
    """A passing attempt awaiting a mentor: the admin's record makes it met now."""
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, peer_quiz_path(tenant))
    quiz_id = requirement_ids(enrolment)[0]
    awaiting_evaluation(enrolment, quiz_id)
    enrolment_admin.record_requirement_met(enrolment, quiz_id, admin, "Checked in person.")
    assert progress_of(enrolment, quiz_id).met_how == "recorded by Ada Admin"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_recording_needs_a_reason(tenant, admin, reason):
    enrolment = enrolment_in(tenant)
    with pytest.raises(ValidationFailed) as refused:
        enrolment_admin.record_requirement_met(
            enrolment, requirement_ids(enrolment)[0], admin, reason
        )
    assert "reason" in refused.value.problems
    assert progress_of(enrolment, requirement_ids(enrolment)[0]).status is ProgressStatus.PENDING


def test_recording_is_refused_for_a_met_requirement_a_closed_enrolment_or_a_stranger(tenant, admin):
    enrolment = enrolment_in(tenant, requirements=2)
    first, second = requirement_ids(enrolment)
    orchestration.mark_content_complete(enrolment, first)
    with pytest.raises(Conflict, match="already met"):
        enrolment_admin.record_requirement_met(enrolment, first, admin, "Again.")
    assert progress_of(enrolment, first).recorded_reason is None
    with pytest.raises(NotFound):
        enrolment_admin.record_requirement_met(enrolment, 999_999, admin, "Nope.")
    enrolment_admin.cancel_enrolment(enrolment, admin, "Left.")
    with pytest.raises(Conflict, match="cancelled"):
        enrolment_admin.record_requirement_met(enrolment, second, admin, "Too late.")
    certified = issued_certificate(tenant).enrolment
    with pytest.raises(Conflict, match="certified"):
        enrolment_admin.record_requirement_met(
            certified, requirement_ids(certified)[0], admin, "Too late."
        )


def test_cancelling_keeps_the_ledger_and_closes_the_open_tasks(tenant, admin, clock):
    enrolment = enrolment_in(tenant, requirements=2)
    first, second = requirement_ids(enrolment)
    orchestration.mark_content_complete(enrolment, first)
    enrolment_admin.cancel_enrolment(enrolment, admin, " Moved to another site. ")
    assert enrolment.status is EnrolmentStatus.CANCELLED
    assert (enrolment.cancelled_at, enrolment.cancel_reason) == (
        clock.now(),
        "Moved to another site.",
    )
    assert progress_of(enrolment, first).status is ProgressStatus.MET
    assert progress_of(enrolment, second).status is ProgressStatus.PENDING
    assert task_status(enrolment, second) is TaskStatus.DONE
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "enrolment.cancelled")
    )
    assert (event.actor_id, event.subject_user_id) == (admin.id, enrolment.user_id)
    assert event.data == {"reason": "Moved to another site.", "previous_status": "in_progress"}
    note = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "enrolment_cancelled")
    )
    assert note.user_id == enrolment.user_id and "Moved to another site." in note.body


def test_a_cancelled_enrolment_leaves_the_dashboard_and_the_learner_may_enrol_again(tenant, admin):
    enrolment = enrolment_in(tenant)
    learner = enrolment.user
    enrolment_admin.cancel_enrolment(enrolment, admin, "Wrong programme.")
    assert dashboard.enrolment_summaries(learner) == []
    again, created = paths.enrol(learner, enrolment.programme)
    assert created and again.id != enrolment.id and again.status is EnrolmentStatus.IN_PROGRESS


def test_cancelling_needs_a_reason_and_an_open_enrolment(tenant, admin):
    enrolment = enrolment_in(tenant)
    with pytest.raises(ValidationFailed):
        enrolment_admin.cancel_enrolment(enrolment, admin, " ")
    assert enrolment.status is EnrolmentStatus.IN_PROGRESS
    enrolment_admin.cancel_enrolment(enrolment, admin, "First.")
    with pytest.raises(Conflict, match="already cancelled"):
        enrolment_admin.cancel_enrolment(enrolment, admin, "Second.")
    assert enrolment.cancel_reason == "First."
    certified = issued_certificate(tenant).enrolment
    with pytest.raises(Conflict, match="Revoke its certificate"):
        enrolment_admin.cancel_enrolment(certified, admin, "No.")
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def test_every_ledger_row_says_how_it_was_met(tenant, admin):
    mentor = UserFactory(tenant=tenant, role=Role.MENTOR)
    learner = UserFactory(tenant=tenant)
    enrolment, _ = paths.enrol(learner, evidence_path(tenant, content_requirements=2))
    evidence, read, observed = requirement_ids(enrolment)
    submission = peer_validation.submit_evidence(
        enrolment, evidence, learner, "My report.", None, [("report.txt", b"report")]
    )
    peer_validation.decide(submission, mentor, "approved", "Good.")
    orchestration.mark_content_complete(enrolment, read)
    assert progress_of(enrolment, observed).met_how is None
    enrolment_admin.record_requirement_met(enrolment, observed, admin, "Seen.")
    labels = [r.progress.met_how for r in enrolment_admin.ledger_rows(enrolment)]
    assert labels == [
        f"evidence submission #{submission.id}",
        "marked complete",
        "recorded by Ada Admin",
    ]
    db.session.delete(admin)
    db.session.flush()
    db.session.expire_all()
    assert progress_of(enrolment, observed).met_how == "recorded by an administrator"


def test_a_quiz_attempt_is_named_by_its_number(tenant):
    learner, enrolment, quiz_id = enrolled_learner(tenant)
    attempt, _ = automated_evaluation.start_attempt(learner, enrolment, quiz_id)
    assert automated_evaluation.submit_attempt(attempt, learner, RIGHT)
    assert progress_of(enrolment, quiz_id).met_how == f"quiz attempt #{attempt.id}"


def test_the_enrolment_page_reads_in_a_constant_number_of_queries(tenant, admin, count_queries):
    def queries_for(requirements):
        enrolment = enrolment_in(tenant, requirements=requirements)
        for requirement_id in requirement_ids(enrolment)[: requirements - 1]:
            recorder = UserFactory(tenant=tenant, role=Role.ADMIN)
            enrolment_admin.record_requirement_met(enrolment, requirement_id, recorder, "Seen.")
        db.session.expire_all()
        with count_queries() as counter:
            page = enrolment_admin.enrolment_page(enrolment)
            labels = [r.progress.met_how for r in page.rows]
            [e.actor.full_name for e in page.events]
        assert len(labels) == requirements
        return counter.count

    assert queries_for(2) == queries_for(6)
