"""Forms of the programme editor."""

from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.formtools import choices
from webapp.models import Level, RequirementKind


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def optional_int(value):
    if value in (None, ""):
        return None
    return int(value)


class ProgrammeForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=160)])
    slug = StringField("Slug", validators=[InputRequired(), Length(max=80)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    level = SelectField("Level", choices=choices((lv.value, lv.value.capitalize()) for lv in Level))
    validity_days = IntegerField(
        "Validity (days)", validators=[Optional(), NumberRange(min=1, max=3650)]
    )
    renewal_window_days = IntegerField(
        "Renewal window (days before expiry)",
        default=30,
        validators=[InputRequired(), NumberRange(min=0, max=365)],
    )
    recert_grace_days = IntegerField(
        "Grace period after a major version (days)",
        default=90,
        validators=[InputRequired(), NumberRange(min=0, max=3650)],
    )
    self_enrolment = BooleanField("Learners may enrol themselves", default=True)
    # Ids in form bodies are not limited to the listed choices: the view loads them through the
    # tenant-scoped loader, so a foreign id answers 404 like any other foreign id.
    prerequisite_ids = MultiCheckboxField(
        "Prerequisites", coerce=int, choices=[], validate_choice=False
    )
    skill_names = StringField("Skills (comma-separated)", validators=[Length(max=1000)])
    org_unit_id = SelectField(
        "Org unit scope", coerce=optional_int, choices=[], validate_choice=False
    )
    badge = FileField("Badge image (PNG, JPEG or GIF, at most 1 MB)")

    def data_for_service(self) -> dict:
        return {
            "name": self.name.data or "",
            "slug": (self.slug.data or "").strip(),
            "description": self.description.data or "",
            "level": self.level.data,
            "validity_days": self.validity_days.data,
            "renewal_window_days": self.renewal_window_days.data,
            "recert_grace_days": self.recert_grace_days.data,
            "self_enrolment": bool(self.self_enrolment.data),
            "prerequisite_ids": self.prerequisite_ids.data or [],
            "skill_names": [s for s in (self.skill_names.data or "").split(",") if s.strip()],
            "org_unit_id": self.org_unit_id.data,
        }


@dataclass(frozen=True)
class KindSettings:
    """One requirement kind in the editor: its label and the partial with its settings."""

    kind: RequirementKind
    label: str

    @property
    def value(self) -> str:
        return self.kind.value

    @property
    def partial(self) -> str:
        return f"admin/programmes/_settings_{self.kind.value}.html"


# The kinds offered, in the order of the kind select; each partial renders the fields of
# RequirementForm that its kind uses.
REQUIREMENT_KINDS: dict[str, KindSettings] = {
    k.value: k
    for k in (
        KindSettings(RequirementKind.QUIZ, "Quiz"),
        KindSettings(RequirementKind.EVIDENCE, "Evidence"),
        KindSettings(RequirementKind.CONTENT, "Learning content"),
    )
}


class RequirementForm(FlaskForm):
    kind = SelectField(
        "Kind", choices=choices((k.value, k.label) for k in REQUIREMENT_KINDS.values())
    )
    title = StringField("Title", validators=[InputRequired(), Length(max=160)])
    is_mandatory = BooleanField("Mandatory", default=True)
    quiz_id = SelectField("Quiz", coerce=optional_int, choices=[], validate_choice=False)
    min_score = IntegerField(
        "Minimum score (%)", default=80, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    requires_peer_validation = BooleanField("A mentor must validate passing attempts")
    instructions = TextAreaField("Instructions", validators=[Length(max=5000)])
    accepted_types = MultiCheckboxField("Accepted file types", choices=[])
    required_approvals = IntegerField(
        "Approvals required", default=1, validators=[Optional(), NumberRange(min=1, max=5)]
    )
    body = TextAreaField("Content text", validators=[Length(max=20000)])
    video_url = URLField("Video link", validators=[Optional(), Length(max=500)])

    def chosen_kind(self) -> KindSettings:
        """The chosen kind (the first one, which the select shows, when none or an unknown one
        was given)."""
        return REQUIREMENT_KINDS.get(self.kind.data) or next(iter(REQUIREMENT_KINDS.values()))

    def data_for_service(self) -> dict:
        return {
            "title": self.title.data or "",
            "is_mandatory": bool(self.is_mandatory.data),
            "quiz_id": self.quiz_id.data,
            "min_score": self.min_score.data,
            "requires_peer_validation": bool(self.requires_peer_validation.data),
            "instructions": self.instructions.data or "",
            "accepted_types": self.accepted_types.data or [],
            "required_approvals": self.required_approvals.data or 1,
            "body": self.body.data or "",
            "video_url": self.video_url.data or "",
        }
