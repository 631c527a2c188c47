"""The audit log: who did what to which object, when."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, TenantScoped, Timestamped
from webapp.models.types import JSONType, json_default_dict


class AuditEvent(TenantScoped, Timestamped, Base):
    """One audited action; rows are only ever inserted."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_tenant_id_created_at", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The person the event is about (a learner's enrolment, certificate, role...), if any.
    subject_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(60))
    object_id: Mapped[int | None] = mapped_column()
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=json_default_dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])  # noqa: F821
    subject_user: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])  # noqa: F821
