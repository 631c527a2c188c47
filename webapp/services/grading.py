"""Question types and grading: a pure module (no app, no database), exact arithmetic.

Questions are dicts stored as JSON on quiz versions:

    {"id": "q1", "type": "single", "prompt": "...", "points": 1, "explanation": "...",
     "options": [{"id": "a", "text": "..."}], "correct": ["a"]}

Types live in `question_types` (one module per type; `REGISTRY` is re-exported here):
`single`, `multiple` (`scoring`: "all_or_nothing" | "partial"), `true_false` (`correct`:
true/false), `short_text` (`accepted`: [...], case-insensitive), `numeric` (`value`,
`tolerance`). This module grades whole attempts and delegates each question to its type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from webapp.services import question_types
from webapp.services.question_types import (
    Question,
    QuestionType,
    normalize_text,
    parse_decimal,
)

__all__ = [
    "REGISTRY",
    "Question",
    "QuestionType",
    "Result",
    "display_number",
    "display_percent",
    "grade",
    "normalize_answer",
    "normalize_text",
    "parse_decimal",
    "public_view",
    "to_decimal",
    "validate_question",
]


REGISTRY: dict[str, QuestionType] = question_types.REGISTRY

# What a learner may see of a question before submission: never keys or explanations.
PUBLIC_KEYS = ("id", "type", "prompt", "points", "options", "scoring")


def validate_question(question: Question) -> list[str]:
    """Every problem with a question (empty when it can be published)."""
    problems = []
    qtype = REGISTRY.get(question.get("type", ""))
    if qtype is None:
        return ["Unknown question type."]
    if not str(question.get("prompt", "")).strip():
        problems.append("Write the question.")
    try:
        points = Fraction(str(question.get("points", 1)))
        if points <= 0:
            problems.append("Points must be more than zero.")
    except (ValueError, ZeroDivisionError):
        problems.append("Points must be a number.")
    return problems + qtype.validate(question)


def public_view(question: Question, option_order: list[str] | None = None) -> Question:
    """The question as the learner sees it before submitting: no key, no explanation."""
    view = {k: question[k] for k in PUBLIC_KEYS if k in question}
    if "options" in view:
        options = [{"id": o["id"], "text": o["text"]} for o in view["options"]]
        if option_order:
            by_id = {str(o["id"]): o for o in options}
            options = [by_id[i] for i in option_order if i in by_id]
        view["options"] = options
    return view


def normalize_answer(question: Question, answer: Any) -> Any:
    """Check and canonicalise a raw answer; raises ValueError when malformed."""
    return REGISTRY[question["type"]].normalize(question, answer)


@dataclass(frozen=True)
class Result:
    raw: Fraction
    maximum: Fraction
    per_question: dict[str, dict[str, Any]]

    @property
    def percent(self) -> Fraction:
        return self.raw * 100 / self.maximum if self.maximum else Fraction(0)

    def passed(self, min_score: int | Fraction) -> bool:
        return self.percent >= Fraction(min_score)


def grade(questions: list[Question], answers: dict[str, Any]) -> Result:
    """Grade `answers` (question id -> normalised answer) against `questions`."""
    raw = Fraction(0)
    maximum = Fraction(0)
    per_question = {}
    for question in questions:
        points = Fraction(str(question.get("points", 1)))
        answer = answers.get(question["id"])
        share = (
            REGISTRY[question["type"]].grade(question, answer)
            if answer is not None
            else Fraction(0)
        )
        earned = points * share
        raw += earned
        maximum += points
        per_question[question["id"]] = {
            "earned": str(earned),
            "points": str(points),
            "correct": share == 1,
            "answered": answer is not None,
        }
    return Result(raw, maximum, per_question)


def display_number(value: Fraction | Decimal | int | str, places: int = 2) -> str:
    """Points, a score or a percentage as shown: the exact value rounded half-up to `places`
    decimals, trailing zeros stripped ("7.5", "2", "3.67"). A failing 79.996% shows as "80",
    as the product owner asked; pass or fail is decided on the exact value, never on this text.
    Accepts fractions, decimals, ints and their strings ("2/3", "1.5"); raises ValueError or
    TypeError for anything else. Pure."""
    exact = Fraction(value)
    # Cut exactly (towards zero) one digit past `places`: that digit decides half-up as the
    # whole exact expansion would, and no float or inexact division gets in the way.
    cut = Decimal(int(exact * 10 ** (places + 1))).scaleb(-(places + 1))
    rounded = cut.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded) if rounded.is_zero() else rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def display_percent(percent: Fraction, places: int = 2) -> str:
    """A percentage as shown: the rule of `display_number` (used by regrade texts). Pure."""
    return display_number(percent, places)


def to_decimal(value: Fraction, places: int = 4) -> Decimal:
    """Store a fraction as a Decimal, rounded down at `places` (display-only precision)."""
    scale = 10**places
    return Decimal(math.floor(value * scale)) / Decimal(scale)
