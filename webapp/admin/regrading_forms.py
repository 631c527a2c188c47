"""The "Correct question" form: the answer key of one published question, by type, and the
reason. The rules live in `automated_evaluation.correct_question`, whose problem keys are the
field names used here (`correct`, `scoring`, `accepted`, `value`, `tolerance`, `reason`); the
key fields of each type come from its editor form (`quiz_forms.QUESTION_FORMS`)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import request
from wtforms import TextAreaField
from wtforms.validators import Length

from webapp.admin.quiz_forms import (
    QUESTION_FORMS,
    SCORING_CHOICES,
    EditorForm,
    MultiCheckboxField,
    QuestionForm,
)

__all__ = ["SCORING_CHOICES", "CorrectionForm", "MultiCheckboxField", "correction_form"]


class CorrectionForm(EditorForm):
    """Fields shared by every type; `correction_form` adds the key fields of the question."""

    KIND = ""
    EDITOR: ClassVar[type[QuestionForm]] = QuestionForm
    reason = TextAreaField(
        "Reason for the correction",
        description="Kept with the version and in the audit log; learners see it on their results.",
        validators=[Length(max=1000)],
    )

    def key_data(self) -> dict[str, Any]:
        """The key as `correct_question` takes it."""
        return self.EDITOR.correction_key(self)


def correction_form(question: dict[str, Any]) -> CorrectionForm:
    """The form for a question's type, filled with its current key unless the request posts."""
    editor = QUESTION_FORMS[question["type"]]
    form_class = type(
        "CorrectionForm_" + question["type"],
        (CorrectionForm,),
        {"KIND": question["type"], "EDITOR": editor, **editor.correction_fields(question)},
    )
    if request.method == "POST":
        return form_class(scope="correct")
    return form_class(data=editor.correction_initial(question), scope="correct")
