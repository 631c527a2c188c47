"""Admin page: the organisation's settings as an issuer (number prefix, holder names)."""

from __future__ import annotations

from flask import current_app, flash, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import Length

from webapp import clock, htmx
from webapp.admin.blueprint import bp
from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems, choices
from webapp.services import certificates, organisation


class SettingsForm(FlaskForm):
    certificate_prefix = StringField(
        "Certificate number prefix",
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        validators=[Length(max=16)],
    )
    holder_name_display = RadioField(
        "Holder's name on public verification pages",
        choices=choices([("full", "Full name"), ("initials", "Initials only")]),
    )


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    tenant = current_user.tenant
    form = SettingsForm(
        data={
            "certificate_prefix": tenant.certificate_prefix or "",
            "holder_name_display": tenant.holder_name_display.value,
        }
    )
    if form.validate_on_submit():
        try:
            organisation.update_settings(tenant, current_user, form.data)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash("Settings saved.", "success")
            return htmx.see_other(url_for("admin.settings"))
    prefix = (form.certificate_prefix.data or "").strip() or current_app.config[
        "CERT_NUMBER_PREFIX"
    ]
    example = certificates.format_number(prefix, clock.now().year, 1)
    return render_template("admin/settings/settings.html", form=form, example=example), (
        422 if form.is_submitted() else 200
    )
