"""Programme catalogue and detail pages for learners."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from webapp.access import first_or_404, tenant_select
from webapp.models import CertificationPath, Level, PathStatus
from webapp.services import catalogue

bp = Blueprint("programs", __name__, url_prefix="/certs/programs")


@bp.get("/")
def catalogue_page():
    search = request.args.get("q", "").strip()[:100]
    level = request.args.get("level") or None
    if level not in {lv.value for lv in Level}:
        level = None
    entries = catalogue.published_programmes(current_user, search=search, level=level)
    return render_template(
        "programs/catalogue.html", entries=entries, search=search, level=level, levels=list(Level)
    )


@bp.get("/<slug>")
def detail(slug: str):
    statement = tenant_select(CertificationPath).where(CertificationPath.slug == slug)
    if not current_user.is_admin:
        statement = statement.where(CertificationPath.status == PathStatus.PUBLISHED)
    path = first_or_404(statement)
    return render_template("programs/detail.html", path=path)
