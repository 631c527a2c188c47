"""Peer validation: evidence submissions and mentors' decisions on them and on quiz attempts
that need a mentor's validation.

A mentor decides within their scope: their tenant and, when they belong to an org unit, the
learners of that unit's subtree. Out-of-scope subjects answer NotFound, exactly like missing
ones. A decision is final: the unique constraints on (subject, mentor), a row lock on the
subject and a conditional status update leave exactly one outcome however many mentors decide
at the same moment. Every function flushes and never commits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import filetype
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from webapp import clock, urls
from webapp.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    CertificationPath,
    Decision,
    Enrolment,
    EnrolmentStatus,
    Evaluation,
    EvaluationStatus,
    EvidenceFile,
    EvidenceSubmission,
    PathRequirement,
    PeerValidation,
    ProgressStatus,
    RequirementProgress,
    Role,
    SubmissionStatus,
    User,
)
from webapp.services import audit, mail, notifications, orchestration
from webapp.services import certification_path_management as paths
from webapp.storage import get_storage, save_in_transaction
from webapp.urls import path_for

MB = 1024 * 1024
MAX_FILES = 10
MAX_TEXT = 10_000
MAX_COMMENT = 5_000
LINK_RE = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
# File name extensions that name the same type as filetype's canonical extension.
EXTENSION_ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tiff": "tif"}

Subject = EvidenceSubmission | Evaluation


# --- Learners: submitting and withdrawing evidence ----------------------------------------


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


# --- Scope ---------------------------------------------------------------------------------


def scope_units(mentor: User) -> set[int] | None:
    """The org units whose learners the mentor reviews (None: the whole tenant)."""
    if mentor.org_unit_id is None:
        return None
    return paths.unit_subtree(mentor.tenant_id, mentor.org_unit_id)


def _learner_condition(mentor: User, learner_id_column, units: set[int] | None):
    """SQL: the learner (a users row joined as `User`) is in the mentor's scope, not the mentor."""
    condition = sa.and_(
        User.id == learner_id_column,
        User.tenant_id == mentor.tenant_id,
        User.id != mentor.id,
    )
    if units is not None:
        condition = sa.and_(condition, User.org_unit_id.in_(units or {-1}))
    return condition


def in_scope(mentor: User, learner: User) -> bool:
    """Whether the mentor may review the learner's work (own work included: see decide)."""
    if not mentor.is_mentor or not mentor.active or mentor.tenant_id != learner.tenant_id:
        return False
    units = scope_units(mentor)
    return units is None or learner.org_unit_id in units


def reviewers_of(learner: User) -> list[User]:
    """Active mentors whose scope includes the learner (not the learner themselves)."""
    ancestors = paths.unit_scope(learner)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.tenant_id == learner.tenant_id,
                User.role == Role.MENTOR,
                User.active.is_(True),
                User.id != learner.id,
                sa.or_(User.org_unit_id.is_(None), User.org_unit_id.in_(ancestors or {-1})),
            )
            .order_by(User.id)
        )
    )


# --- The queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "submission" | "evaluation"
    id: int
    submitted_at: datetime
    learner_name: str
    programme_name: str
    requirement_title: str

    @property
    def age(self) -> timedelta:
        return clock.now() - self.submitted_at


@dataclass
class QueuePage:
    """One page of the queue, shaped like Flask-SQLAlchemy's pagination for the macro."""

    items: list[QueueItem]
    page: int
    per_page: int
    total: int
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def query_args(self) -> dict[str, Any]:
        """The active filters as URL query arguments."""
        return {k: v for k, v in self.filters.items() if v}

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _queue_union(
    mentor: User,
    units: set[int] | None,
    *,
    path_id: int | None = None,
    older_than_days: int | None = None,
):
    """Pending submissions and attempts awaiting validation in the mentor's scope that the
    mentor has not decided yet, as one UNION ALL subquery."""
    mine = sa.select(PeerValidation.id).where(PeerValidation.mentor_id == mentor.id)
    submissions = (
        sa.select(
            sa.literal_column("'submission'").label("kind"),
            EvidenceSubmission.id.label("id"),
            EvidenceSubmission.submitted_at.label("submitted_at"),
            EvidenceSubmission.user_id.label("user_id"),
            EvidenceSubmission.enrolment_id.label("enrolment_id"),
            EvidenceSubmission.requirement_id.label("requirement_id"),
        )
        .join(User, _learner_condition(mentor, EvidenceSubmission.user_id, units))
        .where(
            EvidenceSubmission.tenant_id == mentor.tenant_id,
            EvidenceSubmission.status == SubmissionStatus.PENDING,
            ~mine.where(PeerValidation.submission_id == EvidenceSubmission.id).exists(),
        )
    )
    evaluations = (
        sa.select(
            sa.literal_column("'evaluation'").label("kind"),
            Evaluation.id.label("id"),
            Evaluation.submitted_at.label("submitted_at"),
            Evaluation.user_id.label("user_id"),
            Evaluation.enrolment_id.label("enrolment_id"),
            Evaluation.requirement_id.label("requirement_id"),
        )
        .join(User, _learner_condition(mentor, Evaluation.user_id, units))
        .where(
            Evaluation.tenant_id == mentor.tenant_id,
            Evaluation.status == EvaluationStatus.AWAITING_VALIDATION,
            Evaluation.enrolment_id.is_not(None),
            Evaluation.requirement_id.is_not(None),
            ~mine.where(PeerValidation.evaluation_id == Evaluation.id).exists(),
        )
    )
    if path_id is not None:
        submissions = submissions.join(
            Enrolment, Enrolment.id == EvidenceSubmission.enrolment_id
        ).where(Enrolment.path_id == path_id)
        evaluations = evaluations.join(Enrolment, Enrolment.id == Evaluation.enrolment_id).where(
            Enrolment.path_id == path_id
        )
    if older_than_days:
        cutoff = clock.now() - timedelta(days=older_than_days)
        submissions = submissions.where(EvidenceSubmission.submitted_at <= cutoff)
        evaluations = evaluations.where(Evaluation.submitted_at <= cutoff)
    return sa.union_all(submissions, evaluations).subquery("queue")


def queue_count(mentor: User) -> int:
    """How many items wait in the mentor's queue (the navigation badge)."""
    if not mentor.is_mentor:
        return 0
    queue = _queue_union(mentor, scope_units(mentor))
    return db.session.scalar(sa.select(sa.func.count()).select_from(queue)) or 0


def review_queue(
    mentor: User,
    *,
    page: int = 1,
    per_page: int = 20,
    path_id: int | None = None,
    older_than_days: int | None = None,
) -> QueuePage:
    """One page of the mentor's queue, oldest first, with programme, requirement and learner.
    A constant number of queries whatever the queue's length."""
    queue = _queue_union(
        mentor, scope_units(mentor), path_id=path_id, older_than_days=older_than_days
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(queue)) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = db.session.execute(
        sa.select(
            queue.c.kind,
            queue.c.id,
            queue.c.submitted_at,
            User.full_name,
            CertificationPath.name,
            PathRequirement.title,
        )
        .join(User, User.id == queue.c.user_id)
        .join(Enrolment, Enrolment.id == queue.c.enrolment_id)
        .join(CertificationPath, CertificationPath.id == Enrolment.path_id)
        .join(PathRequirement, PathRequirement.id == queue.c.requirement_id)
        .order_by(queue.c.submitted_at, queue.c.kind.desc(), queue.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return QueuePage(
        items=[QueueItem(*row) for row in rows],
        page=page,
        per_page=per_page,
        total=total,
        filters={"program": path_id, "age": older_than_days},
    )


# --- Loading what a user may see -----------------------------------------------------------


def reviewable_submission(mentor: User, submission_id: int) -> EvidenceSubmission | None:
    """A submission the mentor may review (in scope, not their own), else None."""
    if not mentor.is_mentor:
        return None
    return db.session.scalar(
        sa.select(EvidenceSubmission)
        .join(User, _learner_condition(mentor, EvidenceSubmission.user_id, scope_units(mentor)))
        .where(
            EvidenceSubmission.id == submission_id,
            EvidenceSubmission.tenant_id == mentor.tenant_id,
        )
    )


def reviewable_evaluation(mentor: User, evaluation_id: int) -> Evaluation | None:
    """A quiz attempt the mentor may review: in scope, not their own, of an enrolment, and
    awaiting validation or already validated. Else None."""
    if not mentor.is_mentor:
        return None
    validated = sa.select(PeerValidation.id).where(PeerValidation.evaluation_id == Evaluation.id)
    return db.session.scalar(
        sa.select(Evaluation)
        .join(User, _learner_condition(mentor, Evaluation.user_id, scope_units(mentor)))
        .where(
            Evaluation.id == evaluation_id,
            Evaluation.tenant_id == mentor.tenant_id,
            Evaluation.enrolment_id.is_not(None),
            Evaluation.requirement_id.is_not(None),
            sa.or_(Evaluation.status == EvaluationStatus.AWAITING_VALIDATION, validated.exists()),
        )
    )


def downloadable_file(user: User, file_id: int) -> EvidenceFile | None:
    """An evidence file the user may download: their own, a learner's in their review scope,
    or any of the tenant when they are an admin. Else None."""
    evidence_file = db.session.scalar(
        sa.select(EvidenceFile).where(
            EvidenceFile.id == file_id, EvidenceFile.tenant_id == user.tenant_id
        )
    )
    if evidence_file is None:
        return None
    owner = db.session.get(User, evidence_file.submission.user_id)
    if owner.id == user.id or user.is_admin or in_scope(user, owner):
        return evidence_file
    return None


# --- Deciding ------------------------------------------------------------------------------


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
    # Conditional: only a still pending submission changes, whoever else decides right now.
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
            "programs.requirement", slug=enrolment.path.slug, requirement_id=subject.requirement_id
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
    note = notifications.notify(user, kind, title, body, path, dedupe_key=dedupe_key, email=False)
    if note is not None:
        mail.queue_email(user, title, f"{body}\n\n{urls.absolute(path)}")


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
            f"in {enrolment.path.name}.",
            path,
            dedupe_key=f"review-request:{_subject_key(subject)}:{subject.id}",
        )
    return len(mentors)


# --- Read models for the review page -------------------------------------------------------


@dataclass
class Review:
    """Everything the review page shows about one subject."""

    subject: Subject
    kind: str
    learner: User
    enrolment: Enrolment
    definition: dict[str, Any]
    validations: list[PeerValidation]
    earlier: list[EvidenceSubmission]
    questions: list[dict[str, Any]]
    required: int
    mine: PeerValidation | None

    @property
    def is_open(self) -> bool:
        return _is_open(self.subject)

    @property
    def can_decide(self) -> bool:
        return self.is_open and self.mine is None

    @property
    def approvals(self) -> int:
        return sum(1 for v in self.validations if v.decision is Decision.APPROVED)


def review(subject: Subject, mentor: User) -> Review:
    """The review page's data for a subject the mentor may see (load it with
    reviewable_submission / reviewable_evaluation first)."""
    learner = db.session.get(User, subject.user_id)
    enrolment = db.session.get(Enrolment, subject.enrolment_id)
    definition = orchestration.snapshot_requirement(enrolment, subject.requirement_id) or {}
    column = getattr(PeerValidation, _subject_key(subject))
    validations = list(
        db.session.scalars(
            sa.select(PeerValidation)
            .where(column == subject.id)
            .options(selectinload(PeerValidation.mentor))
            .order_by(PeerValidation.decided_at, PeerValidation.id)
        )
    )
    earlier: list[EvidenceSubmission] = []
    questions: list[dict[str, Any]] = []
    if isinstance(subject, EvidenceSubmission):
        kind = "submission"
        earlier = [
            s
            for s in learner_submissions(enrolment, subject.requirement_id)
            if s.id != subject.id and s.submitted_at <= subject.submitted_at
        ]
    else:
        kind = "evaluation"
        questions = answered_questions(subject)
    return Review(
        subject=subject,
        kind=kind,
        learner=learner,
        enrolment=enrolment,
        definition=definition,
        validations=validations,
        earlier=earlier,
        questions=questions,
        required=required_approvals(definition),
        mine=next((v for v in validations if v.mentor_id == mentor.id), None),
    )


def _answer_text(question: dict[str, Any], answer: Any) -> str:
    if answer is None or answer == "" or answer == []:
        return "(no answer)"
    options = {str(o.get("id")): o.get("text", "") for o in question.get("options") or []}
    if options:
        chosen = answer if isinstance(answer, list) else [answer]
        return ", ".join(options.get(str(a), str(a)) for a in chosen)
    if isinstance(answer, bool):
        return "True" if answer else "False"
    return str(answer)


def _key_text(question: dict[str, Any]) -> str:
    qtype = question.get("type")
    if qtype in ("single", "multiple"):
        return _answer_text(question, question.get("correct") or [])
    if qtype == "true_false":
        return _answer_text(question, question.get("correct"))
    if qtype == "short_text":
        return " / ".join(str(a) for a in question.get("accepted") or [])
    if qtype == "numeric":
        tolerance = question.get("tolerance")
        suffix = f" ± {tolerance}" if tolerance not in (None, "", "0", 0) else ""
        return f"{question.get('value')}{suffix}"
    return ""


def answered_questions(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The attempt's questions in the order shown, each with the learner's answer, the key
    and the outcome (from the latest score version when there is one)."""
    questions = {str(q["id"]): q for q in evaluation.quiz_version.questions}
    meta = evaluation.meta or {}
    order = meta.get("question_ids") or meta.get("order") or list(questions)
    outcomes = meta.get("outcomes") or meta.get("per_question") or {}
    if evaluation.score_versions:
        outcomes = evaluation.score_versions[-1].outcomes or outcomes
    shown = []
    for question_id in order:
        question = questions.get(str(question_id))
        if question is None:
            continue
        outcome = outcomes.get(str(question_id)) or {}
        shown.append(
            {
                "id": question["id"],
                "prompt": question.get("prompt", ""),
                "points": question.get("points", 1),
                "answer": _answer_text(question, (evaluation.answers or {}).get(str(question_id))),
                "key": _key_text(question),
                "earned": outcome.get("earned"),
                "correct": outcome.get("correct"),
            }
        )
    return shown
