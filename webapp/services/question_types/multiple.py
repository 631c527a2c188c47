"""Multiple choice: every correct option, scored all-or-nothing or with partial credit (a
share for each correct option chosen, less one for each wrong one, never below zero). Pure."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from webapp.services.question_types.base import AddProblem, Question
from webapp.services.question_types.choice import MAX_OPTIONS, ChoiceType, option_ids

SCORING_MODES = ("all_or_nothing", "partial")


class MultipleChoice(ChoiceType):
    name = "multiple"
    label = "Multiple choice"
    key_fields = ("correct", "scoring")
    answer_message = "Choose among the options shown."
    multiple = True
    file_schema = {
        "properties": {
            **ChoiceType.file_schema["properties"],
            "scoring": {"type": "string", "description": "`all_or_nothing` or `partial`."},
        },
        "required": [*ChoiceType.file_schema["required"], "scoring"],
    }

    def validate(self, question: Question) -> list[str]:
        problems = super().validate(question)
        if question.get("scoring", "all_or_nothing") not in SCORING_MODES:
            problems.append("Scoring must be all-or-nothing or partial credit.")
        return problems

    def problems(self, question: Question, add: AddProblem) -> None:
        super().problems(question, add)
        if question.get("scoring") not in SCORING_MODES:
            add("scoring", "Choose all-or-nothing or partial credit.")

    def from_input(self, data: dict[str, Any], existing: Question | None) -> dict[str, Any]:
        return {
            **super().from_input(data, existing),
            "scoring": data.get("scoring") or "all_or_nothing",
        }

    def key_from_input(self, question: Question, data: dict[str, Any]) -> dict[str, Any]:
        scoring = data.get("scoring") or question.get("scoring") or "all_or_nothing"
        return {**super().key_from_input(question, data), "scoring": scoring}

    def normalize(self, question: Question, answer: Any) -> list[str]:
        values = answer if isinstance(answer, list) else [answer]
        ids = option_ids(question)
        chosen = sorted({str(v) for v in values if v not in (None, "")})
        if any(v not in ids for v in chosen):
            raise ValueError("unknown option")
        return chosen

    def submitted(self, question: Question, values: list[Any]) -> list[str] | None:
        chosen = [str(v) for v in values if str(v) != ""]
        if len(chosen) > MAX_OPTIONS:
            raise ValueError(self.answer_message)
        return self.normalize(question, chosen) or None

    def grade(self, question: Question, answer: Any) -> Fraction:
        correct = {str(c) for c in question.get("correct") or []}
        chosen = {str(a) for a in (answer or [])}
        if not correct:
            return Fraction(0)
        if question.get("scoring", "all_or_nothing") == "partial":
            right = len(chosen & correct)
            wrong = len(chosen - correct)
            return max(Fraction(0), Fraction(right - wrong, len(correct)))
        return Fraction(1) if chosen == correct else Fraction(0)

    def key_note(self, question: Question) -> str:
        return "partial credit" if question.get("scoring") == "partial" else "all or nothing"


TYPE = MultipleChoice()
