"""The people directory (search, filters, sorting, pages) and the tenant's org unit tree as
people pages show it (indented choices, `Operations/North` paths). Reads only."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from webapp.extensions import db
from webapp.models import OrgUnit, Role, User
from webapp.pagination import Page

PATH_SEPARATOR = "/"
STATUSES = ("active", "inactive")
# Sort keys of the list; "-key" sorts the other way. Ties are broken by name, then id.
SORT_KEYS = ("name", "email", "role", "unit", "last_login", "created")
DEFAULT_SORT = "name"


@dataclass(frozen=True)
class UnitNode:
    """An org unit in the tree: its depth (0 at the top) and its path from the top."""

    id: int
    name: str
    parent_id: int | None
    depth: int
    path: str

    @property
    def label(self) -> str:
        """The unit indented by its depth, for a select (non-breaking spaces survive)."""
        return "\u00a0\u00a0\u00a0" * self.depth + self.name


def unit_tree(tenant_id: int) -> list[UnitNode]:
    """Every org unit of the tenant, depth first, siblings by name (one query)."""
    rows = db.session.execute(
        sa.select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id)
        .where(OrgUnit.tenant_id == tenant_id)
        .order_by(OrgUnit.name, OrgUnit.id)
    ).all()
    children: dict[int | None, list] = {}
    known = {row.id for row in rows}
    for row in rows:
        parent = row.parent_id if row.parent_id in known else None
        children.setdefault(parent, []).append(row)
    nodes: list[UnitNode] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int, prefix: str) -> None:
        for row in children.get(parent, []):
            if row.id in seen:  # a cycle would be a bug elsewhere; never loop on it
                continue
            seen.add(row.id)
            path = f"{prefix}{PATH_SEPARATOR}{row.name}" if prefix else row.name
            nodes.append(UnitNode(row.id, row.name, row.parent_id, depth, path))
            walk(row.id, depth + 1, path)

    walk(None, 0, "")
    return nodes


def unit_choices(tree: list[UnitNode], empty_label: str) -> list[tuple[str | int, str]]:
    """(value, label) pairs for a select of org units, the empty choice first. Pure."""
    return [("", empty_label), *((node.id, node.label) for node in tree)]


def unit_paths(tree: list[UnitNode]) -> dict[int, str]:
    """Unit id -> its path (`Operations/North`). Pure."""
    return {node.id: node.path for node in tree}


def unit_at(tree: list[UnitNode], path: str) -> UnitNode | None:
    """The unit at `path` ("Operations/North", any case and spacing around "/"). Pure."""
    wanted = PATH_SEPARATOR.join(part.strip() for part in path.split(PATH_SEPARATOR)).lower()
    return next((node for node in tree if node.path.lower() == wanted), None)


def subtree_ids(tree: list[UnitNode], unit_id: int) -> set[int]:
    """A unit and every unit below it. Pure."""
    below: dict[int | None, list[int]] = {}
    for node in tree:
        below.setdefault(node.parent_id, []).append(node.id)
    found, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(below.get(current, []))
    return found


def parse_sort(value: str | None) -> tuple[str, bool]:
    """(key, descending) of a sort argument such as "name" or "-last_login". Pure."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.lstrip("-")
    if key not in SORT_KEYS:
        return DEFAULT_SORT, False
    return key, descending


def directory_page(
    tenant_id: int,
    *,
    search: str = "",
    role: Role | None = None,
    unit_ids: set[int] | None = None,
    status: str | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 20,
    args: dict | None = None,
) -> Page:
    """One page of the tenant's people matching the filters (name or e-mail containing
    `search`, a role, org units, active or inactive), sorted; two queries whatever the page
    size (the count and the page, org units joined)."""
    unit = aliased(OrgUnit)
    statement = (
        sa.select(User)
        .outerjoin(unit, User.org_unit_id == unit.id)
        .where(User.tenant_id == tenant_id)
        .options(joinedload(User.org_unit), joinedload(User.mentor_unit))
    )
    if search:
        needle = search.lower()
        statement = statement.where(
            sa.or_(
                sa.func.lower(User.full_name).contains(needle, autoescape=True),
                sa.func.lower(User.email).contains(needle, autoescape=True),
            )
        )
    if role is not None:
        statement = statement.where(User.role == role)
    if unit_ids is not None:
        statement = statement.where(User.org_unit_id.in_(unit_ids or {-1}))
    if status == "active":
        statement = statement.where(User.active.is_(True))
    elif status == "inactive":
        statement = statement.where(User.active.is_(False))
    total = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                statement.with_only_columns(User.id).order_by(None).subquery()
            )
        )
        or 0
    )
    key, descending = parse_sort(sort)
    rank = sa.case({Role.LEARNER: 0, Role.MENTOR: 1, Role.ADMIN: 2}, value=User.role, else_=0)
    column = {
        "name": sa.func.lower(User.full_name),
        "email": User.email,
        "role": rank,
        "unit": sa.func.lower(unit.name),
        "last_login": User.last_login_at,
        "created": User.created_at,
    }[key]
    ordered = column.desc() if descending else column.asc()
    if key in {"unit", "last_login"}:
        ordered = ordered.nulls_last()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = (
        db.session.scalars(
            statement.order_by(ordered, sa.func.lower(User.full_name), User.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .unique()
        .all()
    )
    return Page(items=items, page=page, per_page=per_page, total=total, args=args or {})
