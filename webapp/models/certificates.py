"""Issued certificates and the per-year counter behind their numbers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from webapp.errors import InvalidTransition
from webapp.models.base import Base, TenantScoped, Timestamped
from webapp.models.types import JSONType, UTCDateTime, enum_column_type, json_default_dict


class CertificateStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class PdfStatus(enum.StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class CertificateCounter(Base):
    """Last number a tenant (the issuer) issued in a year: a locked row, so each tenant's
    numbers have no duplicates and no gaps."""

    __tablename__ = "certificate_counters"

    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Certificate(TenantScoped, Base):
    """A credential issued for one enrolment; never edited to extend validity."""

    __tablename__ = "certificates"
    __table_args__ = (
        # The expiry job walks certificates of one status in (expires_at, id) order, batch by
        # batch from where it stopped: the id makes that keyset an index range.
        sa.Index("ix_certificates_status_expires_at_id", "status", "expires_at", "id"),
        # Each tenant is an issuer with its own sequence: numbers are unique per tenant.
        sa.UniqueConstraint("tenant_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("program_enrolments.id", ondelete="RESTRICT"), unique=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    path_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certification_paths.id", ondelete="RESTRICT"), index=True
    )
    path_version: Mapped[str] = mapped_column(sa.String(20))
    number: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column_type(CertificateStatus), default=CertificateStatus.ACTIVE
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(sa.Text)
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    public_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    renews_certificate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="SET NULL"), index=True
    )
    # Frozen at issuance: holder name, programme name and level, skills, badge, serial.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=json_default_dict)
    pdf_status: Mapped[PdfStatus] = mapped_column(
        enum_column_type(PdfStatus), default=PdfStatus.PENDING
    )
    pdf_key: Mapped[str | None] = mapped_column(sa.String(255))
    pdf_error: Mapped[str | None] = mapped_column(sa.Text)
    pdf_rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The public base URL the stored PDF's QR code and link point at (stale after a move).
    pdf_base_url: Mapped[str | None] = mapped_column(sa.String(255))

    user: Mapped[User] = relationship(foreign_keys=[user_id])  # noqa: F821
    programme: Mapped[CertificationPath] = relationship()  # noqa: F821
    enrolment: Mapped[Enrolment] = relationship()  # noqa: F821
    renews: Mapped[Certificate | None] = relationship(remote_side=[id])

    # `grace_until`: the end of its latest grace period (a CertificateExtension), if any; a
    # read-only SQL expression loaded with the row, assigned below the extension model.

    @hybrid_property
    def valid_until(self) -> datetime | None:
        """The effective validity: `expires_at`, or the end of the latest grace period when
        there is one (an extension always ends after `expires_at`). None: never expires."""
        if self.expires_at is None:
            return None
        return self.grace_until or self.expires_at

    @valid_until.inplace.expression
    @classmethod
    def _valid_until_expression(cls) -> sa.ColumnElement[datetime | None]:
        return sa.func.coalesce(cls.grace_until, cls.expires_at, type_=UTCDateTime())

    def status_at(self, now: datetime) -> CertificateStatus:
        """The status as of `now`, from the effective validity: an active certificate past
        it counts as expired even before the daily expiry job has marked it, and one inside
        a grace period counts as active (valid) even when its own `expires_at` has passed
        (or the job had marked it expired before the grace period was granted)."""
        if self.status is CertificateStatus.ACTIVE:
            until = self.valid_until
            return CertificateStatus.EXPIRED if until is not None and until <= now else self.status
        if self.status is CertificateStatus.EXPIRED and self.grace_until_at(now):
            return CertificateStatus.ACTIVE
        return self.status

    def grace_until_at(self, now: datetime) -> datetime | None:
        """The end of the grace period that keeps the certificate valid at `now`, if any."""
        if self.status is CertificateStatus.REVOKED or self.grace_until is None:
            return None
        return self.grace_until if self.grace_until > now else None

    def holder_display_name(self, mode: str) -> str:
        """The frozen holder name, in full or as initials ("Ana Maria Lopez" -> "A.M.L.")."""
        name = str(
            (self.meta or {}).get("holder_name") or (self.user.full_name if self.user else "")
        )
        if mode != "initials":
            return name
        parts = [p for p in name.replace("-", " ").split() if p]
        return "".join(p[0].upper() + "." for p in parts) or "?"

    def revoke(self, at: datetime, reason: str, actor_id: int | None) -> None:
        if self.status is CertificateStatus.REVOKED:
            raise InvalidTransition("This certificate is already revoked.")
        self.status = CertificateStatus.REVOKED
        self.revoked_at = at
        self.revoked_reason = reason
        self.revoked_by_id = actor_id

    # Active -> expired is the daily expiry job's set-based UPDATE
    # (services/recertification/expiry.py), not a method here.

    def resume(self) -> None:
        """Expired -> active: a grace period was granted after the expiry job had marked the
        certificate expired, so it counts as valid again. Only the job's mark is undone:
        `expires_at` is never edited, the grace period is its own row."""
        if self.status is not CertificateStatus.EXPIRED:
            raise InvalidTransition(
                f"A certificate that is {self.status.value} cannot become active again."
            )
        self.status = CertificateStatus.ACTIVE
        self.expired_at = None

    def request_pdf(self) -> None:
        """Any PDF state -> pending: an admin asks for it again (after a failure, a badge
        change, or a render job that never ran), so no source state is illegal. Pending ->
        ready and -> failed are conditional UPDATEs in services/certificates/pdf.py."""
        self.pdf_status = PdfStatus.PENDING
        self.pdf_error = None


class CertificateExtension(TenantScoped, Timestamped, Base):
    """A grace period: an admin lets an expiring or just-expired certificate count as valid
    until `extended_until`, with a reason. The certificate row itself is never edited; the
    latest extension wins, and the expiry job honours it."""

    __tablename__ = "certificate_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certificates.id", ondelete="CASCADE"), index=True
    )
    extended_until: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    certificate: Mapped[Certificate] = relationship()
    created_by: Mapped[User | None] = relationship()  # noqa: F821


Certificate.grace_until = column_property(
    sa.select(sa.func.max(CertificateExtension.extended_until))
    .where(CertificateExtension.certificate_id == Certificate.id)
    .correlate_except(CertificateExtension)
    .scalar_subquery()
)
