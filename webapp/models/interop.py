"""Mappings of programmes to identifiers in external systems (LMSs, registries)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, TenantScoped, Timestamped


class InteropMapping(TenantScoped, Timestamped, Base):
    """Links a programme to an external system's identifier for import and export."""

    __tablename__ = "interop_mappings"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "external_system", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_paths.id", ondelete="CASCADE"), index=True
    )
    external_system: Mapped[str] = mapped_column(sa.String(80))
    external_id: Mapped[str] = mapped_column(sa.String(200))

    programme: Mapped[CertificationPath] = relationship()  # noqa: F821
