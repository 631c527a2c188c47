"""The "Correct question" form: the answer key of one published question, by type, and the
reason. The rules live in `automated_evaluation.correct_question`, whose problem keys are the
field names used here (`correct`, `scoring`, `accepted`, `value`, `tolerance`, `reason`)."""

from __future__ import annotations

from typing import Any

from flask import request
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import Length

from webapp.admin.quiz_forms import EditorForm

SCORING_CHOICES = {"all_or_nothing": "All or nothing", "partial": "Partial credit"}


class MultiCheckboxField(SelectMultipleField):
    """Several options, each a checkbox."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CorrectionForm(EditorForm):
    """Fields shared by every type; `correction_form` adds the key fields of the question."""

    KIND = ""
    reason = TextAreaField(
        "Reason for the correction",
        description="Kept with the version and in the audit log; learners see it on their results.",
        validators=[Length(max=1000)],
    )

    def key_data(self) -> dict[str, Any]:
        """The key as `correct_question` takes it."""
        if self.KIND == "single":
            return {"correct": [self.correct.data] if self.correct.data else []}
        if self.KIND == "multiple":
            return {"correct": list(self.correct.data or []), "scoring": self.scoring.data}
        if self.KIND == "true_false":
            return {"correct": {"true": True, "false": False}.get(self.correct.data or "")}
        if self.KIND == "short_text":
            return {"accepted": (self.accepted.data or "").splitlines()}
        return {"value": self.value.data or "", "tolerance": self.tolerance.data or ""}


def _fields(question: dict[str, Any]) -> dict[str, Any]:
    kind = question["type"]
    options = {str(o["id"]): o["text"] for o in question.get("options") or []}
    if kind == "single":
        return {"correct": RadioField("Correct option", choices=options, validate_choice=False)}
    if kind == "multiple":
        return {
            "correct": MultiCheckboxField(
                "Correct options", choices=options, validate_choice=False
            ),
            "scoring": RadioField("Scoring", choices=SCORING_CHOICES, validate_choice=False),
        }
    if kind == "true_false":
        choices = {"true": "True", "false": "False"}
        return {"correct": RadioField("Correct answer", choices=choices, validate_choice=False)}
    if kind == "short_text":
        return {
            "accepted": TextAreaField(
                "Accepted answers",
                description="One per line; compared without regard to case or spacing.",
                validators=[Length(max=12000)],
            )
        }
    return {
        "value": StringField("Correct value", validators=[Length(max=40)]),
        "tolerance": StringField(
            "Tolerance (±)",
            description="Answers within the value ± this tolerance are correct.",
            validators=[Length(max=40)],
        ),
    }


def _initial(question: dict[str, Any]) -> dict[str, Any]:
    kind = question["type"]
    if kind == "single":
        return {"correct": (question.get("correct") or [None])[0]}
    if kind == "multiple":
        return {"correct": question.get("correct") or [], "scoring": question.get("scoring")}
    if kind == "true_false":
        return {"correct": {True: "true", False: "false"}.get(question.get("correct"))}
    if kind == "short_text":
        return {"accepted": "\n".join(question.get("accepted") or [])}
    return {"value": question.get("value") or "", "tolerance": question.get("tolerance") or "0"}


def correction_form(question: dict[str, Any]) -> CorrectionForm:
    """The form for a question's type, filled with its current key unless the request posts."""
    form_class = type(
        "CorrectionForm_" + question["type"],
        (CorrectionForm,),
        {"KIND": question["type"], **_fields(question)},
    )
    if request.method == "POST":
        return form_class(scope="correct")
    return form_class(data=_initial(question), scope="correct")
