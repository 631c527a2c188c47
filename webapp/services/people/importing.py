"""Importing people from a CSV file: a preview (`plan_import`) that writes nothing and says
per line what would happen, then `apply_import`, which plans again from the same text and
applies only what the preview showed (`PlanChanged` when the people or org units changed in
between). People are matched by e-mail, so importing the same file twice changes nothing the
second time ("unchanged"). Rows with errors are skipped; the others are imported.
Functions flush, never commit.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from webapp import clock
from webapp.errors import Conflict, DomainError
from webapp.extensions import db
from webapp.models import OrgUnit, Role, Tenant, User
from webapp.services import audit, org_units
from webapp.services.people import csvfile, directory, rules
from webapp.services.people.editing import PersonFields, create_person, update_person

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
STATUS_LABELS = {CREATE: "New", UPDATE: "Update", UNCHANGED: "Unchanged", ERROR: "Error"}
_CHUNK = 500  # addresses per IN (...) query
PREVIEW_SECONDS = 3600  # how long a preview can be confirmed


@dataclass
class PlannedRow:
    """What importing one line does (status), the values it gives and why it cannot be
    imported (errors)."""

    line: int
    email: str
    full_name: str
    role: Role | None = None
    unit_path: str = ""
    external_id: str | None = None
    status: str = CREATE
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # field -> {"before": ..., "after": ...} for an update
    changes: dict[str, dict] = field(default_factory=dict)
    person: User | None = None
    unit_id: int | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def digest_item(self) -> list:
        return [
            self.line,
            self.status,
            self.email,
            self.person.id if self.person is not None else None,
            self.changes,
            self.unit_path,
        ]


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    delimiter_name: str
    ignored_columns: tuple[str, ...]
    units_to_create: list[str]
    create_units: bool
    invite: bool

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(row.status for row in self.rows)
        return {status: found.get(status, 0) for status in STATUS_LABELS}

    @property
    def to_apply(self) -> int:
        """Rows that change something (new people and updates)."""
        return self.counts[CREATE] + self.counts[UPDATE]

    @property
    def invitations(self) -> int:
        return self.counts[CREATE] if self.invite else 0

    @property
    def digest(self) -> str:
        """A fingerprint of what the plan would do, to tell whether it changed. Pure."""
        material = [
            self.create_units,
            self.invite,
            self.units_to_create,
            [row.digest_item() for row in self.rows],
        ]
        text = json.dumps(material, default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    skipped: int
    invited: int
    units_created: int

    def summary(self) -> str:
        parts = [
            f"{self.created} added",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
        ]
        if self.skipped:
            parts.append(f"{self.skipped} skipped (errors)")
        if self.units_created:
            parts.append(f"{self.units_created} org units created")
        if self.invited:
            parts.append(f"{self.invited} invitations sent")
        return ", ".join(parts)


class PlanChanged(Conflict):
    """The people or org units changed since the preview; `plan` is the new preview."""

    def __init__(self, plan: ImportPlan) -> None:
        super().__init__(
            "Something changed since the preview (someone edited these people or org units). "
            "Check the new preview and confirm again."
        )
        self.plan = plan


class PreviewRefused(DomainError):
    """The confirmation does not match a preview made here for this admin (or is too old)."""

    status_code = 400

    def __init__(self) -> None:
        super().__init__(
            "This preview has expired or does not match the file. Upload the file again to see "
            "a new preview."
        )


class _ClockSigner(TimestampSigner):
    """Timestamps from the injectable clock (tests move it)."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _sealer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="people-import-preview", signer=_ClockSigner
    )


def _text_digest(text: str) -> str:
    return hashlib.sha256(csvfile.normalise(text).encode()).hexdigest()


def seal_preview(plan: ImportPlan, text: str, tenant: Tenant, actor: User | None) -> str:
    """A signed token binding the previewed text, its options and what the preview showed
    to this tenant and admin, so that the confirmation imports exactly that. Pure apart from
    the config."""
    return _sealer().dumps(
        {
            "t": tenant.id,
            "a": actor.id if actor is not None else None,
            "h": _text_digest(text),
            "c": plan.create_units,
            "i": plan.invite,
            "d": plan.digest,
        }
    )


def open_preview(seal: str, text: str, tenant: Tenant, actor: User | None) -> dict:
    """The options and plan digest sealed by `seal_preview` for this very text, tenant and
    admin (`create_units`, `invite`, `expected_digest`). Raises PreviewRefused."""
    try:
        payload = _sealer().loads(seal, max_age=PREVIEW_SECONDS)
    except BadSignature:
        raise PreviewRefused() from None
    expected = {"t": tenant.id, "a": actor.id if actor is not None else None}
    if not isinstance(payload, dict) or any(payload.get(k) != v for k, v in expected.items()):
        raise PreviewRefused()
    if payload.get("h") != _text_digest(text):
        raise PreviewRefused()
    return {
        "create_units": bool(payload.get("c")),
        "invite": bool(payload.get("i")),
        "expected_digest": str(payload.get("d")),
    }


def split_path(path: str) -> list[str]:
    """The unit names of a path such as `Operations / North`, trimmed. Pure."""
    return [part.strip() for part in path.split(directory.PATH_SEPARATOR)]


def _chunks(values: list[str]):
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _owners(emails: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(emails):
        for person in db.session.scalars(
            sa.select(User).where(sa.func.lower(User.email).in_(chunk))
        ):
            found[person.email.lower()] = person
    return found


def _external_ids(tenant_id: int, values: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(values):
        found.update(
            db.session.execute(
                sa.select(User.external_id, User.id).where(
                    User.tenant_id == tenant_id, User.external_id.in_(chunk)
                )
            ).all()
        )
    return found


def plan_import(
    tenant: Tenant,
    actor: User | None,
    text: str,
    *,
    create_units: bool = False,
    invite: bool = False,
) -> ImportPlan:
    """What importing `text` into `tenant` would do, line by line; writes nothing. A unit
    path that does not exist is a row error unless `create_units`. Raises ValidationFailed
    when the file as a whole cannot be read."""
    table = csvfile.read_table(text)
    records = table.records
    owners = _owners(sorted({rules.normalise_email(r.cells["email"]) for r in records}))
    external = _external_ids(
        tenant.id, sorted({r.cells.get("external_id", "") for r in records} - {""})
    )
    tree = directory.unit_tree(tenant.id)
    units = {node.path.lower(): node.id for node in tree}
    paths = directory.unit_paths(tree)
    seen_emails: dict[str, int] = {}
    seen_external: dict[str, int] = {}
    rows = []
    for record in records:
        row = _plan_row(tenant, record, owners, external, units, paths, create_units, seen_emails)
        if row.external_id and not row.errors:
            earlier = seen_external.setdefault(row.external_id, row.line)
            if earlier != row.line:
                row.errors.append(f"The same external id as line {earlier}.")
        rows.append(row)
    _keep_an_admin(tenant, actor, rows)
    for row in rows:
        if row.errors:
            row.status = ERROR
        elif row.person is None:
            row.status = CREATE
        else:
            row.status = UPDATE if row.changes else UNCHANGED
    missing = {
        row.unit_path.lower(): row.unit_path
        for row in rows
        if row.status in {CREATE, UPDATE} and row.unit_path and row.unit_path.lower() not in units
    }
    to_create: dict[str, str] = {}  # lower-case path -> the first spelling met
    for path in missing.values():
        parts = split_path(path)
        for depth in range(1, len(parts) + 1):
            prefix = directory.PATH_SEPARATOR.join(parts[:depth])
            if prefix.lower() not in units:
                to_create.setdefault(prefix.lower(), prefix)
    return ImportPlan(
        rows=rows,
        delimiter_name=table.delimiter_name,
        ignored_columns=table.ignored,
        units_to_create=sorted(to_create.values(), key=lambda p: (p.count("/"), p.lower())),
        create_units=create_units,
        invite=invite,
    )


def _plan_row(
    tenant: Tenant,
    record: csvfile.Record,
    owners: dict[str, User],
    external: dict[str, int],
    units: dict[str, int],
    paths: dict[int, str],
    create_units: bool,
    seen_emails: dict[str, int],
) -> PlannedRow:
    cells = record.cells
    email = rules.normalise_email(cells["email"])
    row = PlannedRow(
        line=record.line,
        email=email,
        full_name=" ".join(cells["full_name"].split()),
        errors=list(record.problems),
    )
    problem = rules.email_problem(email)
    if problem:
        row.errors.append(f"E-mail: {problem}")
    elif seen_emails.setdefault(email, record.line) != record.line:
        row.errors.append(f"The same e-mail address as line {seen_emails[email]}.")
    person = owners.get(email)
    if person is not None and person.tenant_id != tenant.id:
        row.errors.append("Another account already uses this e-mail address.")
        person = None
    elif person is None and not problem and rules.email_taken_problem(email):
        row.errors.append("Another account already uses this e-mail address.")  # an operator
    row.person = person
    problem = rules.name_problem(row.full_name)
    if problem:
        row.errors.append(f"Name: {problem}")
    role_cell = cells.get("role", "")
    row.role = rules.parse_role(role_cell) if role_cell else None
    if role_cell and row.role is None:
        row.errors.append(f"Unknown role “{role_cell}”: use learner, mentor or admin.")
    unit_cell = cells.get("org_unit", "")
    if unit_cell:
        parts = split_path(unit_cell)
        row.unit_path = directory.PATH_SEPARATOR.join(parts)
        if not all(parts) or any(len(p) > 120 for p in parts):
            row.errors.append(
                f"The org unit path “{unit_cell}” is not valid: write unit names from the top "
                "separated by “/”, such as Operations/North."
            )
        elif row.unit_path.lower() in units:
            row.unit_id = units[row.unit_path.lower()]
        elif create_units:
            row.notes.append(f"Creates the org unit {row.unit_path}.")
        else:
            row.errors.append(
                f"There is no org unit “{row.unit_path}”. Correct the path, create the unit, "
                "or tick “create missing org units”."
            )
    external_cell = cells.get("external_id", "")
    if external_cell:
        row.external_id = external_cell
        problem = rules.external_id_problem(external_cell)
        owner_id = external.get(external_cell)
        if problem:
            row.errors.append(f"External id: {problem}")
        elif owner_id is not None and (person is None or owner_id != person.id):
            row.errors.append("Another person of this organisation has this external id.")
    if person is not None:
        _changes(row, person, paths)
    return row


def _changes(row: PlannedRow, person: User, paths: dict[int, str]) -> None:
    """The changes a matched row makes; an empty role, unit or external id cell keeps the
    person's value. A unit still to be created (no id yet) is a change."""
    if row.full_name != person.full_name:
        row.changes["full_name"] = {"before": person.full_name, "after": row.full_name}
    if row.role is not None and row.role is not person.role:
        row.changes["role"] = {"before": person.role.value, "after": row.role.value}
    if row.unit_path and (row.unit_id is None or row.unit_id != person.org_unit_id):
        before = paths.get(person.org_unit_id) if person.org_unit_id else None
        row.changes["org_unit_id"] = {"before": before, "after": row.unit_path}
    if row.external_id and row.external_id != person.external_id:
        row.changes["external_id"] = {"before": person.external_id, "after": row.external_id}
    if row.role is Role.LEARNER and person.mentor_unit_id is not None:
        before = paths.get(person.mentor_unit_id)
        row.changes["mentor_unit_id"] = {"before": before, "after": None}
    if not person.active:
        row.notes.append("Deactivated: stays deactivated.")


def _keep_an_admin(tenant: Tenant, actor: User | None, rows: list[PlannedRow]) -> None:
    """Refuse the rows that would take away the importing admin's own admin role, or leave
    the tenant without an active admin."""
    admins = rules.active_admin_ids(tenant.id)
    demoted = [
        row
        for row in rows
        if not row.errors
        and row.person is not None
        and row.person.id in admins
        and "role" in row.changes
    ]
    for row in demoted:
        if actor is not None and row.person.id == actor.id:
            row.errors.append("You cannot remove your own admin role; another admin can.")
    promoted = {
        row.email
        for row in rows
        if not row.errors and row.role is Role.ADMIN and (row.person is None or row.person.active)
    }
    remaining = admins - {row.person.id for row in demoted if not row.errors}
    if not remaining and not promoted:
        for row in demoted:
            if not row.errors:
                row.errors.append(
                    f"{tenant.name} would have no admin left: keep at least one admin."
                )


def _create_units(tenant: Tenant, paths: list[str]) -> int:
    """Create the units of `paths` (parents listed first), as consequences of the import."""
    units = {node.path.lower(): node.id for node in directory.unit_tree(tenant.id)}
    for path in paths:
        parts = split_path(path)
        parent_id = units.get(directory.PATH_SEPARATOR.join(parts[:-1]).lower())
        parent = db.session.get(OrgUnit, parent_id) if parent_id is not None else None
        units[path.lower()] = org_units.create_unit(tenant.id, None, parts[-1], parent).id
    return len(paths)


def apply_import(
    tenant: Tenant,
    actor: User | None,
    text: str,
    *,
    create_units: bool = False,
    invite: bool = False,
    expected_digest: str | None = None,
) -> ImportResult:
    """Import `text`: plan it again, and when the plan is the one previewed
    (`expected_digest`, if given) create the missing org units (when `create_units`), add the
    new people (invited when `invite`), update the changed ones and skip the rows with errors.
    The import is the admin's audit event (`users.imported`); each person added or changed and
    each unit created is an event of its own without an actor. Raises PlanChanged or
    ValidationFailed. Flushes, never commits."""
    plan = plan_import(tenant, actor, text, create_units=create_units, invite=invite)
    if expected_digest is not None and plan.digest != expected_digest:
        raise PlanChanged(plan)
    # One event is the admin's (`users.imported`); what it does person by person (and the
    # units it creates) are its consequences, audited without an actor, naming who imported.
    done_by = f"a CSV import by {actor.full_name}" if actor is not None else "a CSV import"
    units_created = _create_units(tenant, plan.units_to_create) if create_units else 0
    units = {node.path.lower(): node.id for node in directory.unit_tree(tenant.id)}
    # New and confirmed admins first: a file that hands the admin role on never leaves the
    # tenant without one half way.
    ordered = sorted(plan.rows, key=lambda row: row.role is not Role.ADMIN)
    for row in ordered:
        unit_id = units.get(row.unit_path.lower()) if row.unit_path else None
        if row.status == CREATE:
            fields = PersonFields(
                email=row.email,
                full_name=row.full_name,
                role=row.role or Role.LEARNER,
                org_unit_id=unit_id,
                external_id=row.external_id,
            )
            create_person(tenant, None, fields, invite=invite, via="import", done_by=done_by)
        elif row.status == UPDATE:
            person = row.person
            fields = PersonFields.of(person)
            fields.full_name = row.full_name
            fields.role = row.role or person.role
            fields.org_unit_id = unit_id if row.unit_path else person.org_unit_id
            fields.external_id = row.external_id or person.external_id
            update_person(person, None, fields, via="import", done_by=done_by)
    counts = plan.counts
    result = ImportResult(
        created=counts[CREATE],
        updated=counts[UPDATE],
        unchanged=counts[UNCHANGED],
        skipped=counts[ERROR],
        invited=plan.invitations,
        units_created=units_created,
    )
    audit.record(
        tenant.id,
        actor,
        "users.imported",
        "tenant",
        tenant.id,
        f"People imported from a CSV file: {result.summary()}",
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        skipped=result.skipped,
        invited=result.invited,
        units_created=result.units_created,
        skipped_lines=[row.line for row in plan.rows if row.status == ERROR],
    )
    db.session.flush()
    return result
