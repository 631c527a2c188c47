"""The lifecycle transition methods of the models: every allowed move, and InvalidTransition
for the illegal ones. Plain model instances, no app, no session."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webapp.errors import InvalidTransition
from webapp.models import (
    Certificate,
    CertificateStatus,
    CertificationPath,
    EmailStatus,
    Enrolment,
    EnrolmentStatus,
    Evaluation,
    EvaluationStatus,
    JobRecord,
    JobStatus,
    OutboxEmail,
    PathStatus,
    PdfStatus,
    Quiz,
    QuizStatus,
    RegradeBatch,
    RegradeStatus,
)

AT = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def others(enum_type, *allowed):
    return [s for s in enum_type if s not in allowed]


# --- Enrolment -----------------------------------------------------------------------------


def test_an_enrolment_in_progress_completes():
    enrolment = Enrolment(status=EnrolmentStatus.IN_PROGRESS)
    enrolment.complete(AT)
    assert enrolment.status is EnrolmentStatus.COMPLETED and enrolment.completed_at == AT


@pytest.mark.parametrize("status", others(EnrolmentStatus, EnrolmentStatus.IN_PROGRESS))
def test_only_an_enrolment_in_progress_completes(status):
    enrolment = Enrolment(status=status)
    with pytest.raises(InvalidTransition):
        enrolment.complete(AT)
    assert enrolment.status is status and enrolment.completed_at is None


def test_a_completed_enrolment_is_certified():
    enrolment = Enrolment(status=EnrolmentStatus.COMPLETED)
    enrolment.certify(AT, None)
    assert enrolment.status is EnrolmentStatus.CERTIFIED and enrolment.certified_at == AT


@pytest.mark.parametrize("status", others(EnrolmentStatus, EnrolmentStatus.COMPLETED))
def test_only_a_completed_enrolment_is_certified(status):
    enrolment = Enrolment(status=status)
    with pytest.raises(InvalidTransition):
        enrolment.certify(AT, None)
    assert enrolment.status is status


def test_enrolments_and_certificates_have_no_expire_method():
    # Expiry is the daily job's set-based UPDATE.
    assert not hasattr(Enrolment, "expire") and not hasattr(Certificate, "expire")


@pytest.mark.parametrize("status", [EnrolmentStatus.IN_PROGRESS, EnrolmentStatus.COMPLETED])
def test_an_open_enrolment_is_cancelled_with_its_reason(status):
    enrolment = Enrolment(status=status)
    enrolment.cancel(AT, "Left the company.")
    assert enrolment.status is EnrolmentStatus.CANCELLED
    assert (enrolment.cancelled_at, enrolment.cancel_reason) == (AT, "Left the company.")


@pytest.mark.parametrize(
    "status", others(EnrolmentStatus, EnrolmentStatus.IN_PROGRESS, EnrolmentStatus.COMPLETED)
)
def test_a_closed_enrolment_is_not_cancelled(status):
    enrolment = Enrolment(status=status)
    with pytest.raises(InvalidTransition):
        enrolment.cancel(AT, "Too late.")
    assert enrolment.status is status and enrolment.cancelled_at is None


def test_an_expired_enrolment_is_certified_again_by_a_grace_period():
    enrolment = Enrolment(status=EnrolmentStatus.EXPIRED)
    enrolment.resume_certified()
    assert enrolment.status is EnrolmentStatus.CERTIFIED


@pytest.mark.parametrize("status", others(EnrolmentStatus, EnrolmentStatus.EXPIRED))
def test_only_an_expired_enrolment_is_certified_again(status):
    enrolment = Enrolment(status=status)
    with pytest.raises(InvalidTransition):
        enrolment.resume_certified()
    assert enrolment.status is status


# --- Certificate ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [CertificateStatus.ACTIVE, CertificateStatus.EXPIRED])
def test_an_active_or_expired_certificate_is_revoked(status):
    certificate = Certificate(status=status)
    certificate.revoke(AT, "Fraud.", 7)
    assert certificate.status is CertificateStatus.REVOKED
    assert (certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by_id) == (
        AT,
        "Fraud.",
        7,
    )


def test_a_revoked_certificate_is_not_revoked_again():
    certificate = Certificate(status=CertificateStatus.REVOKED, revoked_reason="First.")
    with pytest.raises(InvalidTransition):
        certificate.revoke(AT, "Second.", 7)
    assert certificate.revoked_reason == "First."


def test_an_expired_certificate_becomes_active_again():
    certificate = Certificate(status=CertificateStatus.EXPIRED, expired_at=AT)
    certificate.resume()
    assert certificate.status is CertificateStatus.ACTIVE and certificate.expired_at is None


@pytest.mark.parametrize("status", [CertificateStatus.ACTIVE, CertificateStatus.REVOKED])
def test_only_an_expired_certificate_becomes_active_again(status):
    certificate = Certificate(status=status)
    with pytest.raises(InvalidTransition):
        certificate.resume()
    assert certificate.status is status


@pytest.mark.parametrize("status", list(PdfStatus))
def test_a_pdf_in_any_state_can_be_asked_for_again(status):
    certificate = Certificate(pdf_status=status, pdf_error="boom")
    certificate.request_pdf()
    assert certificate.pdf_status is PdfStatus.PENDING and certificate.pdf_error is None


# --- Programme -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [PathStatus.DRAFT, PathStatus.PUBLISHED])
def test_a_draft_or_published_programme_is_published_and_archived(status):
    programme = CertificationPath(status=status)
    programme.publish()
    assert programme.status is PathStatus.PUBLISHED and programme.published_at is not None
    programme.archive()
    assert programme.status is PathStatus.ARCHIVED


def test_an_archived_programme_is_neither_published_nor_archived_again():
    programme = CertificationPath(status=PathStatus.ARCHIVED)
    with pytest.raises(InvalidTransition):
        programme.publish()
    with pytest.raises(InvalidTransition):
        programme.archive()
    assert programme.status is PathStatus.ARCHIVED


# --- Quiz and attempts ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [QuizStatus.DRAFT, QuizStatus.PUBLISHED])
def test_a_draft_or_published_quiz_is_published(status):
    quiz = Quiz(status=status)
    quiz.publish()
    assert quiz.status is QuizStatus.PUBLISHED


def test_an_archived_quiz_is_not_published():
    quiz = Quiz(status=QuizStatus.ARCHIVED)
    with pytest.raises(InvalidTransition):
        quiz.publish()
    assert quiz.status is QuizStatus.ARCHIVED


@pytest.mark.parametrize("status", [EvaluationStatus.IN_PROGRESS, EvaluationStatus.SUBMITTED])
@pytest.mark.parametrize(
    ("awaiting", "expected"),
    [(False, EvaluationStatus.GRADED), (True, EvaluationStatus.AWAITING_VALIDATION)],
)
def test_an_attempt_in_progress_or_claimed_finishes(status, awaiting, expected):
    attempt = Evaluation(status=status)
    attempt.finish(AT, awaiting_validation=awaiting)
    assert attempt.status is expected and attempt.submitted_at == AT


@pytest.mark.parametrize("status", [EvaluationStatus.GRADED, EvaluationStatus.AWAITING_VALIDATION])
def test_a_finished_attempt_does_not_finish_again(status):
    attempt = Evaluation(status=status)
    with pytest.raises(InvalidTransition):
        attempt.finish(AT, awaiting_validation=False)
    assert attempt.status is status and attempt.submitted_at is None


def test_an_attempt_awaiting_a_mentor_is_validated():
    attempt = Evaluation(status=EvaluationStatus.AWAITING_VALIDATION)
    attempt.finalize_validation()
    assert attempt.status is EvaluationStatus.GRADED


@pytest.mark.parametrize("status", others(EvaluationStatus, EvaluationStatus.AWAITING_VALIDATION))
def test_only_an_attempt_awaiting_a_mentor_is_validated(status):
    attempt = Evaluation(status=status)
    with pytest.raises(InvalidTransition):
        attempt.finalize_validation()
    assert attempt.status is status


def test_a_graded_attempt_is_sent_to_a_mentor():
    attempt = Evaluation(status=EvaluationStatus.GRADED)
    attempt.await_validation()
    assert attempt.status is EvaluationStatus.AWAITING_VALIDATION


@pytest.mark.parametrize("status", others(EvaluationStatus, EvaluationStatus.GRADED))
def test_only_a_graded_attempt_is_sent_to_a_mentor(status):
    attempt = Evaluation(status=status)
    with pytest.raises(InvalidTransition):
        attempt.await_validation()
    assert attempt.status is status


# --- Regrade batches -----------------------------------------------------------------------


@pytest.mark.parametrize("status", others(RegradeStatus, RegradeStatus.DONE))
def test_a_batch_not_done_starts_and_clears_its_error(status):
    batch = RegradeBatch(status=status, error="boom")
    batch.start()
    assert batch.status is RegradeStatus.RUNNING and batch.error is None


def test_a_running_batch_finishes():
    batch = RegradeBatch(status=RegradeStatus.RUNNING)
    batch.finish(AT)
    assert batch.status is RegradeStatus.DONE and batch.finished_at == AT


@pytest.mark.parametrize("status", others(RegradeStatus, RegradeStatus.RUNNING))
def test_only_a_running_batch_finishes(status):
    batch = RegradeBatch(status=status)
    with pytest.raises(InvalidTransition):
        batch.finish(AT)
    assert batch.status is status and batch.finished_at is None


@pytest.mark.parametrize("status", others(RegradeStatus, RegradeStatus.DONE))
def test_a_batch_not_done_fails_with_its_error_cut_to_2000_characters(status):
    batch = RegradeBatch(status=status)
    batch.fail("x" * 3000)
    assert batch.status is RegradeStatus.FAILED and batch.error == "x" * 2000


def test_a_done_batch_neither_starts_nor_fails():
    batch = RegradeBatch(status=RegradeStatus.DONE)
    with pytest.raises(InvalidTransition):
        batch.start()
    with pytest.raises(InvalidTransition):
        batch.fail("boom")
    assert batch.status is RegradeStatus.DONE and batch.error is None


# --- E-mails and job records ---------------------------------------------------------------


@pytest.mark.parametrize("status", [EmailStatus.PENDING, EmailStatus.FAILED])
def test_a_pending_or_failed_email_is_marked_sent(status):
    email = OutboxEmail(status=status, error="refused")
    email.mark_sent(AT)
    assert email.status is EmailStatus.SENT and email.sent_at == AT and email.error is None


def test_a_sent_email_is_not_marked_sent_again():
    email = OutboxEmail(status=EmailStatus.SENT, sent_at=AT)
    with pytest.raises(InvalidTransition):
        email.mark_sent(datetime(2031, 1, 1, tzinfo=UTC))
    assert email.sent_at == AT


@pytest.mark.parametrize("status", others(JobStatus, JobStatus.DONE))
def test_a_job_not_done_starts_and_counts_the_attempt(status):
    record = JobRecord(status=status, attempts=1)
    record.start()
    assert record.status is JobStatus.RUNNING and record.attempts == 2


def test_a_done_job_does_not_start_again():
    record = JobRecord(status=JobStatus.DONE, attempts=1)
    with pytest.raises(InvalidTransition):
        record.start()
    assert record.status is JobStatus.DONE and record.attempts == 1
