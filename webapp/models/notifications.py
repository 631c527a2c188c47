"""In-app notifications and the e-mail outbox."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.errors import InvalidTransition
from webapp.models.base import Base, TenantScoped, Timestamped
from webapp.models.types import UTCDateTime, enum_column_type


class Notification(TenantScoped, Timestamped, Base):
    """A message to one user; `dedupe_key` makes "exactly once" notifications a constraint."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "dedupe_key"),
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(60))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(500))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxEmail(TenantScoped, Timestamped, Base):
    """An e-mail written in the same transaction as its cause, delivered later by a job: a text
    `body`, and an `html_body` sent beside it as the HTML alternative when set."""

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[EmailStatus] = mapped_column(
        enum_column_type(EmailStatus), default=EmailStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def mark_sent(self, at: datetime) -> None:
        """Pending or failed -> sent. Raises InvalidTransition for an e-mail already sent."""
        if self.status is EmailStatus.SENT:
            raise InvalidTransition("This e-mail has already been sent.")
        self.status = EmailStatus.SENT
        self.sent_at = at
        self.error = None
