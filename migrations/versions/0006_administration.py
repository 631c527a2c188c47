"""administration: tenant status and issuer settings, operators of the installation, people's
external ids and mentor scopes, grace periods, admin-recorded requirements, enrolment
cancellation reasons, and the person an audit event is about

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:21:39

Existing tenants become active with a 30-day grace-period limit.
"""

from alembic import op
import sqlalchemy as sa
from webapp.models import types as mtypes  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "platform_operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_token", sa.String(length=64), nullable=False),
        sa.Column("last_login_at", mtypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", mtypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_operators")),
        sa.UniqueConstraint("email", name=op.f("uq_platform_operators_email")),
    )
    op.create_table(
        "certificate_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("extended_until", mtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", mtypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_extensions_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_certificate_extensions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_certificate_extensions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_extensions")),
    )
    with op.batch_alter_table("certificate_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_extensions_certificate_id"), ["certificate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certificate_extensions_tenant_id"), ["tenant_id"], unique=False
        )

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_audit_events_subject_user_id"), ["subject_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_audit_events_subject_user_id_users"),
            "users",
            ["subject_user_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("program_enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("program_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recorded_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_program_progress_recorded_by_id_users"),
            "users",
            ["recorded_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum("active", "suspended", name="tenantstatus", native_enum=False, length=24),
                nullable=False,
                server_default="active",
            )
        )
        batch_op.add_column(sa.Column("logo_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("signatory_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("signatory_title", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("reply_to", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("renewal_window_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("grace_period_max_days", sa.Integer(), nullable=False, server_default="30")
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("mentor_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("invited_at", mtypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_users_mentor_unit_id"), ["mentor_unit_id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_tenant_id_external_id"), ["tenant_id", "external_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_users_mentor_unit_id_org_units"),
            "org_units",
            ["mentor_unit_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_users_mentor_unit_id_org_units"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_users_tenant_id_external_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_users_mentor_unit_id"))
        batch_op.drop_column("invited_at")
        batch_op.drop_column("mentor_unit_id")
        batch_op.drop_column("external_id")

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("grace_period_max_days")
        batch_op.drop_column("renewal_window_days")
        batch_op.drop_column("reply_to")
        batch_op.drop_column("signatory_title")
        batch_op.drop_column("signatory_name")
        batch_op.drop_column("logo_key")
        batch_op.drop_column("status")

    with op.batch_alter_table("program_progress", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_program_progress_recorded_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("recorded_reason")
        batch_op.drop_column("recorded_by_id")

    with op.batch_alter_table("program_enrolments", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_audit_events_subject_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_audit_events_subject_user_id"))
        batch_op.drop_column("subject_user_id")

    with op.batch_alter_table("certificate_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_extensions_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_certificate_extensions_certificate_id"))

    op.drop_table("certificate_extensions")
    op.drop_table("platform_operators")
