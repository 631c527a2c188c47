"""Forms of the programme import page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional, Regexp


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ImportProgrammeForm(FlaskForm):
    file = FileField(
        "Programme file (JSON, at most 2 MB)",
        validators=[FileRequired("Choose a programme file to import.")],
        render_kw={"accept": ".json,application/json"},
    )
    name = StringField(
        "New name (optional)", filters=[_strip], validators=[Optional(), Length(max=160)]
    )
    slug = StringField(
        "New slug (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=80),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message="Use lowercase letters, digits and single hyphens.",
            ),
        ],
    )
