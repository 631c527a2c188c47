"""Admin pages for regrading: a published quiz version with its keys, the "Correct question"
form (a reason is required), and the progress and outcome of the regrade batch it starts.

The batch page polls its `regrade-progress` fragment with htmx while the job runs.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user

from webapp import htmx
from webapp.access import first_or_404, tenant_get_or_404, tenant_select
from webapp.admin import regrading_forms as forms
from webapp.admin.blueprint import bp
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import Quiz, QuizVersion, RegradeBatch
from webapp.services import automated_evaluation as evaluation

TEMPLATES = "admin/regrading/"


def _version_or_404(quiz_id: int, version_id: int) -> tuple[Quiz, QuizVersion]:
    quiz = tenant_get_or_404(Quiz, quiz_id)
    version = first_or_404(
        tenant_select(QuizVersion).where(
            QuizVersion.id == version_id, QuizVersion.quiz_id == quiz.id
        )
    )
    return quiz, version


@bp.context_processor
def regrading_helpers() -> dict[str, Any]:
    return {"key_text": evaluation.key_text}


@bp.get("/quizzes/<int:quiz_id>/versions/<int:version_id>")
def quiz_version(quiz_id: int, version_id: int):
    quiz, version = _version_or_404(quiz_id, version_id)
    return render_template(
        TEMPLATES + "quiz_version.html",
        quiz=quiz,
        version=version,
        batches=evaluation.version_batches(version),
    )


@bp.route(
    "/quizzes/<int:quiz_id>/versions/<int:version_id>/questions/<question_id>/correct",
    methods=["GET", "POST"],
)
def quiz_question_correct(quiz_id: int, version_id: int, question_id: str):
    quiz, version = _version_or_404(quiz_id, version_id)
    question = evaluation.find_version_question(version, question_id) or abort(404)
    form = forms.correction_form(question)
    if form.validate_on_submit():
        try:
            batch = evaluation.correct_question(
                version, current_user, question_id, form.key_data(), form.reason.data or ""
            )
        except ValidationFailed as error:
            form.add_problems(error.problems)
        else:
            db.session.commit()
            flash("Key corrected. Every affected attempt is being regraded.", "success")
            return htmx.see_other(url_for("admin.regrade_batch", batch_id=batch.id))
    fragment = htmx.is_fragment_request("correct-question")
    template = "_correct_question.html" if fragment else "quiz_question_correct.html"
    context = {"quiz": quiz, "version": version, "question": question, "form": form}
    return render_template(TEMPLATES + template, **context), (
        422 if request.method == "POST" else 200
    )


@bp.get("/regrades/<int:batch_id>")
def regrade_batch(batch_id: int):
    batch = tenant_get_or_404(RegradeBatch, batch_id)
    version = db.session.get(QuizVersion, batch.quiz_version_id)
    fragment = htmx.is_fragment_request("regrade-progress")
    template = TEMPLATES + ("_progress.html" if fragment else "regrade_batch.html")
    return render_template(
        template,
        batch=batch,
        version=version,
        question=evaluation.find_version_question(version, batch.question_id),
    )
