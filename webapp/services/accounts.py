"""Authentication of tenant users and installation operators (login and logout rules)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from webapp import clock
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import PlatformOperator, User

INVALID_LOGIN = "That e-mail and password do not match an active account."
TENANT_SUSPENDED = (
    "Your organisation's access to CertifiKation is suspended. Please contact your administrator."
)

_dummy_hash: str | None = None


def _dummy_check(password: str) -> None:
    """Spend the same time on an unknown e-mail as on a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("not-a-real-password")
    check_password_hash(_dummy_hash, password)


class LoginRefused(DomainError):
    status_code = 401


def authenticate(email: str, password: str) -> User | PlatformOperator:
    """Return the active user (of an active tenant) or the active installation operator with
    these credentials; raises LoginRefused (the same message for an unknown e-mail, a wrong
    password and an inactive account; a suspended tenant is named only to someone who gave
    its user's right password). Flushes."""
    address = email.strip().lower()
    user = db.session.scalar(
        sa.select(User).options(joinedload(User.tenant)).where(sa.func.lower(User.email) == address)
    )
    operator = db.session.scalar(
        sa.select(PlatformOperator).where(sa.func.lower(PlatformOperator.email) == address)
    )
    # E-mail addresses are meant to be unique across users and operators; should one still be
    # both, the password decides which account it is.
    accounts = [account for account in (operator, user) if account is not None]
    if not accounts:
        _dummy_check(password)
        raise LoginRefused(INVALID_LOGIN)
    account = next((a for a in accounts if a.check_password(password)), None)
    if account is None or not account.active:
        raise LoginRefused(INVALID_LOGIN)
    if isinstance(account, User) and not account.tenant.is_active:
        raise LoginRefused(TENANT_SUSPENDED)
    account.last_login_at = clock.now()
    return account


def end_sessions(account: User | PlatformOperator) -> None:
    """Invalidate every session of a user or operator server-side (rotates the session
    token)."""
    account.rotate_session_token()
