"""org units: top-level names unique per tenant (a partial unique index)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 02:20:00

The (tenant, parent, name) constraint treats NULL parents as all different, so two top-level
units could share a name. Existing clashes keep the first unit's name; the others get " (2)",
" (3)", ... appended before the index is created.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WHERE = sa.text("parent_id IS NULL")


def _rename_clashes(connection) -> None:
    rows = connection.execute(
        sa.text("SELECT id, tenant_id, name FROM org_units WHERE parent_id IS NULL ORDER BY id")
    ).all()
    taken = {(tenant_id, name) for _id, tenant_id, name in rows}
    seen: set[tuple[int, str]] = set()
    for unit_id, tenant_id, name in rows:
        if (tenant_id, name) not in seen:
            seen.add((tenant_id, name))
            continue
        n = 2
        while (tenant_id, f"{name[:110]} ({n})") in taken:
            n += 1
        new_name = f"{name[:110]} ({n})"
        taken.add((tenant_id, new_name))
        seen.add((tenant_id, new_name))
        connection.execute(
            sa.text("UPDATE org_units SET name = :name WHERE id = :id"),
            {"name": new_name, "id": unit_id},
        )


def upgrade():
    _rename_clashes(op.get_bind())
    op.create_index(
        "uq_org_units_top_level_name",
        "org_units",
        ["tenant_id", "name"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade():
    op.drop_index("uq_org_units_top_level_name", table_name="org_units")
