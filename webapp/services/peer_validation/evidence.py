"""Learners' evidence (files checked and stored through webapp.uploads): submitting evidence for a
requirement, withdrawing a pending submission, and the learner's own submissions."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from webapp import clock
from webapp.errors import Conflict, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    Enrolment,
    EnrolmentStatus,
    EvidenceFile,
    EvidenceSubmission,
    PeerValidation,
    ProgressStatus,
    RequirementProgress,
    SubmissionStatus,
    User,
)
from webapp.services import orchestration
from webapp.services.peer_validation.decisions import notify_reviewers
from webapp.uploads import CheckedFile, check_files, store

MAX_TEXT = 10_000
LINK_RE = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


def accepted_types(definition: dict[str, Any]) -> list[str]:
    """The file types a requirement accepts: its own list within the configured ones."""
    allowed = list(current_app.config["UPLOAD_ALLOWED_TYPES"])
    own = definition.get("settings", {}).get("accepted_types") or allowed
    return [t for t in own if t in allowed]


def _evidence_requirement(enrolment: Enrolment, requirement_id: int) -> dict[str, Any]:
    definition = orchestration.snapshot_requirement(enrolment, requirement_id)
    if definition is None or definition["kind"] != "evidence":
        raise NotFound("This is not an evidence requirement of your enrolment.")
    return definition


def _check_text(text: str, link: str, has_files: bool) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if len(text) > MAX_TEXT:
        problems["text"] = [f"The description can be at most {MAX_TEXT} characters."]
    elif not text and not has_files:
        problems["text"] = ["Describe your evidence or attach at least one file."]
    if link and (len(link) > 500 or not LINK_RE.match(link)):
        problems["link"] = [
            "The link must start with http:// or https:// (500 characters at most)."
        ]
    return problems


def submit_evidence(
    enrolment: Enrolment,
    requirement_id: int,
    learner: User,
    text: str,
    link: str | None,
    files: list[tuple[str, bytes]],
) -> EvidenceSubmission:
    """A learner submits evidence (text, optional link, files) for an evidence requirement of
    their open enrolment; the ledger row waits for validation and mentors in scope are told.
    Files are checked first and written last; a refusal stores nothing. Raises NotFound (not
    theirs, not an evidence requirement), Conflict (enrolment closed, already met, a submission
    pending), ValidationFailed (text, link, files). Flushes, never commits."""
    if enrolment.user_id != learner.id or enrolment.tenant_id != learner.tenant_id:
        raise NotFound("This enrolment does not exist.")
    definition = _evidence_requirement(enrolment, requirement_id)
    text, link = (text or "").strip(), (link or "").strip()
    problems = _check_text(text, link, bool(files))
    try:
        checked = check_files(files, accepted_types(definition)) if files else []
    except ValidationFailed as error:
        problems.update(error.problems)
    if problems:
        raise ValidationFailed("Your evidence could not be submitted.", problems)
    enrolment = orchestration.lock_enrolment(enrolment.id)  # one submission at a time
    if enrolment.status is not EnrolmentStatus.IN_PROGRESS:
        raise Conflict("This enrolment is no longer in progress.")
    row = progress_row(enrolment.id, requirement_id)
    if row is not None and row.is_met:
        raise Conflict("This requirement is already met.")
    if _pending_submission(enrolment.id, requirement_id) is not None:
        raise Conflict("A submission is already waiting for review. Withdraw it to send a new one.")
    submission = EvidenceSubmission(
        tenant_id=enrolment.tenant_id,
        org_unit_id=learner.org_unit_id,
        user_id=learner.id,
        enrolment_id=enrolment.id,
        requirement_id=requirement_id,
        text=text,
        link=link or None,
        submitted_at=clock.now(),
    )
    db.session.add(submission)
    db.session.flush()
    orchestration.record_result(
        enrolment, requirement_id, ProgressStatus.AWAITING_VALIDATION, count_attempt=False
    )
    notify_reviewers(submission)
    _store_files(submission, checked)
    return submission


def _store_files(submission: EvidenceSubmission, checked: list[CheckedFile]) -> None:
    session = db.session()
    for upload in checked:
        key = store(session, "evidence", upload.extension, upload.data)
        db.session.add(
            EvidenceFile(
                tenant_id=submission.tenant_id,
                submission_id=submission.id,
                storage_key=key,
                original_name=upload.name,
                content_type=upload.content_type,
                size_bytes=len(upload.data),
            )
        )
        db.session.flush()


def progress_row(enrolment_id: int, requirement_id: int) -> RequirementProgress | None:
    """The ledger row of one requirement of an enrolment."""
    return db.session.scalar(
        sa.select(RequirementProgress).where(
            RequirementProgress.enrolment_id == enrolment_id,
            RequirementProgress.requirement_id == requirement_id,
        )
    )


def _pending_submission(enrolment_id: int, requirement_id: int) -> EvidenceSubmission | None:
    return db.session.scalar(
        sa.select(EvidenceSubmission).where(
            EvidenceSubmission.enrolment_id == enrolment_id,
            EvidenceSubmission.requirement_id == requirement_id,
            EvidenceSubmission.status == SubmissionStatus.PENDING,
        )
    )


def withdraw(submission: EvidenceSubmission, learner: User) -> None:
    """The learner takes back a pending submission; the requirement is pending again. Raises
    NotFound (not theirs), Conflict (already decided). Flushes, never commits."""
    if submission.user_id != learner.id:
        raise NotFound("This submission does not exist.")
    # Set-based on purpose: a conditional UPDATE settles a withdrawal racing a mentor's decision.
    withdrawn = db.session.execute(
        sa.update(EvidenceSubmission)
        .where(
            EvidenceSubmission.id == submission.id,
            EvidenceSubmission.status == SubmissionStatus.PENDING,
        )
        .values(status=SubmissionStatus.WITHDRAWN, decided_at=clock.now())
    ).rowcount
    if withdrawn != 1:
        raise Conflict("This submission has already been decided and cannot be withdrawn.")
    db.session.refresh(submission)
    enrolment = db.session.get(Enrolment, submission.enrolment_id)
    orchestration.record_result(
        enrolment, submission.requirement_id, ProgressStatus.PENDING, count_attempt=False
    )


def learner_submissions(enrolment: Enrolment, requirement_id: int) -> list[EvidenceSubmission]:
    """The learner's submissions for one requirement of an enrolment, newest first, with files
    and decisions (two queries more)."""
    return list(
        db.session.scalars(
            sa.select(EvidenceSubmission)
            .where(
                EvidenceSubmission.enrolment_id == enrolment.id,
                EvidenceSubmission.requirement_id == requirement_id,
            )
            .options(
                selectinload(EvidenceSubmission.files),
                selectinload(EvidenceSubmission.validations).selectinload(PeerValidation.mentor),
            )
            .order_by(EvidenceSubmission.submitted_at.desc(), EvidenceSubmission.id.desc())
        )
    )
