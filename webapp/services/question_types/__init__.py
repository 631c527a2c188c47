"""The question types: one module per type, each a small class owning the type's rules
(validation for the editor and for grading), the normalisation of a submitted answer, its
grading, the text of an answer and of the key, and the names of its partials.

Adding a type: a module here whose `TYPE` is listed in `REGISTRY` (with its `file_schema`,
the keys it adds to a question in a programme file: regenerate docs/programme-file.schema.json),
its attempt partial `templates/quiz/types/_<name>.html`, its editor macros
`templates/admin/quizzes/types/_<name>.html`, and its editor form
(`webapp/admin/quiz_forms.py`, `QUESTION_FORMS`).
Pure: no app, no database, no request.
"""

from __future__ import annotations

from typing import Any

from webapp.services.question_types import multiple, numeric, short_text, single, true_false
from webapp.services.question_types.base import (
    Question,
    QuestionType,
    accepted_answers,
    clean_text,
    decimal_or_none,
    new_id,
    normalize_text,
    parse_decimal,
)

REGISTRY: dict[str, QuestionType] = {
    t.name: t for t in (single.TYPE, multiple.TYPE, true_false.TYPE, short_text.TYPE, numeric.TYPE)
}


def get(type_name: str | None) -> QuestionType | None:
    """The question type of this name, or None for an unknown one."""
    return REGISTRY.get(type_name or "")


def answer_text(question: Question, answer: Any) -> str:
    """A stored answer in words: option texts, True/False, the text or the number ("" for
    none), as its type writes it. The one text of an answer (results, regrades, mentor
    review). Raises nothing; pure."""
    qtype = get(question.get("type"))
    if qtype is None:
        return "" if answer is None or answer == [] else str(answer)
    return qtype.answer_text(question, answer)


def key_text(question: Question) -> str:
    """The correct answer in words (shown only after submission). Raises nothing; pure."""
    qtype = get(question.get("type"))
    return qtype.key_text(question) if qtype else ""


__all__ = [
    "REGISTRY",
    "Question",
    "QuestionType",
    "accepted_answers",
    "answer_text",
    "clean_text",
    "decimal_or_none",
    "get",
    "key_text",
    "new_id",
    "normalize_text",
    "parse_decimal",
]
