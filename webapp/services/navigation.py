"""Counters shown in the navigation (unread notifications, pending reviews)."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Notification, User
from webapp.services import peer_validation


def counts(user: User) -> dict[str, int]:
    """The navigation badges for `user`: constant number of queries."""
    unread = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )
    result = {"unread": unread or 0}
    if user.is_mentor:
        # Exactly the items of the mentor's queue (scope, own work, already decided).
        result["reviews"] = peer_validation.queue_count(user)
    return result
