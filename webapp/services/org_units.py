"""Org units: the tenant's tree of departments and sites.

Owns the tree's rules: create (at the top or under a parent), rename, move (never under the
unit itself or a unit inside it) and delete (only when nothing is left in it); names are
unique among siblings, decided by the database's unique constraint on (tenant, parent, name)
for units under a parent and under the tree lock for top-level units (NULL parents are
distinct to the constraint). Every tree write of a tenant takes the tree lock (a row lock on
the tenant, PostgreSQL), so that two concurrent moves cannot build a cycle together.

Also the tree's read models (the nested tree with its counts, a unit's path, choices for
selects), the subtree and ancestors helpers the other services use for org unit scope, and
mentor review scopes set per unit (`User.mentor_unit_id`; peer_validation.scope applies
them). Functions flush, never commit; they raise DomainError subclasses with safe messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from webapp.errors import Conflict, NotAllowed, ValidationFailed
from webapp.extensions import db
from webapp.models import CertificationPath, OrgUnit, Role, Tenant, User
from webapp.services import audit

NAME_MAX = 120
PATH_SEPARATOR = "/"  # between the names of a unit's path, as in "Operations/North"


# --- Tree helpers --------------------------------------------------------------------------


def parents_of(tenant_id: int) -> dict[int, int | None]:
    """Every org unit of the tenant -> its parent (one query)."""
    return dict(
        db.session.execute(
            sa.select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.tenant_id == tenant_id)
        ).all()
    )


def ancestors(parents: dict[int, int | None], unit_id: int | None) -> list[int]:
    """The unit and the units above it, nearest first (pure; safe on a broken tree)."""
    chain: list[int] = []
    while unit_id is not None and unit_id not in chain:
        chain.append(unit_id)
        unit_id = parents.get(unit_id)
    return chain


def subtree(parents: dict[int, int | None], unit_id: int) -> set[int]:
    """The unit and every unit below it (pure)."""
    children: dict[int | None, list[int]] = {}
    for unit, parent in parents.items():
        children.setdefault(parent, []).append(unit)
    found, stack = set(), [unit_id]
    while stack:
        unit = stack.pop()
        if unit not in found:
            found.add(unit)
            stack.extend(children.get(unit, []))
    return found


def unit_scope(user: User) -> set[int]:
    """The org units whose programmes the user sees: their unit and its ancestors."""
    if user.org_unit_id is None:
        return set()
    return set(ancestors(parents_of(user.tenant_id), user.org_unit_id))


def unit_subtree(tenant_id: int, unit_id: int) -> set[int]:
    """An org unit and every unit below it."""
    return subtree(parents_of(tenant_id), unit_id)


# --- Read models ---------------------------------------------------------------------------


@dataclass
class TreeNode:
    """One unit of the tree with what is directly in it."""

    id: int
    name: str
    people: int
    programmes: int
    children: list[TreeNode] = field(default_factory=list)


def _count_in(model, column) -> sa.ScalarSelect:
    return (
        sa.select(sa.func.count(model.id))
        .where(column == OrgUnit.id)
        .correlate(OrgUnit)
        .scalar_subquery()
    )


def tree(tenant_id: int) -> list[TreeNode]:
    """The tenant's units as a tree (top-level units first, siblings by name) with the people
    and programmes directly in each. One query."""
    rows = db.session.execute(
        sa.select(
            OrgUnit.id,
            OrgUnit.parent_id,
            OrgUnit.name,
            _count_in(User, User.org_unit_id),
            _count_in(CertificationPath, CertificationPath.org_unit_id),
        )
        .where(OrgUnit.tenant_id == tenant_id)
        .order_by(OrgUnit.name, OrgUnit.id)
    ).all()
    nodes = {row.id: TreeNode(row.id, row.name, int(row[3]), int(row[4])) for row in rows}
    roots = []
    for row in rows:
        parent = nodes.get(row.parent_id) if row.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[row.id])
    return roots


def _units(tenant_id: int) -> tuple[dict[int, int | None], dict[int, str]]:
    """(unit -> parent, unit -> name) of every unit of the tenant (one query)."""
    parents, names = {}, {}
    for unit, parent, name in db.session.execute(
        sa.select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name).where(OrgUnit.tenant_id == tenant_id)
    ):
        parents[unit], names[unit] = parent, name
    return parents, names


def _labels(parents: dict[int, int | None], names: dict[int, str]) -> dict[int, str]:
    return {
        unit: PATH_SEPARATOR.join(names[a] for a in reversed(ancestors(parents, unit)))
        for unit in names
    }


def unit_labels(tenant_id: int) -> dict[int, str]:
    """Every unit of the tenant -> its path ("Operations/North"). One query."""
    return _labels(*_units(tenant_id))


def unit_choices(tenant_id: int, *, excluding_subtree_of: int | None = None) -> list[tuple]:
    """(id, path) of the tenant's units sorted by path, for selects; without a unit and the
    units inside it when `excluding_subtree_of` is given (where that unit may move). One
    query."""
    parents, names = _units(tenant_id)
    excluded = subtree(parents, excluding_subtree_of) if excluding_subtree_of else set()
    return sorted(
        ((unit, label) for unit, label in _labels(parents, names).items() if unit not in excluded),
        key=lambda pair: (pair[1].casefold(), pair[0]),
    )


def unit_path(unit: OrgUnit) -> list[OrgUnit]:
    """The units above `unit`, top first (for breadcrumbs; one query)."""
    above = ancestors(parents_of(unit.tenant_id), unit.parent_id)
    if not above:
        return []
    found = {
        u.id: u
        for u in db.session.scalars(
            sa.select(OrgUnit).where(OrgUnit.tenant_id == unit.tenant_id, OrgUnit.id.in_(above))
        )
    }
    return [found[a] for a in reversed(above) if a in found]


def children_of(unit: OrgUnit) -> list[OrgUnit]:
    return list(
        db.session.scalars(
            sa.select(OrgUnit)
            .where(OrgUnit.tenant_id == unit.tenant_id, OrgUnit.parent_id == unit.id)
            .order_by(OrgUnit.name, OrgUnit.id)
        )
    )


@dataclass(frozen=True)
class Contents:
    """What is directly in a unit: what keeps it from being deleted."""

    people: int
    programmes: int
    units: int
    mentors: int  # mentors assigned to review this unit's subtree

    @property
    def is_empty(self) -> bool:
        return not (self.people or self.programmes or self.units or self.mentors)

    def lines(self) -> list[str]:
        """What is still in the unit, one line each (empty when nothing is)."""

        def count(n: int, one: str, many: str) -> str:
            return f"{n} {one if n == 1 else many}"

        lines = []
        if self.people:
            lines.append(count(self.people, "person belongs", "people belong") + " to it")
        if self.programmes:
            lines.append(count(self.programmes, "programme is", "programmes are") + " scoped to it")
        if self.units:
            lines.append(count(self.units, "unit is", "units are") + " inside it")
        if self.mentors:
            lines.append(count(self.mentors, "mentor reviews", "mentors review") + " its subtree")
        return lines


def contents(unit: OrgUnit) -> Contents:
    """Counts of the people, programmes, child units and assigned mentors of a unit (one
    query)."""

    def count(model, *conditions) -> sa.ScalarSelect:
        return (
            sa.select(sa.func.count(model.id))
            .where(model.tenant_id == unit.tenant_id, *conditions)
            .scalar_subquery()
        )

    row = db.session.execute(
        sa.select(
            count(User, User.org_unit_id == unit.id),
            count(CertificationPath, CertificationPath.org_unit_id == unit.id),
            count(OrgUnit, OrgUnit.parent_id == unit.id),
            count(User, User.mentor_unit_id == unit.id),
        )
    ).one()
    return Contents(*(int(n or 0) for n in row))


# --- Writes --------------------------------------------------------------------------------


def _lock_tree(tenant_id: int) -> None:
    """Serialise the tree writes of one tenant (a row lock on the tenant; PostgreSQL)."""
    db.session.execute(sa.select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())


def clean_name(name: str | None) -> str:
    """The name as stored: trimmed, inner whitespace collapsed. Raises ValidationFailed."""
    cleaned = " ".join((name or "").split())
    problem = None
    if not cleaned:
        problem = "Give the unit a name."
    elif len(cleaned) > NAME_MAX:
        problem = f"Use at most {NAME_MAX} characters."
    elif PATH_SEPARATOR in cleaned:
        problem = "A name cannot contain “/”: it separates the units of a path (Operations/North)."
    if problem:
        raise ValidationFailed(problem, {"name": [problem]})
    return cleaned


def _name_taken(name: str, parent: OrgUnit | None) -> ValidationFailed:
    where = f"inside “{parent.name}”" if parent is not None else "at the top of the tree"
    message = f"There is already a unit named “{name}” {where}."
    return ValidationFailed(message, {"name": [message]})


def _top_level_name_taken(tenant_id: int, name: str, unit_id: int | None) -> bool:
    # The unique constraint cannot see two top-level units (their NULL parents differ): under
    # the tree lock this check settles it instead.
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    OrgUnit.tenant_id == tenant_id,
                    OrgUnit.parent_id.is_(None),
                    OrgUnit.name == name,
                    OrgUnit.id != (unit_id or -1),
                )
            )
        )
    )


def _place(unit: OrgUnit, name: str, parent: OrgUnit | None) -> None:
    """Give `unit` its name and parent and flush in a savepoint: the unique constraint on
    (tenant, parent, name) refuses a sibling's name as a field error."""
    if parent is None and _top_level_name_taken(unit.tenant_id, name, unit.id):
        raise _name_taken(name, None)
    try:
        with db.session.begin_nested():
            unit.name = name
            unit.parent_id = parent.id if parent is not None else None
            db.session.add(unit)
    except sa.exc.IntegrityError:
        raise _name_taken(name, parent) from None


def _of_tenant(tenant_id: int, unit: OrgUnit | None) -> None:
    if unit is not None and unit.tenant_id != tenant_id:
        raise NotAllowed("This org unit belongs to another organisation.")


def create_unit(
    tenant_id: int, actor: User | None, name: str | None, parent: OrgUnit | None = None
) -> OrgUnit:
    """A new unit at the top of the tree or inside `parent`. Flushes; audited.
    Raises ValidationFailed (name empty, too long, with "/", taken among its siblings),
    NotAllowed (a parent of another tenant)."""
    _of_tenant(tenant_id, parent)
    name = clean_name(name)
    _lock_tree(tenant_id)
    unit = OrgUnit(tenant_id=tenant_id)
    _place(unit, name, parent)
    audit.record(
        tenant_id,
        actor,
        "org_unit.created",
        "org_unit",
        unit.id,
        f"Org unit “{name}” created" + (f" inside “{parent.name}”" if parent else ""),
        name=name,
        parent_id=parent.id if parent else None,
    )
    return unit


def rename_unit(unit: OrgUnit, actor: User | None, name: str | None) -> bool:
    """Rename a unit; returns whether the name changed. Flushes; audited.
    Raises ValidationFailed (as create_unit)."""
    name = clean_name(name)
    if name == unit.name:
        return False
    before = unit.name
    _lock_tree(unit.tenant_id)
    parent = db.session.get(OrgUnit, unit.parent_id) if unit.parent_id is not None else None
    _place(unit, name, parent)
    audit.record(
        unit.tenant_id,
        actor,
        "org_unit.renamed",
        "org_unit",
        unit.id,
        f"Org unit “{before}” renamed “{name}”",
        before={"name": before},
        after={"name": name},
    )
    return True


def move_unit(unit: OrgUnit, actor: User | None, parent: OrgUnit | None) -> bool:
    """Move a unit (with everything inside it) under `parent`, or to the top of the tree when
    None; returns whether it moved. Flushes; audited.
    Raises ValidationFailed (`parent_id`: the unit itself or a unit inside it, which would
    make a cycle; `name`: a unit of that name is already there), NotAllowed (another
    tenant's parent)."""
    _of_tenant(unit.tenant_id, parent)
    new_parent_id = parent.id if parent is not None else None
    if new_parent_id == unit.parent_id:
        return False
    _lock_tree(unit.tenant_id)
    # Read after the lock: a move committed meanwhile is part of the tree checked here.
    parents, names = _units(unit.tenant_id)
    if parent is not None and unit.id in ancestors(parents, parent.id):
        message = (
            f"“{unit.name}” cannot be moved under itself."
            if parent.id == unit.id
            else f"“{unit.name}” cannot be moved under “{parent.name}”, which is inside it."
        )
        raise ValidationFailed(message, {"parent_id": [message]})
    labels = _labels(parents, names)
    before = parents.get(unit.id)
    _place(unit, unit.name, parent)
    after = labels.get(new_parent_id) if new_parent_id is not None else None
    audit.record(
        unit.tenant_id,
        actor,
        "org_unit.moved",
        "org_unit",
        unit.id,
        f"Org unit “{unit.name}” moved "
        + (f"inside “{after}”" if after is not None else "to the top of the tree"),
        before={"parent_id": before, "parent": labels.get(before)},
        after={"parent_id": new_parent_id, "parent": after},
    )
    return True


def delete_unit(unit: OrgUnit, actor: User | None) -> None:
    """Delete an empty unit (no people, programmes, units inside or mentors assigned to it).
    Flushes; audited. Raises Conflict saying what is still in it."""
    # A row lock on the unit: assigning a person, a programme or a child to it meanwhile
    # takes a key-share lock on it (their foreign keys), so the counts below stay true.
    db.session.execute(
        sa.select(OrgUnit.id).where(OrgUnit.id == unit.id).with_for_update()
    ).scalar_one()
    found = contents(unit)
    if not found.is_empty:
        raise Conflict(
            f"“{unit.name}” cannot be deleted while {'; '.join(found.lines())}. "
            "Move them elsewhere first."
        )
    audit.record(
        unit.tenant_id,
        actor,
        "org_unit.deleted",
        "org_unit",
        unit.id,
        f"Org unit “{unit.name}” deleted",
        name=unit.name,
        parent_id=unit.parent_id,
    )
    db.session.delete(unit)
    db.session.flush()


# --- Mentor scopes ---------------------------------------------------------------------------


def assigned_mentors(unit: OrgUnit) -> list[User]:
    """The people assigned to review this unit's subtree, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.tenant_id == unit.tenant_id, User.mentor_unit_id == unit.id)
            .order_by(User.full_name, User.id)
        )
    )


def assignable_mentors(unit: OrgUnit) -> list[User]:
    """Active mentors and admins of the tenant not assigned to this unit yet, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.tenant_id == unit.tenant_id,
                User.active.is_(True),
                User.role.in_([Role.MENTOR, Role.ADMIN]),
                sa.or_(User.mentor_unit_id.is_(None), User.mentor_unit_id != unit.id),
            )
            .order_by(User.full_name, User.id)
        )
    )


def set_mentor_unit(mentor: User, unit: OrgUnit | None, actor: User | None) -> bool:
    """Make `mentor` review `unit`'s subtree, or (None) their own org unit's again (the whole
    organisation when they have none); returns whether it changed. Flushes; audited with the
    mentor as subject. Raises ValidationFailed (`mentor_id`: not a mentor or admin),
    NotAllowed (another tenant's unit)."""
    if unit is not None:
        _of_tenant(mentor.tenant_id, unit)
        if not mentor.has_role(Role.MENTOR):
            message = f"{mentor.full_name} is not a mentor: only mentors and admins review work."
            raise ValidationFailed(message, {"mentor_id": [message]})
    new = unit.id if unit is not None else None
    before = mentor.mentor_unit_id
    if before == new:
        return False
    labels = unit_labels(mentor.tenant_id)
    mentor.mentor_unit_id = new
    db.session.flush()
    after = labels.get(new) if new is not None else None
    audit.record(
        mentor.tenant_id,
        actor,
        "user.mentor_scope_changed",
        "user",
        mentor.id,
        f"{mentor.full_name} reviews "
        + (f"the work in “{after}”" if after else "the work of their own org unit again"),
        subject=mentor,
        before={"mentor_unit_id": before, "mentor_unit": labels.get(before)},
        after={"mentor_unit_id": new, "mentor_unit": after},
    )
    return True
