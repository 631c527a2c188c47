"""outbox e-mails: an HTML part beside the text body

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

E-mails written before this revision have no HTML part (NULL) and are sent as text only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_body", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_column("html_body")
