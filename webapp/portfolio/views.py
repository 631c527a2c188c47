"""The learner's skills portfolio (editing, items, publishing) and its public page /p/<slug>."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, render_template, request, send_file, url_for
from flask_login import current_user

from webapp import clock, htmx
from webapp.access import public
from webapp.errors import DomainError, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems, choices
from webapp.models import Portfolio, PortfolioItem
from webapp.portfolio.forms import ArtifactForm, DetailsForm, EvidenceForm, VisibilityForm
from webapp.services import skills_portfolio
from webapp.storage import get_storage

bp = Blueprint("portfolio", __name__)


def _page(portfolio: Portfolio, status: int = 200, **forms):
    """The owner's page; `forms` replaces a default form with one that failed validation."""
    evidence_form = forms.get("evidence_form") or EvidenceForm()
    evidence = skills_portfolio.evidence_choices(portfolio) if portfolio.id else []
    evidence_form.submission_id.choices = choices((e.submission_id, e.title) for e in evidence)
    context = {
        "view": skills_portfolio.portfolio_view(portfolio, clock.now(), public_only=False),
        "details_form": forms.get("details_form") or DetailsForm(obj=portfolio),
        "artifact_form": forms.get("artifact_form") or ArtifactForm(),
        "evidence_form": evidence_form,
        "visibility_form": VisibilityForm(),
    }
    return render_template("portfolio/mine.html", **context), status


def _done(message: str):
    db.session.commit()
    flash(message, "success")
    return htmx.see_other(url_for("portfolio.mine"))


@bp.get("/certs/portfolio/")
def mine():
    return _page(skills_portfolio.portfolio_or_blank(current_user))


@bp.post("/certs/portfolio/details")
def details():
    portfolio = skills_portfolio.ensure_portfolio(current_user)
    form = DetailsForm()
    if form.validate_on_submit():
        try:
            skills_portfolio.update_details(portfolio, form.title.data, form.description.data)
        except ValidationFailed as error:
            apply_problems(form, error)
        else:
            return _done("Portfolio saved.")
    db.session.rollback()
    return _page(skills_portfolio.portfolio_or_blank(current_user), 422, details_form=form)


@bp.post("/certs/portfolio/items/visibility")
def visibility():
    portfolio = skills_portfolio.ensure_portfolio(current_user)
    form = VisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    skills_portfolio.set_public_items(portfolio, set(form.public.data or []))
    return _done("Public items saved.")


@bp.post("/certs/portfolio/evidence")
def add_evidence():
    portfolio = skills_portfolio.ensure_portfolio(current_user)
    form = EvidenceForm()
    if not form.validate_on_submit() or form.submission_id.data is None:
        abort(400)
    try:
        skills_portfolio.add_evidence(portfolio, form.submission_id.data)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return htmx.see_other(url_for("portfolio.mine"))
    return _done("Evidence added to your portfolio.")


@bp.post("/certs/portfolio/artifacts")
def add_artifact():
    portfolio = skills_portfolio.ensure_portfolio(current_user)
    form = ArtifactForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        limit = current_app.config["UPLOAD_MAX_FILE_MB"] * 1024 * 1024
        data = (upload.filename, upload.read(limit + 1)) if upload and upload.filename else None
        try:
            skills_portfolio.add_artifact(
                portfolio, form.title.data, form.description.data, form.link.data, data
            )
        except ValidationFailed as error:
            apply_problems(form, error)
        else:
            return _done("Item added to your portfolio.")
    db.session.rollback()
    return _page(skills_portfolio.portfolio_or_blank(current_user), 422, artifact_form=form)


def _own_item(item_id: int) -> PortfolioItem:
    portfolio = skills_portfolio.portfolio_of(current_user)
    if portfolio is None:
        abort(404)
    try:
        return skills_portfolio.item_of(portfolio, item_id)
    except NotFound:
        abort(404)


@bp.post("/certs/portfolio/items/<int:item_id>/remove")
def remove_item(item_id: int):
    item = _own_item(item_id)
    try:
        file_key = skills_portfolio.remove_item(item)
    except DomainError as error:
        flash(error.message, "error")
        return htmx.see_other(url_for("portfolio.mine"))
    response = _done("Item removed.")
    if file_key:
        get_storage().delete(file_key)  # only after the commit
    return response


@bp.get("/certs/portfolio/items/<int:item_id>/file")
def item_file(item_id: int):
    return _send_item_file(_own_item(item_id))


@bp.post("/certs/portfolio/publish")
def publish():
    skills_portfolio.publish(skills_portfolio.ensure_portfolio(current_user))
    return _done("Your portfolio is published. Only the items you made public are shown.")


@bp.post("/certs/portfolio/unpublish")
def unpublish():
    skills_portfolio.unpublish(skills_portfolio.ensure_portfolio(current_user))
    return _done("Your portfolio is no longer public; its link answers “not found”.")


def _published_or_404(slug: str) -> Portfolio:
    portfolio = skills_portfolio.published(slug)
    if portfolio is None:
        abort(404)
    return portfolio


@bp.get("/p/<slug>")
@public
def public_page(slug: str):
    portfolio = _published_or_404(slug)
    view = skills_portfolio.portfolio_view(portfolio, clock.now(), public_only=True)
    return render_template("portfolio/public_page.html", view=view)


@bp.get("/p/<slug>/items/<int:item_id>/file")
@public
def public_file(slug: str, item_id: int):
    portfolio = _published_or_404(slug)
    try:
        item = skills_portfolio.public_file(portfolio, item_id)
    except NotFound:
        abort(404)
    return _send_item_file(item)


@bp.after_request
def _public_headers(response):
    """The public slug is the page's only secret: never sent on as a referrer."""
    if request.endpoint in ("portfolio.public_page", "portfolio.public_file"):
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _send_item_file(item: PortfolioItem):
    storage = get_storage()
    if not item.file_key or not storage.exists(item.file_key):
        abort(404)
    response = send_file(
        storage.path(item.file_key),
        mimetype=skills_portfolio.content_type(item),
        as_attachment=True,
        download_name=item.file_name or "file",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
