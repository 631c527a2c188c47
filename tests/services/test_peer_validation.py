"""Peer validation: uploads checked by content and size, the mentor's rules, decisions driving
the ledger, notifications, e-mails and the audit log."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import (
    OrgUnitFactory,
    TenantFactory,
    UserFactory,
    awaiting_evaluation,
    evidence_path,
    peer_quiz_path,
)
from webapp.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    EnrolmentStatus,
    EvaluationStatus,
    EvidenceFile,
    EvidenceSubmission,
    Notification,
    OutboxEmail,
    PeerValidation,
    ProgressStatus,
    RequirementProgress,
    Role,
    SubmissionStatus,
)
from webapp.services import certification_path_management as paths
from webapp.services import orchestration
from webapp.services import peer_validation as reviews
from webapp.storage import get_storage

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40


@pytest.fixture
def tenant(app):
    return TenantFactory()


@pytest.fixture
def learner(tenant):
    return UserFactory(tenant=tenant, full_name="Lee Learner")


@pytest.fixture
def mentor(tenant):
    return UserFactory(tenant=tenant, role=Role.MENTOR, full_name="Morgan Mentor")


@pytest.fixture
def enrolment(tenant, learner):
    programme = evidence_path(tenant, name="Safety Basics")
    enrolment, _ = paths.enrol(learner, programme)
    return enrolment


def evidence_id(enrolment) -> int:
    return enrolment.program_snapshot["requirements"][0]["requirement_id"]


def submit(enrolment, learner, text="I inspected the site.", link=None, files=None):
    return reviews.submit_evidence(
        enrolment, evidence_id(enrolment), learner, text, link, files or []
    )


def ledger(enrolment) -> RequirementProgress:
    db.session.expire_all()
    return reviews.progress_row(enrolment.id, evidence_id(enrolment))


def stored_files() -> set[Path]:
    """Evidence files on disk (other tests may have left some: compare before and after)."""
    return {p for p in (Path(get_storage().root) / "evidence").rglob("*") if p.is_file()}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Uploads -------------------------------------------------------------------------------


def test_a_submission_stores_files_under_generated_names_with_the_sniffed_type(enrolment, learner):
    submission = submit(enrolment, learner, files=[("../../etc/Report ü.pdf", PDF)])
    (stored,) = submission.files
    assert stored.original_name == "Report ü.pdf"
    assert stored.content_type == "application/pdf"
    assert stored.size_bytes == len(PDF)
    assert stored.storage_key.startswith("evidence/") and stored.storage_key.endswith(".pdf")
    assert get_storage().read(stored.storage_key) == PDF
    assert ledger(enrolment).status is ProgressStatus.AWAITING_VALIDATION
    assert ledger(enrolment).attempt_count == 0


def test_utf8_text_files_are_accepted_only_as_txt(enrolment, learner):
    submission = submit(enrolment, learner, files=[("notes.txt", "Checked ✓\n".encode())])
    assert submission.files[0].content_type == "text/plain"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", EXE, "contains EXE, which is not accepted"),
        ("report.pdf", PNG, "named like a PDF file but contains PNG"),
        ("report.pdf", b"just some text", "not a file type we recognise"),
        ("archive.zip", ZIP, "contains ZIP, which is not accepted"),
        ("notes.txt", b"bin\x00ary", "not a file type we recognise"),
        ("notes.txt", b"\xff\xfe latin", "not a file type we recognise"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_wrong_types_are_refused_by_content_and_nothing_is_stored(
    enrolment, learner, name, data, message
):
    before = stored_files()
    with pytest.raises(ValidationFailed) as error:
        submit(enrolment, learner, files=[("fine.pdf", PDF), (name, data)])
    assert any(message in m for m in error.value.problems["files"]), error.value.problems
    assert count(EvidenceSubmission) == 0 and count(EvidenceFile) == 0
    assert stored_files() == before
    assert ledger(enrolment).status is ProgressStatus.PENDING


def test_a_type_allowed_globally_but_not_by_the_requirement_is_refused(tenant, learner):
    programme = evidence_path(tenant, accepted_types=("pdf",))
    enrolment, _ = paths.enrol(learner, programme)
    with pytest.raises(ValidationFailed) as error:
        submit(enrolment, learner, files=[("photo.png", PNG)])
    assert "Accepted: PDF." in error.value.problems["files"][0]


def test_oversized_files_and_submissions_are_refused_and_nothing_is_stored(app, enrolment, learner):
    app.config.update(UPLOAD_MAX_FILE_MB=1, UPLOAD_MAX_SUBMISSION_MB=1)
    before = stored_files()
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(ValidationFailed) as error:
        submit(enrolment, learner, files=[("big.pdf", big)])
    assert error.value.problems["files"] == ["“big.pdf” is larger than 1 MB."]
    half = PDF + b"0" * (600 * 1024)
    with pytest.raises(ValidationFailed) as error:
        submit(enrolment, learner, files=[("a.pdf", half), ("b.pdf", half)])
    assert error.value.problems["files"] == ["The files together are larger than 1 MB."]
    assert count(EvidenceSubmission) == 0 and stored_files() == before


def test_text_or_a_file_is_needed_and_links_must_be_web_links(enrolment, learner):
    with pytest.raises(ValidationFailed) as error:
        submit(enrolment, learner, text="  ", link="javascript:alert(1)")
    assert set(error.value.problems) == {"text", "link"}


def test_files_written_are_deleted_when_the_transaction_rolls_back(enrolment, learner):
    submission = submit(enrolment, learner, files=[("a.pdf", PDF), ("b.png", PNG)])
    keys = [f.storage_key for f in submission.files]
    assert all(get_storage().exists(k) for k in keys)
    db.session.rollback()
    assert not any(get_storage().exists(k) for k in keys)


def test_files_stay_when_the_transaction_commits(enrolment, learner):
    submission = submit(enrolment, learner, files=[("a.pdf", PDF)])
    key = submission.files[0].storage_key
    db.session.commit()
    db.session.rollback()
    assert get_storage().exists(key)


def test_one_pending_submission_at_a_time_and_not_after_met(enrolment, learner, mentor):
    first = submit(enrolment, learner)
    with pytest.raises(Conflict, match="already waiting"):
        submit(enrolment, learner)
    reviews.decide(first, mentor, "approved", "")
    with pytest.raises(Conflict, match="already met"):
        submit(enrolment, learner)


def test_only_the_enrolled_learner_submits_evidence_requirements(tenant, enrolment, learner):
    with pytest.raises(NotFound):
        submit(enrolment, UserFactory(tenant=tenant))
    content_id = enrolment.program_snapshot["requirements"][1]["requirement_id"]
    with pytest.raises(NotFound):
        reviews.submit_evidence(enrolment, content_id, learner, "text", None, [])


def test_withdraw_a_pending_submission_then_submit_again(enrolment, learner, mentor):
    submission = submit(enrolment, learner)
    reviews.withdraw(submission, learner)
    assert submission.status is SubmissionStatus.WITHDRAWN
    assert ledger(enrolment).status is ProgressStatus.PENDING
    with pytest.raises(Conflict):
        reviews.withdraw(submission, learner)
    with pytest.raises(Conflict):
        reviews.decide(submission, mentor, "approved", "")
    assert submit(enrolment, learner).status is SubmissionStatus.PENDING


def test_a_decided_submission_cannot_be_withdrawn(enrolment, learner, mentor, tenant):
    submission = submit(enrolment, learner)
    with pytest.raises(NotFound):
        reviews.withdraw(submission, UserFactory(tenant=tenant))
    reviews.decide(submission, mentor, "rejected", "Unsigned.")
    with pytest.raises(Conflict):
        reviews.withdraw(submission, learner)


# --- Mentor rules --------------------------------------------------------------------------


def test_approval_marks_the_requirement_met_through_the_ledger(enrolment, learner, mentor):
    submission = submit(enrolment, learner)
    outcome = reviews.decide(submission, mentor, "approved", "Well done.")
    assert outcome.final.value == "approved"
    assert submission.status is SubmissionStatus.APPROVED
    row = ledger(enrolment)
    assert row.status is ProgressStatus.MET
    assert row.satisfied_by_submission_id == submission.id
    assert row.attempt_count == 1


def test_rejection_needs_a_comment_and_leaves_the_requirement_pending(enrolment, learner, mentor):
    submission = submit(enrolment, learner)
    with pytest.raises(ValidationFailed) as error:
        reviews.decide(submission, mentor, "rejected", "   ")
    assert "comment" in error.value.problems
    with pytest.raises(ValidationFailed):
        reviews.decide(submission, mentor, "maybe", "hm")
    reviews.decide(submission, mentor, "rejected", "The report is not signed.")
    assert submission.status is SubmissionStatus.REJECTED
    row = ledger(enrolment)
    assert row.status is ProgressStatus.PENDING and row.attempt_count == 1
    again = submit(enrolment, learner, text="Now signed.")
    reviews.decide(again, mentor, "approved", "")
    row = ledger(enrolment)
    assert row.status is ProgressStatus.MET and row.attempt_count == 2


def test_a_mentor_never_decides_their_own_submission(tenant):
    mentor = UserFactory(tenant=tenant, role=Role.MENTOR)
    enrolment, _ = paths.enrol(mentor, evidence_path(tenant))
    submission = submit(enrolment, mentor)
    with pytest.raises(NotAllowed):
        reviews.decide(submission, mentor, "approved", "")
    assert reviews.reviewable_submission(mentor, submission.id) is None
    assert reviews.queue_count(mentor) == 0


def test_learners_and_other_tenants_get_not_found(enrolment, learner, tenant):
    submission = submit(enrolment, learner)
    other_learner = UserFactory(tenant=tenant)
    foreign_mentor = UserFactory(role=Role.MENTOR)
    foreign_admin = UserFactory(role=Role.ADMIN)
    for user in (other_learner, foreign_mentor, foreign_admin):
        with pytest.raises(NotFound):
            reviews.decide(submission, user, "approved", "")
        assert reviews.reviewable_submission(user, submission.id) is None
    assert count(PeerValidation) == 0


def test_org_unit_scope_is_the_mentors_subtree(tenant):
    north = OrgUnitFactory(tenant=tenant, name="North")
    north_yard = OrgUnitFactory(tenant=tenant, name="Yard", parent_id=north.id)
    south = OrgUnitFactory(tenant=tenant, name="South")
    learner = UserFactory(tenant=tenant, org_unit_id=north_yard.id)
    enrolment, _ = paths.enrol(learner, evidence_path(tenant))
    submission = submit(enrolment, learner)
    south_mentor = UserFactory(tenant=tenant, role=Role.MENTOR, org_unit_id=south.id)
    yard_mentor = UserFactory(tenant=tenant, role=Role.MENTOR, org_unit_id=north_yard.id)
    north_mentor = UserFactory(tenant=tenant, role=Role.MENTOR, org_unit_id=north.id)
    tenant_mentor = UserFactory(tenant=tenant, role=Role.MENTOR)
    with pytest.raises(NotFound):
        reviews.decide(submission, south_mentor, "approved", "")
    assert reviews.queue_count(south_mentor) == 0
    for mentor in (yard_mentor, north_mentor, tenant_mentor):
        assert reviews.queue_count(mentor) == 1
        assert reviews.reviewable_submission(mentor, submission.id) == submission
    assert {m.id for m in reviews.reviewers_of(learner)} == {
        yard_mentor.id,
        north_mentor.id,
        tenant_mentor.id,
    }


def test_an_assigned_mentor_unit_replaces_the_mentors_own_unit(tenant):
    north = OrgUnitFactory(tenant=tenant, name="North")
    north_yard = OrgUnitFactory(tenant=tenant, name="Yard", parent_id=north.id)
    south = OrgUnitFactory(tenant=tenant, name="South")
    learner = UserFactory(tenant=tenant, org_unit_id=north_yard.id)
    enrolment, _ = paths.enrol(learner, evidence_path(tenant))
    submission = submit(enrolment, learner)
    # Belongs to South, assigned to review North: reviews the yard's learner.
    reviewing_north = UserFactory(
        tenant=tenant, role=Role.MENTOR, org_unit_id=south.id, mentor_unit_id=north.id
    )
    # Belongs to no unit (the whole tenant before), assigned to South: South only.
    assigned_south = UserFactory(tenant=tenant, role=Role.MENTOR, mentor_unit_id=south.id)
    # Belongs to North, assigned to South: North's learners are out of scope.
    north_to_south = UserFactory(
        tenant=tenant, role=Role.MENTOR, org_unit_id=north.id, mentor_unit_id=south.id
    )
    assert reviews.queue_count(reviewing_north) == 1
    assert reviews.reviewable_submission(reviewing_north, submission.id) == submission
    assert reviews.in_scope(reviewing_north, learner)
    for mentor in (assigned_south, north_to_south):
        assert reviews.queue_count(mentor) == 0
        assert reviews.reviewable_submission(mentor, submission.id) is None
        assert not reviews.in_scope(mentor, learner)
    with pytest.raises(NotFound):
        reviews.decide(submission, north_to_south, "approved", "")
    assert [m.id for m in reviews.reviewers_of(learner)] == [reviewing_north.id]
    assert reviews.reviewers_of_unit(north_yard) == [reviewing_north]
    assert {m.id for m in reviews.reviewers_of_unit(south)} == {
        assigned_south.id,
        north_to_south.id,
    }


def test_deciding_twice_leaves_one_decision(enrolment, learner, mentor):
    submission = submit(enrolment, learner)
    reviews.decide(submission, mentor, "approved", "")
    with pytest.raises(Conflict):
        reviews.decide(submission, mentor, "rejected", "Changed my mind.")
    with pytest.raises(Conflict):
        reviews.decide(
            submission, UserFactory(tenant=mentor.tenant, role=Role.MENTOR), "approved", ""
        )
    assert count(PeerValidation) == 1
    assert submission.status is SubmissionStatus.APPROVED


def test_n_approvals_need_distinct_mentors(tenant, learner):
    programme = evidence_path(tenant, required_approvals=2)
    enrolment, _ = paths.enrol(learner, programme)
    submission = submit(enrolment, learner)
    first, second = (UserFactory(tenant=tenant, role=Role.MENTOR) for _ in range(2))
    outcome = reviews.decide(submission, first, "approved", "")
    assert outcome.final is None and (outcome.approvals, outcome.required) == (1, 2)
    assert submission.status is SubmissionStatus.PENDING
    assert ledger(enrolment).status is ProgressStatus.AWAITING_VALIDATION
    # The same mentor cannot count twice, and no longer sees it in the queue.
    with pytest.raises(Conflict, match="already decided"):
        reviews.decide(submission, first, "approved", "")
    assert reviews.queue_count(first) == 0 and reviews.queue_count(second) == 1
    outcome = reviews.decide(submission, second, "approved", "")
    assert outcome.final.value == "approved"
    assert ledger(enrolment).status is ProgressStatus.MET


def test_one_rejection_rejects_even_after_approvals(tenant, learner):
    programme = evidence_path(tenant, required_approvals=3)
    enrolment, _ = paths.enrol(learner, programme)
    submission = submit(enrolment, learner)
    first, second = (UserFactory(tenant=tenant, role=Role.MENTOR) for _ in range(2))
    reviews.decide(submission, first, "approved", "")
    outcome = reviews.decide(submission, second, "rejected", "Wrong site.")
    assert outcome.final.value == "rejected"
    assert submission.status is SubmissionStatus.REJECTED
    assert ledger(enrolment).status is ProgressStatus.PENDING


def test_approving_the_last_requirement_completes_the_enrolment(tenant, learner, mentor):
    programme = evidence_path(tenant, content_requirements=1)
    enrolment, _ = paths.enrol(learner, programme)
    content_id = enrolment.program_snapshot["requirements"][1]["requirement_id"]
    orchestration.mark_content_complete(enrolment, content_id)
    reviews.decide(submit(enrolment, learner), mentor, "approved", "")
    db.session.expire_all()
    assert enrolment.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.CERTIFIED)


# --- Quiz attempts awaiting validation -----------------------------------------------------


@pytest.fixture
def quiz_enrolment(tenant, learner):
    enrolment, _ = paths.enrol(learner, peer_quiz_path(tenant, name="Quiz Programme"))
    return enrolment


def test_approving_an_attempt_finalizes_it_and_meets_the_requirement(
    quiz_enrolment, learner, mentor
):
    requirement_id = evidence_id(quiz_enrolment)
    evaluation = awaiting_evaluation(quiz_enrolment, requirement_id)
    assert reviews.queue_count(mentor) == 1
    outcome = reviews.decide(evaluation, mentor, "approved", "")
    assert outcome.final.value == "approved"
    assert evaluation.status is EvaluationStatus.GRADED
    row = ledger(quiz_enrolment)
    assert row.status is ProgressStatus.MET
    assert row.satisfied_by_evaluation_id == evaluation.id
    assert row.attempt_count == 1  # counted once, when the attempt was submitted
    assert reviews.queue_count(mentor) == 0
    with pytest.raises(Conflict):
        reviews.decide(
            evaluation, UserFactory(tenant=mentor.tenant, role=Role.MENTOR), "approved", ""
        )


def test_rejecting_an_attempt_finalizes_it_and_leaves_the_requirement_pending(
    quiz_enrolment, learner, mentor
):
    evaluation = awaiting_evaluation(quiz_enrolment, evidence_id(quiz_enrolment))
    reviews.decide(evaluation, mentor, "rejected", "Answers copied from a colleague.")
    assert evaluation.status is EvaluationStatus.GRADED
    row = ledger(quiz_enrolment)
    assert row.status is ProgressStatus.PENDING and row.attempt_count == 1
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == learner.id))
    assert [n.title for n in notes] == ["Your quiz attempt for “Safety quiz” was rejected"]


def test_the_review_shows_answers_and_key(quiz_enrolment, mentor):
    evaluation = awaiting_evaluation(quiz_enrolment, evidence_id(quiz_enrolment))
    details = reviews.review(evaluation, mentor)
    assert details.questions == [
        {
            "id": "q1",
            "prompt": "Water is wet.",
            "points": 1,
            "answer": "True",
            "key": "True",
            "earned": None,
            "correct": None,
        }
    ]


# --- Queue ---------------------------------------------------------------------------------


def test_queue_is_oldest_first_with_filters_and_pagination(app, clock, tenant, mentor):
    basics = evidence_path(tenant, name="Basics")
    advanced = evidence_path(tenant, name="Advanced")
    quiz = peer_quiz_path(tenant, name="Quiz Programme")
    learners = [UserFactory(tenant=tenant, full_name=f"Learner {i}") for i in range(3)]
    enrolments = [paths.enrol(learners[0], basics)[0], paths.enrol(learners[1], advanced)[0]]
    submit(enrolments[1], learners[1])  # oldest: 3 days
    clock.advance(days=2)
    submit(enrolments[0], learners[0])  # 1 day
    clock.advance(days=1)
    quiz_enrolment = paths.enrol(learners[2], quiz)[0]
    awaiting_evaluation(quiz_enrolment, evidence_id(quiz_enrolment))  # just now
    page = reviews.review_queue(mentor)
    assert [(i.kind, i.learner_name, i.programme_name) for i in page.items] == [
        ("submission", "Learner 1", "Advanced"),
        ("submission", "Learner 0", "Basics"),
        ("evaluation", "Learner 2", "Quiz Programme"),
    ]
    assert page.items[0].age == timedelta(days=3)
    assert page.items[0].requirement_title == "Inspection report"
    assert [
        i.programme_name for i in reviews.review_queue(mentor, programme_id=basics.id).items
    ] == ["Basics"]
    assert len(reviews.review_queue(mentor, older_than_days=1).items) == 2
    assert len(reviews.review_queue(mentor, older_than_days=3).items) == 1
    second = reviews.review_queue(mentor, page=2, per_page=2)
    assert (second.total, second.pages, len(second.items), second.has_prev) == (3, 2, 1, True)


# --- Notifications, e-mails, audit ---------------------------------------------------------


def test_mentors_in_scope_are_told_of_a_new_submission_in_app_and_by_email(
    tenant, enrolment, learner, mentor
):
    UserFactory(role=Role.MENTOR)  # another tenant
    unit = OrgUnitFactory(tenant=tenant)
    UserFactory(tenant=tenant, role=Role.MENTOR, org_unit_id=unit.id)  # out of scope
    submission = submit(enrolment, learner)
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "review.requested")
    ).all()
    assert [(n.user_id, n.title) for n in notes] == [
        (mentor.id, "New evidence to review: “Inspection report”")
    ]
    assert notes[0].link == f"/certs/reviews/submissions/{submission.id}"
    emails = db.session.scalars(sa.select(OutboxEmail)).all()
    assert [e.to_address for e in emails] == [mentor.email]
    assert f"http://certifikation.test/certs/reviews/submissions/{submission.id}" in emails[0].body


def test_the_learner_is_told_of_the_decision_with_the_comment(enrolment, learner, mentor):
    submission = submit(enrolment, learner)
    reviews.decide(submission, mentor, "rejected", "Please add the signature page.")
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == learner.id))
    assert note.title == "Your evidence for “Inspection report” was rejected"
    assert "Please add the signature page." in note.body
    assert (
        note.link
        == f"/certs/programs/{enrolment.programme.slug}/requirements/{evidence_id(enrolment)}"
    )
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.user_id == learner.id))
    assert email.subject == note.title and "Please add the signature page." in email.body


def test_every_decision_is_audited(tenant, learner, clock):
    programme = evidence_path(tenant, required_approvals=2)
    enrolment, _ = paths.enrol(learner, programme)
    submission = submit(enrolment, learner)
    first, second = (UserFactory(tenant=tenant, role=Role.MENTOR) for _ in range(2))
    reviews.decide(submission, first, "approved", "Looks right.")
    reviews.decide(submission, second, "rejected", "Wrong date.")
    db.session.flush()
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("review.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.action, e.object_id) for e in events] == [
        (first.id, "review.approved", submission.id),
        (second.id, "review.rejected", submission.id),
    ]
    assert events[0].data["comment"] == "Looks right." and events[0].data["outcome"] == "pending"
    assert events[1].data["comment"] == "Wrong date." and events[1].data["outcome"] == "rejected"
    assert events[1].created_at == clock.now()
    assert events[1].tenant_id == tenant.id
