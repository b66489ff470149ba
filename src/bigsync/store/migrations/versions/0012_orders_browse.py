"""The orders page: the billing name and email of orders (searched), an index for the
status filter in newest-first order, and one that covers the page's id query. Existing
rows get their billing fields from `raw`.

Revision ID: 0012_orders_browse
Revises: 0009_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_orders_browse"
down_revision = "0011_products_browse"
branch_labels = None
depends_on = None

_SQLITE_FILL = """
UPDATE orders SET
  billing_email = NULLIF(TRIM(COALESCE(json_extract(raw, '$.billing_address.email'), '')), ''),
  billing_name = NULLIF(TRIM(
      TRIM(COALESCE(json_extract(raw, '$.billing_address.first_name'), '')) || ' ' ||
      TRIM(COALESCE(json_extract(raw, '$.billing_address.last_name'), ''))), '')
"""
_POSTGRES_FILL = """
UPDATE orders SET
  billing_email = NULLIF(TRIM(COALESCE(raw->'billing_address'->>'email', '')), ''),
  billing_name = NULLIF(TRIM(
      TRIM(COALESCE(raw->'billing_address'->>'first_name', '')) || ' ' ||
      TRIM(COALESCE(raw->'billing_address'->>'last_name', ''))), '')
"""


def upgrade() -> None:
    op.add_column("orders", sa.Column("billing_name", sa.String(length=255), nullable=True))
    op.add_column("orders", sa.Column("billing_email", sa.String(length=255), nullable=True))
    op.create_index("ix_orders_status", "orders", ["connection_id", "status_id", "id"])
    op.create_index(
        "ix_orders_browse",
        "orders",
        ["connection_id", "id", "status_id", "billing_name", "billing_email"],
    )
    dialect = op.get_bind().dialect.name
    op.execute(sa.text(_POSTGRES_FILL if dialect == "postgresql" else _SQLITE_FILL))


def downgrade() -> None:
    op.drop_index("ix_orders_browse", table_name="orders")
    op.drop_index("ix_orders_status", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("billing_email")
        batch.drop_column("billing_name")
