"""The rules of a person's record: addresses, names, roles and external ids, and the two admin
guards (a tenant always keeps an active admin; an admin never removes their own admin role or
account). Reads only."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import OrgUnit, PlatformOperator, Role, User

MAX_EMAIL = 254
MAX_NAME = 120
MAX_EXTERNAL_ID = 120

# A pragmatic check, not RFC 5322: one "@", no spaces, a dot in the domain. Internal domains
# such as `.local` or `.test` are fine (people are invited by e-mail; a typo shows there).
EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+$")

ROLE_NAMES = {role.value: role for role in Role} | {"administrator": Role.ADMIN}


def normalise_email(value: str | None) -> str:
    """An address as stored and compared: trimmed and lower-case. Pure."""
    return (value or "").strip().lower()


def email_problem(email: str) -> str | None:
    """What is wrong with a normalised address, if anything. Pure."""
    if not email:
        return "Give an e-mail address."
    if len(email) > MAX_EMAIL:
        return f"Use at most {MAX_EMAIL} characters."
    if not EMAIL_RE.match(email):
        return "This is not an e-mail address (name@example.org)."
    return None


def name_problem(name: str) -> str | None:
    """What is wrong with a trimmed full name, if anything. Pure."""
    if not name:
        return "Give the person's name."
    if len(name) > MAX_NAME:
        return f"Use at most {MAX_NAME} characters."
    return None


def external_id_problem(external_id: str | None) -> str | None:
    if external_id and len(external_id) > MAX_EXTERNAL_ID:
        return f"Use at most {MAX_EXTERNAL_ID} characters."
    return None


def parse_role(value: str | None) -> Role | None:
    """A role from its name in any case ("Mentor", "admin", "Administrator"); None if unknown.
    Pure."""
    return ROLE_NAMES.get((value or "").strip().lower())


def email_owner(email: str) -> User | None:
    """The account (of any tenant: addresses are unique in the installation) with this
    address."""
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))


def email_taken_problem(email: str, person: User | None = None) -> str | None:
    """A problem when another account (a user of any tenant, or an operator of the
    installation: one address names one login) has `email`."""
    owner = email_owner(email)
    operator = db.session.scalar(
        sa.select(PlatformOperator.id).where(sa.func.lower(PlatformOperator.email) == email)
    )
    if operator is None and (owner is None or (person is not None and owner.id == person.id)):
        return None
    return "Another account already uses this e-mail address."


def external_id_taken_problem(
    tenant_id: int, external_id: str | None, person: User | None = None
) -> str | None:
    if not external_id:
        return None
    owner = db.session.scalar(
        sa.select(User.id).where(User.tenant_id == tenant_id, User.external_id == external_id)
    )
    if owner is None or (person is not None and owner == person.id):
        return None
    return "Another person of this organisation has this external id."


def unit_of_tenant(tenant_id: int, unit_id: int | None) -> OrgUnit | None:
    """The org unit `unit_id` if it belongs to the tenant (None for None). Raises nothing:
    an id of another tenant is simply not found."""
    if unit_id is None:
        return None
    unit = db.session.get(OrgUnit, unit_id)
    return unit if unit is not None and unit.tenant_id == tenant_id else None


def active_admin_ids(tenant_id: int) -> set[int]:
    """The tenant's active admins, locked until the transaction ends (PostgreSQL), so that two
    admins demoting each other at the same moment cannot leave the tenant without one."""
    return set(
        db.session.scalars(
            sa.select(User.id)
            .where(User.tenant_id == tenant_id, User.role == Role.ADMIN, User.active.is_(True))
            .with_for_update()
        )
    )


def admin_guard_problem(
    person: User,
    actor: User | None,
    *,
    role: Role | None = None,
    active: bool | None = None,
    deleting: bool = False,
) -> str | None:
    """Why `actor` may not give `person` this role, active state or deletion, if they may not:
    an admin keeps their own admin role and account, and the tenant keeps an active admin."""
    role = person.role if role is None else role
    active = person.active if active is None else active
    loses_admin = (
        person.role is Role.ADMIN and person.active and (deleting or role is not Role.ADMIN)
    ) or (person.role is Role.ADMIN and person.active and not active)
    if not loses_admin:
        return None
    if actor is not None and actor.id == person.id:
        if deleting:
            return "You cannot delete your own account."
        if not active:
            return "You cannot deactivate your own account."
        return "You cannot remove your own admin role; another admin can."
    if active_admin_ids(person.tenant_id) <= {person.id}:
        return (
            f"{person.full_name} is the last admin of {person.tenant.name}: make someone else "
            "an admin first."
        )
    return None
