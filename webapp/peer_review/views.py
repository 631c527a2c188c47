"""Peer review: the mentor's queue and review pages (approve / reject in place), and the
learner's side of evidence (submit, withdraw, download)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from webapp import htmx, requirement_page, uploads
from webapp.access import first_or_404, mentor_required, tenant_get_or_404, tenant_select
from webapp.errors import DomainError, ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems
from webapp.models import CertificationPath, Enrolment, Evaluation, EvidenceSubmission
from webapp.peer_review.forms import DecisionForm
from webapp.requirement_page import EvidenceForm
from webapp.services import catalogue, orchestration
from webapp.services import peer_validation as reviews
from webapp.storage import get_storage

bp = Blueprint("peer_review", __name__)

AGE_FILTERS = {1: "Older than a day", 3: "Older than 3 days", 7: "Older than a week"}
QUEUE_TARGET, DECISION_TARGET, EVIDENCE_TARGET = "review-queue", "review-decision", "evidence"
REVIEWS_CHANGED = "reviews-changed"


# --- Mentors: the queue --------------------------------------------------------------------


@bp.get("/certs/reviews/")
@mentor_required
def queue():
    programme_id = request.args.get("programme", type=int)
    if programme_id is not None:
        tenant_get_or_404(CertificationPath, programme_id)
    age = request.args.get("age", type=int)
    page = reviews.review_queue(
        current_user,
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        programme_id=programme_id,
        older_than_days=age if age in AGE_FILTERS else None,
    )
    if htmx.is_fragment_request(QUEUE_TARGET):
        return render_template("peer_review/_queue.html", page=page)
    programmes = db.session.execute(
        tenant_select(CertificationPath)
        .with_only_columns(CertificationPath.id, CertificationPath.name)
        .order_by(CertificationPath.name)
    ).all()
    return render_template(
        "peer_review/queue.html", page=page, programmes=programmes, ages=AGE_FILTERS
    )


# --- Mentors: reviewing one submission or attempt ------------------------------------------


def _submission_or_404(submission_id: int) -> EvidenceSubmission:
    return reviews.reviewable_submission(current_user, submission_id) or abort(404)


def _evaluation_or_404(evaluation_id: int) -> Evaluation:
    return reviews.reviewable_evaluation(current_user, evaluation_id) or abort(404)


@bp.get("/certs/reviews/submissions/<int:submission_id>")
def submission(submission_id: int):
    return _review_page(_submission_or_404(submission_id))


@bp.post("/certs/reviews/submissions/<int:submission_id>/decision")
def decide_submission(submission_id: int):
    return _decide(_submission_or_404(submission_id))


@bp.get("/certs/reviews/attempts/<int:evaluation_id>")
def evaluation(evaluation_id: int):
    return _review_page(_evaluation_or_404(evaluation_id))


@bp.post("/certs/reviews/attempts/<int:evaluation_id>/decision")
def decide_evaluation(evaluation_id: int):
    return _decide(_evaluation_or_404(evaluation_id))


def _review_url(subject, action: str = "") -> str:
    """The review page of a subject, or (action="decide_") the URL its decision posts to."""
    if isinstance(subject, EvidenceSubmission):
        return url_for(f"peer_review.{action}submission", submission_id=subject.id)
    return url_for(f"peer_review.{action}evaluation", evaluation_id=subject.id)


def _review_page(subject, form: DecisionForm | None = None, status: int = 200, **extra):
    """The review page, or only its decision panel for htmx requests aimed at it."""
    context = {
        "review": reviews.review(subject, current_user),
        "form": form or DecisionForm(formdata=None),
        "decision_url": _review_url(subject, "decide_"),
        **extra,
    }
    if htmx.is_fragment_request(DECISION_TARGET):
        return render_template("peer_review/_decision.html", **context), status
    page = reviews.review_queue(current_user, per_page=current_app.config["PAGE_SIZE"])
    template = (
        "peer_review/submission.html"
        if isinstance(subject, EvidenceSubmission)
        else "peer_review/evaluation.html"
    )
    return render_template(template, page=page, **context), status


def _decide(subject):
    """Approve or reject: the decision panel in place (htmx, with an event that refreshes the
    queue and the navigation count), else 303 back to the review page."""
    form = DecisionForm()
    if not form.validate_on_submit():
        return _review_page(subject, form, 422)
    try:
        outcome = reviews.decide(subject, current_user, form.decision.data, form.comment.data)
    except ValidationFailed as error:
        db.session.rollback()
        apply_problems(form, error)
        return _review_page(subject, form, 422)
    except DomainError as error:
        db.session.rollback()
        form.general_errors = [error.message]
        # htmx swaps only 2xx and 422 responses (see base.html).
        fragment = htmx.is_fragment_request(DECISION_TARGET)
        return _review_page(subject, form, 422 if fragment else error.status_code)
    db.session.commit()
    if htmx.is_fragment_request(DECISION_TARGET):
        body, status = _review_page(subject, outcome=outcome)
        return htmx.trigger(make_response(body, status), REVIEWS_CHANGED)
    flash(_outcome_message(outcome), "success")
    return redirect(_review_url(subject), code=303)


def _outcome_message(outcome: reviews.Outcome) -> str:
    if outcome.final is None:
        return f"Your approval is recorded ({outcome.approvals} of {outcome.required} needed)."
    return f"Decision recorded: {outcome.final.value}."


@bp.app_template_filter("age")
def age_filter(delta: timedelta) -> str:
    """A queue item's age in words: "just now", "5 hours", "3 days"."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        minutes = seconds // 60
        return "just now" if minutes < 1 else f"{minutes} min"
    if seconds < 86400:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


# --- Learners: evidence on the requirement page --------------------------------------------


def _own_evidence_requirement(slug: str, requirement_id: int):
    programme = catalogue.visible_programme(current_user, slug) or abort(404)
    enrolment = catalogue.latest_enrolment(current_user, programme) or abort(404)
    definition = orchestration.snapshot_requirement(enrolment, requirement_id)
    if definition is None or definition["kind"] != "evidence":
        abort(404)
    return programme, enrolment, definition


def _uploads(files) -> list[tuple[str, bytes]]:
    """(name, bytes) of the chosen files, each read to one byte past the per-file limit."""
    limit = current_app.config["UPLOAD_MAX_FILE_MB"] * uploads.MB + 1
    return [(f.filename, f.read(limit)) for f in files or [] if f and f.filename]


@bp.post("/certs/programs/<slug>/requirements/<int:requirement_id>/evidence")
def submit(slug: str, requirement_id: int):
    programme, enrolment, definition = _own_evidence_requirement(slug, requirement_id)
    form = EvidenceForm()
    if form.validate_on_submit():
        try:
            reviews.submit_evidence(
                enrolment,
                requirement_id,
                current_user,
                form.text.data,
                form.link.data,
                _uploads(form.files.data),
            )
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash("Your evidence was submitted. A mentor will review it.", "success")
            return htmx.see_other(
                url_for("programmes.requirement", slug=slug, requirement_id=requirement_id)
            )
    return _requirement_page(programme, enrolment, definition, form), 422


def _requirement_page(programme, enrolment, definition, form: EvidenceForm) -> str:
    """The learner's requirement page with the evidence form as posted (or only the evidence
    panel for htmx requests aimed at it)."""
    template = (
        "peer_review/_requirement_actions.html"
        if htmx.is_fragment_request(EVIDENCE_TARGET)
        else "programmes/requirement.html"
    )
    return render_template(
        template,
        **requirement_page.requirement_context(
            current_user, programme, enrolment, definition, evidence_form=form
        ),
    )


@bp.post("/certs/evidence/<int:submission_id>/withdraw")
def withdraw(submission_id: int):
    submission = first_or_404(
        tenant_select(EvidenceSubmission).where(
            EvidenceSubmission.id == submission_id,
            EvidenceSubmission.user_id == current_user.id,
        )
    )
    enrolment = db.session.get(Enrolment, submission.enrolment_id)
    back = url_for(
        "programmes.requirement",
        slug=enrolment.programme.slug,
        requirement_id=submission.requirement_id,
    )
    try:
        reviews.withdraw(submission, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Your submission was withdrawn. You can send a new one.", "success")
    return htmx.see_other(back)


@bp.get("/certs/evidence/files/<int:file_id>")
def download(file_id: int):
    """An evidence file as an attachment, for its owner, mentors in scope and tenant admins."""
    evidence_file = reviews.downloadable_file(current_user, file_id)
    storage = get_storage()
    if evidence_file is None or not storage.exists(evidence_file.storage_key):
        abort(404)
    response = send_file(
        storage.path(evidence_file.storage_key),
        mimetype=evidence_file.content_type,
        as_attachment=True,
        download_name=evidence_file.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
