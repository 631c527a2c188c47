"""Forms of the admin people pages: the list's filters, a person's record, the CSV import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, Form, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from webapp.formtools import choices
from webapp.models import Role
from webapp.services import people
from webapp.services.people import rules

ROLE_CHOICES = [(role.value, role.value.capitalize()) for role in Role]


def optional_int(value):
    if value in (None, ""):
        return None
    return int(value)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PeopleFilterForm(Form):
    """The list's search and filters, read from the query string (a GET form: no CSRF)."""

    q = StringField(
        "Search name or e-mail",
        filters=[_strip],
        validators=[Length(max=100)],
        render_kw={"type": "search"},
    )
    role = SelectField("Role", default="", choices=choices([("", "Any role"), *ROLE_CHOICES]))
    org_unit_id = SelectField("Org unit (and the units below)", coerce=optional_int, choices=[])
    status = SelectField(
        "Status",
        default="",
        choices=choices(
            [("", "Active and deactivated"), ("active", "Active"), ("inactive", "Deactivated")]
        ),
    )
    sort = HiddenField(default="name")

    def set_units(self, tree: list[people.UnitNode]) -> None:
        self.org_unit_id.choices = choices(people.unit_choices(tree, "Any org unit"))

    def filters(self) -> dict:
        """The valid filters, as `people.directory` takes them (the units as a subtree)."""

        def valid(field):
            return field.data if not field.errors else None

        return {
            "search": valid(self.q) or "",
            "role": people.parse_role(valid(self.role)),
            "status": valid(self.status) or None,
            "sort": self.sort.data,
        }

    def query_args(self) -> dict:
        """The filters as they go back into sorting and pagination links."""
        return {
            "q": self.q.data or "",
            "role": self.role.data or "",
            "org_unit_id": self.org_unit_id.raw_data[0] if self.org_unit_id.raw_data else "",
            "status": self.status.data or "",
            "sort": self.sort.data or "",
        }


class PersonForm(FlaskForm):
    full_name = StringField(
        "Name",
        filters=[_strip],
        validators=[InputRequired("Give the person's name."), Length(max=rules.MAX_NAME)],
    )
    email = StringField(
        "E-mail",
        filters=[_strip],
        validators=[InputRequired("Give an e-mail address."), Length(max=rules.MAX_EMAIL)],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    role = SelectField("Role", choices=choices(ROLE_CHOICES), default=Role.LEARNER.value)
    org_unit_id = SelectField("Org unit", coerce=optional_int, choices=[])
    mentor_unit_id = SelectField("Reviews evidence of (mentors)", coerce=optional_int, choices=[])
    external_id = StringField(
        "External id (optional)",
        filters=[_strip],
        validators=[Optional(), Length(max=rules.MAX_EXTERNAL_ID)],
    )

    def set_units(self, tree: list[people.UnitNode]) -> None:
        self.org_unit_id.choices = choices(people.unit_choices(tree, "No org unit"))
        self.mentor_unit_id.choices = choices(
            people.unit_choices(tree, "Their own org unit (the whole organisation without one)")
        )

    def person_fields(self) -> people.PersonFields:
        return people.PersonFields.clean(
            email=self.email.data,
            full_name=self.full_name.data,
            role=self.role.data,
            org_unit_id=self.org_unit_id.data,
            mentor_unit_id=self.mentor_unit_id.data,
            external_id=self.external_id.data,
        )


class NewPersonForm(PersonForm):
    send_invitation = BooleanField(
        "Send an invitation now (an e-mail with a link to set a password)", default=True
    )


class ImportForm(FlaskForm):
    file = FileField(
        f"People file (CSV, at most {people.MAX_IMPORT_BYTES // 1024} KB and "
        f"{people.MAX_IMPORT_ROWS} people)",
        validators=[FileRequired("Choose a CSV file to import.")],
        render_kw={"accept": ".csv,text/csv,text/plain"},
    )
    create_units = BooleanField("Create missing org units (otherwise an unknown unit is an error)")
    invite = BooleanField("Invite the new people (an e-mail with a link to set a password)")


class ImportConfirmForm(FlaskForm):
    """The previewed file's text and the seal of its preview, posted back to import."""

    text = HiddenField()
    seal = HiddenField()
