"""per-tenant certificate numbers and prefix, unique programme names, stored PDF base URL,
extra quiz attempts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:00:00

Existing certificate numbers stay as they are; each tenant's counter for a year starts after
the highest serial that tenant already holds in that year. Programmes of one tenant that
share a name keep the first name; the others get their slug appended.
"""

import sqlalchemy as sa
from alembic import op

from webapp.models import types as mtypes

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _serials(connection) -> dict[tuple[int, int], int]:
    """Highest serial per (tenant, year) among existing numbers PREFIX-YYYY-NNNNN."""
    highest: dict[tuple[int, int], int] = {}
    rows = connection.execute(sa.text("SELECT tenant_id, number FROM certificates"))
    for tenant_id, number in rows:
        parts = str(number).rsplit("-", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            key = (tenant_id, int(parts[1]))
            highest[key] = max(highest.get(key, 0), int(parts[2]))
    return highest


def _rename_duplicate_names(connection) -> None:
    rows = connection.execute(
        sa.text("SELECT id, tenant_id, name, slug FROM certification_paths ORDER BY id")
    ).all()
    seen: set[tuple[int, str]] = set()
    for path_id, tenant_id, name, slug in rows:
        if (tenant_id, name) in seen:
            new_name = f"{name[: 160 - len(slug) - 3]} ({slug})"
            connection.execute(
                sa.text("UPDATE certification_paths SET name = :name WHERE id = :id"),
                {"name": new_name, "id": path_id},
            )
            name = new_name
        seen.add((tenant_id, name))


def upgrade():
    connection = op.get_bind()
    serials = _serials(connection)
    op.drop_table("certificate_counters")
    counters = op.create_table(
        "certificate_counters",
        sa.Column("tenant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_certificate_counters_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "year", name=op.f("pk_certificate_counters")),
    )
    if serials:
        op.bulk_insert(
            counters,
            [
                {"tenant_id": tenant_id, "year": year, "last_number": last}
                for (tenant_id, year), last in sorted(serials.items())
            ],
        )

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_prefix", sa.String(length=16), nullable=True))

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdf_base_url", sa.String(length=255), nullable=True))
        batch_op.drop_constraint("uq_certificates_number", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_certificates_tenant_id_number"), ["tenant_id", "number"]
        )

    _rename_duplicate_names(connection)
    with op.batch_alter_table("certification_paths", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_certification_paths_tenant_id_name"), ["tenant_id", "name"]
        )

    op.create_table(
        "attempt_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("extra_attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", mtypes.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "extra_attempts BETWEEN 1 AND 20", name=op.f("ck_attempt_grants_extra_range")
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["program_enrolments.id"],
            name=op.f("fk_attempt_grants_enrolment_id_program_enrolments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["users.id"],
            name=op.f("fk_attempt_grants_granted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["path_requirements.id"],
            name=op.f("fk_attempt_grants_requirement_id_path_requirements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_attempt_grants_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_attempt_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt_grants")),
    )
    with op.batch_alter_table("attempt_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attempt_grants_enrolment_id"), ["enrolment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attempt_grants_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attempt_grants_user_id"), ["user_id"], unique=False)


def downgrade():
    op.drop_table("attempt_grants")
    with op.batch_alter_table("certification_paths", schema=None) as batch_op:
        batch_op.drop_constraint("uq_certification_paths_tenant_id_name", type_="unique")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_constraint("uq_certificates_tenant_id_number", type_="unique")
        batch_op.create_unique_constraint("uq_certificates_number", ["number"])
        batch_op.drop_column("pdf_base_url")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("certificate_prefix")
    connection = op.get_bind()
    highest = connection.execute(
        sa.text("SELECT year, MAX(last_number) FROM certificate_counters GROUP BY year")
    ).all()
    op.drop_table("certificate_counters")
    counters = op.create_table(
        "certificate_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_certificate_counters")),
    )
    if highest:
        op.bulk_insert(counters, [{"year": y, "last_number": n} for y, n in highest])
