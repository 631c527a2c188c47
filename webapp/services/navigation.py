"""Counters shown in the navigation (unread notifications, pending reviews)."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import EvidenceSubmission, Notification, SubmissionStatus, User


def counts(user: User) -> dict[str, int]:
    """The navigation badges for `user`: constant number of queries."""
    unread = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )
    result = {"unread": unread or 0}
    if user.is_mentor:
        result["reviews"] = (
            db.session.scalar(
                sa.select(sa.func.count(EvidenceSubmission.id)).where(
                    EvidenceSubmission.tenant_id == user.tenant_id,
                    EvidenceSubmission.status == SubmissionStatus.PENDING,
                    EvidenceSubmission.user_id != user.id,
                )
            )
            or 0
        )
    return result
