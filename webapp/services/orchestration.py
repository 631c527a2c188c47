"""Orchestration: the one entry point that records a requirement result in the ledger and
completes the enrolment when every mandatory requirement is met.

The quiz, peer-review and content flows all call `record_result`, and so does an admin who
records a requirement as met (`record_by_admin`). When the last mandatory requirement is met
the enrolment becomes `completed` and the completion hooks run in the same transaction
(certificate issuance registers one).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from webapp import clock
from webapp.errors import Conflict, NotFound
from webapp.extensions import db
from webapp.models import (
    Enrolment,
    EnrolmentStatus,
    LearnerTask,
    ProgressStatus,
    RequirementProgress,
    TaskStatus,
    User,
)

CompletionHook = Callable[[Enrolment], None]
COMPLETION_HOOKS: list[CompletionHook] = []


def on_completion(hook: CompletionHook) -> CompletionHook:
    """Register a function called (in the same transaction) when an enrolment completes."""
    if hook not in COMPLETION_HOOKS:
        COMPLETION_HOOKS.append(hook)
    return hook


def lock_enrolment(enrolment_id: int) -> Enrolment:
    """Reload an enrolment with a row lock (PostgreSQL), serialising results for it."""
    enrolment = db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.id == enrolment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if enrolment is None:
        raise NotFound("This enrolment does not exist.")
    return enrolment


def record_result(
    enrolment: Enrolment,
    requirement_id: int,
    outcome: ProgressStatus,
    *,
    evaluation_id: int | None = None,
    submission_id: int | None = None,
    recorded_by: User | None = None,
    recorded_reason: str | None = None,
    count_attempt: bool = True,
) -> RequirementProgress:
    """Record one result for a requirement of an open enrolment: counts the attempt, moves the
    ledger row (met never reverts), records what satisfied it (an attempt, a submission, or an
    admin with their reason), closes the to-do item, and completes the enrolment when all
    mandatory requirements are met. A result arriving after the enrolment finished only
    counts the attempt. Raises NotFound (requirement not in the snapshot). Flushes, never
    commits."""
    enrolment = lock_enrolment(enrolment.id)
    row = db.session.scalar(
        sa.select(RequirementProgress)
        .where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == requirement_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("This requirement is not part of the enrolment.")
    now = clock.now()
    if count_attempt:
        row.attempt_count += 1
    row.last_updated_at = now
    if enrolment.status is not EnrolmentStatus.IN_PROGRESS:
        db.session.flush()
        return row
    became_met = row.mark(outcome, now) and outcome is ProgressStatus.MET
    if became_met:
        row.satisfied_by_evaluation_id = evaluation_id
        row.satisfied_by_submission_id = submission_id
        if recorded_reason is not None:
            row.recorded_by_id = recorded_by.id if recorded_by is not None else None
            row.recorded_reason = recorded_reason
        # Set-based on purpose: every still open task of the requirement, whichever there are.
        db.session.execute(
            sa.update(LearnerTask)
            .where(
                LearnerTask.enrolment_id == enrolment.id,
                LearnerTask.requirement_id == requirement_id,
                LearnerTask.status == TaskStatus.OPEN,
            )
            .values(status=TaskStatus.DONE, done_at=now)
        )
    db.session.flush()
    if became_met:
        complete_if_done(enrolment)
    return row


def complete_if_done(enrolment: Enrolment) -> bool:
    """Complete the enrolment (and run the completion hooks) when every mandatory ledger row is
    met. Returns whether it completed now. Flushes, never commits."""
    if enrolment.status is not EnrolmentStatus.IN_PROGRESS:
        return False
    outstanding = db.session.scalar(
        sa.select(sa.func.count(RequirementProgress.id)).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.is_mandatory.is_(True),
            RequirementProgress.status != ProgressStatus.MET,
        )
    )
    if outstanding:
        return False
    enrolment.complete(clock.now())
    db.session.flush()
    for hook in COMPLETION_HOOKS:
        hook(enrolment)
    return True


def record_by_admin(
    enrolment: Enrolment, requirement_id: int, admin: User, reason: str
) -> RequirementProgress:
    """An admin records a requirement as met (an observation done on paper, say) with a
    reason: the same ledger path as an attempt or a decision, so it can complete the
    enrolment and issue its certificate. Raises NotFound (not in the snapshot), Conflict
    (enrolment not in progress, requirement already met). Flushes, never commits."""
    enrolment = lock_enrolment(enrolment.id)
    if enrolment.status is not EnrolmentStatus.IN_PROGRESS:
        raise Conflict(
            f"This enrolment is {enrolment.status.value.replace('_', ' ')}: only an enrolment "
            "in progress can have requirements recorded."
        )
    if snapshot_requirement(enrolment, requirement_id) is None:
        raise NotFound("This requirement is not part of the enrolment.")
    met = db.session.scalar(
        sa.select(RequirementProgress.status).where(
            RequirementProgress.enrolment_id == enrolment.id,
            RequirementProgress.requirement_id == requirement_id,
        )
    )
    if met is ProgressStatus.MET:
        raise Conflict("This requirement is already met: there is nothing to record.")
    return record_result(
        enrolment,
        requirement_id,
        ProgressStatus.MET,
        recorded_by=admin,
        recorded_reason=reason,
        count_attempt=False,
    )


def mark_content_complete(enrolment: Enrolment, requirement_id: int) -> RequirementProgress:
    """The learner read a content requirement: it is met. Raises NotFound (not a content
    requirement of the snapshot), Conflict (enrolment not open). Flushes, never commits."""
    if enrolment.status is not EnrolmentStatus.IN_PROGRESS:
        raise Conflict("This enrolment is no longer in progress.")
    requirement = snapshot_requirement(enrolment, requirement_id)
    if requirement is None or requirement["kind"] != "content":
        raise NotFound("This is not learning content of your enrolment.")
    return record_result(enrolment, requirement_id, ProgressStatus.MET, count_attempt=False)


def snapshot_requirement(enrolment: Enrolment, requirement_id: int) -> dict | None:
    """The frozen definition of one requirement in the enrolment's snapshot."""
    for requirement in enrolment.program_snapshot.get("requirements", []):
        if requirement["requirement_id"] == requirement_id:
            return requirement
    return None
