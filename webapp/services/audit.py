"""The audit log: every issuance, revocation, decision, regrade, import and role change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from webapp import clock
from webapp.extensions import db
from webapp.models import AuditEvent, User


def record(
    tenant_id: int,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    summary: str = "",
    *,
    subject: User | None = None,
    **data: Any,
) -> AuditEvent:
    """Append one audit event; `subject` is the person it is about (shown on their page).
    Flushes nothing itself; never commits."""
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor.id if actor is not None else None,
        subject_user_id=subject.id if subject is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:300],
        data=data,
        created_at=clock.now(),  # when it happened, not when the session next flushes
    )
    db.session.add(event)
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose value differs, as `{field: {"before": old, "after": new}}`: what an
    event's `changes` holds and the audit log shows as before and after. Pure."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record_system_events(
    action: str,
    object_type: str,
    rows: list[tuple[int, int, int | None]],
    summary: str,
    at: datetime,
) -> None:
    """Append one event without an actor (a scheduled job's doing) per `(tenant_id,
    object_id, subject_user_id)` in `rows`, in one multi-row INSERT: for set-based jobs that
    change many rows at once. Never commits."""
    if rows:
        db.session.execute(
            sa.insert(AuditEvent.__table__),
            [
                {
                    "tenant_id": tenant_id,
                    "actor_id": None,
                    "subject_user_id": subject_id,
                    "action": action,
                    "object_type": object_type,
                    "object_id": object_id,
                    "summary": summary[:300],
                    "data": {},
                    "created_at": at,
                }
                for tenant_id, object_id, subject_id in rows
            ],
        )
