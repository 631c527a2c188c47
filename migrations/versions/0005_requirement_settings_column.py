"""path_requirements: the kind-specific settings column is called settings (was metadata)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00

One name for one thing: the column, the model attribute (PathRequirement.settings) and the
snapshot's key are all "settings". The values are not touched. Batch mode renames in place
on PostgreSQL and copies the table on SQLite (env.py switches foreign keys off meanwhile).
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("path_requirements", schema=None) as batch_op:
        batch_op.alter_column("metadata", new_column_name="settings")


def downgrade():
    with op.batch_alter_table("path_requirements", schema=None) as batch_op:
        batch_op.alter_column("settings", new_column_name="metadata")
