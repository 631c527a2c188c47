"""Creating a person and changing their record (name, e-mail, role, org unit, mentor scope,
external id), audited with the values before and after. Functions flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from webapp.errors import ValidationFailed
from webapp.extensions import db
from webapp.models import Role, Tenant, User
from webapp.services import account_links, audit
from webapp.services.account_links import LinkPurpose
from webapp.services.people import directory, rules

FIELDS = ("email", "full_name", "role", "org_unit_id", "mentor_unit_id", "external_id")
LABELS = {
    "email": "e-mail",
    "full_name": "name",
    "role": "role",
    "org_unit_id": "org unit",
    "mentor_unit_id": "mentor scope",
    "external_id": "external id",
}
CHECK_FIELDS = "Please correct the highlighted fields."


@dataclass
class PersonFields:
    """A person's editable record, normalised (addresses lower-case, text trimmed)."""

    email: str
    full_name: str
    role: Role
    org_unit_id: int | None = None
    mentor_unit_id: int | None = None
    external_id: str | None = None

    @classmethod
    def of(cls, person: User) -> PersonFields:
        return cls(**{name: getattr(person, name) for name in FIELDS})

    @classmethod
    def clean(
        cls,
        *,
        email: str | None,
        full_name: str | None,
        role: Role | str | None = Role.LEARNER,
        org_unit_id: int | None = None,
        mentor_unit_id: int | None = None,
        external_id: str | None = None,
    ) -> PersonFields:
        parsed = role if isinstance(role, Role) else rules.parse_role(role)
        return cls(
            email=rules.normalise_email(email),
            full_name=" ".join((full_name or "").split()),
            role=parsed or Role.LEARNER,
            org_unit_id=org_unit_id or None,
            mentor_unit_id=mentor_unit_id or None,
            external_id=(external_id or "").strip() or None,
        )


MENTORS_ONLY = (
    "Only mentors and admins review work: give the role mentor, or leave this on their own org "
    "unit."
)


def person_problems(
    tenant_id: int, fields: PersonFields, person: User | None = None
) -> dict[str, list[str]]:
    """Every problem with `fields` for a new person (or for `person`), by field."""
    found = {
        "email": rules.email_problem(fields.email)
        or rules.email_taken_problem(fields.email, person),
        "full_name": rules.name_problem(fields.full_name),
        "external_id": rules.external_id_problem(fields.external_id)
        or rules.external_id_taken_problem(tenant_id, fields.external_id, person),
    }
    for name in ("org_unit_id", "mentor_unit_id"):
        unit_id = getattr(fields, name)
        if unit_id is not None and rules.unit_of_tenant(tenant_id, unit_id) is None:
            found[name] = "Choose an org unit of this organisation."
    if fields.mentor_unit_id is not None and fields.role is Role.LEARNER:
        found["mentor_unit_id"] = found.get("mentor_unit_id") or MENTORS_ONLY
    return {name: [message] for name, message in found.items() if message}


def _paths(tenant_id: int) -> dict[int, str]:
    return directory.unit_paths(directory.unit_tree(tenant_id))


def _values(fields: PersonFields, paths: dict[int, str]) -> dict[str, Any]:
    """The record as the audit log keeps it: roles by name, org units by path. Pure."""
    shown: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(fields, name)
        if name in {"org_unit_id", "mentor_unit_id"}:
            value = paths.get(value) if value is not None else None
        shown[name] = value.value if isinstance(value, Role) else value
    return shown


def create_person(
    tenant: Tenant,
    actor: User | None,
    fields: PersonFields,
    *,
    invite: bool = False,
    via: str = "admin",
    done_by: str | None = None,
) -> User:
    """Add a person to `tenant` without a usable password (they set one through an
    invitation; `invite` sends it at once). One audit event, `user.created` (saying whether
    they were invited); `done_by` names who did it when it is not the event's actor (an
    import's person-by-person consequences have none). Raises ValidationFailed. Flushes,
    never commits."""
    problems = person_problems(tenant.id, fields)
    if problems:
        raise ValidationFailed(CHECK_FIELDS, problems)
    person = User(
        tenant_id=tenant.id,
        tenant=tenant,
        email=fields.email,
        full_name=fields.full_name,
        role=fields.role,
        org_unit_id=fields.org_unit_id,
        mentor_unit_id=fields.mentor_unit_id,
        external_id=fields.external_id,
    )
    person.clear_password()
    db.session.add(person)
    db.session.flush()
    summary = f"{person.full_name} ({person.email}) added as {person.role.value}"
    audit.record(
        tenant.id,
        actor,
        "user.created",
        "user",
        person.id,
        summary + (" and invited" if invite else "") + (f" by {done_by}" if done_by else ""),
        subject=person,
        via=via,
        invited=invite,
        values=_values(fields, _paths(tenant.id)),
    )
    if invite:
        account_links.send_link(person, LinkPurpose.INVITE, actor, audited=False)
    return person


def update_person(
    person: User,
    actor: User | None,
    fields: PersonFields,
    *,
    via: str = "admin",
    done_by: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Change `person`'s record to `fields`; returns the changes (field -> before and after),
    audited as one event: `user.role_changed` when the role changed, else `user.updated`. An
    admin keeps their own admin role and the tenant keeps an active admin; a person who
    becomes a learner stops reviewing (their mentor scope is cleared). A new address makes
    links e-mailed to the old one stop working. Raises ValidationFailed. Flushes, never
    commits."""
    tenant_id = person.tenant_id
    if fields.role is Role.LEARNER and fields.mentor_unit_id == person.mentor_unit_id:
        fields = replace(fields, mentor_unit_id=None)
    problems = person_problems(tenant_id, fields, person)
    if fields.role is not person.role:
        refused = rules.admin_guard_problem(person, actor, role=fields.role)
        if refused:
            problems["role"] = [refused]
    if problems:
        raise ValidationFailed(CHECK_FIELDS, problems)
    paths = _paths(tenant_id)
    changes = audit.changes(_values(PersonFields.of(person), paths), _values(fields, paths))
    if not changes:
        return {}
    for name in FIELDS:
        setattr(person, name, getattr(fields, name))
    words = ", ".join(LABELS[name] for name in FIELDS if name in changes)
    role = changes.get("role")
    summary = (
        f"{person.full_name}: role {role['before']} → {role['after']}"
        if role and len(changes) == 1
        else f"{person.full_name}: {words} changed"
    )
    audit.record(
        tenant_id,
        actor,
        "user.role_changed" if role else "user.updated",
        "user",
        person.id,
        summary + (f" by {done_by}" if done_by else ""),
        subject=person,
        via=via,
        changes=changes,
    )
    db.session.flush()
    return changes


def set_role(person: User, actor: User | None, role: Role, *, via: str = "admin") -> bool:
    """Give `person` another role (see update_person's rules). Returns whether it changed.
    Raises ValidationFailed. Flushes, never commits."""
    fields = PersonFields.of(person)
    fields.role = role
    return bool(update_person(person, actor, fields, via=via))


def check_password(password: str) -> None:
    """Raise ValidationFailed if `password` is too weak to be set. Pure apart from config."""
    problems = account_links.password_problems(password, password)
    if problems:
        raise ValidationFailed(problems["password"][0], problems)


def set_password(person: User, actor: User | None, password: str) -> None:
    """Give `person` a password directly (operators on the command line; people otherwise set
    their own through a link). Ends their sessions; audited. Raises ValidationFailed.
    Flushes, never commits."""
    check_password(password)
    person.set_password(password)
    person.rotate_session_token()
    audit.record(
        person.tenant_id,
        actor,
        "user.password_set_by_operator",
        "user",
        person.id,
        f"Password of {person.full_name} set by an operator",
        subject=person,
    )
    db.session.flush()
