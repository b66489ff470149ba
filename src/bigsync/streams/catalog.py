"""Every stream bigsync mirrors, declared once, in the order a sync runs them.

Why these requests (API-NOTES §6-7):

- products: `include=variants`, so variants come in the same pages as their products (no
  request per product, none to `/v3/catalog/variants`).
- products_scan: an edit to a variant (price, SKU, stock of a variant-tracked item) does NOT
  move its product's `date_modified`, nor do some derived product fields (a variant-tracked
  product's `inventory_level`, `categories` after a category is deleted), and
  `/v3/catalog/variants` has no date filter. The cheapest correct catch without webhooks is
  a periodic re-read of products WITH their variants in id order: ceil(products / 250)
  requests, never more than a `/v3/catalog/variants` scan (ceil(variants / 250), and every
  product has at least one variant), and the same pages reveal deleted products (ids
  missing from a page's id range) and deleted variants (missing from their product).
  Paging by `id:greater` (a keyset, not page numbers) means a delete during the scan cannot
  shift an unread product onto an already-read page. It runs every `SyncOptions.scan_every`
  (and is skipped after a full read); webhooks (`store/sku/updated`) can refresh single
  variants in between.
- orders: `include=consignments.line_items&consignment_structure=object` brings line items
  and shipping addresses in the order pages themselves. An order created Incomplete
  (status 0) that completes later gets a new `date_modified`, so the incremental read by
  `date_modified` picks it up; status 0 orders are mirrored like any other.
- transactions: one request per order (there is no store-wide listing). A first sync reads
  them for orders created in a recent window (default 90 days); later syncs only for orders
  whose `date_modified` moved past the last one processed.
- customers_scan: deletes of customers, by re-reading them in id order with cursor
  pagination (which, like a keyset, cannot skip a record when another is deleted).
- categories, brands, locations, channels, order statuses, customer groups, shipping zones
  and methods, inventory levels: small or without a date filter, read in full every sync;
  what a complete read did not see is deleted.
- inventory levels also set the catalog's `inventory_level` of variants and products (the
  default location's on-hand stock, API-NOTES §8.1) in the transaction that completes the
  read: a stock change does not move `date_modified`, and the mirror must agree with itself.

Features (`StreamSpec.feature`, what a connection enables and its Test checks): catalog
streams need read_catalog, orders and order statuses read_orders, transactions
read_transactions, customers and customer groups read_customers, locations and inventory
levels read_inventory. store_info, channels and shipping zones/methods belong to no feature:
they are store settings every connection reads (store info and shipping use the scope the
connection Test itself needs, store_v2_information; channels use store_channel_settings,
which no feature checks). When their scope is missing, the 403 skips the stream with a
warning, like any stream.
"""

from __future__ import annotations

from bigsync.streams import rows
from bigsync.streams.spec import Api, StreamKind, StreamSpec

STORE_INFO = StreamSpec(
    name="store_info",
    path="/v2/store",
    table="store_info",
    kind=StreamKind.SINGLE,
    api=Api.V2,
    to_batch=rows.store_info_batch,
    description="Store name, domain, currency, plan",
)

CHANNELS = StreamSpec(
    name="channels",
    path="/v3/channels",
    table="channels",
    kind=StreamKind.FULL_SCAN,
    to_batch=rows.channels_batch,
)

CATEGORIES = StreamSpec(
    name="categories",
    feature="read_catalog",
    path="/v3/catalog/categories",
    table="categories",
    kind=StreamKind.FULL_SCAN,
    to_batch=rows.categories_batch,
)

BRANDS = StreamSpec(
    name="brands",
    feature="read_catalog",
    path="/v3/catalog/brands",
    table="brands",
    kind=StreamKind.FULL_SCAN,
    to_batch=rows.brands_batch,
)

PRODUCTS = StreamSpec(
    name="products",
    feature="read_catalog",
    path="/v3/catalog/products",
    table="products",
    kind=StreamKind.INCREMENTAL,
    params={"include": "variants"},
    cursor_param="date_modified:min",
    sort={"sort": "date_modified", "direction": "asc"},
    cascade=(("variants", "product_id"),),
    to_batch=rows.products_batch,
    description="Products with their variants",
)

PRODUCTS_SCAN = StreamSpec(
    name="products_scan",
    feature="read_catalog",
    path="/v3/catalog/products",
    table="products",
    kind=StreamKind.SCAN,
    params={"include": "variants", "sort": "id"},
    after_param="id:greater",
    depends_on=("products",),
    covered_by="products",
    cascade=(("variants", "product_id"),),
    to_batch=rows.products_batch,
    description="Re-read of every product and variant: variant edits, stock, deletes",
)

LOCATIONS = StreamSpec(
    name="locations",
    feature="read_inventory",
    path="/v3/inventory/locations",
    table="locations",
    kind=StreamKind.FULL_SCAN,
    to_batch=rows.locations_batch,
)

INVENTORY_LEVELS = StreamSpec(
    name="inventory_levels",
    feature="read_inventory",
    path="/v3/inventory/items",
    table="inventory_levels",
    kind=StreamKind.FULL_SCAN,
    page_size=1000,
    sets_catalog_stock=True,
    to_batch=rows.inventory_batch,
    description="Stock per item and location",
)

ORDER_STATUSES = StreamSpec(
    name="order_statuses",
    feature="read_orders",
    path="/v2/order_statuses",
    table="order_statuses",
    kind=StreamKind.FULL_SCAN,
    api=Api.V2,
    page_size=0,  # not paginated
    to_batch=rows.order_statuses_batch,
)

ORDERS = StreamSpec(
    name="orders",
    feature="read_orders",
    path="/v2/orders",
    table="orders",
    kind=StreamKind.INCREMENTAL,
    api=Api.V2,
    params={"include": "consignments.line_items", "consignment_structure": "object"},
    cursor_param="min_date_modified",
    sort={"sort": "date_modified:asc"},
    to_batch=rows.orders_batch,
    description="Orders with line items and shipping addresses",
)

TRANSACTIONS = StreamSpec(
    name="transactions",
    feature="read_transactions",
    path="/v3/orders/{id}/transactions",
    table="transactions",
    kind=StreamKind.PER_PARENT,
    parent="orders",
    depends_on=("orders",),
    trails="orders",
    to_batch=rows.transactions_batch,
    description="Payment transactions (one request per order)",
)

CUSTOMERS = StreamSpec(
    name="customers",
    feature="read_customers",
    path="/v3/customers",
    table="customers",
    kind=StreamKind.INCREMENTAL,
    cursor_param="date_modified:min",
    sort={"sort": "date_modified:asc"},
    to_batch=rows.customers_batch,
)

CUSTOMERS_SCAN = StreamSpec(
    name="customers_scan",
    feature="read_customers",
    path="/v3/customers",
    table="customers",
    kind=StreamKind.SCAN,
    depends_on=("customers",),
    covered_by="customers",
    to_batch=rows.customers_batch,
    description="Re-read of every customer in id order (cursor pagination): deletes",
)

CUSTOMER_GROUPS = StreamSpec(
    name="customer_groups",
    feature="read_customers",
    path="/v2/customer_groups",
    table="customer_groups",
    kind=StreamKind.FULL_SCAN,
    api=Api.V2,
    to_batch=rows.customer_groups_batch,
)

SHIPPING_ZONES = StreamSpec(
    name="shipping_zones",
    path="/v2/shipping/zones",
    table="shipping_zones",
    kind=StreamKind.FULL_SCAN,
    api=Api.V2,
    page_size=0,
    to_batch=rows.shipping_zones_batch,
)

SHIPPING_METHODS = StreamSpec(
    name="shipping_methods",
    path="/v2/shipping/zones/{id}/methods",
    table="shipping_methods",
    kind=StreamKind.PER_PARENT,
    api=Api.V2,
    parent="shipping_zones",
    depends_on=("shipping_zones",),
    to_batch=rows.shipping_methods_batch,
)

STREAMS: tuple[StreamSpec, ...] = (
    STORE_INFO,
    CHANNELS,
    CATEGORIES,
    BRANDS,
    PRODUCTS,
    PRODUCTS_SCAN,
    LOCATIONS,
    INVENTORY_LEVELS,
    ORDER_STATUSES,
    ORDERS,
    TRANSACTIONS,
    CUSTOMERS,
    CUSTOMERS_SCAN,
    CUSTOMER_GROUPS,
    SHIPPING_ZONES,
    SHIPPING_METHODS,
)
"""Every stream, in run order (a stream runs after the ones it depends on)."""

STREAMS_BY_NAME = {spec.name: spec for spec in STREAMS}


def select_streams(names: str | None) -> tuple[StreamSpec, ...]:
    """The streams named in a comma-separated list (all when None), in run order, plus the
    streams they depend on. ValueError names any unknown stream."""
    if not names:
        return STREAMS
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    unknown = wanted - STREAMS_BY_NAME.keys()
    if unknown:
        known = ", ".join(STREAMS_BY_NAME)
        raise ValueError(f"unknown stream(s): {', '.join(sorted(unknown))} (known: {known})")
    closure = set(wanted)
    for spec in reversed(STREAMS):
        if spec.name in closure:
            closure.update(spec.depends_on)
    return tuple(spec for spec in STREAMS if spec.name in closure)
