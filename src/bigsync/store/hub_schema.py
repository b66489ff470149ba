"""The hub: what the merchant manages in bigsync, beside the mirror of the store.

    hub_locations      the hub's stock locations (warehouses), each mapped to at most one
                       store inventory location (`store_location_id`, one to one)
    hub_items          managed products: one row per store variant (SKU, product and variant
                       ids). Unmanaging keeps the row (`managed` false); a variant deleted in
                       BigCommerce is flagged (`store_deleted_at`), never dropped
    hub_item_events    the history of an item: managed, unmanaged, SKU renamed in the store,
                       deleted in (or back in) the store, stock set
    hub_stock          hub quantity per item and hub location
    shipping_services  the carrier services the merchant keeps (code, carrier, name)
    shipping_rules     shipping-method patterns (`*` wildcards) linked to a service
    hub_settings       one row per connection: default service, order statuses after a
                       shipment (no row: the defaults of `fulfillment`)
    hub_shipments      every shipment the hub recorded, with the outbox intent that sends it

Every table has `connection_id` (purged with its connection, see `store.purge`).
"""

from __future__ import annotations

import sqlalchemy as sa

from bigsync.store.schema import UtcDateTime, metadata


def _connection_id(*, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "connection_id",
        sa.Integer,
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


hub_locations = sa.Table(
    "hub_locations",
    metadata,
    _id(),
    _connection_id(),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    # The store's inventory location this one writes to (None: not written to the store).
    sa.Column("store_location_id", sa.BigInteger),
    # The location used when none is named (one per connection, kept so by the repository).
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("connection_id", "code", name="uq_hub_locations_code"),
    sa.UniqueConstraint(
        "connection_id", "store_location_id", name="uq_hub_locations_store_location"
    ),
)

hub_items = sa.Table(
    "hub_items",
    metadata,
    _id(),
    _connection_id(),
    sa.Column("product_id", sa.BigInteger, nullable=False),
    sa.Column("variant_id", sa.BigInteger, nullable=False),
    # The SKU as last seen in the mirror (followed by variant id when renamed there).
    sa.Column("sku", sa.String(255)),
    sa.Column("name", sa.String(255)),
    sa.Column("managed", sa.Boolean, nullable=False),
    sa.Column("managed_since", UtcDateTime),
    sa.Column("unmanaged_at", UtcDateTime),
    # Set when the mirror shows the variant deleted in BigCommerce (the row is kept).
    sa.Column("store_deleted_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("connection_id", "variant_id", name="uq_hub_items_variant"),
    sa.Index("ix_hub_items_sku", "connection_id", "sku"),
)

hub_item_events = sa.Table(
    "hub_item_events",
    metadata,
    _id(),
    _connection_id(),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("hub_items.id", ondelete="CASCADE")),
    sa.Column("at", UtcDateTime, nullable=False),
    # managed | unmanaged | sku_renamed | deleted_in_store | back_in_store | stock_set
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("ix_hub_item_events_item", "item_id", "at"),
)

hub_stock = sa.Table(
    "hub_stock",
    metadata,
    _connection_id(),
    sa.Column(
        "item_id",
        sa.Integer,
        sa.ForeignKey("hub_items.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "location_id",
        sa.Integer,
        sa.ForeignKey("hub_locations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

shipping_services = sa.Table(
    "shipping_services",
    metadata,
    _id(),
    _connection_id(),
    sa.Column("code", sa.String(64), nullable=False),
    # An AfterShip courier slug or a BigCommerce shipping provider (`fulfillment.shipping`).
    sa.Column("carrier", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("connection_id", "code", name="uq_shipping_services_code"),
)

shipping_rules = sa.Table(
    "shipping_rules",
    metadata,
    _id(),
    _connection_id(),
    sa.Column("pattern", sa.String(255), nullable=False),  # as the user typed it
    # `fulfillment.shipping_rules.normalise(pattern)`: what rules are compared by.
    sa.Column("pattern_key", sa.String(255), nullable=False),
    sa.Column(
        "service_id",
        sa.Integer,
        sa.ForeignKey("shipping_services.id", ondelete="RESTRICT"),
        nullable=False,
    ),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("connection_id", "pattern_key", name="uq_shipping_rules_pattern"),
)

hub_settings = sa.Table(
    "hub_settings",
    metadata,
    _connection_id(primary_key=True),
    sa.Column(
        "default_service_id",
        sa.Integer,
        sa.ForeignKey("shipping_services.id", ondelete="SET NULL"),
    ),
    # Order status after a shipment that leaves items unshipped / ships the rest (None: keep).
    sa.Column("partial_status_id", sa.Integer),
    sa.Column("shipped_status_id", sa.Integer),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

hub_shipments = sa.Table(
    "hub_shipments",
    metadata,
    _id(),
    _connection_id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("order_address_id", sa.BigInteger, nullable=False),
    sa.Column("tracking_number", sa.String(50), nullable=False),
    sa.Column("carrier", sa.String(64), nullable=False),
    sa.Column("service_code", sa.String(64)),
    # [{"order_product_id": .., "quantity": ..}, ...]
    sa.Column("items", sa.JSON, nullable=False),
    sa.Column("status_id", sa.Integer),
    sa.Column("intent_id", sa.Integer),  # the outbox row that sends it
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Index("ix_hub_shipments_order", "connection_id", "order_id"),
)

HUB_TABLES: tuple[sa.Table, ...] = (
    hub_locations,
    hub_items,
    hub_item_events,
    hub_stock,
    shipping_services,
    shipping_rules,
    hub_settings,
    hub_shipments,
)
"""Every hub table."""
