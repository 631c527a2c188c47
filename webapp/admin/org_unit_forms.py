"""Forms of the org unit pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from webapp.services.org_units import NAME_MAX


def optional_int(value):
    if value in (None, ""):
        return None
    return int(value)


# Ids in form bodies are not limited to the listed choices: the views load them through the
# tenant-scoped loader, so a foreign id answers 404 like any other foreign id.


class UnitForm(FlaskForm):
    """A new unit: its name and where it goes."""

    name = StringField(
        "Name", validators=[InputRequired("Give the unit a name."), Length(max=NAME_MAX)]
    )
    parent_id = SelectField("Inside", coerce=optional_int, choices=[], validate_choice=False)


class RenameForm(FlaskForm):
    name = StringField(
        "New name", validators=[InputRequired("Give the unit a name."), Length(max=NAME_MAX)]
    )


class MoveForm(FlaskForm):
    parent_id = SelectField("Move inside", coerce=optional_int, choices=[], validate_choice=False)


class MentorForm(FlaskForm):
    mentor_id = SelectField(
        "Mentor",
        coerce=optional_int,
        choices=[],
        validate_choice=False,
        validators=[InputRequired("Choose a mentor.")],
    )
