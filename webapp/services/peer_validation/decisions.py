"""Mentors' decisions on a submission or an attempt awaiting validation: one final outcome per
subject, N distinct approvals, the ledger updated, the audit trail, and the notifications to
reviewers and learners."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from webapp import clock, urls
from webapp.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    Decision,
    Enrolment,
    Evaluation,
    EvaluationStatus,
    EvidenceSubmission,
    PeerValidation,
    ProgressStatus,
    SubmissionStatus,
    User,
)
from webapp.services import audit, notifications, orchestration
from webapp.services.peer_validation.scope import in_scope, reviewers_of
from webapp.urls import path_for

MAX_COMMENT = 5_000

Subject = EvidenceSubmission | Evaluation


@dataclass(frozen=True)
class Outcome:
    """What a decision did: the validation row and the subject's final state, if reached."""

    validation: PeerValidation
    final: Decision | None
    approvals: int
    required: int


def required_approvals(definition: dict[str, Any] | None) -> int:
    """Distinct mentor approvals a requirement needs (1 unless its settings say more)."""
    try:
        return max(1, int((definition or {}).get("settings", {}).get("required_approvals", 1)))
    except (TypeError, ValueError):
        return 1


def _lock(subject: Subject) -> Subject:
    """Reload the subject with a row lock (PostgreSQL): deciders of one subject queue up."""
    model = type(subject)
    return db.session.scalar(
        sa.select(model)
        .where(model.id == subject.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _is_open(subject: Subject) -> bool:
    if isinstance(subject, EvidenceSubmission):
        return subject.status is SubmissionStatus.PENDING
    return subject.status is EvaluationStatus.AWAITING_VALIDATION


def _check_decision(decision: str, comment: str) -> Decision:
    problems: dict[str, list[str]] = {}
    if decision not in {d.value for d in Decision}:
        problems["decision"] = ["Choose Approve or Reject."]
    if decision == Decision.REJECTED.value and not comment:
        problems["comment"] = ["Say why you reject it: the learner sees your comment."]
    if len(comment) > MAX_COMMENT:
        problems["comment"] = [f"The comment can be at most {MAX_COMMENT} characters."]
    if problems:
        raise ValidationFailed("The decision is incomplete.", problems)
    return Decision(decision)


def decide(subject: Subject, mentor: User, decision: str | Decision, comment: str) -> Outcome:
    """A mentor approves or rejects a pending submission or an attempt awaiting validation.
    One rejection rejects; approval needs the requirement's number of distinct mentors. The
    final outcome updates the ledger (approved: met; rejected: pending, the attempt counted for
    a submission), tells the learner, and every decision is audited. Raises NotFound (other
    tenant, not a mentor, out of scope), NotAllowed (own work), ValidationFailed (decision,
    missing comment), Conflict (already decided, by this mentor or finally). Flushes."""
    learner = db.session.get(User, subject.user_id)
    if subject.tenant_id != mentor.tenant_id or learner is None or not in_scope(mentor, learner):
        raise NotFound("There is nothing to review here.")
    if learner.id == mentor.id:
        raise NotAllowed("You cannot review your own work.")
    comment = (comment or "").strip()
    choice = _check_decision(getattr(decision, "value", decision), comment)
    subject = _lock(subject)
    if not _is_open(subject):
        raise Conflict("This has already been decided.")
    validation = PeerValidation(
        tenant_id=subject.tenant_id,
        mentor_id=mentor.id,
        decision=choice,
        comment=comment,
        decided_at=clock.now(),
        **{_subject_key(subject): subject.id},
    )
    try:
        with db.session.begin_nested():
            db.session.add(validation)
    except sa.exc.IntegrityError:
        raise Conflict("You have already decided on this.") from None
    enrolment = db.session.get(Enrolment, subject.enrolment_id)
    definition = orchestration.snapshot_requirement(enrolment, subject.requirement_id)
    required = required_approvals(definition)
    approvals = _approvals(subject)
    final = choice if choice is Decision.REJECTED or approvals >= required else None
    if final is not None:
        _finalize(subject, enrolment, final)
        _tell_learner(subject, learner, enrolment, definition, final, mentor, comment)
    _audit(subject, mentor, learner, definition, choice, comment, final, approvals, required)
    return Outcome(validation, final, approvals, required)


def _subject_key(subject: Subject) -> str:
    return "submission_id" if isinstance(subject, EvidenceSubmission) else "evaluation_id"


def _approvals(subject: Subject) -> int:
    column = getattr(PeerValidation, _subject_key(subject))
    return (
        db.session.scalar(
            sa.select(sa.func.count(PeerValidation.id)).where(
                column == subject.id, PeerValidation.decision == Decision.APPROVED
            )
        )
        or 0
    )


def _finalize(subject: Subject, enrolment: Enrolment, final: Decision) -> None:
    approved = final is Decision.APPROVED
    if isinstance(subject, Evaluation):
        subject.finalize_validation()
        db.session.flush()
        orchestration.record_result(
            enrolment,
            subject.requirement_id,
            ProgressStatus.MET if approved else ProgressStatus.PENDING,
            evaluation_id=subject.id if approved else None,
            count_attempt=False,  # counted when the attempt was submitted
        )
        return
    # Set-based on purpose: a conditional UPDATE, so only a still pending submission changes,
    # whoever else decides (or the learner withdraws) right now.
    changed = db.session.execute(
        sa.update(EvidenceSubmission)
        .where(
            EvidenceSubmission.id == subject.id,
            EvidenceSubmission.status == SubmissionStatus.PENDING,
        )
        .values(
            status=SubmissionStatus.APPROVED if approved else SubmissionStatus.REJECTED,
            decided_at=clock.now(),
        )
    ).rowcount
    if changed != 1:
        raise Conflict("This has already been decided.")
    db.session.refresh(subject)
    orchestration.record_result(
        enrolment,
        subject.requirement_id,
        ProgressStatus.MET if approved else ProgressStatus.PENDING,
        submission_id=subject.id if approved else None,
    )


def _what(subject: Subject) -> str:
    return "evidence" if isinstance(subject, EvidenceSubmission) else "quiz attempt"


def _tell_learner(
    subject: Subject,
    learner: User,
    enrolment: Enrolment,
    definition: dict[str, Any] | None,
    final: Decision,
    mentor: User,
    comment: str,
) -> None:
    title = (definition or {}).get("title", "a requirement")
    verdict = "approved" if final is Decision.APPROVED else "rejected"
    body = f"{mentor.full_name} {verdict} it."
    if comment:
        body += f" Comment: {comment}"
    _tell(
        learner,
        f"review.{verdict}",
        f"Your {_what(subject)} for “{title}” was {verdict}",
        body,
        path_for(
            "programmes.requirement",
            slug=enrolment.programme.slug,
            requirement_id=subject.requirement_id,
        ),
        dedupe_key=f"decision:{_subject_key(subject)}:{subject.id}",
    )


def _audit(
    subject: Subject,
    mentor: User,
    learner: User,
    definition: dict[str, Any] | None,
    choice: Decision,
    comment: str,
    final: Decision | None,
    approvals: int,
    required: int,
) -> None:
    title = (definition or {}).get("title", "")
    audit.record(
        subject.tenant_id,
        mentor,
        f"review.{choice.value}",
        "evidence_submission" if isinstance(subject, EvidenceSubmission) else "evaluation",
        subject.id,
        f"{mentor.full_name} {choice.value} the {_what(subject)} of {learner.full_name} "
        f"for “{title}”",
        subject=learner,
        decision=choice.value,
        comment=comment,
        learner_id=learner.id,
        enrolment_id=subject.enrolment_id,
        requirement_id=subject.requirement_id,
        outcome=final.value if final else "pending",
        approvals=approvals,
        required_approvals=required,
    )


# --- Notifications -------------------------------------------------------------------------


def _tell(user: User, kind: str, title: str, body: str, path: str, *, dedupe_key: str) -> None:
    """In-app notification (relative link) and the same message by e-mail (absolute link)."""
    notifications.notify(
        user, kind, title, body, path, dedupe_key=dedupe_key, email_link=urls.absolute(path)
    )


def notify_reviewers(subject: Subject) -> int:
    """Tell the mentors in scope that a submission or an attempt waits for their review
    (once per subject and mentor). Returns how many were told. Flushes, never commits."""
    learner = db.session.get(User, subject.user_id)
    enrolment = db.session.get(Enrolment, subject.enrolment_id)
    definition = orchestration.snapshot_requirement(enrolment, subject.requirement_id) or {}
    if isinstance(subject, EvidenceSubmission):
        path = path_for("peer_review.submission", submission_id=subject.id)
    else:
        path = path_for("peer_review.evaluation", evaluation_id=subject.id)
    mentors = reviewers_of(learner)
    for mentor in mentors:
        _tell(
            mentor,
            "review.requested",
            f"New {_what(subject)} to review: “{definition.get('title', '')}”",
            f"{learner.full_name} submitted {_what(subject)} for “{definition.get('title', '')}” "
            f"in {enrolment.programme.name}.",
            path,
            dedupe_key=f"review-request:{_subject_key(subject)}:{subject.id}",
        )
    return len(mentors)
