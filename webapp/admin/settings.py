"""Admin pages: the organisation's settings (name, logo, signatory, number prefix, holder
names, renewal window, grace-period limit, reply-to address)."""

from __future__ import annotations

from flask import current_app, flash, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, IntegerField, RadioField, StringField
from wtforms.validators import Length, Optional

from webapp import clock, htmx
from webapp.admin.blueprint import bp
from webapp.errors import DomainError, ValidationFailed
from webapp.extensions import db
from webapp.formtools import apply_problems, choices
from webapp.services import certificates, organisation


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SettingsForm(FlaskForm):
    name = StringField("Organisation name", filters=[_strip], validators=[Length(max=120)])
    certificate_prefix = StringField(
        "Certificate number prefix",
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
        validators=[Length(max=16)],
    )
    holder_name_display = RadioField(
        "Holder's name on public verification pages",
        choices=choices([("full", "Full name"), ("initials", "Initials only")]),
    )
    signatory_name = StringField("Signatory's name", filters=[_strip], validators=[Length(max=120)])
    signatory_title = StringField(
        "Signatory's title", filters=[_strip], validators=[Length(max=120)]
    )
    renewal_window_days = IntegerField(
        "Default renewal window of new programmes (days)", validators=[Optional()]
    )
    grace_period_max_days = IntegerField(
        "Longest grace period after expiry (days)", validators=[Optional()]
    )
    reply_to = EmailField(
        "Reply-to address of e-mails", filters=[_strip], validators=[Length(max=254)]
    )


class LogoForm(FlaskForm):
    logo = FileField(f"Logo (PNG or JPEG, at most {organisation.LOGO_MAX_BYTES // 1024} KB)")


def _settings_data() -> dict:
    tenant = current_user.tenant
    data = {key: getattr(tenant, key) for key in organisation.FIELDS}
    data["holder_name_display"] = tenant.holder_name_display.value
    return data


def _page(form: SettingsForm, logo_form: LogoForm, status: int):
    prefix = (form.certificate_prefix.data or "").strip() or current_app.config[
        "CERT_NUMBER_PREFIX"
    ]
    example = certificates.format_number(prefix, clock.now().year, 1)
    return render_template(
        "admin/settings/settings.html",
        form=form,
        logo_form=logo_form,
        example=example,
        tenant=current_user.tenant,
    ), status


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = SettingsForm(data=_settings_data())
    if form.validate_on_submit():
        try:
            organisation.update_settings(current_user.tenant, current_user, form.data)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(form, error)
        else:
            db.session.commit()
            flash("Settings saved.", "success")
            return htmx.see_other(url_for("admin.settings"))
    return _page(form, LogoForm(formdata=None), 422 if form.is_submitted() else 200)


@bp.post("/settings/logo")
def settings_logo():
    logo_form = LogoForm()
    if logo_form.validate_on_submit():
        data = logo_form.logo.data.read() if logo_form.logo.data else b""
        try:
            organisation.set_logo(current_user.tenant, current_user, data)
        except ValidationFailed as error:
            db.session.rollback()
            apply_problems(logo_form, error)
        else:
            db.session.commit()
            flash("Logo saved.", "success")
            return htmx.see_other(url_for("admin.settings"))
    return _page(SettingsForm(formdata=None, data=_settings_data()), logo_form, 422)


@bp.route("/settings/logo/remove", methods=["GET", "POST"])
def settings_logo_remove():
    form = FlaskForm()
    if form.validate_on_submit():
        try:
            organisation.remove_logo(current_user.tenant, current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("Logo removed.", "success")
        return htmx.see_other(url_for("admin.settings"))
    return render_template("admin/settings/settings_logo_remove.html", form=form)
