"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from webapp.access import public
from webapp.auth.forms import LoginForm
from webapp.extensions import db
from webapp.services import accounts

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
