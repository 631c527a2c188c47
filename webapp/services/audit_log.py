"""Reading the audit log (the writing side is `services.audit`): the tenant's events newest
first with filters (actor, action, object type, date range), keyset pages, the labels people
read, the details of an event (before and after values), and the rows of the CSV export.

Read-only: nothing here (nor anywhere) changes or deletes an audit event. Every function runs
a constant number of statements whatever the number of events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from webapp.extensions import db
from webapp.models import AuditEvent, User
from webapp.services.reports.csv_export import csv_row

# What each action is called in the log; an action without a label reads as its code name
# ("people.role_changed" -> "People role changed").
ACTION_LABELS = {
    "certificate.issued": "Certificate issued",
    "certificate.revoked": "Certificate revoked",
    "certificate.pdf_rerender": "Certificate PDF rendered again",
    "certificate.extended": "Grace period granted",
    "certificate.expired": "Certificate expired",
    "certificate.pdf_rerender_bulk": "Stale certificate PDFs rendered again",
    "enrolment.bulk": "Enrolled by an admin",
    "enrolment.created": "Enrolled by an admin",
    "enrolment.cancelled": "Enrolment cancelled",
    "enrolment.renewal_opened": "Renewal enrolment opened",
    "requirement.recorded": "Requirement recorded as met by an admin",
    "enrolment.self": "Enrolled themselves",
    "evaluation.regraded": "Quiz attempt regraded",
    "portfolio.published": "Portfolio published",
    "portfolio.unpublished": "Portfolio taken offline",
    "portfolio.visibility_changed": "Portfolio items shown publicly changed",
    "programme.archived": "Programme archived",
    "programme.created": "Programme created",
    "programme.deleted": "Programme deleted",
    "programme.exported": "Programme exported to a file",
    "programme.imported": "Programme imported from a file",
    "programme.published": "Programme published",
    "programme.updated": "Programme edited",
    "quiz.attempts_granted": "Extra quiz attempts granted",
    "quiz.attempts_requested": "Extra quiz attempts asked for",
    "quiz.created": "Quiz created",
    "quiz.details_updated": "Quiz details edited",
    "quiz.published": "Quiz version published",
    "quiz.question_added": "Quiz question added",
    "quiz.question_corrected": "Published quiz key corrected",
    "quiz.question_moved": "Quiz question moved",
    "quiz.question_removed": "Quiz question removed",
    "quiz.question_updated": "Quiz question edited",
    "quiz.regraded": "Regrade finished",
    "quiz.settings_updated": "Quiz settings changed",
    "requirement.added": "Requirement added",
    "requirement.moved": "Requirement moved",
    "requirement.removed": "Requirement removed",
    "requirement.updated": "Requirement edited",
    "review.approved": "Mentor approved",
    "review.rejected": "Mentor rejected",
    "tenant.settings_updated": "Organisation settings changed",
    "tenant.created": "Organisation created by an operator",
    "tenant.suspended": "Organisation suspended by an operator",
    "tenant.reactivated": "Organisation reactivated by an operator",
    "tenant.logo_changed": "Logo changed",
    "tenant.logo_removed": "Logo removed",
    "org_unit.created": "Org unit created",
    "org_unit.renamed": "Org unit renamed",
    "org_unit.moved": "Org unit moved",
    "org_unit.deleted": "Org unit deleted",
    "user.mentor_scope_changed": "Mentor's review unit changed",
    "user.invited": "Invitation sent",
    "user.password_reset": "Password reset with a link",
    "user.password_set": "Password set from an invitation",
    "user.created": "Person added",
    "user.updated": "Person's record edited",
    "user.role_changed": "Role changed",
    "user.deactivated": "Person deactivated",
    "user.reactivated": "Person reactivated",
    "user.deleted": "Person deleted",
    "user.password_reset_requested": "Password reset link asked for",
    "user.password_set_by_operator": "Password set by an operator",
    "users.imported": "People imported from a CSV file",
}
OBJECT_LABELS = {
    "certificate": "Certificate",
    "enrolment": "Enrolment",
    "evaluation": "Quiz attempt",
    "evidence_submission": "Evidence",
    "org_unit": "Org unit",
    "portfolio": "Portfolio",
    "programme": "Programme",
    "quiz": "Quiz",
    "quiz_version": "Quiz version",
    "regrade_batch": "Regrade",
    "requirement": "Requirement",
    "tenant": "Organisation",
    "user": "Person",
}
SYSTEM_ACTOR = "system"  # the actor filter's value for events written by jobs and the system
CSV_HEADER = (
    "when (UTC)",
    "actor",
    "actor e-mail",
    "action",
    "action code",
    "object type",
    "object id",
    "about",
    "summary",
    "details",
)


def _code_words(code: str) -> str:
    return code.replace(".", " ").replace("_", " ").strip().capitalize()


def action_label(action: str) -> str:
    """The words an action is shown with. Pure."""
    return ACTION_LABELS.get(action) or _code_words(action)


def object_label(object_type: str) -> str:
    """The words an object type is shown with. Pure."""
    return OBJECT_LABELS.get(object_type) or _code_words(object_type)


@dataclass(frozen=True)
class AuditFilters:
    """Which events to show; None is "any". `actor` is a user id or SYSTEM_ACTOR; `since` and
    `until` are whole days in UTC, both included."""

    actor: int | str | None = None
    action: str | None = None
    object_type: str | None = None
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _conditions(tenant_id: int, filters: AuditFilters) -> list[sa.ColumnElement[bool]]:
    conditions = [AuditEvent.tenant_id == tenant_id]
    if filters.actor == SYSTEM_ACTOR:
        conditions.append(AuditEvent.actor_id.is_(None))
    elif filters.actor is not None:
        conditions.append(AuditEvent.actor_id == filters.actor)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.object_type:
        conditions.append(AuditEvent.object_type == filters.object_type)
    if filters.since:
        conditions.append(AuditEvent.created_at >= _day_start(filters.since))
    if filters.until:
        conditions.append(AuditEvent.created_at < _day_start(filters.until + timedelta(days=1)))
    return conditions


@dataclass(frozen=True)
class FilterChoices:
    """What the filters offer: the people, actions and object types that occur in the log."""

    actors: list[tuple[int, str]]
    actions: list[tuple[str, str]]
    object_types: list[tuple[str, str]]


def filter_choices(tenant_id: int) -> FilterChoices:
    """The actors (by name), actions and object types of the tenant's events (three
    statements). Reads only."""
    actors = db.session.execute(
        sa.select(User.id, User.full_name, User.email)
        .where(
            User.tenant_id == tenant_id,
            User.id.in_(
                sa.select(AuditEvent.actor_id)
                .where(AuditEvent.tenant_id == tenant_id, AuditEvent.actor_id.is_not(None))
                .distinct()
            ),
        )
        .order_by(User.full_name, User.id)
    ).all()
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.tenant_id == tenant_id).distinct()
    ).all()
    types = db.session.scalars(
        sa.select(AuditEvent.object_type).where(AuditEvent.tenant_id == tenant_id).distinct()
    ).all()
    return FilterChoices(
        actors=[(i, f"{name} ({email})") for i, name, email in actors],
        actions=sorted(((a, action_label(a)) for a in actions), key=lambda pair: pair[1]),
        object_types=sorted(((t, object_label(t)) for t in types), key=lambda pair: pair[1]),
    )


@dataclass(frozen=True)
class EventPage:
    """One keyset page of events, newest first; `newer` / `older` are the cursors (event ids)
    of the neighbouring pages, None at either end."""

    items: list[AuditEvent]
    total: int
    newer: int | None
    older: int | None


def events_page(
    tenant_id: int,
    filters: AuditFilters,
    *,
    per_page: int,
    before: int | None = None,
    after: int | None = None,
) -> EventPage:
    """The events matching `filters`, newest first: the first page, the page of events older
    than event `before`, or the page of those newer than event `after` (keyset on (created_at,
    id): pages stay stable while events are added). Two statements. Reads only."""
    conditions = _conditions(tenant_id, filters)
    total = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(*conditions)) or 0
    statement = sa.select(AuditEvent).where(*conditions)
    cursor = before if before is not None else after
    if cursor is not None:
        at = (
            sa.select(AuditEvent.created_at)
            .where(AuditEvent.id == cursor, AuditEvent.tenant_id == tenant_id)
            .scalar_subquery()
        )
        if before is not None:
            statement = statement.where(
                sa.or_(
                    AuditEvent.created_at < at,
                    sa.and_(AuditEvent.created_at == at, AuditEvent.id < cursor),
                )
            )
        else:
            statement = statement.where(
                sa.or_(
                    AuditEvent.created_at > at,
                    sa.and_(AuditEvent.created_at == at, AuditEvent.id > cursor),
                )
            )
    backwards = before is None and after is not None
    order = (
        (AuditEvent.created_at.asc(), AuditEvent.id.asc())
        if backwards
        else (AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    rows = list(
        db.session.scalars(
            statement.options(joinedload(AuditEvent.actor), joinedload(AuditEvent.subject_user))
            .order_by(*order)
            .limit(per_page + 1)
        )
    )
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = cursor is not None, more
    return EventPage(
        items=rows,
        total=total,
        newer=rows[0].id if rows and has_newer else None,
        older=rows[-1].id if rows and has_older else None,
    )


# --- Details -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detail:
    """One line of an event's details: a value, or (`changed`) a value before and after."""

    name: str
    value: str = ""
    before: str = ""
    after: str = ""
    changed: bool = False


def text_of(value: Any) -> str:
    """A stored detail as text: nothing as "—", yes/no, lists comma-separated, anything else
    nested as JSON. Pure."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def details(data: dict[str, Any] | None) -> list[Detail]:
    """An event's `data` as the lines of a definition list: each value, and for each entry of
    `changes` (see `audit.changes`) its value before and after. Pure."""
    lines = []
    for key, value in sorted((data or {}).items()):
        if key == "changes" and isinstance(value, dict):
            for field, change in sorted(value.items()):
                change = change if isinstance(change, dict) else {"after": change}
                lines.append(
                    Detail(
                        _code_words(field),
                        before=text_of(change.get("before")),
                        after=text_of(change.get("after")),
                        changed=True,
                    )
                )
        else:
            lines.append(Detail(_code_words(key), value=text_of(value)))
    return lines


# --- CSV export ----------------------------------------------------------------------------


ExportCursor = tuple[datetime, int]  # (created_at, id) of the last event exported


def export_chunk(
    tenant_id: int, filters: AuditFilters, *, after: ExportCursor | None = None, size: int = 500
) -> tuple[list[str], ExportCursor | None]:
    """The CSV lines (no header; every cell formula-injection-safe) of the next `size` events
    matching `filters`, newest first, after the event `after` (keyset on (created_at, id)),
    and the cursor of the chunk that follows (None after the last one): an export of any
    length streams chunk by chunk, each in one statement. Reads only."""
    actor, about = aliased(User), aliased(User)
    statement = (
        sa.select(
            AuditEvent.id,
            AuditEvent.created_at,
            actor.full_name,
            actor.email,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            about.full_name,
            AuditEvent.summary,
            AuditEvent.data,
        )
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(about, about.id == AuditEvent.subject_user_id)
        .where(*_conditions(tenant_id, filters))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(size)
    )
    if after is not None:
        at, last_id = after
        statement = statement.where(
            sa.or_(
                AuditEvent.created_at < at,
                sa.and_(AuditEvent.created_at == at, AuditEvent.id < last_id),
            )
        )
    rows = db.session.execute(statement).all()
    lines = [
        csv_row(
            (
                when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                name or "System",
                email or "",
                action_label(action),
                action,
                object_label(object_type),
                object_id,
                subject or "",
                summary,
                "; ".join(
                    f"{d.name}: {d.before} -> {d.after}" if d.changed else f"{d.name}: {d.value}"
                    for d in details(data)
                ),
            )
        )
        for _, when, name, email, action, object_type, object_id, subject, summary, data in rows
    ]
    following = (rows[-1].created_at, rows[-1].id) if len(rows) == size else None
    return lines, following


def csv_header() -> str:
    return csv_row(CSV_HEADER)
