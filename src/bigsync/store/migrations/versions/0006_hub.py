"""The hub: locations, managed items and their history, hub stock, shipping services and
rules, settings, and the shipments the hub recorded (`store.hub_schema`).

Revision ID: 0006_hub
Revises: 0005_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bigsync.store.schema import UtcDateTime

revision = "0006_hub"
down_revision = "0005_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("variant_id", sa.BigInteger(), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("managed", sa.Boolean(), nullable=False),
        sa.Column("managed_since", UtcDateTime(), nullable=True),
        sa.Column("unmanaged_at", UtcDateTime(), nullable=True),
        sa.Column("store_deleted_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_hub_items_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_items")),
        sa.UniqueConstraint("connection_id", "variant_id", name="uq_hub_items_variant"),
    )
    op.create_index("ix_hub_items_sku", "hub_items", ["connection_id", "sku"], unique=False)
    op.create_table(
        "hub_locations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("store_location_id", sa.BigInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_hub_locations_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_locations")),
        sa.UniqueConstraint("connection_id", "code", name="uq_hub_locations_code"),
        sa.UniqueConstraint(
            "connection_id", "store_location_id", name="uq_hub_locations_store_location"
        ),
    )
    op.create_table(
        "hub_shipments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_address_id", sa.BigInteger(), nullable=False),
        sa.Column("tracking_number", sa.String(length=50), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("status_id", sa.Integer(), nullable=True),
        sa.Column("intent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_hub_shipments_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_shipments")),
    )
    op.create_index(
        "ix_hub_shipments_order", "hub_shipments", ["connection_id", "order_id"], unique=False
    )
    op.create_table(
        "shipping_services",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_shipping_services_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_services")),
        sa.UniqueConstraint("connection_id", "code", name="uq_shipping_services_code"),
    )
    op.create_table(
        "hub_item_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_hub_item_events_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["hub_items.id"],
            name=op.f("fk_hub_item_events_item_id_hub_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_item_events")),
    )
    op.create_index("ix_hub_item_events_item", "hub_item_events", ["item_id", "at"], unique=False)
    op.create_table(
        "hub_settings",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("default_service_id", sa.Integer(), nullable=True),
        sa.Column("partial_status_id", sa.Integer(), nullable=True),
        sa.Column("shipped_status_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_hub_settings_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["default_service_id"],
            ["shipping_services.id"],
            name=op.f("fk_hub_settings_default_service_id_shipping_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_hub_settings")),
    )
    op.create_table(
        "hub_stock",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_hub_stock_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["hub_items.id"],
            name=op.f("fk_hub_stock_item_id_hub_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["hub_locations.id"],
            name=op.f("fk_hub_stock_location_id_hub_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "location_id", name=op.f("pk_hub_stock")),
    )
    op.create_table(
        "shipping_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=255), nullable=False),
        sa.Column("pattern_key", sa.String(length=255), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_shipping_rules_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["shipping_services.id"],
            name=op.f("fk_shipping_rules_service_id_shipping_services"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_rules")),
        sa.UniqueConstraint("connection_id", "pattern_key", name="uq_shipping_rules_pattern"),
    )


def downgrade() -> None:
    op.drop_table("shipping_rules")
    op.drop_table("hub_stock")
    op.drop_table("hub_settings")
    op.drop_index("ix_hub_item_events_item", table_name="hub_item_events")
    op.drop_table("hub_item_events")
    op.drop_table("shipping_services")
    op.drop_index("ix_hub_shipments_order", table_name="hub_shipments")
    op.drop_table("hub_shipments")
    op.drop_table("hub_locations")
    op.drop_index("ix_hub_items_sku", table_name="hub_items")
    op.drop_table("hub_items")
