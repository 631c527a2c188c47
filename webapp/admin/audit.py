"""Admin pages: the audit log of the tenant (read-only: GET routes only, no route changes or
deletes an event), its filters, keyset pages and CSV export; and the Jinja helpers that link an
event's object and person to their admin pages where those pages exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Flask, Response, current_app, render_template, request, url_for
from werkzeug.routing import BuildError
from wtforms import Form, SelectField, StringField

from webapp import htmx
from webapp.access import tenant_id
from webapp.admin.blueprint import bp
from webapp.formtools import choices
from webapp.models import AuditEvent
from webapp.services import audit_log as events

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FRAGMENT = "audit-log"
# Where an object of each type is shown: (endpoint, {rule argument: "object_id" or
# "data:<key>"}); the argument None stands for the rule's only argument, whatever its name.
OBJECT_PAGES: dict[str, tuple[str, dict[str | None, str]]] = {
    "programme": ("admin.programme", {"programme_id": "object_id"}),
    "requirement": ("admin.programme", {"programme_id": "data:programme_id"}),
    "quiz": ("admin.quiz_editor", {"quiz_id": "object_id"}),
    "quiz_version": ("admin.quiz_version", {"quiz_id": "data:quiz_id", "version_id": "object_id"}),
    "certificate": ("admin.certificate", {"certificate_id": "object_id"}),
    "regrade_batch": ("admin.regrade_batch", {"batch_id": "object_id"}),
    "user": ("admin.person", {None: "object_id"}),
    "tenant": ("admin.settings", {}),
}
PERSON_PAGE = "admin.person"


def page_url(endpoint: str, values: dict[str | None, Any]) -> str | None:
    """The URL of an admin page, or None when this installation has no such endpoint (yet)
    or a value is missing. A None key fills the rule's only argument."""
    if endpoint not in current_app.view_functions:
        return None
    if None in values:
        rule = next(current_app.url_map.iter_rules(endpoint))
        if len(rule.arguments) != 1:
            return None
        values = {next(iter(rule.arguments)): values[None]}
    if any(v is None for v in values.values()):
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def object_link(event: AuditEvent) -> tuple[str, str | None]:
    """What the event is about as text ("Programme #4") and the URL of its admin page (None
    when there is none, or the object was deleted)."""
    text = events.object_label(event.object_type)
    if event.object_id is not None and event.object_type != "tenant":
        text += f" #{event.object_id}"
    page = OBJECT_PAGES.get(event.object_type)
    if page is None or event.action.endswith(".deleted"):
        return text, None
    endpoint, spec = page
    data = event.data or {}
    values = {
        argument: event.object_id if source == "object_id" else data.get(source[5:])
        for argument, source in spec.items()
    }
    return text, page_url(endpoint, values)


def person_url(user_id: int | None) -> str | None:
    return page_url(PERSON_PAGE, {None: user_id}) if user_id is not None else None


@bp.context_processor
def audit_helpers() -> dict[str, Any]:
    return {
        "audit_object_link": object_link,
        "audit_person_url": person_url,
        "audit_details": lambda event: events.details(event.data),
        "audit_action_label": events.action_label,
    }


class AuditFilterForm(Form):
    """The log's filters, read from the query string (a GET form: no CSRF token); a field
    with bad input is reported and left out, the others still apply."""

    actor = SelectField("Who", choices=[], validate_choice=False)
    action = SelectField("Action", choices=[], validate_choice=False)
    object_type = SelectField("Subject type", choices=[], validate_choice=False)
    since = StringField("From", render_kw={"type": "date"})
    until = StringField("To", render_kw={"type": "date"})

    def __init__(self, formdata, offered: events.FilterChoices) -> None:
        super().__init__(formdata)
        self.actor.choices = choices(
            [
                ("", "Anyone"),
                (events.SYSTEM_ACTOR, "The system (jobs)"),
                *((str(i), name) for i, name in offered.actors),
            ]
        )
        self.action.choices = choices([("", "Any action"), *offered.actions])
        self.object_type.choices = choices([("", "Any subject"), *offered.object_types])

    def _check_choice(self, field: SelectField, message: str) -> None:
        if field.data and field.data not in {c.value for c in field.choices}:
            field.errors = [*field.errors, message]

    def validate(self, extra_validators=None) -> bool:  # noqa: ARG002
        super().validate()
        self._check_choice(self.actor, "Choose a person from the list.")
        self._check_choice(self.action, "Choose an action from the list.")
        self._check_choice(self.object_type, "Choose a subject type from the list.")
        days = {name: self._day(getattr(self, name)) for name in ("since", "until")}
        if days["since"] and days["until"] and days["until"] < days["since"]:
            self.until.errors = [*self.until.errors, "The end date is before the start date."]
        return not any(f.errors for f in self)

    @staticmethod
    def _day(field: StringField) -> date | None:
        text = (field.data or "").strip()
        if not text:
            return None
        try:
            if not DATE_RE.match(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            field.errors = [
                *field.errors,
                "Enter a date as year-month-day, for example 2026-06-01.",
            ]
            return None

    def _valid(self, name: str) -> str:
        field = getattr(self, name)
        return "" if field.errors else (field.data or "").strip()

    def filters(self) -> events.AuditFilters:
        """The valid filters (a field with errors is left out)."""
        actor = self._valid("actor")
        since, until = self._valid("since"), self._valid("until")
        return events.AuditFilters(
            actor=int(actor) if actor.isdigit() else (actor or None),
            action=self._valid("action") or None,
            object_type=self._valid("object_type") or None,
            since=date.fromisoformat(since) if since else None,
            until=date.fromisoformat(until) if until else None,
        )

    def query_args(self) -> dict[str, str]:
        """The valid filters as they go into page and export links."""
        return {
            name: self._valid(name)
            for name in ("actor", "action", "object_type", "since", "until")
            if self._valid(name)
        }


def _stream(app: Flask, tenant: int, filters: events.AuditFilters) -> Iterator[str]:
    """The export, chunk by chunk while the response is sent: each chunk is read in an app
    context (a database session) of its own, pushed and popped within one step, after the
    request's own context has ended."""
    yield events.csv_header()
    cursor = None
    while True:
        with app.app_context():
            lines, cursor = events.export_chunk(tenant, filters, after=cursor)
        yield from lines
        if cursor is None:
            return


def _form() -> tuple[AuditFilterForm, bool]:
    form = AuditFilterForm(request.args, events.filter_choices(tenant_id()))
    return form, form.validate()


@bp.get("/audit/")
def audit_log():
    form, valid = _form()
    page = events.events_page(
        tenant_id(),
        form.filters(),
        per_page=current_app.config["PAGE_SIZE"],
        before=request.args.get("before", type=int),
        after=request.args.get("after", type=int),
    )
    template = "_audit_log.html" if htmx.is_fragment_request(FRAGMENT) else "audit_log.html"
    return render_template(
        f"admin/audit/{template}", form=form, page=page, args=form.query_args(), valid=valid
    ), (200 if valid else 422)


@bp.get("/audit/export.csv")
def audit_export():
    form, valid = _form()
    if not valid:
        problems = [f"{f.label.text}: {e}" for f in form for e in f.errors]
        return Response(
            "The filters could not be applied; nothing was exported.\n" + "\n".join(problems),
            status=422,
            mimetype="text/plain",
        )
    lines = _stream(current_app._get_current_object(), tenant_id(), form.filters())
    response = Response(lines, mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit-log.csv"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
