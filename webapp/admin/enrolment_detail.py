"""Admin pages: one enrolment (learner, programme and pinned version, dates, the ledger per
requirement), cancelling it with a reason, and recording a requirement as met by an admin."""

from __future__ import annotations

from flask import abort, flash, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from webapp import htmx
from webapp.access import tenant_get_or_404
from webapp.admin.blueprint import bp
from webapp.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.formtools import apply_problems
from webapp.models import Enrolment, EnrolmentStatus, User
from webapp.services import enrolment_admin


class CancelEnrolmentForm(FlaskForm):
    reason = TextAreaField(
        "Reason for the cancellation (shown to the learner)",
        validators=[
            InputRequired("Give the reason for the cancellation."),
            Length(max=enrolment_admin.MAX_REASON),
        ],
    )


class RecordRequirementForm(FlaskForm):
    reason = TextAreaField(
        "How it was met (shown to the learner and kept in the audit log)",
        validators=[
            InputRequired("Give the reason for the record."),
            Length(max=enrolment_admin.MAX_REASON),
        ],
    )


@bp.get("/enrolments/<int:enrolment_id>")
def enrolment(enrolment_id: int):
    page = enrolment_admin.enrolment_page(tenant_get_or_404(Enrolment, enrolment_id))
    fragment = htmx.is_fragment_request("enrolment-ledger")
    template = "_ledger.html" if fragment else "enrolment.html"
    return render_template(f"admin/enrolment_detail/{template}", page=page)


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["GET", "POST"])
def enrolment_cancel(enrolment_id: int):
    enrolment = tenant_get_or_404(Enrolment, enrolment_id)
    form = CancelEnrolmentForm()
    if form.validate_on_submit():
        try:
            enrolment_admin.cancel_enrolment(enrolment, current_user, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash("The enrolment is cancelled; its ledger is kept.", "success")
            return htmx.see_other(url_for("admin.enrolment", enrolment_id=enrolment.id))
    return render_template(
        "admin/enrolment_detail/enrolment_cancel.html",
        enrolment=enrolment,
        learner=db.session.get(User, enrolment.user_id),
        form=form,
    ), (422 if form.is_submitted() else 200)


@bp.route(
    "/enrolments/<int:enrolment_id>/requirements/<int:requirement_id>/record",
    methods=["GET", "POST"],
)
def requirement_record(enrolment_id: int, requirement_id: int):
    enrolment = tenant_get_or_404(Enrolment, enrolment_id)
    try:
        row = enrolment_admin.ledger_row(enrolment, requirement_id)
    except NotFound:
        abort(404)
    form = RecordRequirementForm()
    if form.validate_on_submit():
        try:
            enrolment_admin.record_requirement_met(
                enrolment, requirement_id, current_user, form.reason.data
            )
        except DomainError as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            done = enrolment.status is not EnrolmentStatus.IN_PROGRESS
            flash(
                f"“{row.title}” is recorded as met."
                + (" The enrolment is complete and its certificate issued." if done else ""),
                "success",
            )
            return htmx.see_other(url_for("admin.enrolment", enrolment_id=enrolment.id))
    return render_template(
        "admin/enrolment_detail/requirement_record.html",
        enrolment=enrolment,
        learner=db.session.get(User, enrolment.user_id),
        row=row,
        form=form,
    ), (422 if form.is_submitted() else 200)
