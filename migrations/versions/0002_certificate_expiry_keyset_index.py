"""certificates: (status, expires_at, id) index for the expiry job's keyset batches

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:45:00

"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_status_expires_at")
        batch_op.create_index(
            "ix_certificates_status_expires_at_id", ["status", "expires_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_status_expires_at_id")
        batch_op.create_index(
            "ix_certificates_status_expires_at", ["status", "expires_at"], unique=False
        )
