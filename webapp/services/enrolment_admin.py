"""Admin actions on one enrolment: its page (the ledger per requirement, with how each was
met), cancelling it with a reason, and recording a requirement as met by an admin.

Recording goes through `orchestration.record_by_admin`, the same ledger path as an attempt or
a decision, so it can complete the enrolment and issue its certificate in the same
transaction. Every change is audited with the learner as its subject and the learner is told.
Functions flush, never commit; they raise DomainError subclasses with safe messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from webapp import clock, urls
from webapp.errors import Conflict, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Certificate,
    Enrolment,
    EnrolmentStatus,
    LearnerTask,
    RequirementProgress,
    TaskStatus,
    User,
)
from webapp.services import audit, notifications, orchestration

MAX_REASON = 1000


@dataclass(frozen=True)
class LedgerRow:
    """One requirement of the enrolment's snapshot with its ledger row."""

    definition: dict[str, Any]
    progress: RequirementProgress

    @property
    def requirement_id(self) -> int:
        return self.definition["requirement_id"]

    @property
    def title(self) -> str:
        return self.definition["title"]

    @property
    def kind(self) -> str:
        return self.definition["kind"]


@dataclass(frozen=True)
class EnrolmentPage:
    """What the admin enrolment page shows."""

    enrolment: Enrolment
    learner: User
    rows: list[LedgerRow]
    certificate: Certificate | None
    events: list[AuditEvent]

    @property
    def met(self) -> int:
        return sum(1 for r in self.rows if r.progress.is_mandatory and r.progress.is_met)

    @property
    def total(self) -> int:
        return sum(1 for r in self.rows if r.progress.is_mandatory)

    @property
    def can_record(self) -> bool:
        return self.enrolment.status is EnrolmentStatus.IN_PROGRESS


def ledger_rows(enrolment: Enrolment) -> list[LedgerRow]:
    """The snapshot's requirements in order, each with its ledger row and the admin who
    recorded it (one query whatever the count)."""
    rows = {
        r.requirement_id: r
        for r in db.session.scalars(
            sa.select(RequirementProgress)
            .where(
                RequirementProgress.tenant_id == enrolment.tenant_id,
                RequirementProgress.enrolment_id == enrolment.id,
            )
            .options(joinedload(RequirementProgress.recorded_by))
        )
    }
    definitions = sorted(
        enrolment.program_snapshot.get("requirements", []), key=lambda r: r["sort_order"]
    )
    return [
        LedgerRow(d, rows[d["requirement_id"]]) for d in definitions if d["requirement_id"] in rows
    ]


def enrolment_page(enrolment: Enrolment) -> EnrolmentPage:
    """The enrolment with its learner, ledger, certificate and audit history; a constant
    number of queries whatever the number of requirements or events. Reads only."""
    learner = db.session.get(User, enrolment.user_id)
    certificate = db.session.scalar(
        sa.select(Certificate).where(
            Certificate.tenant_id == enrolment.tenant_id, Certificate.enrolment_id == enrolment.id
        )
    )
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.tenant_id == enrolment.tenant_id,
            AuditEvent.object_type == "enrolment",
            AuditEvent.object_id == enrolment.id,
        )
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ).all()
    return EnrolmentPage(enrolment, learner, ledger_rows(enrolment), certificate, list(events))


def ledger_row(enrolment: Enrolment, requirement_id: int) -> LedgerRow:
    """One requirement of the enrolment with its ledger row. Raises NotFound (not in the
    snapshot). Reads only."""
    for row in ledger_rows(enrolment):
        if row.requirement_id == requirement_id:
            return row
    raise NotFound("This requirement is not part of the enrolment.")


def _reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(f"Give the reason for the {what}.", {"reason": ["Give the reason."]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            "The reason is too long.", {"reason": [f"At most {MAX_REASON} characters."]}
        )
    return reason


def cancel_enrolment(enrolment: Enrolment, actor: User, reason: str) -> None:
    """Cancel an open enrolment with a reason: status cancelled with date and reason, the
    ledger rows stay as they are, the learner's open to-do items close; audited (subject: the
    learner), the learner told. The learner may enrol again afterwards. Raises
    ValidationFailed (no reason), Conflict (not open). Flushes, never commits."""
    reason = _reason(reason, "cancellation")
    enrolment = orchestration.lock_enrolment(enrolment.id)
    if not enrolment.is_open:
        raise Conflict(
            f"This enrolment is already {enrolment.status.value}: only an open enrolment can be "
            "cancelled."
            + (
                " Revoke its certificate instead."
                if enrolment.status is EnrolmentStatus.CERTIFIED
                else ""
            )
        )
    previous = enrolment.status
    now = clock.now()
    enrolment.cancel(now, reason)
    # Set-based on purpose: every still open to-do item of the enrolment closes with it.
    db.session.execute(
        sa.update(LearnerTask)
        .where(LearnerTask.enrolment_id == enrolment.id, LearnerTask.status == TaskStatus.OPEN)
        .values(status=TaskStatus.DONE, done_at=now)
    )
    learner = db.session.get(User, enrolment.user_id)
    programme = enrolment.programme.name
    audit.record(
        enrolment.tenant_id,
        actor,
        "enrolment.cancelled",
        "enrolment",
        enrolment.id,
        f"Enrolment of {learner.full_name} in {programme} cancelled: {reason}",
        subject=learner,
        reason=reason,
        previous_status=previous.value,
    )
    notifications.notify(
        learner,
        "enrolment_cancelled",
        f"Enrolment cancelled: {programme}",
        f"Your enrolment in {programme} was cancelled by an administrator on {now:%d %b %Y}. "
        f"Reason: {reason}",
        urls.public_url("programmes.detail", slug=enrolment.programme.slug),
    )
    db.session.flush()


def record_requirement_met(
    enrolment: Enrolment, requirement_id: int, actor: User, reason: str
) -> RequirementProgress:
    """An admin records a requirement as met with a reason (labelled "recorded by <admin>"
    wherever the ledger shows): through the ledger path of attempts and decisions, so the
    last mandatory one completes the enrolment and issues the certificate now; audited
    (subject: the learner), the learner told. Raises ValidationFailed (no reason), NotFound
    (not in the snapshot), Conflict (enrolment not in progress, already met). Flushes, never
    commits."""
    reason = _reason(reason, "record")
    row = orchestration.record_by_admin(enrolment, requirement_id, actor, reason)
    enrolment = row.enrolment
    definition = orchestration.snapshot_requirement(enrolment, requirement_id)
    learner = db.session.get(User, enrolment.user_id)
    programme = enrolment.programme
    completed = enrolment.status is not EnrolmentStatus.IN_PROGRESS
    audit.record(
        enrolment.tenant_id,
        actor,
        "requirement.recorded",
        "enrolment",
        enrolment.id,
        f"“{definition['title']}” recorded as met for {learner.full_name}: {reason}",
        subject=learner,
        requirement_id=requirement_id,
        title=definition["title"],
        reason=reason,
        completed=completed,
    )
    notifications.notify(
        learner,
        "requirement_recorded",
        f"Requirement met: {definition['title']}",
        f"{actor.full_name} recorded “{definition['title']}” in {programme.name} as met. "
        f"Reason: {reason}",
        urls.public_url(
            "programmes.requirement", slug=programme.slug, requirement_id=requirement_id
        ),
    )
    db.session.flush()
    return row
