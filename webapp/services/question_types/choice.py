"""What the two choice types (single and multiple) share: options with ids, a list of
correct option ids, option texts. Pure."""

from __future__ import annotations

from typing import Any, ClassVar

from webapp.services.question_types.base import (
    TEXT_LIST,
    AddProblem,
    Question,
    QuestionType,
    clean_text,
    new_id,
)

MAX_OPTIONS = 20
OPTION_LIST: dict[str, Any] = {
    "type": "array",
    "description": "The options; their ids are kept on import (attempts refer to them).",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "text"],
        "properties": {"id": {"type": "string"}, "text": {"type": "string"}},
    },
}


def option_ids(question: Question) -> list[str]:
    return [str(o.get("id")) for o in question.get("options") or []]


class ChoiceType(QuestionType):
    key_fields: ClassVar[tuple[str, ...]] = ("correct",)
    saves_on_change: ClassVar[bool] = True
    multiple: ClassVar[bool] = False
    file_schema: ClassVar[dict[str, Any]] = {
        "properties": {
            "options": OPTION_LIST,
            "correct": {**TEXT_LIST, "description": "The ids of the correct options."},
        },
        "required": ["options", "correct"],
    }

    def validate(self, question: Question) -> list[str]:
        problems = []
        options = question.get("options") or []
        ids = option_ids(question)
        if len(options) < 2:
            problems.append("Give at least two options.")
        if len(set(ids)) != len(ids):
            problems.append("Option ids must be unique.")
        if any(not str(o.get("text", "")).strip() for o in options):
            problems.append("Every option needs text.")
        correct = [str(c) for c in question.get("correct") or []]
        if not correct:
            problems.append(
                "Mark at least one correct option." if self.multiple else "Mark the correct answer."
            )
        elif any(c not in ids for c in correct):
            problems.append("A correct answer refers to an option that does not exist.")
        elif not self.multiple and len(correct) != 1:
            problems.append("A single-choice question has exactly one correct option.")
        return problems

    def problems(self, question: Question, add: AddProblem) -> None:
        options = question.get("options") or []
        if len(options) < 2:
            add("options", "Give at least two options.")
        elif len(options) > MAX_OPTIONS:
            add("options", f"Give at most {MAX_OPTIONS} options.")
        if any(not str(o.get("text", "")).strip() for o in options):
            add("options", "Every option needs text (an option marked correct cannot be empty).")
        if any(len(str(o.get("text", ""))) > 500 for o in options):
            add("options", "An option can be at most 500 characters.")

    def missing_key(self, question: Question) -> bool:
        return not question.get("correct")

    def from_input(self, data: dict[str, Any], existing: Question | None) -> dict[str, Any]:
        # Ids of kept options stay stable (attempts and regrades refer to them); any other id
        # sent by the browser is replaced by a fresh one.
        known = {str(o.get("id")) for o in (existing or {}).get("options") or []}
        used: set[str] = set()
        options, correct = [], []
        for row in data.get("options") or []:
            text, is_correct = clean_text(row.get("text")), bool(row.get("correct"))
            if not text and not is_correct:
                continue  # an empty row of the form
            option_id = str(row.get("id") or "")
            if option_id not in known or option_id in used:
                option_id = new_id(known | used, nbytes=3)
            used.add(option_id)
            options.append({"id": option_id, "text": text})
            if is_correct:
                correct.append(option_id)
        return {"options": options, "correct": correct}

    def key_from_input(self, question: Question, data: dict[str, Any]) -> dict[str, Any]:
        known = option_ids(question)
        chosen = [str(c) for c in data.get("correct") or []]
        # Unknown ids are kept so that validation reports them; known ones in option order.
        unknown = set(chosen) - set(known)
        return {"correct": chosen if unknown else [c for c in known if c in chosen]}

    def answer_text(self, question: Question, answer: Any) -> str:
        if answer is None or answer == []:
            return ""
        texts = {str(o["id"]): o.get("text", "") for o in question.get("options") or []}
        chosen = answer if isinstance(answer, list) else [answer]
        return "; ".join(texts.get(str(c), str(c)) for c in chosen)

    def key_text(self, question: Question) -> str:
        return self.answer_text(question, question.get("correct"))
