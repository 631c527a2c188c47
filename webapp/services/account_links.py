"""Single-use links that let a person set a password: invitations and password resets.

A link carries a signed payload (itsdangerous, keyed by SECRET_KEY and salted per purpose): the
user's id, its expiry (from the injectable clock) and a fingerprint of the user's current
password hash and e-mail address. Setting a password changes the hash (and a new address the
fingerprint), so every link issued before stops working: the link is single-use without a
table, and a used link is told apart from a forged one because its signature still verifies.
Functions flush, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from enum import StrEnum

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from webapp import clock
from webapp.emails import render_email_parts
from webapp.errors import DomainError, ValidationFailed
from webapp.extensions import db
from webapp.models import User
from webapp.services import audit, mail
from webapp.urls import public_url


class LinkPurpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


INVALID = "This link is not valid. Check that you copied all of it, or ask for a new one."
EXPIRED = "This link has expired. Ask for a new one."
USED = "This link has already been used. Log in, or ask for a new link."
MESSAGES = {"invalid": INVALID, "expired": EXPIRED, "used": USED}


class LinkRefused(DomainError):
    """The link cannot be used; `reason` ("invalid", "expired" or "used") says why, and the
    status follows it: 400 for a link that never was valid, 410 for one that was."""

    def __init__(self, reason: str) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason
        self.status_code = 400 if reason == "invalid" else 410


SUBJECTS = {
    LinkPurpose.INVITE: "You are invited to {tenant} on CertifiKation",
    LinkPurpose.RESET: "Reset your CertifiKation password",
}
ENDPOINTS = {LinkPurpose.INVITE: "auth.accept_invitation", LinkPurpose.RESET: "auth.reset_password"}


def _serializer(purpose: LinkPurpose) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"account-link-{purpose}")


def _fingerprint(user: User) -> str:
    # The address is part of it: a link e-mailed to an address the person no longer has (an
    # admin corrected a typo) stops working.
    material = f"{user.password_hash}\n{user.email.lower()}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def lifetime(purpose: LinkPurpose) -> timedelta:
    """How long a link stays valid (ACCOUNT_LINK_HOURS, default 72 hours)."""
    del purpose  # one lifetime for both today; kept per purpose in the signature
    return timedelta(hours=current_app.config["ACCOUNT_LINK_HOURS"])


def make_token(user: User, purpose: LinkPurpose) -> str:
    """A signed token for `user` (the URL part of the link). Pure apart from the clock."""
    expires = clock.now() + lifetime(purpose)
    return _serializer(purpose).dumps(
        {"u": user.id, "x": int(expires.timestamp()), "f": _fingerprint(user)}
    )


def read_token(token: str, purpose: LinkPurpose) -> User:
    """The active user a token was made for. Raises LinkRefused (invalid, expired or used)."""
    try:
        payload = _serializer(purpose).loads(token)
    except BadSignature:
        raise LinkRefused("invalid") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise LinkRefused("invalid")
    user = db.session.get(User, payload["u"])
    if user is None or not user.active or not user.tenant.is_active:
        raise LinkRefused("invalid")
    if not hmac.compare_digest(str(payload.get("f", "")), _fingerprint(user)):
        raise LinkRefused("used")
    if clock.now().timestamp() > float(payload.get("x", 0)):
        raise LinkRefused("expired")
    return user


def password_problems(password: str, confirm: str) -> dict[str, list[str]]:
    """Problems with a new password, by field (empty when fine). Pure apart from config."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems: dict[str, list[str]] = {}
    if len(password) < minimum:
        problems["password"] = [f"Use at least {minimum} characters."]
    elif len(password) > 200:
        problems["password"] = ["Use at most 200 characters."]
    if password != confirm:
        problems["confirm"] = ["The two passwords differ."]
    return problems


def set_password_with_link(token: str, purpose: LinkPurpose, password: str, confirm: str) -> User:
    """Set the password of the link's user, which uses the link up and ends every other
    session of theirs. Raises LinkRefused or ValidationFailed. Flushes, never commits."""
    user = read_token(token, purpose)
    problems = password_problems(password, confirm)
    if problems:
        raise ValidationFailed("Please correct the highlighted fields.", problems)
    user.set_password(password)
    user.rotate_session_token()
    audit.record(
        user.tenant_id,
        user,
        "user.password_set" if purpose is LinkPurpose.INVITE else "user.password_reset",
        "user",
        user.id,
        "Password set through an invitation link"
        if purpose is LinkPurpose.INVITE
        else "Password reset through an e-mailed link",
        subject=user,
    )
    db.session.flush()
    return user


def send_link(
    user: User, purpose: LinkPurpose, actor: User | None = None, *, audited: bool = True
) -> None:
    """E-mail `user` a link to set their password (`email/invitation` or
    `email/password_reset`), through the outbox. An invitation also clears any password the
    person had not set yet and is audited (unless `audited` is False: the caller's own event
    says so, as adding a person with an invitation does). Flushes, never commits."""
    if purpose is LinkPurpose.INVITE:
        if not user.has_password:
            user.clear_password()  # a fresh fingerprint: earlier invitation links stop working
        user.invited_at = clock.now()
    if purpose is LinkPurpose.INVITE and audited:
        audit.record(
            user.tenant_id,
            actor,
            "user.invited",
            "user",
            user.id,
            f"Invitation sent to {user.email}",
            subject=user,
        )
    db.session.flush()
    link = public_url(ENDPOINTS[purpose], token=make_token(user, purpose))
    kind = "invitation" if purpose is LinkPurpose.INVITE else "password_reset"
    context = {
        "title": SUBJECTS[purpose].format(tenant=user.tenant.name),
        "name": user.full_name,
        "tenant": user.tenant.name,
        "link": link,
        "hours": int(lifetime(purpose).total_seconds() // 3600),
    }
    text, html = render_email_parts(kind, **context)
    mail.queue_email(user, context["title"], text, html)
