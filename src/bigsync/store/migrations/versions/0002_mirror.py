"""The mirror: one table per mirrored resource, sync state, runs and locks.

Revision ID: 0002_mirror
Revises: 0001_connections
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from bigsync.store.schema import UtcDateTime

revision = "0002_mirror"
down_revision = "0001_connections"
branch_labels = None
depends_on = None

# Spelled out here (not imported from the models) so this revision never changes.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MONEY = sa.Numeric(precision=20, scale=4, asdecimal=False)


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_brands_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_brands")),
    )
    op.create_table(
        "categories",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_visible", sa.Boolean(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_categories_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_categories")),
    )
    op.create_table(
        "channels",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_channels_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_channels")),
    )
    op.create_table(
        "customer_groups",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_customer_groups_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_customer_groups")),
    )
    op.create_table(
        "customers",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("customer_group_id", sa.BigInteger(), nullable=True),
        sa.Column("date_created", UtcDateTime(), nullable=True),
        sa.Column("date_modified", UtcDateTime(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_customers_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_customers")),
    )
    op.create_index("ix_customers_email", "customers", ["connection_id", "email"], unique=False)
    op.create_index(
        "ix_customers_modified", "customers", ["connection_id", "date_modified"], unique=False
    )

    op.create_table(
        "inventory_levels",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("product_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("variant_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("available_to_sell", sa.Integer(), nullable=True),
        sa.Column("total_inventory_onhand", sa.Integer(), nullable=True),
        sa.Column("safety_stock", sa.Integer(), nullable=True),
        sa.Column("is_in_stock", sa.Boolean(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_inventory_levels_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id",
            "location_id",
            "product_id",
            "variant_id",
            name=op.f("pk_inventory_levels"),
        ),
    )
    op.create_table(
        "locations",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("label", sa.String(length=255), nullable=True),
        sa.Column("type_id", sa.String(length=32), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_locations_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_locations")),
    )
    op.create_table(
        "order_products",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=True),
        sa.Column("variant_id", sa.BigInteger(), nullable=True),
        sa.Column("order_address_id", sa.BigInteger(), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("quantity_shipped", sa.Integer(), nullable=True),
        sa.Column("total_inc_tax", MONEY, nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_order_products_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_order_products")),
    )
    op.create_index(
        "ix_order_products_order", "order_products", ["connection_id", "order_id"], unique=False
    )

    op.create_table(
        "order_shipping_addresses",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("country_iso2", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("zip", sa.String(length=32), nullable=True),
        sa.Column("shipping_method", sa.String(length=255), nullable=True),
        sa.Column("shipping_zone_id", sa.BigInteger(), nullable=True),
        sa.Column("items_total", sa.Integer(), nullable=True),
        sa.Column("items_shipped", sa.Integer(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_order_shipping_addresses_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_order_shipping_addresses")),
    )
    op.create_index(
        "ix_order_shipping_addresses_order",
        "order_shipping_addresses",
        ["connection_id", "order_id"],
        unique=False,
    )

    op.create_table(
        "order_statuses",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("custom_label", sa.String(length=255), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_order_statuses_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_order_statuses")),
    )
    op.create_table(
        "orders",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("status_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=100), nullable=True),
        sa.Column("payment_status", sa.String(length=50), nullable=True),
        sa.Column("total_inc_tax", MONEY, nullable=True),
        sa.Column("currency_code", sa.String(length=8), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("items_total", sa.Integer(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("date_created", UtcDateTime(), nullable=True),
        sa.Column("date_modified", UtcDateTime(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_orders_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_orders")),
    )
    op.create_index("ix_orders_customer", "orders", ["connection_id", "customer_id"], unique=False)
    op.create_index(
        "ix_orders_modified", "orders", ["connection_id", "date_modified"], unique=False
    )

    op.create_table(
        "products",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=True),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("is_visible", sa.Boolean(), nullable=True),
        sa.Column("brand_id", sa.BigInteger(), nullable=True),
        sa.Column("inventory_level", sa.Integer(), nullable=True),
        sa.Column("inventory_tracking", sa.String(length=20), nullable=True),
        sa.Column("date_created", UtcDateTime(), nullable=True),
        sa.Column("date_modified", UtcDateTime(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_products_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_products")),
    )
    op.create_index(
        "ix_products_modified", "products", ["connection_id", "date_modified"], unique=False
    )
    op.create_index("ix_products_sku", "products", ["connection_id", "sku"], unique=False)

    op.create_table(
        "shipping_methods",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_shipping_methods_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_shipping_methods")),
    )
    op.create_index(
        "ix_shipping_methods_zone", "shipping_methods", ["connection_id", "zone_id"], unique=False
    )

    op.create_table(
        "shipping_zones",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_shipping_zones_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_shipping_zones")),
    )
    op.create_table(
        "store_info",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("store_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("plan_name", sa.String(length=100), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_store_info_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_store_info")),
    )
    op.create_table(
        "sync_locks",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("acquired_at", UtcDateTime(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_locks_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_sync_locks")),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("streams", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("records", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("requests", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_runs_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index(
        "ix_sync_runs_connection", "sync_runs", ["connection_id", "started_at"], unique=False
    )

    op.create_table(
        "sync_state",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", UtcDateTime(), nullable=True),
        sa.Column("checkpoint", sa.JSON(), nullable=True),
        sa.Column("records_total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_run_records", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_started_at", UtcDateTime(), nullable=True),
        sa.Column("last_success_at", UtcDateTime(), nullable=True),
        sa.Column("last_scan_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_sync_state_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "stream", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "transactions",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=True),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=True),
        sa.Column("gateway", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("date_created", UtcDateTime(), nullable=True),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_transactions_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_transactions")),
    )
    op.create_index(
        "ix_transactions_order", "transactions", ["connection_id", "order_id"], unique=False
    )

    op.create_table(
        "variants",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("calculated_price", MONEY, nullable=True),
        sa.Column("inventory_level", sa.Integer(), nullable=True),
        sa.Column("purchasing_disabled", sa.Boolean(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("raw", JSON_DOCUMENT, nullable=False),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_variants_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "id", name=op.f("pk_variants")),
    )
    op.create_index(
        "ix_variants_product", "variants", ["connection_id", "product_id"], unique=False
    )
    op.create_index("ix_variants_sku", "variants", ["connection_id", "sku"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_variants_sku", table_name="variants")
    op.drop_index("ix_variants_product", table_name="variants")

    op.drop_table("variants")
    op.drop_index("ix_transactions_order", table_name="transactions")

    op.drop_table("transactions")
    op.drop_table("sync_state")
    op.drop_index("ix_sync_runs_connection", table_name="sync_runs")

    op.drop_table("sync_runs")
    op.drop_table("sync_locks")
    op.drop_table("store_info")
    op.drop_table("shipping_zones")
    op.drop_index("ix_shipping_methods_zone", table_name="shipping_methods")

    op.drop_table("shipping_methods")
    op.drop_index("ix_products_sku", table_name="products")
    op.drop_index("ix_products_modified", table_name="products")

    op.drop_table("products")
    op.drop_index("ix_orders_modified", table_name="orders")
    op.drop_index("ix_orders_customer", table_name="orders")

    op.drop_table("orders")
    op.drop_table("order_statuses")
    op.drop_index("ix_order_shipping_addresses_order", table_name="order_shipping_addresses")

    op.drop_table("order_shipping_addresses")
    op.drop_index("ix_order_products_order", table_name="order_products")

    op.drop_table("order_products")
    op.drop_table("locations")
    op.drop_table("inventory_levels")
    op.drop_index("ix_customers_modified", table_name="customers")
    op.drop_index("ix_customers_email", table_name="customers")

    op.drop_table("customers")
    op.drop_table("customer_groups")
    op.drop_table("channels")
    op.drop_table("categories")
    op.drop_table("brands")
