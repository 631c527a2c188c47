"""Login and logout; forgot password; the invitation and password-reset links."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_user, logout_user

from webapp import clock
from webapp.access import public
from webapp.auth.forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from webapp.errors import ValidationFailed
from webapp.extensions import db, limiter
from webapp.formtools import apply_problems
from webapp.services import account_links, accounts, people
from webapp.services.account_links import LinkPurpose, LinkRefused

bp = Blueprint("auth", __name__, url_prefix="/auth")


def is_safe_next(target: str | None) -> bool:
    """Whether `target` is a path of this site to return to after login: it starts with a
    single "/", names no scheme or host, and holds no backslash or control character (browsers
    read "/\\host" as "//host", another site). Pure."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _safe_next(target: str | None) -> str:
    return target if target and is_safe_next(target) else url_for("center.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    target = request.args.get("next")
    # Operators land on the platform console and only return to a page of it.
    console = url_for("platform.home")
    if current_user.is_authenticated:
        if current_user.is_operator and not (target or "").startswith(console):
            target = console
        return redirect(_safe_next(target))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.LoginRefused as error:
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            if user.is_operator and not (target or "").startswith(console):
                target = console
            return redirect(_safe_next(target), code=303)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    accounts.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have been logged out.", "info")
    return redirect(url_for("auth.login"), code=303)


# --- Forgot password: the same answer for every address, rate-limited ----------------------


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _address_key() -> str:
    # A digest, so that the limiter's storage holds no addresses.
    address = people.normalise_email(request.form.get("email"))
    return hashlib.sha256(address.encode()).hexdigest()


reset_limit_per_ip = limiter.shared_limit(_reset_limit, "password-reset-ip", methods=["POST"])
reset_limit_per_address = limiter.shared_limit(
    _reset_limit, "password-reset-address", key_func=_address_key, methods=["POST"]
)


@bp.route("/forgot", methods=["GET", "POST"])
@public
@reset_limit_per_ip
@reset_limit_per_address
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The job looks the address up; here every address costs the same (one job record).
        people.request_password_reset(form.email.data)
        db.session.commit()
        return redirect(url_for("auth.forgot_password", sent=1), code=303)
    sent = request.method == "GET" and request.args.get("sent") == "1"
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot_password.html", form=form, sent=sent), status


@bp.errorhandler(RateLimitExceeded)
def _too_many(error: RateLimitExceeded):
    current = limiter.current_limit
    retry_after = max(1, int(current.reset_at - time.time())) if current else 3600
    page = render_template("auth/forgot_password_limited.html", retry_after=retry_after)
    return page, 429, {"Retry-After": str(retry_after)}


# --- Invitation and reset links: set a password, then log in -------------------------------

LINK_ENDPOINTS = {
    "auth.accept_invitation": LinkPurpose.INVITE,
    "auth.reset_password": LinkPurpose.RESET,
}


def _set_password(token: str, purpose: LinkPurpose):
    """The page of a link: its form, or why the link cannot be used (never a form then)."""
    try:
        user = account_links.read_token(token, purpose)
    except LinkRefused as refused:
        return _link_refused(refused, purpose)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = account_links.set_password_with_link(
                token, purpose, form.password.data, form.confirm.data
            )
        except LinkRefused as refused:
            db.session.rollback()
            return _link_refused(refused, purpose)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            user.last_login_at = clock.now()  # logged in below
            db.session.commit()
            session.clear()
            login_user(user)
            flash(
                "Welcome! Your password is set."
                if purpose is LinkPurpose.INVITE
                else "Your password is changed; you were logged out everywhere else.",
                "success",
            )
            return redirect(url_for("center.dashboard"), code=303)
    template = "accept_invitation" if purpose is LinkPurpose.INVITE else "reset_password"
    status = 422 if form.is_submitted() else 200
    return render_template(f"auth/{template}.html", form=form, person=user, token=token), status


def _link_refused(refused: LinkRefused, purpose: LinkPurpose):
    return render_template(
        "auth/link_refused.html", refused=refused, invitation=purpose is LinkPurpose.INVITE
    ), refused.status_code


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    return _set_password(token, LinkPurpose.INVITE)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    return _set_password(token, LinkPurpose.RESET)


@bp.after_request
def _link_headers(response):
    """A link's pages are never cached and never send the token on as a referrer."""
    if request.endpoint in LINK_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
