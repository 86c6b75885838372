"""tokens bound to the services they may report usage for; proposals by author

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("services", sa.Text(), nullable=False, server_default="[]"))
    # The per-author quota counts an author's open proposals in every new one.
    op.create_index("ix_proposals_author_status", "proposals", ["author", "status"])


def downgrade() -> None:
    op.drop_index("ix_proposals_author_status", table_name="proposals")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("services")
