"""Skills portfolios and their items."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp import clock
from webapp.models.base import Base, TenantScoped, Timestamped
from webapp.models.types import UTCDateTime, enum_column_type


class Portfolio(TenantScoped, Timestamped, Base):
    """A learner's showcase of certificates, approved evidence and artifacts."""

    __tablename__ = "portfolios"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(160), default="My portfolio")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    is_published: Mapped[bool] = mapped_column(default=False)
    public_slug: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    items: Mapped[list[PortfolioItem]] = relationship(
        back_populates="portfolio", order_by="PortfolioItem.sort_order, PortfolioItem.id"
    )


class PortfolioItemKind(enum.StrEnum):
    CERTIFICATE = "certificate"
    EVIDENCE = "evidence"
    ARTIFACT = "artifact"


class PortfolioItem(TenantScoped, Timestamped, Base):
    """One entry of a portfolio."""

    __tablename__ = "portfolio_items"
    __table_args__ = (
        sa.UniqueConstraint("portfolio_id", "certificate_id"),
        sa.UniqueConstraint("portfolio_id", "submission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(
        sa.ForeignKey("portfolios.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PortfolioItemKind] = mapped_column(enum_column_type(PortfolioItemKind))
    certificate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="CASCADE")
    )
    submission_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evidence_submissions.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str | None] = mapped_column(sa.String(500))
    file_key: Mapped[str | None] = mapped_column(sa.String(255))
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    is_public: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)

    portfolio: Mapped[Portfolio] = relationship(back_populates="items")
