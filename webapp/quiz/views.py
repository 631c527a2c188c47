"""Quiz taking: start an attempt from a quiz requirement, answer (saved at once with htmx, or
as a plain form: "Save answers", Previous / Next), move between pages, submit, and read the
results.

htmx asks for fragments by target id: `attempt-page` (a page of questions, with the question
list swapped out of band) and `saved-<question id>` (the "saved" note after an answer). Plain
requests get whole pages and 303 redirects after writes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import htmx, requirement_page
from webapp.access import first_or_404, tenant_select
from webapp.errors import Conflict, DomainError, NotFound, ValidationFailed
from webapp.extensions import db
from webapp.models import Enrolment, Evaluation, EvaluationStatus
from webapp.quiz import forms
from webapp.services import attempt_grants
from webapp.services import automated_evaluation as evaluation

bp = Blueprint("quiz", __name__, url_prefix="/certs/quiz")

PER_PAGE = 5
ATTEMPT_TARGET = "attempt-page"


def _own_enrolment(enrolment_id: int) -> Enrolment:
    return first_or_404(
        tenant_select(Enrolment).where(
            Enrolment.id == enrolment_id, Enrolment.user_id == current_user.id
        )
    )


def _own_attempt(attempt_id: int) -> Evaluation:
    return first_or_404(
        tenant_select(Evaluation).where(
            Evaluation.id == attempt_id, Evaluation.user_id == current_user.id
        )
    )


def _requirement_url(enrolment: Enrolment | None, requirement_id: int | None) -> str:
    if enrolment is None or requirement_id is None:
        return url_for("center.dashboard")
    return url_for(
        "programmes.requirement", slug=enrolment.programme.slug, requirement_id=requirement_id
    )


def _attempt_back_url(attempt: Evaluation) -> str:
    enrolment = db.session.get(Enrolment, attempt.enrolment_id) if attempt.enrolment_id else None
    return _requirement_url(enrolment, attempt.requirement_id)


def _render_attempt(
    attempt: Evaluation,
    page: int,
    code: int = 200,
    problems: dict[str, list[str]] | None = None,
    submitted: dict[str, list[str]] | None = None,
):
    """The attempt page, or its `attempt-page` fragment for htmx (the question list out of
    band); after a refused POST, 422 with the problems next to the questions and the learner's
    input kept."""
    fragment = htmx.is_fragment_request(ATTEMPT_TARGET)
    template = "quiz/_attempt_page.html" if fragment else "quiz/attempt.html"
    view = evaluation.attempt_view(attempt, page=page, per_page=PER_PAGE)
    return render_template(
        template,
        view=view,
        problems=problems or {},
        submitted=submitted or {},
        fragment=fragment,
        back_url=_attempt_back_url(attempt),
    ), code


def _finished(attempt: Evaluation):
    """A write to an attempt that is over: grade it if its time ran out, show the results."""
    if evaluation.finalize_overdue_attempt(attempt):
        db.session.commit()
    flash("This attempt is over: time is up or it was submitted already.", "error")
    return htmx.see_other(url_for("quiz.result", attempt_id=attempt.id))


def _posted_answers() -> dict[str, list[str]]:
    try:
        return forms.answers(request.form)
    except ValueError:
        abort(400)


@bp.post("/enrolments/<int:enrolment_id>/requirements/<int:requirement_id>/start")
def start(enrolment_id: int, requirement_id: int):
    enrolment = _own_enrolment(enrolment_id)
    try:
        attempt, _ = evaluation.start_attempt(current_user, enrolment, requirement_id)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.commit()  # an overdue attempt graded on the way stays graded
        flash(error.message, "error")
        return htmx.see_other(_requirement_url(enrolment, requirement_id))
    db.session.commit()
    return htmx.see_other(url_for("quiz.attempt", attempt_id=attempt.id))


@bp.post("/enrolments/<int:enrolment_id>/requirements/<int:requirement_id>/ask-for-attempts")
def ask_for_attempts(enrolment_id: int, requirement_id: int):
    enrolment = _own_enrolment(enrolment_id)
    try:
        told = attempt_grants.request_more_attempts(current_user, enrolment, requirement_id)
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            "Your administrators have been asked for more attempts; you will be notified."
            if told
            else "Your administrators have already been asked; you will be notified.",
            "success",
        )
    return htmx.see_other(_requirement_url(enrolment, requirement_id))


@bp.get("/attempts/<int:attempt_id>")
def attempt(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    # A GET writes nothing: an attempt whose time ran out is graded by the periodic job
    # (worker.finalize_overdue_attempts) or the learner's next POST; meanwhile the result
    # page says it is being graded.
    if attempt.status is not EvaluationStatus.IN_PROGRESS or evaluation.is_overdue(attempt):
        return htmx.see_other(url_for("quiz.result", attempt_id=attempt.id))
    return _render_attempt(attempt, request.args.get("page", 1, type=int))


@bp.post("/attempts/<int:attempt_id>/save")
def save(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    answers = _posted_answers()
    try:
        evaluation.save_answers(attempt, current_user, answers)
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        page = forms.current_page(request.form)
        return _render_attempt(attempt, page, 422, error.problems, answers)
    except Conflict:
        return _finished(attempt)
    db.session.commit()
    page = forms.target_page(request.form)
    if page == forms.current_page(request.form) and not htmx.is_htmx():
        flash("Your answers on this page are saved.", "success")  # "Save answers", no JS
    url = url_for("quiz.attempt", attempt_id=attempt.id, page=page)
    return htmx.see_other(url, target=ATTEMPT_TARGET)


@bp.post("/attempts/<int:attempt_id>/answers/<question_id>")
def answer(attempt_id: int, question_id: str):
    attempt = _own_attempt(attempt_id)
    values = request.form.getlist(forms.answer_field(question_id))
    target = f"saved-{question_id}"
    try:
        evaluation.save_answers(attempt, current_user, {question_id: values})
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        if htmx.is_fragment_request(target):
            error_text = error.problems[question_id][0]
            return _answer_status(attempt, question_id, error=error_text), 422
        page = _page_of(attempt, question_id)
        return _render_attempt(attempt, page, 422, error.problems, {question_id: values})
    except Conflict:
        return _finished(attempt)
    db.session.commit()
    if htmx.is_fragment_request(target):
        return _answer_status(attempt, question_id, saved=True)
    page = _page_of(attempt, question_id)
    return htmx.see_other(
        url_for("quiz.attempt", attempt_id=attempt.id, page=page, _anchor=f"q-{question_id}")
    )


def _page_of(attempt: Evaluation, question_id: str) -> int:
    return evaluation.attempt_view(attempt, per_page=PER_PAGE).page_of(question_id)


def _answer_status(attempt: Evaluation, question_id: str, **context: Any) -> str:
    view = evaluation.attempt_view(attempt, per_page=PER_PAGE)
    item = next(q for q in view.questions if q.id == question_id)
    return render_template("quiz/_answer_status.html", view=view, item=item, **context)


@bp.post("/attempts/<int:attempt_id>/submit")
def submit(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    answers = _posted_answers()
    try:
        evaluation.submit_attempt(attempt, current_user, answers)
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        page = forms.current_page(request.form)
        return _render_attempt(attempt, page, 422, error.problems, answers)
    db.session.commit()
    return htmx.see_other(url_for("quiz.result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/result")
def result(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    enrolment = db.session.get(Enrolment, attempt.enrolment_id) if attempt.enrolment_id else None
    back_url = _requirement_url(enrolment, attempt.requirement_id)
    if attempt.status is EvaluationStatus.IN_PROGRESS:
        if not evaluation.is_overdue(attempt):
            return redirect(url_for("quiz.attempt", attempt_id=attempt.id))
        # Time is up but nothing graded it yet (see `attempt`): no result exists to show.
        return render_template("quiz/result_grading.html", attempt=attempt, back_url=back_url)
    return render_template(
        "quiz/result.html",
        result=evaluation.attempt_result(attempt),
        enrolment=enrolment,
        back_url=back_url,
        **requirement_page.quiz_next_step(current_user, enrolment, attempt.requirement_id),
    )
