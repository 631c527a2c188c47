"""Authentication of users (login and logout rules)."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from webapp import clock
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import User

INVALID_LOGIN = "That e-mail and password do not match an active account."

_dummy_hash: str | None = None


def _dummy_check(password: str) -> None:
    """Spend the same time on an unknown e-mail as on a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("not-a-real-password")
    check_password_hash(_dummy_hash, password)


class LoginRefused(DomainError):
    status_code = 401


def authenticate(email: str, password: str) -> User:
    """Return the active user with these credentials; raises LoginRefused. Flushes."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
    if user is None:
        _dummy_check(password)
        raise LoginRefused(INVALID_LOGIN)
    if not user.check_password(password) or not user.active:
        raise LoginRefused(INVALID_LOGIN)
    user.last_login_at = clock.now()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session of `user` server-side (rotates the session token)."""
    user.rotate_session_token()
