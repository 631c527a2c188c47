"""Forms of the quiz editor. They collect input; the rules live in `automated_evaluation`,
whose problem keys are the field names used here."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length, Optional

# Blank option rows offered below the existing ones (the page works without JavaScript, so
# new rows come from the server).
BLANK_OPTION_ROWS = 2
MIN_OPTION_ROWS = 4
SCORING_CHOICES = {"all_or_nothing": "All or nothing", "partial": "Partial credit"}
TRUE_FALSE = {"true": "True", "false": "False"}


class MultiCheckboxField(SelectMultipleField):
    """Several options, each a checkbox."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EditorForm(FlaskForm):
    """A form that can share a page with others: element ids are prefixed with `scope` while
    field names stay plain; service problems are shown next to the fields."""

    def __init__(self, *args: Any, scope: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.general_errors: list[str] = []
        self.extra_errors: dict[str, list[str]] = {}
        if scope:
            for field in self:
                _rescope(field, scope)

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        """Attach a service's problems (field -> messages) to the matching fields."""
        for name, messages in problems.items():
            field = self._fields.get(name)
            if field is None or name == "form":
                self.general_errors.extend(messages)
            elif isinstance(field, FieldList):
                self.extra_errors.setdefault(name, []).extend(messages)
            else:
                field.errors = [*field.errors, *messages]


def _rescope(field: Field, scope: str) -> None:
    field.id = f"{scope}-{field.id}"
    field.label.field_id = field.id
    if isinstance(field, FieldList):
        for entry in field.entries:
            _rescope(entry, scope)
    elif isinstance(field, FormField):
        for subfield in field.form:
            _rescope(subfield, scope)


class ConfirmForm(EditorForm):
    """A bare POST with its CSRF token (publish, remove)."""


class QuizDetailsForm(EditorForm):
    title = StringField("Title", validators=[Length(max=160)])
    description = TextAreaField("Description", validators=[Length(max=5000)])

    def details(self) -> dict[str, str]:
        return {"title": self.title.data or "", "description": self.description.data or ""}


class SettingsForm(EditorForm):
    time_limit_min = IntegerField("Time limit (minutes)", validators=[Optional()])
    shuffle_questions = BooleanField("Shuffle the order of the questions")
    shuffle_options = BooleanField("Shuffle the options of choice questions")
    draw_count = IntegerField("Questions drawn from the pool", validators=[Optional()])
    max_attempts = IntegerField("Maximum attempts", validators=[Optional()])
    cooldown_min = IntegerField("Retry cooldown (minutes)", validators=[Optional()])
    feedback = SelectField(
        "Feedback after submission",
        choices={
            "per_question": "Score and the result of each question",
            "score_only": "Score only",
        },
        validate_choice=False,
    )

    def settings(self) -> dict[str, Any]:
        return {
            "time_limit_min": self.time_limit_min.data,
            "shuffle_questions": bool(self.shuffle_questions.data),
            "shuffle_options": bool(self.shuffle_options.data),
            "draw_count": self.draw_count.data,
            "max_attempts": self.max_attempts.data,
            "cooldown_min": self.cooldown_min.data,
            "feedback": self.feedback.data,
        }


class MoveForm(EditorForm):
    direction = SelectField(choices={"up": "Up", "down": "Down"})

    def offset(self) -> int:
        return -1 if self.direction.data == "up" else 1


class OptionForm(Form):
    option_id = HiddenField()
    text = StringField("Option text", validators=[Length(max=500)])
    correct = BooleanField("Correct")


class QuestionForm(EditorForm):
    """Fields every question type has; subclasses add the answer key of their type, and the
    key fields of the "Correct question" form (`correction_fields`, `correction_initial`,
    `correction_key`; see `regrading_forms`)."""

    TYPE = ""
    type = HiddenField()
    prompt = TextAreaField("Question", validators=[Length(max=2000)])
    points = StringField(
        "Points", default="1", validators=[Length(max=20)], render_kw={"inputmode": "decimal"}
    )
    explanation = TextAreaField(
        "Explanation",
        description="Shown to learners after they submit, when feedback is per question.",
        validators=[Length(max=2000)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type.data = self.TYPE

    def question_data(self) -> dict[str, Any]:
        """The input for `add_question` / `update_question`."""
        return {
            "type": self.TYPE,
            "prompt": self.prompt.data or "",
            "points": (self.points.data or "").strip(),
            "explanation": self.explanation.data or "",
            **self.answer_data(),
        }

    def answer_data(self) -> dict[str, Any]:
        return {}

    @classmethod
    def initial(cls, question: dict[str, Any] | None) -> dict[str, Any]:
        """Form data showing a stored question (or a new one)."""
        if question is None:
            return {}
        return {
            "prompt": question.get("prompt", ""),
            "points": str(question.get("points", 1)),
            "explanation": question.get("explanation", ""),
        }

    @staticmethod
    def correction_fields(question: dict[str, Any]) -> dict[str, Field]:
        """The unbound key fields of the "Correct question" form for a published question."""
        return {}

    @staticmethod
    def correction_initial(question: dict[str, Any]) -> dict[str, Any]:
        """Correction form data showing the question's current key."""
        return {}

    @staticmethod
    def correction_key(form: Any) -> dict[str, Any]:
        """The key of a posted correction form, as `correct_question` takes it."""
        return {}


class ChoiceQuestionForm(QuestionForm):
    options = FieldList(FormField(OptionForm), min_entries=MIN_OPTION_ROWS, max_entries=30)

    def answer_data(self) -> dict[str, Any]:
        return {
            "options": [
                {
                    "id": entry.form.option_id.data or None,
                    "text": entry.form.text.data or "",
                    "correct": bool(entry.form.correct.data),
                }
                for entry in self.options
            ]
        }

    @classmethod
    def initial(cls, question: dict[str, Any] | None) -> dict[str, Any]:
        data = super().initial(question)
        correct = {str(c) for c in (question or {}).get("correct") or []}
        rows = [
            {
                "option_id": str(o["id"]),
                "text": o.get("text", ""),
                "correct": str(o["id"]) in correct,
            }
            for o in (question or {}).get("options") or []
        ]
        blank = max(BLANK_OPTION_ROWS, MIN_OPTION_ROWS - len(rows))
        data["options"] = rows + [{"option_id": "", "text": "", "correct": False}] * blank
        return data


def _option_choices(question: dict[str, Any]) -> dict[str, str]:
    return {str(o["id"]): o["text"] for o in question.get("options") or []}


class SingleChoiceForm(ChoiceQuestionForm):
    TYPE = "single"

    @staticmethod
    def correction_fields(question: dict[str, Any]) -> dict[str, Field]:
        choices = _option_choices(question)
        return {"correct": RadioField("Correct option", choices=choices, validate_choice=False)}

    @staticmethod
    def correction_initial(question: dict[str, Any]) -> dict[str, Any]:
        return {"correct": (question.get("correct") or [None])[0]}

    @staticmethod
    def correction_key(form: Any) -> dict[str, Any]:
        return {"correct": [form.correct.data] if form.correct.data else []}


class MultipleChoiceForm(ChoiceQuestionForm):
    TYPE = "multiple"
    scoring = RadioField(
        "Scoring",
        choices={
            "all_or_nothing": "All or nothing: the points only for exactly the correct options",
            "partial": "Partial credit: a share for each correct option, less for wrong ones",
        },
        default="all_or_nothing",
        validate_choice=False,
    )

    def answer_data(self) -> dict[str, Any]:
        return {**super().answer_data(), "scoring": self.scoring.data}

    @classmethod
    def initial(cls, question: dict[str, Any] | None) -> dict[str, Any]:
        return {**super().initial(question), "scoring": (question or {}).get("scoring")}

    @staticmethod
    def correction_fields(question: dict[str, Any]) -> dict[str, Field]:
        choices = _option_choices(question)
        return {
            "correct": MultiCheckboxField(
                "Correct options", choices=choices, validate_choice=False
            ),
            "scoring": RadioField("Scoring", choices=SCORING_CHOICES, validate_choice=False),
        }

    @staticmethod
    def correction_initial(question: dict[str, Any]) -> dict[str, Any]:
        return {"correct": question.get("correct") or [], "scoring": question.get("scoring")}

    @staticmethod
    def correction_key(form: Any) -> dict[str, Any]:
        return {"correct": list(form.correct.data or []), "scoring": form.scoring.data}


class TrueFalseForm(QuestionForm):
    TYPE = "true_false"
    correct = RadioField(
        "The statement is", choices={"true": "True", "false": "False"}, validate_choice=False
    )

    def answer_data(self) -> dict[str, Any]:
        return {"correct": {"true": True, "false": False}.get(self.correct.data or "")}

    @classmethod
    def initial(cls, question: dict[str, Any] | None) -> dict[str, Any]:
        correct = (question or {}).get("correct")
        value = {True: "true", False: "false"}.get(correct) if isinstance(correct, bool) else None
        return {**super().initial(question), "correct": value}

    @staticmethod
    def correction_fields(question: dict[str, Any]) -> dict[str, Field]:
        return {"correct": RadioField("Correct answer", choices=TRUE_FALSE, validate_choice=False)}

    @staticmethod
    def correction_initial(question: dict[str, Any]) -> dict[str, Any]:
        return {"correct": {True: "true", False: "false"}.get(question.get("correct"))}

    @staticmethod
    def correction_key(form: Any) -> dict[str, Any]:
        return {"correct": {"true": True, "false": False}.get(form.correct.data or "")}


class ShortTextForm(QuestionForm):
    TYPE = "short_text"
    accepted = TextAreaField(
        "Accepted answers",
        description="One per line. Letter case and extra spaces do not matter.",
        validators=[Length(max=12000)],
    )

    def answer_data(self) -> dict[str, Any]:
        return {"accepted": (self.accepted.data or "").splitlines()}

    @classmethod
    def initial(cls, question: dict[str, Any] | None) -> dict[str, Any]:
        accepted = "\n".join(str(a) for a in (question or {}).get("accepted") or [])
        return {**super().initial(question), "accepted": accepted}

    @staticmethod
    def correction_fields(question: dict[str, Any]) -> dict[str, Field]:
        return {
            "accepted": TextAreaField(
                "Accepted answers",
                description="One per line; compared without regard to case or spacing.",
                validators=[Length(max=12000)],
            )
        }

    @staticmethod
    def correction_initial(question: dict[str, Any]) -> dict[str, Any]:
        return {"accepted": "\n".join(question.get("accepted") or [])}

    @staticmethod
    def correction_key(form: Any) -> dict[str, Any]:
        return {"accepted": (form.accepted.data or "").splitlines()}


class NumericForm(QuestionForm):
    TYPE = "numeric"
    value = StringField(
        "Correct value", validators=[Length(max=40)], render_kw={"inputmode": "decimal"}
    )
    tolerance = StringField(
        "Tolerance (±)",
        default="0",
        description="Answers within the value ± this tolerance are correct.",
        validators=[Length(max=40)],
        render_kw={"inputmode": "decimal"},
    )

    def answer_data(self) -> dict[str, Any]:
        return {"value": self.value.data or "", "tolerance": self.tolerance.data or ""}

    @classmethod
    def initial(cls, question: dict[str, Any] | None) -> dict[str, Any]:
        question = question or {}
        value = question.get("value")
        return {
            **super().initial(question or None),
            "value": "" if value is None else str(value),
            "tolerance": str(question.get("tolerance", "0")),
        }

    @staticmethod
    def correction_fields(question: dict[str, Any]) -> dict[str, Field]:
        return {
            "value": StringField("Correct value", validators=[Length(max=40)]),
            "tolerance": StringField(
                "Tolerance (±)",
                description="Answers within the value ± this tolerance are correct.",
                validators=[Length(max=40)],
            ),
        }

    @staticmethod
    def correction_initial(question: dict[str, Any]) -> dict[str, Any]:
        return {"value": question.get("value") or "", "tolerance": question.get("tolerance") or "0"}

    @staticmethod
    def correction_key(form: Any) -> dict[str, Any]:
        return {"value": form.value.data or "", "tolerance": form.tolerance.data or ""}


QUESTION_FORMS: dict[str, type[QuestionForm]] = {
    form.TYPE: form
    for form in (SingleChoiceForm, MultipleChoiceForm, TrueFalseForm, ShortTextForm, NumericForm)
}


def question_form(
    kind: str, question: dict[str, Any] | None = None, *, scope: str
) -> QuestionForm | None:
    """The form for a question type (None for an unknown type), filled from `question` unless
    the request posts the form."""
    form_class = QUESTION_FORMS.get(kind)
    if form_class is None:
        return None
    if request.method == "POST":
        return form_class(scope=scope)
    return form_class(data=form_class.initial(question), scope=scope)
