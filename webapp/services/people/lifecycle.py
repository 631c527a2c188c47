"""Deactivating, reactivating and (for people without any history) deleting a person.

History is kept: a person with enrolments, attempts, evidence, decisions, certificates or
audit events of their own is deactivated, never deleted. Only a record nobody ever used (added
by mistake, say with a mistyped address) can be deleted. Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Certificate,
    Enrolment,
    Evaluation,
    EvidenceSubmission,
    PeerValidation,
    User,
)
from webapp.services import audit
from webapp.services.people import rules

# Audit events about a person that are only the bookkeeping of their record (added, invited,
# edited, deactivated by an admin): they do not count as history, and stay (without the
# person) when a record is deleted.
RECORD_ACTIONS = (
    "user.created",
    "user.invited",
    "user.updated",
    "user.role_changed",
    "user.deactivated",
    "user.reactivated",
)


@dataclass(frozen=True)
class History:
    """What a person has done or has had done to them (counts)."""

    enrolments: int
    attempts: int
    submissions: int
    decisions: int
    certificates: int
    audit_events: int
    logged_in: bool

    def reasons(self) -> list[str]:
        """Each kind of history, in words ("2 enrolments"). Pure."""
        counts = [
            (self.enrolments, "enrolment"),
            (self.attempts, "quiz attempt"),
            (self.submissions, "evidence submission"),
            (self.decisions, "review decision"),
            (self.certificates, "certificate"),
            (self.audit_events, "audit event"),
        ]
        found = [f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in counts if n]
        if self.logged_in:
            found.append("has logged in")
        return found


def history(person: User) -> History:
    """The person's history, counted in one query."""

    def count(model, *conditions):
        return sa.select(sa.func.count()).select_from(model).where(*conditions).scalar_subquery()

    own_events = sa.or_(
        AuditEvent.actor_id == person.id,
        sa.and_(AuditEvent.subject_user_id == person.id, AuditEvent.action.not_in(RECORD_ACTIONS)),
    )
    row = db.session.execute(
        sa.select(
            count(Enrolment, Enrolment.user_id == person.id),
            count(Evaluation, Evaluation.user_id == person.id),
            count(EvidenceSubmission, EvidenceSubmission.user_id == person.id),
            count(PeerValidation, PeerValidation.mentor_id == person.id),
            count(Certificate, Certificate.user_id == person.id),
            count(AuditEvent, AuditEvent.tenant_id == person.tenant_id, own_events),
        )
    ).one()
    return History(*row, logged_in=person.last_login_at is not None)


def deactivate(person: User, actor: User | None) -> bool:
    """Deactivate `person`: they cannot log in and every session of theirs ends at once (the
    session token rotates). Returns False if they already were inactive. An admin cannot
    deactivate themselves nor the tenant's last admin. Raises Conflict. Flushes, never
    commits."""
    if not person.active:
        return False
    refused = rules.admin_guard_problem(person, actor, active=False)
    if refused:
        raise Conflict(refused)
    person.active = False
    person.rotate_session_token()
    audit.record(
        person.tenant_id,
        actor,
        "user.deactivated",
        "user",
        person.id,
        f"{person.full_name} deactivated",
        subject=person,
    )
    db.session.flush()
    return True


def reactivate(person: User, actor: User | None) -> bool:
    """Let `person` log in again (with the password they had). Returns False if they already
    were active. Flushes, never commits."""
    if person.active:
        return False
    person.active = True
    audit.record(
        person.tenant_id,
        actor,
        "user.reactivated",
        "user",
        person.id,
        f"{person.full_name} reactivated",
        subject=person,
    )
    db.session.flush()
    return True


def deletion_refusal(person: User, actor: User | None) -> str | None:
    """Why `person` cannot be deleted (by `actor`), or None when they can."""
    refused = rules.admin_guard_problem(person, actor, deleting=True)
    if refused:
        return refused
    reasons = history(person).reasons()
    if reasons:
        return (
            f"{person.full_name} has a history ({', '.join(reasons)}), which is kept: "
            "deactivate them instead."
        )
    return None


def delete_person(person: User, actor: User | None) -> None:
    """Delete a person without any history (see `deletion_refusal`); the audit events about
    their record stay, and `user.deleted` names who it was. Raises Conflict. Flushes, never
    commits."""
    refused = deletion_refusal(person, actor)
    if refused:
        raise Conflict(refused)
    audit.record(
        person.tenant_id,
        actor,
        "user.deleted",
        "user",
        person.id,
        f"{person.full_name} ({person.email}) deleted",
        email=person.email,
        full_name=person.full_name,
    )
    db.session.delete(person)
    db.session.flush()
