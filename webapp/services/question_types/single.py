"""Single choice: one correct option among several. Pure."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from webapp.services.question_types.base import AddProblem, Question
from webapp.services.question_types.choice import ChoiceType, option_ids


class SingleChoice(ChoiceType):
    name = "single"
    label = "Single choice"
    answer_message = "Choose one of the options."

    def problems(self, question: Question, add: AddProblem) -> None:
        super().problems(question, add)
        if len(question.get("correct") or []) > 1:
            add("options", "A single-choice question has exactly one correct option.")

    def normalize(self, question: Question, answer: Any) -> str:
        if isinstance(answer, list):
            if len(answer) != 1:
                raise ValueError("choose one option")
            answer = answer[0]
        value = str(answer)
        if value not in option_ids(question):
            raise ValueError("unknown option")
        return value

    def grade(self, question: Question, answer: Any) -> Fraction:
        correct = [str(c) for c in question.get("correct") or []]
        return Fraction(1) if answer is not None and str(answer) in correct[:1] else Fraction(0)


TYPE = SingleChoice()
