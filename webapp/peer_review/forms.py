"""Forms of the peer review pages: the learner's evidence and the mentor's decision."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length


class DecisionForm(FlaskForm):
    """Approve or reject (the pressed button's value) with a comment."""

    decision = StringField("Decision")
    comment = TextAreaField("Comment (required to reject)", validators=[Length(max=5_000)])
