"""Question types and grading: a pure module (no app, no database), exact arithmetic.

Questions are dicts stored as JSON on quiz versions:

    {"id": "q1", "type": "single", "prompt": "...", "points": 1, "explanation": "...",
     "options": [{"id": "a", "text": "..."}], "correct": ["a"]}

Types (the registry below): `single`, `multiple` (`scoring`: "all_or_nothing" | "partial"),
`true_false` (`correct`: true/false), `short_text` (`accepted`: [...], case-insensitive),
`numeric` (`value`, `tolerance`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

Question = dict[str, Any]


@dataclass(frozen=True)
class QuestionType:
    name: str
    label: str
    validate: Callable[[Question], list[str]]
    grade: Callable[[Question, Any], Fraction]  # share of the points earned, 0..1
    normalize_answer: Callable[[Question, Any], Any]  # raises ValueError on malformed input


def _option_ids(question: Question) -> list[str]:
    return [str(o.get("id")) for o in question.get("options") or []]


def _validate_choice(question: Question, *, multiple: bool) -> list[str]:
    problems = []
    options = question.get("options") or []
    ids = _option_ids(question)
    if len(options) < 2:
        problems.append("Give at least two options.")
    if len(set(ids)) != len(ids):
        problems.append("Option ids must be unique.")
    if any(not str(o.get("text", "")).strip() for o in options):
        problems.append("Every option needs text.")
    correct = [str(c) for c in question.get("correct") or []]
    if not correct:
        problems.append(
            "Mark the correct answer." if not multiple else "Mark at least one correct option."
        )
    elif any(c not in ids for c in correct):
        problems.append("A correct answer refers to an option that does not exist.")
    elif not multiple and len(correct) != 1:
        problems.append("A single-choice question has exactly one correct option.")
    if multiple and question.get("scoring", "all_or_nothing") not in ("all_or_nothing", "partial"):
        problems.append("Scoring must be all-or-nothing or partial credit.")
    return problems


def _normalize_single(question: Question, answer: Any) -> str:
    if isinstance(answer, list):
        if len(answer) != 1:
            raise ValueError("choose one option")
        answer = answer[0]
    value = str(answer)
    if value not in _option_ids(question):
        raise ValueError("unknown option")
    return value


def _grade_single(question: Question, answer: Any) -> Fraction:
    correct = [str(c) for c in question.get("correct") or []]
    return Fraction(1) if answer is not None and str(answer) in correct[:1] else Fraction(0)


def _normalize_multiple(question: Question, answer: Any) -> list[str]:
    values = answer if isinstance(answer, list) else [answer]
    ids = _option_ids(question)
    chosen = sorted({str(v) for v in values if v not in (None, "")})
    if any(v not in ids for v in chosen):
        raise ValueError("unknown option")
    return chosen


def _grade_multiple(question: Question, answer: Any) -> Fraction:
    correct = {str(c) for c in question.get("correct") or []}
    chosen = {str(a) for a in (answer or [])}
    if not correct:
        return Fraction(0)
    if question.get("scoring", "all_or_nothing") == "partial":
        right = len(chosen & correct)
        wrong = len(chosen - correct)
        return max(Fraction(0), Fraction(right - wrong, len(correct)))
    return Fraction(1) if chosen == correct else Fraction(0)


def _validate_true_false(question: Question) -> list[str]:
    if not isinstance(question.get("correct"), bool):
        return ["Mark whether the statement is true or false."]
    return []


def _normalize_true_false(question: Question, answer: Any) -> bool:
    if isinstance(answer, bool):
        return answer
    text = str(answer).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError("answer true or false")


def _grade_true_false(question: Question, answer: Any) -> Fraction:
    return Fraction(1) if answer is not None and answer == question.get("correct") else Fraction(0)


_SPACES = re.compile(r"\s+")


def normalize_text(value: str) -> str:
    """Case-insensitive, whitespace-insensitive comparison form of a short text answer."""
    return _SPACES.sub(" ", str(value)).strip().casefold()


def _validate_short_text(question: Question) -> list[str]:
    accepted = [a for a in question.get("accepted") or [] if str(a).strip()]
    return [] if accepted else ["Give at least one accepted answer."]


def _normalize_short_text(question: Question, answer: Any) -> str:
    value = str(answer if answer is not None else "")
    if len(value) > 500:
        raise ValueError("answer too long")
    return value.strip()


def _grade_short_text(question: Question, answer: Any) -> Fraction:
    if answer is None:
        return Fraction(0)
    accepted = {normalize_text(a) for a in question.get("accepted") or []}
    return Fraction(1) if normalize_text(answer) in accepted else Fraction(0)


def parse_decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("not a number") from exc
    if not number.is_finite():
        raise ValueError("not a finite number")
    return number


def _validate_numeric(question: Question) -> list[str]:
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


def _normalize_numeric(question: Question, answer: Any) -> str:
    return str(parse_decimal(answer))


def _grade_numeric(question: Question, answer: Any) -> Fraction:
    if answer in (None, ""):
        return Fraction(0)
    try:
        given = parse_decimal(answer)
    except ValueError:
        return Fraction(0)
    value = parse_decimal(question.get("value"))
    tolerance = parse_decimal(question.get("tolerance", 0))
    return Fraction(1) if abs(given - value) <= tolerance else Fraction(0)


REGISTRY: dict[str, QuestionType] = {
    t.name: t
    for t in (
        QuestionType(
            "single",
            "Single choice",
            lambda q: _validate_choice(q, multiple=False),
            _grade_single,
            _normalize_single,
        ),
        QuestionType(
            "multiple",
            "Multiple choice",
            lambda q: _validate_choice(q, multiple=True),
            _grade_multiple,
            _normalize_multiple,
        ),
        QuestionType(
            "true_false",
            "True / false",
            _validate_true_false,
            _grade_true_false,
            _normalize_true_false,
        ),
        QuestionType(
            "short_text",
            "Short text",
            _validate_short_text,
            _grade_short_text,
            _normalize_short_text,
        ),
        QuestionType("numeric", "Numeric", _validate_numeric, _grade_numeric, _normalize_numeric),
    )
}

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
    return REGISTRY[question["type"]].normalize_answer(question, answer)


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
