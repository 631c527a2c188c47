"""Forms of the peer review pages: the learner's evidence and the mentor's decision."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import MultipleFileField, StringField, TextAreaField, URLField
from wtforms.validators import Length, Optional


class EvidenceForm(FlaskForm):
    """Text, an optional link and files; limits and types are checked by the service."""

    text = TextAreaField("Description", validators=[Length(max=10_000)])
    link = URLField("Link (optional)", validators=[Optional(), Length(max=500)])
    files = MultipleFileField("Files")


class DecisionForm(FlaskForm):
    """Approve or reject (the pressed button's value) with a comment."""

    decision = StringField("Decision")
    comment = TextAreaField("Comment (required to reject)", validators=[Length(max=5_000)])
