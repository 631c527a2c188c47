"""Invitations sent by admins, and password resets asked for on the login page.

A reset is asked for by address and answered the same way whether or not the address belongs
to anyone: the request only defers the job `send_password_reset` with the address (the same
work either way), and the job looks the account up and e-mails the link if there is one.
Functions flush, never commit.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import Tenant, TenantStatus, User
from webapp.outbox import defer
from webapp.services import account_links, audit
from webapp.services.account_links import LinkPurpose
from webapp.services.people import rules


def invite(person: User, actor: User | None) -> None:
    """E-mail `person` a new invitation link (earlier ones stop working). Refused for an
    inactive person and for one who already set a password (they use "Forgot your
    password?"). Raises Conflict. Flushes, never commits."""
    if not person.active:
        raise Conflict(f"{person.full_name} is deactivated: reactivate them first.")
    if person.has_password:
        raise Conflict(
            f"{person.full_name} has already set a password; if they forgot it, they can ask "
            "for a reset link on the login page."
        )
    account_links.send_link(person, LinkPurpose.INVITE, actor)


def request_password_reset(email: str) -> None:
    """Defer the reset e-mail for `email`, without looking it up (so that known and unknown
    addresses cost the request the same). Flushes, never commits."""
    defer("send_password_reset", rules.normalise_email(email)[: rules.MAX_EMAIL], queue="mail")


def send_password_reset(email: str) -> User | None:
    """E-mail a reset link to the active account with this address in an active tenant, and
    return it; an unknown or inactive address does nothing. Flushes, never commits."""
    person = db.session.scalar(
        sa.select(User)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(
            sa.func.lower(User.email) == rules.normalise_email(email),
            User.active.is_(True),
            Tenant.status == TenantStatus.ACTIVE,
        )
    )
    if person is None:
        return None
    audit.record(
        person.tenant_id,
        None,
        "user.password_reset_requested",
        "user",
        person.id,
        "A password reset link was asked for on the login page",
        subject=person,
    )
    account_links.send_link(person, LinkPurpose.RESET)
    return person
