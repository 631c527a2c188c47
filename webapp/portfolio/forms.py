"""Forms of the skills portfolio."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField, URLField
from wtforms.validators import InputRequired, Length, Optional


class DetailsForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=160)])
    description = TextAreaField("Description", validators=[Length(max=5000)])


class ArtifactForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    link = URLField("Link", validators=[Optional(), Length(max=500)])
    file = FileField("File")


class EvidenceForm(FlaskForm):
    # The id is checked by the service (approved evidence of the owner), not against choices.
    submission_id = SelectField("Approved evidence", coerce=int, choices=[], validate_choice=False)


class VisibilityForm(FlaskForm):
    public = SelectMultipleField("Public items", coerce=int, choices=[], validate_choice=False)
