"""Indexes of the Products page: variants in (product id, variant id) order, and the store's
levels of a variant (the page's stock columns and its "stock differs" filter).

Revision ID: 0011_products_browse
Revises: 0009_accounts (written against 0008_webhooks; re-chain at merge)
"""

from __future__ import annotations

from alembic import op

revision = "0011_products_browse"
down_revision = "0010_worker"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_variants_product", table_name="variants")
    op.create_index("ix_variants_product", "variants", ["connection_id", "product_id", "id"])
    op.create_index(
        "ix_inventory_levels_variant",
        "inventory_levels",
        ["connection_id", "variant_id", "location_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_inventory_levels_variant", table_name="inventory_levels")
    op.drop_index("ix_variants_product", table_name="variants")
    op.create_index("ix_variants_product", "variants", ["connection_id", "product_id"])
