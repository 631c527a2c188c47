"""The learner's requirement page has one owner: this builder. It asks the services for what
each kind needs (the quiz state and who can grant attempts; the evidence submitted and the
form) and gives `programmes/requirement.html` and its panels (`quiz/_requirement_actions.html`,
`peer_review/_requirement_actions.html`) one context. The programmes and peer_review blueprints
both render through it; it imports no blueprint."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import MultipleFileField, TextAreaField, URLField
from wtforms.validators import Length, Optional

from webapp.errors import DomainError
from webapp.models import Enrolment, User
from webapp.services import attempt_grants, catalogue
from webapp.services import automated_evaluation as evaluation
from webapp.services import peer_validation as reviews


class EvidenceForm(FlaskForm):
    """Text, an optional link and files; limits and types are checked by the service."""

    text = TextAreaField("Description", validators=[Length(max=10_000)])
    link = URLField("Link (optional)", validators=[Optional(), Length(max=500)])
    files = MultipleFileField("Files")


def quiz_next_step(user: User, enrolment: Enrolment | None, requirement_id: int) -> dict[str, Any]:
    """What `quiz/_next_step.html` needs: the learner's state for the quiz requirement (None
    when it is not one of their quizzes) and, once every attempt is used, the admins who can
    grant more."""
    state = None
    if enrolment is not None:
        try:
            state = evaluation.requirement_state(user, enrolment, requirement_id)
        except DomainError:
            state = None
    used_up = state is not None and state.attempts_left == 0 and not state.is_met
    return {
        "state": state,
        "admins": attempt_grants.admins_of(user.tenant_id) if used_up else [],
    }


def requirement_context(
    user: User,
    programme,
    enrolment: Enrolment,
    definition: dict[str, Any],
    *,
    evidence_form: EvidenceForm | None = None,
) -> dict[str, Any]:
    """The whole context of the requirement page and of its panels rendered alone."""
    requirement_id = definition["requirement_id"]
    state = next(
        s
        for s in catalogue.requirement_states(enrolment)
        if s.definition["requirement_id"] == requirement_id
    )
    context: dict[str, Any] = {
        "programme": programme,
        "enrolment": enrolment,
        "requirement": definition,
        "progress": state.progress,
    }
    if definition["kind"] == "quiz":
        context.update(quiz_next_step(user, enrolment, requirement_id))
    elif definition["kind"] == "evidence":
        context["submissions"] = reviews.learner_submissions(enrolment, requirement_id)
        context["evidence_form"] = evidence_form or EvidenceForm(formdata=None)
    return context
