"""Forms of the platform console."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import Length


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TenantForm(FlaskForm):
    name = StringField("Organisation name", filters=[_strip], validators=[Length(max=120)])
    slug = StringField("Slug (optional)", filters=[_strip], validators=[Length(max=60)])
    admin_email = EmailField(
        "E-mail of its first admin", filters=[_strip], validators=[Length(max=254)]
    )
    admin_name = StringField(
        "Name of its first admin (optional)", filters=[_strip], validators=[Length(max=120)]
    )

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data or "",
            "slug": self.slug.data or "",
            "admin_email": self.admin_email.data or "",
            "admin_name": self.admin_name.data or "",
        }
