"""Forms of a programme's enrolments page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import Length


def optional_int(value):
    if value in (None, ""):
        return None
    return int(value)


class EnrolPeopleForm(FlaskForm):
    """Whom to enrol: people picked, a whole org unit, a pasted or uploaded list of e-mail
    addresses, or any of them together (each person is enrolled once)."""

    # Ids in form bodies are not limited to the listed choices: the view loads them through
    # the tenant-scoped loaders, so a foreign id answers 404 like any other foreign id.
    user_ids = SelectMultipleField("People", coerce=int, choices=[], validate_choice=False)
    org_unit_id = SelectField(
        "A whole org unit", coerce=optional_int, choices=[], validate_choice=False
    )
    emails = TextAreaField("E-mail addresses", validators=[Length(max=200_000)])
    email_file = FileField("Or a file with the addresses", render_kw={"accept": ".txt,.csv,text/*"})
