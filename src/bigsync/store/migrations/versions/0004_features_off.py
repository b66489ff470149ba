"""Features the user turned off explicitly, so that a test does not turn them on again.

Revision ID: 0004
Revises: 0003_connection_name_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003_connection_name_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("connections", sa.Column("features_off", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("features_off")
