"""Admin pages: the quiz list and the quiz editor (details, settings, questions edited in
place, preview as a learner sees it, publish into immutable versions).

Every write is a POST form that works without JavaScript (303 back to the editor); htmx asks
for a fragment by its target id and gets it, with the editor header swapped out of band.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import htmx
from webapp.access import tenant_get_or_404, tenant_select
from webapp.admin import quiz_forms as forms
from webapp.admin.blueprint import bp
from webapp.errors import DomainError, ValidationFailed
from webapp.extensions import db
from webapp.models import Quiz, QuizStatus
from webapp.services import automated_evaluation as evaluation
from webapp.services import certification_path_management as paths
from webapp.services import grading

TEMPLATES = "admin/quizzes/"
STATUSES = [s.value for s in QuizStatus]


@bp.context_processor
def quiz_editor_helpers() -> dict[str, Any]:
    return {
        "question_types": grading.REGISTRY,
        "missing_answer_key": evaluation.missing_answer_key,
    }


def _render(template: str, code: int = 200, **context: Any):
    return render_template(TEMPLATES + template, **context), code


def _page_or_fragment(page: str, fragment: str, target: str, **context: Any):
    """A form's page, or its fragment for htmx targeting `target`; 422 after a refused POST."""
    template = fragment if htmx.is_fragment_request(target) else page
    return _render(template, 422 if request.method == "POST" else 200, **context)


def _commit_valid(form: Any, action: Callable[[], Any]) -> Any:
    """Run the service `action` for a valid submission and commit; returns its result, or None
    when nothing was submitted or the form or the service refused (problems on the form)."""
    if form is None or not form.validate_on_submit():
        return None
    try:
        result = action()
    except ValidationFailed as error:
        form.add_problems(error.problems)
        return None
    db.session.commit()
    return result


def _saved(quiz: Quiz, target: str, fragment: str, message: str, anchor: str = "", **context):
    """After a committed write: the fresh fragment (and header) for htmx, else 303 back."""
    if htmx.is_fragment_request(target):
        return _render(fragment, quiz=quiz, oob=True, saved=message, **context)
    flash(message, "success")
    return htmx.see_other(url_for("admin.quiz_editor", quiz_id=quiz.id) + anchor)


def _question_or_404(quiz: Quiz, question_id: str) -> dict[str, Any]:
    question = evaluation.find_question(quiz, question_id)
    if question is None:
        abort(404)
    return question


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@bp.get("/quizzes/")
def quiz_list():
    search = request.args.get("q", "").strip()[:100]
    status = request.args.get("status") if request.args.get("status") in STATUSES else ""
    statement = tenant_select(Quiz).order_by(Quiz.updated_at.desc(), Quiz.id.desc())
    if search:
        statement = statement.where(sa.func.lower(Quiz.title).like(_like(search), escape="\\"))
    if status:
        statement = statement.where(Quiz.status == QuizStatus(status))
    page = db.paginate(statement, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return _render("quiz_list.html", page=page, search=search, status=status, statuses=STATUSES)


@bp.route("/quizzes/new", methods=["GET", "POST"])
def quiz_new():
    form = forms.QuizDetailsForm(scope="new-quiz")
    quiz = _commit_valid(
        form, lambda: evaluation.create_quiz(current_user.tenant_id, current_user, **form.details())
    )
    if quiz is None:
        return _render("quiz_new.html", 422 if request.method == "POST" else 200, form=form)
    flash("Quiz created. Add its questions below.", "success")
    return htmx.see_other(url_for("admin.quiz_editor", quiz_id=quiz.id))


@bp.get("/quizzes/<int:quiz_id>")
def quiz_editor(quiz_id: int):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    return _render(
        "quiz_editor.html",
        quiz=quiz,
        details_form=forms.QuizDetailsForm(obj=quiz, scope="details"),
        settings_form=forms.SettingsForm(
            data=evaluation.effective_settings(quiz), scope="settings"
        ),
        new_form=None,
    )


@bp.route("/quizzes/<int:quiz_id>/details", methods=["GET", "POST"])
def quiz_details(quiz_id: int):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    form = forms.QuizDetailsForm(obj=quiz, scope="details")
    if _commit_valid(form, lambda: evaluation.update_quiz(quiz, current_user, **form.details())):
        return _saved(quiz, "quiz-details", "_details.html", "Details saved.", details_form=form)
    return _page_or_fragment(
        "quiz_details.html", "_details.html", "quiz-details", quiz=quiz, details_form=form
    )


@bp.route("/quizzes/<int:quiz_id>/settings", methods=["GET", "POST"])
def quiz_settings(quiz_id: int):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    form = forms.SettingsForm(data=evaluation.effective_settings(quiz), scope="settings")
    if _commit_valid(form, lambda: evaluation.update_settings(quiz, current_user, form.settings())):
        return _saved(
            quiz, "quiz-settings", "_settings.html", "Settings saved.", settings_form=form
        )
    return _page_or_fragment(
        "quiz_settings.html", "_settings.html", "quiz-settings", quiz=quiz, settings_form=form
    )


@bp.route("/quizzes/<int:quiz_id>/questions/new", methods=["GET", "POST"])
def quiz_question_new(quiz_id: int):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    form = forms.question_form(request.values.get("type", ""), scope="new")
    if form is None and request.method == "POST":
        abort(400)
    question = _commit_valid(
        form, lambda: evaluation.add_question(quiz, current_user, form.question_data())
    )
    if question is None:
        return _page_or_fragment(
            "quiz_question_new.html", "_new_question.html", "new-question", quiz=quiz, new_form=form
        )
    anchor = f"#question-{question['id']}"
    return _saved(
        quiz,
        "new-question",
        "_question_added.html",
        "Question added.",
        anchor,
        question=question,
        new_form=None,
    )


@bp.get("/quizzes/<int:quiz_id>/questions/<question_id>")
def quiz_question(quiz_id: int, question_id: str):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    question = _question_or_404(quiz, question_id)
    if htmx.is_fragment_request(f"question-{question_id}"):
        return _render("_question.html", quiz=quiz, question=question)
    return redirect(
        url_for("admin.quiz_editor", quiz_id=quiz.id, _anchor=f"question-{question_id}")
    )


@bp.route("/quizzes/<int:quiz_id>/questions/<question_id>/edit", methods=["GET", "POST"])
def quiz_question_edit(quiz_id: int, question_id: str):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    question = _question_or_404(quiz, question_id)
    target = f"question-{question_id}"
    form = forms.question_form(question["type"], question, scope=f"q-{question_id}") or abort(404)
    saved = _commit_valid(
        form,
        lambda: evaluation.update_question(quiz, current_user, question_id, form.question_data()),
    )
    if saved is not None:
        return _saved(
            quiz, target, "_question_saved.html", "Question saved.", f"#{target}", question=saved
        )
    return _page_or_fragment(
        "quiz_question_edit.html",
        "_question_form.html",
        target,
        quiz=quiz,
        question=question,
        form=form,
    )


@bp.route("/quizzes/<int:quiz_id>/questions/<question_id>/remove", methods=["GET", "POST"])
def quiz_question_remove(quiz_id: int, question_id: str):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    question = _question_or_404(quiz, question_id)
    form = forms.ConfirmForm(scope="remove")
    if form.validate_on_submit():
        evaluation.remove_question(quiz, current_user, question_id)
        db.session.commit()
        return _saved(
            quiz, f"question-{question_id}", "_question_removed.html", "Question removed."
        )
    return _render("quiz_question_remove.html", quiz=quiz, question=question, form=form)


@bp.route("/quizzes/<int:quiz_id>/questions/<question_id>/move", methods=["GET", "POST"])
def quiz_question_move(quiz_id: int, question_id: str):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    question = _question_or_404(quiz, question_id)
    form = forms.MoveForm(scope="move")
    if form.validate_on_submit():
        evaluation.move_question(quiz, current_user, question_id, form.offset())
        db.session.commit()
        return _saved(
            quiz,
            "question-list",
            "_question_list.html",
            "Question moved.",
            f"#question-{question_id}",
        )
    status = 422 if form.is_submitted() else 200
    return _render("quiz_question_move.html", status, quiz=quiz, question=question, form=form)


@bp.get("/quizzes/<int:quiz_id>/preview")
def quiz_preview(quiz_id: int):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    # The template renders only these public views: no answer keys, no explanations.
    questions = [grading.public_view(q) for q in quiz.questions or []]
    settings = evaluation.effective_settings(quiz)
    return _render("quiz_preview.html", quiz=quiz, questions=questions, settings=settings)


@bp.route("/quizzes/<int:quiz_id>/publish", methods=["GET", "POST"])
def quiz_publish(quiz_id: int):
    quiz = tenant_get_or_404(Quiz, quiz_id)
    form = forms.ConfirmForm(scope="publish")
    if form.validate_on_submit():
        try:
            version = evaluation.publish_quiz(quiz, current_user)
        except DomainError as error:
            problems = getattr(error, "problems", {}).get("publish") or [error.message]
            return _render(
                "quiz_publish.html",
                error.status_code,
                quiz=quiz,
                form=form,
                problems=problems,
                refused=True,
            )
        db.session.commit()
        flash(f"Version {version.number} published.", "success")
        return htmx.see_other(url_for("admin.quiz_editor", quiz_id=quiz.id))
    problems = evaluation.publish_problems(quiz)
    return _render(
        "quiz_publish.html",
        quiz=quiz,
        form=form,
        problems=problems,
        refused=False,
        usage=paths.quiz_usage(quiz.tenant_id, quiz.id),
    )
