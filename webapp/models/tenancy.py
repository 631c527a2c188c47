"""Tenants, org units (a tree) and users."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.errors import InvalidTransition
from webapp.models.base import Base, TenantScoped, Timestamped
from webapp.models.types import UTCDateTime, enum_column_type


class HolderNameDisplay(enum.StrEnum):
    FULL = "full"
    INITIALS = "initials"


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # its users cannot log in; its certificates still verify


class Tenant(Timestamped, Base):
    """An organisation; every domain row belongs to exactly one."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    holder_name_display: Mapped[HolderNameDisplay] = mapped_column(
        enum_column_type(HolderNameDisplay), default=HolderNameDisplay.FULL
    )
    # The tenant's own certificate number prefix; CERT_NUMBER_PREFIX when unset.
    certificate_prefix: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[TenantStatus] = mapped_column(
        enum_column_type(TenantStatus), default=TenantStatus.ACTIVE
    )
    # Storage key of the logo shown in the header and on certificate PDFs.
    logo_key: Mapped[str | None] = mapped_column(sa.String(255))
    signatory_name: Mapped[str | None] = mapped_column(sa.String(120))
    signatory_title: Mapped[str | None] = mapped_column(sa.String(120))
    reply_to: Mapped[str | None] = mapped_column(sa.String(254))
    # Default renewal window of new programmes; the installation's when unset.
    renewal_window_days: Mapped[int | None] = mapped_column()
    # The longest grace period an admin may grant past a certificate's expiry.
    grace_period_max_days: Mapped[int] = mapped_column(default=30)

    @property
    def is_active(self) -> bool:
        return self.status is TenantStatus.ACTIVE

    def suspend(self) -> None:
        """Active -> suspended. Raises InvalidTransition when it is suspended already."""
        if self.status is TenantStatus.SUSPENDED:
            raise InvalidTransition(f"{self.name} is suspended already.")
        self.status = TenantStatus.SUSPENDED

    def reactivate(self) -> None:
        """Suspended -> active. Raises InvalidTransition when it is active already."""
        if self.status is TenantStatus.ACTIVE:
            raise InvalidTransition(f"{self.name} is active already.")
        self.status = TenantStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class OrgUnit(TenantScoped, Timestamped, Base):
    """A department or site; org units form a tree inside a tenant."""

    __tablename__ = "org_units"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "parent_id", "name"),
        # NULL parents never clash in the constraint above: top-level names need their own.
        sa.Index(
            "uq_org_units_top_level_name",
            "tenant_id",
            "name",
            unique=True,
            sqlite_where=sa.text("parent_id IS NULL"),
            postgresql_where=sa.text("parent_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")


class Role(enum.StrEnum):
    LEARNER = "learner"
    MENTOR = "mentor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"learner": 0, "mentor": 1, "admin": 2}[self.value]


UNUSABLE_PASSWORD = "!"  # noqa: S105  (a stored hash with this prefix matches no password)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(TenantScoped, Timestamped, Base):
    """A person who logs in; everyone is a learner, some are mentors or admins."""

    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column_type(Role), default=Role.LEARNER)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the login session id: rotating it ends every session of the user server-side.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person's id in another system (HR, LMS), unique per tenant.
    external_id: Mapped[str | None] = mapped_column(sa.String(120))
    # A mentor reviews this unit's subtree; unset: their own org unit's (none: the tenant).
    mentor_unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("org_units.id", ondelete="SET NULL"), index=True
    )
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tenant: Mapped[Tenant] = relationship()
    org_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[org_unit_id])
    mentor_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[mentor_unit_id])

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def clear_password(self) -> None:
        """No password works until the person sets one through an invitation link."""
        self.password_hash = UNUSABLE_PASSWORD + secrets.token_hex(16)

    @property
    def has_password(self) -> bool:
        return not self.password_hash.startswith(UNUSABLE_PASSWORD)

    def check_password(self, password: str) -> bool:
        return self.has_password and check_password_hash(self.password_hash, password)

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    is_operator = False

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_mentor(self) -> bool:
        return self.has_role(Role.MENTOR)

    @property
    def initials(self) -> str:
        parts = [p for p in self.full_name.replace("-", " ").split() if p]
        return "".join(p[0].upper() + "." for p in parts) or "?"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class PlatformOperator(Timestamped, Base):
    """One of the people who run the installation: belongs to no tenant, creates and
    suspends tenants, and sees only per-tenant counts."""

    __tablename__ = "platform_operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Flask-Login protocol: the "op:" prefix keeps operator ids apart from users' ids.
    is_authenticated = True
    is_anonymous = False
    is_operator = True
    is_admin = False
    is_mentor = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"op:{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<PlatformOperator {self.email}>"
