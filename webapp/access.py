"""Login, role checks and the tenant-scoped loaders (`..._or_404`).

Every view is login-only unless decorated with `@public`. Installation operators (who belong
to no tenant) reach only the platform console: every other page answers them 403, and the
console answers tenant users 403. Rows of another tenant are
loaded through `tenant_get_or_404` / `tenant_select`, so they answer 404 exactly like
rows that do not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from webapp import htmx
from webapp.extensions import db, login_manager
from webapp.models import PlatformOperator, Role, Tenant, TenantStatus, User

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M")
OPERATOR_PREFIX = "op:"


def public(view: F) -> F:
    """Mark a view as reachable without logging in."""
    view._public = True  # type: ignore[attr-defined]
    return view


def role_required(role: Role) -> Callable[[F], F]:
    """Allow users whose role is at least `role` (admin > mentor > learner); others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


admin_required = role_required(Role.ADMIN)
mentor_required = role_required(Role.MENTOR)


def tenant_id() -> int:
    """The current user's tenant."""
    return current_user.tenant_id


def tenant_select(model: type[M]) -> sa.Select[tuple[M]]:
    """`select(model)` restricted to the current user's tenant."""
    return sa.select(model).where(model.tenant_id == tenant_id())  # type: ignore[attr-defined]


def tenant_get_or_404(model: type[M], object_id: Any) -> M:
    """Load `model` by primary key within the current tenant, else 404 (foreign == missing)."""
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        abort(404)
    row = db.session.scalar(
        tenant_select(model).where(model.id == object_id)  # type: ignore[attr-defined]
    )
    if row is None:
        abort(404)
    return row


def first_or_404(statement: sa.Select[tuple[M]]) -> M:
    """Run an already tenant-scoped select; 404 when it finds nothing."""
    row = db.session.scalar(statement)
    if row is None:
        abort(404)
    return row


def operator_required(view: F) -> F:
    """Allow installation operators only; tenant users get 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


@login_manager.user_loader
def _load_user(session_id: str) -> User | PlatformOperator | None:
    # Users' ids are "<id>:<token>", operators' "op:<id>:<token>" (PlatformOperator.get_id).
    operator = session_id.startswith(OPERATOR_PREFIX)
    account_id, _, token = session_id.removeprefix(OPERATOR_PREFIX).partition(":")
    if not account_id.isdigit() or not token:
        return None
    if operator:
        account = db.session.get(PlatformOperator, int(account_id))
    else:
        # The tenant in the same query: its status decides, and every page shows its name.
        account = db.session.scalar(
            sa.select(User)
            .join(User.tenant)
            .options(contains_eager(User.tenant))
            .where(User.id == int(account_id), Tenant.status == TenantStatus.ACTIVE)
        )
    # A rotated token (logout), a deactivated account or a suspended tenant ends the session
    # server-side, at once.
    if account is None or account.session_token != token or not account.active:
        return None
    return account


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        abort(401)
    return htmx.redirect_to_login(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"

    @app.before_request
    def require_login() -> Any:
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if view is not None and getattr(view, "_public", False):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        # Operators never see a tenant's pages: only the platform console (and logging out);
        # the site's root sends them to the console.
        if current_user.is_operator and request.blueprint != "platform":
            if request.endpoint == "center.index":
                return redirect(url_for("platform.home"))
            if request.endpoint != "auth.logout":
                abort(403)
        return None
