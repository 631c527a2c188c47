"""Learners' evidence: checking uploaded files by content, submitting evidence for a
requirement, withdrawing a pending submission, and the learner's own submissions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import filetype
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
from webapp.storage import get_storage, save_in_transaction

MB = 1024 * 1024
MAX_FILES = 10
MAX_TEXT = 10_000
LINK_RE = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
# File name extensions that name the same type as filetype's canonical extension.
EXTENSION_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tiff": "tif"}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: cleaned name, type found in its content, bytes."""

    name: str
    extension: str
    content_type: str
    data: bytes


def accepted_types(definition: dict[str, Any]) -> list[str]:
    """The file types a requirement accepts: its own list within the configured ones."""
    allowed = list(current_app.config["UPLOAD_ALLOWED_TYPES"])
    own = definition.get("settings", {}).get("accepted_types") or allowed
    return [t for t in own if t in allowed]


def clean_file_name(name: str) -> str:
    """The original name without directories or control characters, at most 255 long."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[: 250 - len(ext)]}.{ext}" if dot and len(ext) <= 8 else base[:255]
    return base


def _is_utf8_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _sniff(name: str, data: bytes) -> tuple[str | None, str | None]:
    """(extension, mime type) found in the content; plain text (no magic number) only for a
    .txt name whose bytes are UTF-8 without NUL."""
    kind = filetype.guess(data)
    if kind is not None:
        return kind.extension, kind.mime
    if name.lower().endswith(".txt") and _is_utf8_text(data):
        return "txt", "text/plain"
    return None, None


def check_files(files: list[tuple[str, bytes]], accepted: list[str]) -> list[CheckedFile]:
    """Check uploads against the size limits and the accepted types, by content (the name's
    extension must agree with it). Raises ValidationFailed (problems under "files")."""
    max_file = current_app.config["UPLOAD_MAX_FILE_MB"] * MB
    max_total = current_app.config["UPLOAD_MAX_SUBMISSION_MB"] * MB
    accepted_label = ", ".join(t.upper() for t in accepted)
    problems: list[str] = []
    checked: list[CheckedFile] = []
    if len(files) > MAX_FILES:
        problems.append(f"Attach at most {MAX_FILES} files.")
    for raw_name, data in files:
        name = clean_file_name(raw_name) or "file"
        if not data:
            problems.append(f"“{name}” is empty.")
            continue
        if len(data) > max_file:
            problems.append(
                f"“{name}” is larger than {current_app.config['UPLOAD_MAX_FILE_MB']} MB."
            )
            continue
        extension, mime = _sniff(name, data)
        claimed = name.rpartition(".")[2].lower() if "." in name else None
        claimed = EXTENSION_ALIASES.get(claimed, claimed) if claimed else None
        if extension is None:
            problems.append(
                f"“{name}” is not a file type we recognise. Accepted: {accepted_label}."
            )
        elif extension not in accepted:
            problems.append(
                f"“{name}” contains {extension.upper()}, which is not accepted here. "
                f"Accepted: {accepted_label}."
            )
        elif claimed is not None and claimed != extension:
            problems.append(
                f"“{name}” is named like a {claimed.upper()} file but contains {extension.upper()}."
            )
        else:
            checked.append(CheckedFile(name, extension, mime or "application/octet-stream", data))
    if len(files) > 1 and sum(len(data) for _, data in files) > max_total:
        problems.append(
            "The files together are larger than "
            f"{current_app.config['UPLOAD_MAX_SUBMISSION_MB']} MB."
        )
    if problems:
        raise ValidationFailed("Some files cannot be accepted.", {"files": problems})
    return checked


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
    storage = get_storage()
    session = db.session()
    for upload in checked:
        key = storage.new_key("evidence", upload.extension)
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
        save_in_transaction(session, key, upload.data)


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
