"""The installation's own staff (platform operators, who belong to no tenant) and what they
do: create a tenant with its first admin (who is invited to set a password), suspend and
reactivate a tenant, and read per-tenant counts, never a tenant's data beyond them.

Operator actions are written to the affected tenant's audit log with no actor (operators are
not users of the tenant); the event's data names the operator, or says that the command
line did it. Functions flush, never commit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificationPath,
    PlatformOperator,
    Role,
    Tenant,
    User,
)
from webapp.models.tenancy import new_session_token
from webapp.pagination import Page
from webapp.services import account_links, audit
from webapp.services.account_links import LinkPurpose
from webapp.services.organisation import normalised_email
from webapp.urls import public_url

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 60
NAME_MAX = 120


def email_in_use(address: str) -> bool:
    """Whether a user of any tenant or an operator already has this e-mail address (ignoring
    case): an address names one account across the installation. Reads only."""
    lowered = address.strip().lower()
    return any(
        db.session.scalar(sa.select(model.id).where(sa.func.lower(model.email) == lowered).limit(1))
        is not None
        for model in (User, PlatformOperator)
    )


def _email_problem(address: str) -> tuple[str | None, str | None]:
    """(normalised address, problem)."""
    if not address.strip():
        return None, "Give an e-mail address."
    try:
        normalised = normalised_email(address.strip())
    except ValueError as error:
        return None, str(error)
    if email_in_use(normalised):
        return None, "Another account already uses this e-mail address."
    return normalised, None


def _name_problem(name: str, what: str) -> str | None:
    if not name:
        return f"Give {what}."
    if len(name) > NAME_MAX:
        return f"Use at most {NAME_MAX} characters."
    return None


def _actor_data(operator: PlatformOperator | None) -> dict[str, Any]:
    if operator is None:
        return {"operator": None, "via": "command line"}
    return {"operator": {"id": operator.id, "email": operator.email}, "via": "platform console"}


# --- Operators -------------------------------------------------------------------------------


def create_operator(email: str, full_name: str, password: str) -> PlatformOperator:
    """A new installation operator. Raises ValidationFailed (problems by field: email,
    full_name, password). Flushes, never commits."""
    problems: dict[str, list[str]] = {}
    address, problem = _email_problem(email)
    if problem:
        problems["email"] = [problem]
    name = full_name.strip()
    if problem := _name_problem(name, "the operator's name"):
        problems["full_name"] = [problem]
    problems.update(account_links.password_problems(password, password))
    if problems:
        raise ValidationFailed("The operator cannot be created.", problems)
    operator = PlatformOperator(email=address, full_name=name)
    operator.set_password(password)
    db.session.add(operator)
    db.session.flush()
    return operator


# --- Tenants ---------------------------------------------------------------------------------


def slug_from(name: str) -> str:
    """A slug made of the name's letters and digits (accents dropped), at most SLUG_MAX long;
    "tenant" when nothing is left. Pure."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "tenant"


def _free_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3`... the first that no tenant has (one query)."""
    taken = set(
        db.session.scalars(
            sa.select(Tenant.slug).where(
                sa.or_(Tenant.slug == base, Tenant.slug.like(f"{base[: SLUG_MAX - 4]}-%"))
            )
        )
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return candidate


@dataclass(frozen=True)
class NewTenant:
    """A tenant just created and its first admin (invited)."""

    tenant: Tenant
    admin: User


def tenant_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """Every problem with a new tenant (name, slug, admin_email, admin_name), by field.
    Reads only."""
    problems: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if problem := _name_problem(name, "the organisation's name"):
        problems["name"] = [problem]
    slug = (data.get("slug") or "").strip()
    if slug:
        if not SLUG_RE.match(slug) or len(slug) > SLUG_MAX:
            problems["slug"] = [
                f"Use lowercase letters, digits and single hyphens (at most {SLUG_MAX})."
            ]
        elif db.session.scalar(sa.select(Tenant.id).where(Tenant.slug == slug)) is not None:
            problems["slug"] = ["Another tenant already uses this slug."]
    _address, problem = _email_problem(data.get("admin_email") or "")
    if problem:
        problems["admin_email"] = [problem]
    if len((data.get("admin_name") or "").strip()) > NAME_MAX:
        problems["admin_name"] = [f"Use at most {NAME_MAX} characters."]
    return problems


def create_tenant(data: dict[str, Any], operator: PlatformOperator | None) -> NewTenant:
    """Create a tenant (`name`, optional `slug`: made from the name when empty) with its first
    admin (`admin_email`, optional `admin_name`: the address's local part when empty), who is
    e-mailed an invitation to set a password. Audited in the new tenant (no actor; the data
    names the operator, None from the command line). Raises ValidationFailed. Flushes, never
    commits."""
    problems = tenant_problems(data)
    if problems:
        raise ValidationFailed("Please correct the highlighted fields.", problems)
    name = data["name"].strip()
    address = normalised_email(data["admin_email"].strip())
    tenant = Tenant(name=name, slug=(data.get("slug") or "").strip() or _free_slug(slug_from(name)))
    db.session.add(tenant)
    db.session.flush()
    admin = User(
        tenant_id=tenant.id,
        email=address,
        full_name=(data.get("admin_name") or "").strip() or address.partition("@")[0],
        role=Role.ADMIN,
    )
    admin.clear_password()
    db.session.add(admin)
    db.session.flush()
    audit.record(
        tenant.id,
        None,
        "tenant.created",
        "tenant",
        tenant.id,
        f"Tenant {name} created with its first admin {address}",
        subject=admin,
        **_actor_data(operator),
    )
    account_links.send_link(admin, LinkPurpose.INVITE, None)
    return NewTenant(tenant, admin)


def invitation_link(user: User) -> str:
    """A link that works like the one in the user's invitation e-mail (for the command line,
    on an installation that may have no mail server yet). Reads only."""
    token = account_links.make_token(user, LinkPurpose.INVITE)
    return public_url(account_links.ENDPOINTS[LinkPurpose.INVITE], token=token)


def _end_tenant_sessions(tenant: Tenant) -> None:
    """Rotate the session token of every user of the tenant (one executemany by primary key),
    so sessions of before a suspension do not come back with a reactivation."""
    ids = db.session.scalars(sa.select(User.id).where(User.tenant_id == tenant.id)).all()
    if ids:
        db.session.execute(
            sa.update(User),
            [{"id": user_id, "session_token": new_session_token()} for user_id in ids],
        )


def suspend_tenant(tenant: Tenant, operator: PlatformOperator | None) -> None:
    """Suspend a tenant: its users cannot log in and their sessions end at once; the
    verification of its certificates keeps working. Audited in the tenant. Raises
    InvalidTransition when it is suspended already. Flushes, never commits."""
    tenant.suspend()
    _end_tenant_sessions(tenant)
    audit.record(
        tenant.id,
        None,
        "tenant.suspended",
        "tenant",
        tenant.id,
        f"Tenant {tenant.name} suspended",
        **_actor_data(operator),
    )
    db.session.flush()


def reactivate_tenant(tenant: Tenant, operator: PlatformOperator | None) -> None:
    """Let a suspended tenant's users log in again. Audited in the tenant. Raises
    InvalidTransition when it is active already. Flushes, never commits."""
    tenant.reactivate()
    audit.record(
        tenant.id,
        None,
        "tenant.reactivated",
        "tenant",
        tenant.id,
        f"Tenant {tenant.name} reactivated",
        **_actor_data(operator),
    )
    db.session.flush()


# --- The console's list ----------------------------------------------------------------------


@dataclass(frozen=True)
class TenantFigures:
    """One row of the console: a tenant and its counts."""

    tenant: Tenant
    users: int
    programmes: int
    certificates: int


def _count(model: Any) -> sa.ScalarSelect[int]:
    return (
        sa.select(sa.func.count(model.id))
        .where(model.tenant_id == Tenant.id)
        .correlate(Tenant)
        .scalar_subquery()
    )


def tenant_figures(page: int, per_page: int) -> Page:
    """A page of tenants by name, each with its users, programmes and certificates counted in
    the same query (two queries whatever the page size). Reads only."""
    total = db.session.scalar(sa.select(sa.func.count(Tenant.id))) or 0
    page = max(1, min(page, -(-total // per_page) or 1))
    rows = db.session.execute(
        sa.select(Tenant, _count(User), _count(CertificationPath), _count(Certificate))
        .order_by(sa.func.lower(Tenant.name), Tenant.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page([TenantFigures(*row) for row in rows], page, per_page, total)
