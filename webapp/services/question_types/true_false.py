"""True / false: a statement the learner judges. Pure."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from webapp.services.question_types.base import AddProblem, Question, QuestionType


class TrueFalse(QuestionType):
    name = "true_false"
    label = "True / false"
    key_fields = ("correct",)
    answer_message = "Answer true or false."
    saves_on_change = True
    file_schema = {
        "properties": {
            "correct": {
                "type": ["boolean", "null"],
                "description": "Whether the statement is true (null: not decided yet).",
            }
        },
        "required": ["correct"],
    }

    def validate(self, question: Question) -> list[str]:
        if not isinstance(question.get("correct"), bool):
            return ["Mark whether the statement is true or false."]
        return []

    def problems(self, question: Question, add: AddProblem) -> None:
        if question.get("correct") not in (True, False, None):
            add("correct", "Choose true or false.")

    def missing_key(self, question: Question) -> bool:
        return not isinstance(question.get("correct"), bool)

    def from_input(self, data: dict[str, Any], existing: Question | None) -> dict[str, Any]:
        return {"correct": data.get("correct")}

    def key_from_input(self, question: Question, data: dict[str, Any]) -> dict[str, Any]:
        return {"correct": data.get("correct")}

    def normalize(self, question: Question, answer: Any) -> bool:
        if isinstance(answer, bool):
            return answer
        text = str(answer).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise ValueError("answer true or false")

    def grade(self, question: Question, answer: Any) -> Fraction:
        correct = question.get("correct")
        return Fraction(1) if answer is not None and answer == correct else Fraction(0)

    def answer_text(self, question: Question, answer: Any) -> str:
        if answer is None or answer == []:
            return ""
        return "True" if answer is True else "False" if answer is False else str(answer)

    def key_text(self, question: Question) -> str:
        return self.answer_text(question, question.get("correct"))


TYPE = TrueFalse()
