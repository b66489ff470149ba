"""The mirror: one table per BigCommerce resource, plus the sync engine's own state.

This is bigsync's public, documented schema: users query these tables directly.

Every mirrored row belongs to one connection (`connection_id` → `connections.id`) and is
keyed by `(connection_id, id)` (or by its natural key where the API has no id). Fields
people filter and join on have typed columns; `raw` holds the whole API document, so
nothing BigCommerce returned is lost. `synced_at` is when bigsync last wrote the row.

Shapes of `raw`: what the endpoint returned, except that `products.raw` has no `variants`
(they are rows of `variants`) and `orders.raw` no `consignments` (their line items are rows
of `order_products`, their shipping consignments rows of `order_shipping_addresses`, whose
`raw` is the consignment's shape plus `order_id`). `inventory_levels.raw` is one location
entry of `/v3/inventory/items` plus the item's `identity`.

Deletes: products, variants, categories, brands and customers are soft-deleted
(`deleted_at` set, row kept) when bigsync learns they are gone. Archived orders stay, with
`is_deleted` true, as BigCommerce keeps them. Other tables are replaced by each full scan.

Engine state: `sync_state` (one row per connection and stream: cursor, checkpoint, counts,
last error), `sync_runs` (history) and `sync_locks` (a lease row per connection that
keeps two syncs of the same store from running at once, across processes).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from bigsync.store.schema import UtcDateTime, metadata

JsonDocument = sa.JSON().with_variant(JSONB(), "postgresql")
Money = sa.Numeric(20, 4, asdecimal=False)


def _connection_id() -> sa.Column[int]:
    return sa.Column(
        "connection_id",
        sa.Integer,
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        primary_key=True,
    )


def _mirror_table(
    name: str,
    *columns: sa.schema.SchemaItem,
    key: tuple[str, ...] = ("id",),
    soft_delete: bool = False,
) -> sa.Table:
    """A mirrored resource: connection, key columns (primary keys, given first in `columns`),
    typed columns, the raw document, `synced_at`, and `deleted_at` when deletes are soft."""
    tail: list[sa.schema.SchemaItem] = [
        sa.Column("raw", JsonDocument, nullable=False),
        sa.Column("synced_at", UtcDateTime, nullable=False),
    ]
    if soft_delete:
        tail.append(sa.Column("deleted_at", UtcDateTime))
    return sa.Table(name, metadata, _connection_id(), *columns, *tail, info={"key": key})


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False)


store_info = sa.Table(
    "store_info",
    metadata,
    _connection_id(),
    sa.Column("store_hash", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255)),
    sa.Column("domain", sa.String(255)),
    sa.Column("currency", sa.String(8)),
    sa.Column("plan_name", sa.String(100)),
    sa.Column("raw", JsonDocument, nullable=False),
    sa.Column("synced_at", UtcDateTime, nullable=False),
    info={"key": ()},
)

products = _mirror_table(
    "products",
    _id(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("sku", sa.String(255)),
    sa.Column("type", sa.String(20)),
    sa.Column("price", Money),
    sa.Column("is_visible", sa.Boolean),
    sa.Column("brand_id", sa.BigInteger),
    sa.Column("inventory_level", sa.Integer),
    sa.Column("inventory_tracking", sa.String(20)),
    sa.Column("date_created", UtcDateTime),
    sa.Column("date_modified", UtcDateTime),
    sa.Index("ix_products_modified", "connection_id", "date_modified"),
    sa.Index("ix_products_sku", "connection_id", "sku"),
    soft_delete=True,
)

variants = _mirror_table(
    "variants",
    _id(),
    sa.Column("product_id", sa.BigInteger, nullable=False),
    sa.Column("sku", sa.String(255)),
    sa.Column("price", Money),
    sa.Column("calculated_price", Money),
    sa.Column("inventory_level", sa.Integer),
    sa.Column("purchasing_disabled", sa.Boolean),
    # Hash of `raw`: the periodic variant scan rewrites only rows whose content changed.
    sa.Column("content_hash", sa.String(32), nullable=False),
    # Also the Products page's keyset order (product id, variant id).
    sa.Index("ix_variants_product", "connection_id", "product_id", "id"),
    sa.Index("ix_variants_sku", "connection_id", "sku"),
    soft_delete=True,
)

categories = _mirror_table(
    "categories",
    _id(),
    sa.Column("parent_id", sa.BigInteger),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("is_visible", sa.Boolean),
    sa.Column("sort_order", sa.Integer),
    soft_delete=True,
)

brands = _mirror_table(
    "brands",
    _id(),
    sa.Column("name", sa.String(255), nullable=False),
    soft_delete=True,
)

locations = _mirror_table(
    "locations",
    _id(),
    sa.Column("code", sa.String(255)),
    sa.Column("label", sa.String(255)),
    sa.Column("type_id", sa.String(32)),
    sa.Column("enabled", sa.Boolean),
)

inventory_levels = _mirror_table(
    "inventory_levels",
    sa.Column("location_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("product_id", sa.BigInteger, primary_key=True, autoincrement=False),
    # The variant of the item; 0 for a product-level item without a base variant.
    sa.Column("variant_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("sku", sa.String(255)),
    sa.Column("available_to_sell", sa.Integer),
    sa.Column("total_inventory_onhand", sa.Integer),
    sa.Column("safety_stock", sa.Integer),
    sa.Column("is_in_stock", sa.Boolean),
    sa.Index("ix_inventory_levels_variant", "connection_id", "variant_id", "location_id"),
    key=("location_id", "product_id", "variant_id"),
)

orders = _mirror_table(
    "orders",
    _id(),
    sa.Column("customer_id", sa.BigInteger),
    sa.Column("status_id", sa.Integer, nullable=False),
    sa.Column("status", sa.String(100)),
    sa.Column("payment_status", sa.String(50)),
    sa.Column("total_inc_tax", Money),
    sa.Column("currency_code", sa.String(8)),
    sa.Column("channel_id", sa.BigInteger),
    sa.Column("items_total", sa.Integer),
    sa.Column("is_deleted", sa.Boolean, nullable=False),
    sa.Column("date_created", UtcDateTime),
    sa.Column("date_modified", UtcDateTime),
    # The billing address's name ("first last") and email: what the orders page searches.
    sa.Column("billing_name", sa.String(255)),
    sa.Column("billing_email", sa.String(255)),
    # The transactions stream's keyset walk (`orders_after`) reads this index alone.
    sa.Index("ix_orders_keyset", "connection_id", "date_modified", "id", "date_created"),
    sa.Index("ix_orders_customer", "connection_id", "customer_id"),
    sa.Index("ix_orders_status", "connection_id", "status_id", "id"),
    # Covers the orders page's id query (newest first, search, status).
    sa.Index(
        "ix_orders_browse", "connection_id", "id", "status_id", "billing_name", "billing_email"
    ),
)

order_products = _mirror_table(
    "order_products",
    _id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("product_id", sa.BigInteger),
    sa.Column("variant_id", sa.BigInteger),
    sa.Column("order_address_id", sa.BigInteger),
    sa.Column("sku", sa.String(255)),
    sa.Column("name", sa.String(255)),
    sa.Column("quantity", sa.Integer),
    sa.Column("quantity_shipped", sa.Integer),
    sa.Column("total_inc_tax", Money),
    sa.Index("ix_order_products_order", "connection_id", "order_id"),
)

order_shipping_addresses = _mirror_table(
    "order_shipping_addresses",
    _id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("country_iso2", sa.String(2)),
    sa.Column("city", sa.String(255)),
    sa.Column("zip", sa.String(32)),
    sa.Column("shipping_method", sa.String(255)),
    sa.Column("shipping_zone_id", sa.BigInteger),
    sa.Column("items_total", sa.Integer),
    sa.Column("items_shipped", sa.Integer),
    sa.Index("ix_order_shipping_addresses_order", "connection_id", "order_id"),
)

order_statuses = _mirror_table(
    "order_statuses",
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("custom_label", sa.String(255)),
)

transactions = _mirror_table(
    "transactions",
    _id(),
    sa.Column("order_id", sa.BigInteger, nullable=False),
    sa.Column("event", sa.String(32)),
    sa.Column("method", sa.String(32)),
    sa.Column("amount", Money),
    sa.Column("currency", sa.String(8)),
    sa.Column("gateway", sa.String(64)),
    sa.Column("status", sa.String(16)),
    sa.Column("date_created", UtcDateTime),
    sa.Index("ix_transactions_order", "connection_id", "order_id"),
)

customers = _mirror_table(
    "customers",
    _id(),
    sa.Column("email", sa.String(255)),
    sa.Column("first_name", sa.String(255)),
    sa.Column("last_name", sa.String(255)),
    sa.Column("company", sa.String(255)),
    sa.Column("customer_group_id", sa.BigInteger),
    sa.Column("date_created", UtcDateTime),
    sa.Column("date_modified", UtcDateTime),
    sa.Index("ix_customers_email", "connection_id", "email"),
    sa.Index("ix_customers_modified", "connection_id", "date_modified"),
    soft_delete=True,
)

customer_groups = _mirror_table(
    "customer_groups",
    _id(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("is_default", sa.Boolean),
)

shipping_zones = _mirror_table(
    "shipping_zones",
    _id(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(32)),
    sa.Column("enabled", sa.Boolean),
)

shipping_methods = _mirror_table(
    "shipping_methods",
    _id(),
    sa.Column("zone_id", sa.BigInteger, nullable=False),
    sa.Column("name", sa.String(255)),
    sa.Column("type", sa.String(64)),
    sa.Column("enabled", sa.Boolean),
    sa.Index("ix_shipping_methods_zone", "connection_id", "zone_id"),
)

channels = _mirror_table(
    "channels",
    _id(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(32)),
    sa.Column("platform", sa.String(64)),
    sa.Column("status", sa.String(32)),
)

MIRROR_TABLES: dict[str, sa.Table] = {
    table.name: table
    for table in (
        store_info,
        products,
        variants,
        categories,
        brands,
        locations,
        inventory_levels,
        orders,
        order_products,
        order_shipping_addresses,
        order_statuses,
        transactions,
        customers,
        customer_groups,
        shipping_zones,
        shipping_methods,
        channels,
    )
}
"""Every mirrored resource table, by name."""

# --- engine state -----------------------------------------------------------------------------

sync_state = sa.Table(
    "sync_state",
    metadata,
    _connection_id(),
    sa.Column("stream", sa.String(64), primary_key=True),
    # idle | running | ok | failed
    sa.Column("status", sa.String(16), nullable=False),
    # Newest `date_modified` fully mirrored (capped at the start of the sync that found it).
    sa.Column("cursor", UtcDateTime),
    # Where an interrupted sync resumes: {"bound", "page", "max_seen", "started_at", "mode"}.
    sa.Column("checkpoint", sa.JSON),
    sa.Column("records_total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_run_records", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("last_started_at", UtcDateTime),
    sa.Column("last_success_at", UtcDateTime),
    # When the stream last scanned every id (deletes) or every variant (variant edits).
    sa.Column("last_scan_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

sync_runs = sa.Table(
    "sync_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "connection_id",
        sa.Integer,
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("mode", sa.String(16), nullable=False),  # initial | incremental | full
    sa.Column("streams", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | ok | failed
    # Rows the run found new or changed (records read again unchanged are not counted).
    sa.Column("records", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("requests", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    # Live figures (revision 0013_sync_progress), written with every page of the run in the
    # page's own transaction: API records read, 429 answers, seconds held back by the rate
    # governor, and per stream {status, records, changed, requests, expected}.
    sa.Column("records_read", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rate_limited", sa.Integer, nullable=False, server_default="0"),
    sa.Column("waited_s", sa.Float, nullable=False, server_default="0"),
    sa.Column("progress", sa.JSON),
    sa.Column("updated_at", UtcDateTime),
    sa.Index("ix_sync_runs_connection", "connection_id", "started_at"),
)

sync_requests = sa.Table(
    "sync_requests",
    metadata,
    _connection_id(),
    # A sync someone asked for (the web app's Sync now / Full resync): the next sync job of
    # the connection reads it, runs in its mode, and deletes it if it was not asked again.
    sa.Column("full", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("requested_at", UtcDateTime, nullable=False),
    sa.Column("requested_by", sa.String(128), nullable=False, server_default=""),
)

sync_locks = sa.Table(
    "sync_locks",
    metadata,
    _connection_id(),
    sa.Column("owner", sa.String(128)),
    sa.Column("acquired_at", UtcDateTime),
    sa.Column("expires_at", UtcDateTime),
)

# The webhook tables (deliveries, the refresh queue) keep this mirror fresh: whoever loads the
# mirror's tables loads theirs, so that the models and the migrations compare as one schema.
from bigsync.store import webhook_schema as _webhook_schema  # noqa: E402, F401
