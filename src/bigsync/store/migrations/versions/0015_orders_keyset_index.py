"""The orders' keyset walk (`mirror_repository.orders_after`, the transactions stream) reads
one index: (connection_id, date_modified, id, date_created) replaces ix_orders_modified.

The walk orders by (date_modified, id) and filters on date_created; with every column it
reads in the index, it neither sorts nor visits the table.

Revision ID: 0015_orders_keyset_index
Revises: 0014_outbox_open
"""

from __future__ import annotations

from alembic import op

revision = "0015_orders_keyset_index"
down_revision = "0014_outbox_open"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_orders_keyset", "orders", ["connection_id", "date_modified", "id", "date_created"]
    )
    op.drop_index("ix_orders_modified", table_name="orders")


def downgrade() -> None:
    op.create_index("ix_orders_modified", "orders", ["connection_id", "date_modified"])
    op.drop_index("ix_orders_keyset", table_name="orders")
