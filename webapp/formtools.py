"""Helpers shared by views: domain problems onto form fields, select choices."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from webapp.errors import DomainError, ValidationFailed


def apply_problems(form: FlaskForm, error: DomainError) -> None:
    """Show a service's problems next to the matching fields (others, and the message of a
    refusal that is not about fields, at the top of the form)."""
    general = list(getattr(form, "general_errors", []))
    if not isinstance(error, ValidationFailed):
        error = ValidationFailed(error.message)
    for field_name, messages in error.problems.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = (
                [*field.errors, *messages] if isinstance(field.errors, list) else list(messages)
            )
        else:
            general.extend(messages)
    if not error.problems:
        general.append(error.message)
    form.general_errors = general


def choices(pairs) -> list:
    """(value, label) pairs as WTForms SelectChoice objects."""
    return [SelectChoice(value, label) for value, label in pairs]
