"""In-app notifications (and the matching e-mail through the outbox)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from webapp import clock
from webapp.emails import render_email_parts
from webapp.extensions import db
from webapp.models import Notification, User
from webapp.services import mail


def notify(
    user: User,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    *,
    dedupe_key: str | None = None,
    email: bool = True,
    email_link: str | None = None,
    email_context: Mapping[str, Any] | None = None,
) -> Notification | None:
    """Notify `user` in the app and (by default) by e-mail, the e-mail's text and HTML parts
    rendered from `templates/email/<kind>.txt` and `<kind>.html` with title, body, link
    (`email_link` if given, e.g. the absolute form of a relative in-app link) and
    `email_context`. With `dedupe_key`, a second call with the same key for the same user does
    nothing and returns None (a unique constraint decides, so concurrent callers cannot both
    send). Flushes; never commits."""
    notification = Notification(
        tenant_id=user.tenant_id,
        user_id=user.id,
        kind=kind,
        title=title[:200],
        body=body,
        link=link,
        dedupe_key=dedupe_key,
    )
    if dedupe_key is not None:
        try:
            with db.session.begin_nested():
                db.session.add(notification)
        except sa.exc.IntegrityError:
            return None
    else:
        db.session.add(notification)
        db.session.flush()
    if email:
        text, html = render_email_parts(
            kind,
            **(email_context or {}),
            title=title,
            body=body,
            link=email_link or link or "",
        )
        mail.queue_email(user, title, text, html)
    return notification


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all, or the given ids). Returns the count."""
    statement = (
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    return db.session.execute(statement).rowcount or 0
