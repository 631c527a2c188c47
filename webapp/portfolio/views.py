"""The learner's skills portfolio."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from webapp.access import tenant_select
from webapp.extensions import db
from webapp.models import Portfolio

bp = Blueprint("portfolio", __name__, url_prefix="/certs/portfolio")


@bp.get("/")
def mine():
    portfolio = db.session.scalar(
        tenant_select(Portfolio).where(Portfolio.user_id == current_user.id)
    )
    return render_template("portfolio/mine.html", portfolio=portfolio)
