"""Admin page: grant a person extra attempts on one quiz requirement of their enrolment."""

from __future__ import annotations

from flask import abort, flash, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from webapp import htmx
from webapp.access import tenant_get_or_404
from webapp.admin.blueprint import bp
from webapp.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.formtools import apply_problems
from webapp.models import Enrolment, User
from webapp.services import attempt_grants
from webapp.services import automated_evaluation as evaluation


class GrantAttemptsForm(FlaskForm):
    extra_attempts = IntegerField(
        "Extra attempts",
        default=1,
        validators=[
            InputRequired("Give the number of extra attempts."),
            NumberRange(1, attempt_grants.MAX_EXTRA, "Grant between 1 and 20 extra attempts."),
        ],
    )
    reason = TextAreaField(
        "Reason (optional, shown to the learner)",
        validators=[Length(max=attempt_grants.MAX_REASON)],
    )


@bp.route(
    "/enrolments/<int:enrolment_id>/requirements/<int:requirement_id>/attempts",
    methods=["GET", "POST"],
)
def attempt_grant(enrolment_id: int, requirement_id: int):
    enrolment = tenant_get_or_404(Enrolment, enrolment_id)
    learner = db.session.get(User, enrolment.user_id)
    try:
        state = evaluation.requirement_state(learner, enrolment, requirement_id)
    except NotFound:
        abort(404)
    form = GrantAttemptsForm()
    if form.validate_on_submit():
        try:
            attempt_grants.grant_attempts(
                enrolment, requirement_id, current_user, form.extra_attempts.data, form.reason.data
            )
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash(f"{learner.full_name} can take “{state.definition['title']}” again.", "success")
            return htmx.see_other(
                url_for(
                    "admin.attempt_grant", enrolment_id=enrolment.id, requirement_id=requirement_id
                )
            )
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/attempts/attempt_grant.html",
        enrolment=enrolment,
        learner=learner,
        state=state,
        form=form,
    ), status
