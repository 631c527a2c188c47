"""Programme catalogue, detail, enrolment and requirement pages for learners."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, send_file, url_for
from flask_login import current_user

from webapp import htmx, requirement_page
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Level
from webapp.services import catalogue, orchestration
from webapp.services import certification_path_management as paths
from webapp.storage import get_storage

bp = Blueprint("programmes", __name__, url_prefix="/certs/programs")


@bp.get("/")
def catalogue_page():
    search = request.args.get("q", "").strip()[:100]
    level = request.args.get("level") or None
    if level not in {lv.value for lv in Level}:
        level = None
    entries = catalogue.published_programmes(current_user, search=search, level=level)
    return render_template(
        "programmes/catalogue_page.html",
        entries=entries,
        search=search,
        level=level,
        levels=list(Level),
    )


def _programme_or_404(slug: str):
    programme = catalogue.visible_programme(current_user, slug)
    if programme is None:
        abort(404)
    return programme


@bp.get("/<slug>")
def detail(slug: str):
    programme = _programme_or_404(slug)
    enrolment = catalogue.latest_enrolment(current_user, programme)
    return render_template(
        "programmes/detail.html",
        programme=programme,
        enrolment=enrolment,
        states=catalogue.requirement_states(enrolment) if enrolment else [],
        blockers=paths.enrolment_blockers(current_user, programme),
        renewable=paths.renewable_certificate(current_user, programme),
    )


@bp.post("/<slug>/enrol")
def enrol(slug: str):
    programme = _programme_or_404(slug)
    try:
        enrolment, created = paths.self_enrol(current_user, programme)
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        if not created:
            flash("You are already enrolled.", "success")
        elif enrolment.renewal_of_enrolment_id:
            flash(f"Your renewal of {programme.name} has started.", "success")
        else:
            flash(f"You are enrolled in {programme.name}.", "success")
    return htmx.see_other(url_for("programmes.detail", slug=programme.slug))


def _own_requirement(slug: str, requirement_id: int):
    programme = _programme_or_404(slug)
    enrolment = catalogue.latest_enrolment(current_user, programme)
    if enrolment is None:
        abort(404)
    definition = orchestration.snapshot_requirement(enrolment, requirement_id)
    if definition is None:
        abort(404)
    return programme, enrolment, definition


@bp.get("/<slug>/requirements/<int:requirement_id>")
def requirement(slug: str, requirement_id: int):
    programme, enrolment, definition = _own_requirement(slug, requirement_id)
    return render_template(
        "programmes/requirement.html",
        **requirement_page.requirement_context(current_user, programme, enrolment, definition),
    )


@bp.post("/<slug>/requirements/<int:requirement_id>/complete")
def complete_content(slug: str, requirement_id: int):
    programme, enrolment, _ = _own_requirement(slug, requirement_id)
    try:
        orchestration.mark_content_complete(enrolment, requirement_id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Marked as complete.", "success")
    return htmx.see_other(url_for("programmes.detail", slug=programme.slug))


@bp.get("/<slug>/badge")
def badge(slug: str):
    programme = _programme_or_404(slug)
    if not programme.badge_image_key or not get_storage().exists(programme.badge_image_key):
        abort(404)
    response = send_file(get_storage().path(programme.badge_image_key), max_age=300)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
