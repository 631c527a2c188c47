"""Forms of the admin certificate pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, Form, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.formtools import choices
from webapp.services.certificates import FILTER_STATUSES, MAX_REASON


def optional_int(value):
    if value in (None, ""):
        return None
    return int(value)


class CertificateFilterForm(Form):
    """The list's filters, read from the query string (a GET form: no CSRF token)."""

    programme_id = SelectField("Programme", coerce=optional_int, choices=[])
    status = SelectField(
        "Status",
        default="",
        choices=choices([("", "Any status"), *((s, s.capitalize()) for s in FILTER_STATUSES)]),
    )
    expiring_within = IntegerField(
        "Expiring within (days)", validators=[Optional(), NumberRange(min=1, max=3650)]
    )

    def filters(self) -> dict:
        """The valid filters as keyword arguments of `certificates.admin_query`."""
        return {
            "programme_id": self.programme_id.data if not self.programme_id.errors else None,
            "status": self.status.data if not self.status.errors else None,
            "expiring_within": self.expiring_within.data
            if not self.expiring_within.errors
            else None,
        }

    def query_args(self) -> dict:
        """The filters as they go back into pagination and export links."""
        return {
            "programme_id": self.programme_id.raw_data[0] if self.programme_id.raw_data else "",
            "status": self.status.data or "",
            "expiring_within": self.expiring_within.raw_data[0]
            if self.expiring_within.raw_data
            else "",
        }


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for the revocation",
        validators=[
            InputRequired(message="Give the reason for the revocation."),
            Length(max=MAX_REASON),
        ],
    )


class GracePeriodForm(FlaskForm):
    until = DateField(
        "Valid until", validators=[InputRequired(message="Give the date the grace period ends.")]
    )
    reason = TextAreaField(
        "Reason for the grace period",
        validators=[
            InputRequired(message="Give the reason for the grace period."),
            Length(max=MAX_REASON),
        ],
    )
