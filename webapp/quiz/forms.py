"""Reading the attempt form: one field per question (`answer-<question id>`, several values for
multiple choice) plus the page being shown and the page asked for. The rules about the values
live in `automated_evaluation`."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

ANSWER_PREFIX = "answer-"
MAX_FIELDS = 500  # more fields than any attempt has questions: refuse instead of parsing


def answer_field(question_id: str) -> str:
    """The form field name of a question's answer."""
    return ANSWER_PREFIX + question_id


def answers(form: MultiDict) -> dict[str, list[str]]:
    """Question id -> the values posted for it (every `answer-…` field of the form)."""
    found = {
        key[len(ANSWER_PREFIX) :]: form.getlist(key)
        for key in form
        if key.startswith(ANSWER_PREFIX)
    }
    if len(found) > MAX_FIELDS:
        raise ValueError("too many answer fields")
    return found


def _page(value: str | None, default: int = 1) -> int:
    try:
        return max(1, min(int(value or default), 10_000))
    except ValueError:
        return default


def current_page(form: MultiDict) -> int:
    """The page the form was showing."""
    return _page(form.get("page"))


def target_page(form: MultiDict) -> int:
    """The page asked for by the Previous / Next buttons (else the current one)."""
    return _page(form.get("go"), current_page(form))
