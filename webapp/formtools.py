"""Helpers shared by views: domain problems onto form fields, uploaded image checks."""

from __future__ import annotations

import filetype
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from webapp.errors import DomainError, ValidationFailed

IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}


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


def sniff_image(data: bytes, max_bytes: int) -> tuple[str | None, str | None]:
    """(extension, problem): the image type found in the content, or why it is refused."""
    if len(data) > max_bytes:
        return None, f"The image is larger than {max_bytes // 1024} KB."
    kind = filetype.guess(data)
    if kind is None or kind.extension not in IMAGE_TYPES:
        return None, "Upload a PNG, JPEG or GIF image."
    return kind.extension, None


def choices(pairs) -> list:
    """(value, label) pairs as WTForms SelectChoice objects."""
    return [SelectChoice(value, label) for value, label in pairs]
