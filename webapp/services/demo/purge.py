"""Deleting the demo tenants with every row and stored file they own (never another
tenant)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from webapp.errors import Conflict
from webapp.extensions import db
from webapp.models import (
    Base,
    Certificate,
    CertificationPath,
    EvidenceFile,
    PortfolioItem,
    Tenant,
    User,
)
from webapp.services.demo.content import DEMO_TENANTS
from webapp.storage import get_storage


def purge_demo_tenants() -> tuple[int, list[str]]:
    """Delete the demo tenants (slugs in DEMO_TENANTS, never another) with every row they own:
    tables in reverse dependency order, by `tenant_id` or, for link tables without one, by the
    tenant rows they link; self-references are cleared first. Returns how many tenants were
    deleted and the storage keys of their files. Raises Conflict, deleting nothing, when a
    tenant with a demo slug has users outside its demo domain (`@<slug>.test`): that is not
    the demo. Flushes (executes), never commits."""
    tenants = dict(
        db.session.execute(
            sa.select(Tenant.id, Tenant.slug).where(Tenant.slug.in_(list(DEMO_TENANTS)))
        ).all()
    )
    if not tenants:
        return 0, []
    for tenant_id, slug in tenants.items():
        stranger = db.session.scalar(
            sa.select(User.email)
            .where(User.tenant_id == tenant_id, ~User.email.endswith(f"@{slug}.test"))
            .limit(1)
        )
        if stranger is not None:
            raise Conflict(
                f"The tenant “{slug}” has users who are not demo users ({stranger}): it is not "
                "the demo, so seed-demo leaves it alone. Use another database for the demo."
            )
    tenant_ids = list(tenants)
    db.session.flush()
    files = _stored_files(tenant_ids)
    # Forget the loaded objects of these tenants: SQLite may hand their ids to new rows.
    doomed = [
        obj
        for obj in list(db.session.identity_map.values())
        if (isinstance(obj, Tenant) and obj.id in tenant_ids)
        or getattr(obj, "tenant_id", None) in tenant_ids
    ]
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t is not Tenant.__table__]
    for table in tables:
        owned = _owned_rows(table, tenant_ids)
        for fk in table.foreign_keys:
            if owned is not None and fk.column.table is table and fk.parent.nullable:
                db.session.execute(
                    sa.update(table)
                    .where(owned, fk.parent.is_not(None))
                    .values({fk.parent.name: None})
                )
    for table in tables:
        owned = _owned_rows(table, tenant_ids)
        if owned is not None:
            db.session.execute(sa.delete(table).where(owned))
    db.session.execute(sa.delete(Tenant.__table__).where(Tenant.__table__.c.id.in_(tenant_ids)))
    for obj in doomed:
        db.session.expunge(obj)
    return len(tenant_ids), files


def _owned_rows(table: sa.Table, tenant_ids: list[int]) -> sa.ColumnElement[bool] | None:
    """SQL: the rows of `table` that belong to the tenants (None: the table holds none)."""
    if "tenant_id" in table.c:
        return table.c.tenant_id.in_(tenant_ids)
    links = [
        fk.parent.in_(sa.select(fk.column).where(fk.column.table.c.tenant_id.in_(tenant_ids)))
        for fk in table.foreign_keys
        if "tenant_id" in fk.column.table.c
    ]
    return sa.or_(*links) if links else None


def _stored_files(tenant_ids: list[int]) -> list[str]:
    columns = (
        EvidenceFile.storage_key,
        Certificate.pdf_key,
        CertificationPath.badge_image_key,
        PortfolioItem.file_key,
    )
    keys: list[str] = []
    for column in columns:
        keys.extend(
            db.session.scalars(
                sa.select(column).where(
                    column.class_.tenant_id.in_(tenant_ids), column.is_not(None)
                )
            )
        )
    return keys


def delete_files(keys: Iterable[str]) -> int:
    """Delete stored files of a purged demo (call after the commit). Returns how many keys."""
    storage = get_storage()
    count = 0
    for key in keys:
        try:
            storage.delete(key)
        except ValueError:
            continue  # not a storage key: nothing of ours to delete
        count += 1
    return count
