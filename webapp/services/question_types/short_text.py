"""Short text: a few words compared with the accepted answers, ignoring case and spacing.
Pure."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from webapp.services.question_types.base import (
    TEXT_LIST,
    AddProblem,
    Question,
    QuestionType,
    accepted_answers,
    normalize_text,
)

MAX_ACCEPTED = 50
MAX_ANSWER_LENGTH = 500


class ShortText(QuestionType):
    name = "short_text"
    label = "Short text"
    key_fields = ("accepted",)
    answer_message = f"Your answer can be at most {MAX_ANSWER_LENGTH} characters."
    file_schema = {
        "properties": {
            "accepted": {
                **TEXT_LIST,
                "description": "The accepted answers, compared without case and spacing.",
            }
        },
        "required": ["accepted"],
    }

    def validate(self, question: Question) -> list[str]:
        accepted = [a for a in question.get("accepted") or [] if str(a).strip()]
        return [] if accepted else ["Give at least one accepted answer."]

    def problems(self, question: Question, add: AddProblem) -> None:
        accepted = question.get("accepted") or []
        if len(accepted) > MAX_ACCEPTED:
            add("accepted", f"Give at most {MAX_ACCEPTED} accepted answers.")
        if any(len(str(a)) > 200 for a in accepted):
            add("accepted", "An accepted answer can be at most 200 characters.")

    def missing_key(self, question: Question) -> bool:
        return not any(str(a).strip() for a in question.get("accepted") or [])

    def from_input(self, data: dict[str, Any], existing: Question | None) -> dict[str, Any]:
        return {"accepted": accepted_answers(data.get("accepted"))}

    def key_from_input(self, question: Question, data: dict[str, Any]) -> dict[str, Any]:
        return {"accepted": accepted_answers(data.get("accepted"))}

    def normalize(self, question: Question, answer: Any) -> str:
        value = str(answer if answer is not None else "")
        if len(value) > MAX_ANSWER_LENGTH:
            raise ValueError("answer too long")
        return value.strip()

    def grade(self, question: Question, answer: Any) -> Fraction:
        if answer is None:
            return Fraction(0)
        accepted = {normalize_text(a) for a in question.get("accepted") or []}
        return Fraction(1) if normalize_text(answer) in accepted else Fraction(0)

    def key_text(self, question: Question) -> str:
        return " or ".join(str(a) for a in question.get("accepted") or [])


TYPE = ShortText()
