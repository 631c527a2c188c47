"""Numeric: a number, correct within the value ± the tolerance. Pure, exact (Decimal)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from webapp.services.question_types.base import (
    NUMBER_OR_TEXT,
    AddProblem,
    Question,
    QuestionType,
    clean_text,
    decimal_or_none,
    parse_decimal,
)

MAX_NUMERIC_LENGTH = 40
MAX_NUMERIC_EXPONENT = 30  # |adjusted exponent|: keeps Decimal arithmetic far from overflow


class Numeric(QuestionType):
    name = "numeric"
    label = "Numeric"
    key_fields = ("value", "tolerance")
    answer_message = "Enter a number, like 25 or 2.5."
    file_schema = {
        "properties": {
            "value": {
                "type": [*NUMBER_OR_TEXT["type"], "null"],
                "description": 'The correct value, like 19.5 or "19.5" (null: not given yet).',
            },
            "tolerance": {
                **NUMBER_OR_TEXT,
                "default": "0",
                "description": "Answers within value ± tolerance are correct.",
            },
        },
        "required": ["value"],
    }

    def validate(self, question: Question) -> list[str]:
        problems = []
        try:
            parse_decimal(question.get("value"))
        except ValueError:
            problems.append("Give the correct numeric value.")
        try:
            if parse_decimal(question.get("tolerance", 0)) < 0:
                problems.append("The tolerance cannot be negative.")
        except ValueError:
            problems.append("The tolerance must be a number.")
        return problems

    def problems(self, question: Question, add: AddProblem) -> None:
        value = question.get("value")
        if value not in (None, "") and decimal_or_none(value) is None:
            add("value", "The correct value must be a number, like 25 or 2.5.")
        tolerance = decimal_or_none(question.get("tolerance", "0"))
        if tolerance is None:
            add("tolerance", "The tolerance must be a number.")
        elif tolerance < 0:
            add("tolerance", "The tolerance cannot be negative.")

    def missing_key(self, question: Question) -> bool:
        return str(question.get("value") if question.get("value") is not None else "") == ""

    def from_input(self, data: dict[str, Any], existing: Question | None) -> dict[str, Any]:
        return self.key_from_input(existing or {}, data)

    def key_from_input(self, question: Question, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "value": clean_text(data.get("value")) or None,
            "tolerance": clean_text(data.get("tolerance")) or "0",
        }

    def normalize(self, question: Question, answer: Any) -> str:
        return str(parse_decimal(answer))

    def submitted(self, question: Question, values: list[Any]) -> str | None:
        if len(values) == 1 and len(str(values[0]).strip()) > MAX_NUMERIC_LENGTH:
            raise ValueError(self.answer_message)
        answer = super().submitted(question, values)
        if answer is not None and abs(Decimal(answer).adjusted()) > MAX_NUMERIC_EXPONENT:
            raise ValueError(self.answer_message)
        return answer

    def grade(self, question: Question, answer: Any) -> Fraction:
        if answer in (None, ""):
            return Fraction(0)
        try:
            given = parse_decimal(answer)
        except ValueError:
            return Fraction(0)
        value = parse_decimal(question.get("value"))
        tolerance = parse_decimal(question.get("tolerance", 0))
        return Fraction(1) if abs(given - value) <= tolerance else Fraction(0)

    def key_text(self, question: Question) -> str:
        tolerance = str(question.get("tolerance") or "0")
        suffix = "" if tolerance in ("0", "") else f" ± {tolerance}"
        return str(question.get("value")) + suffix


TYPE = Numeric()
