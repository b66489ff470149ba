"""Row-by-row comparison of the mirror with the store's truth (sandbox API + state)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.sync.conftest import Oracle, World

TRANSACTIONS_WINDOW = timedelta(days=90)


def assert_same(mirror: dict[Any, Any], truth: dict[Any, Any], label: str) -> None:
    """Equal mappings, or a message naming missing, extra and differing keys (and fields)."""
    if mirror == truth:
        return
    missing = sorted(set(truth) - set(mirror))[:10]
    extra = sorted(set(mirror) - set(truth))[:10]
    differing = []
    for key in sorted(set(truth) & set(mirror)):
        a, b = mirror[key], truth[key]
        if a != b:
            fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            differing.append((key, {f: (a.get(f), b.get(f)) for f in fields[:3]}))
    raise AssertionError(f"{label}: missing {missing}, extra {extra}, differ {differing[:3]}")


def _by_id(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {int(item["id"]): item for item in items}


def _raws(rows: dict[Any, dict[str, Any]]) -> dict[Any, Any]:
    return {key: row["raw"] for key, row in rows.items()}


def _strip(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


async def assert_catalog_matches(world: World, oracle: Oracle, rows_of: Any) -> None:
    products = await oracle.v3("v3/catalog/products", include="variants")
    assert set(_by_id(products)) == set(world.store.catalog.products)
    truth = {int(p["id"]): _strip(p, "variants") for p in products}
    assert_same(_raws(rows_of("products")), truth, "products")
    variants = {int(v["id"]): v for p in products for v in p["variants"]}
    assert_same(_raws(rows_of("variants")), variants, "variants")
    assert_same(variants, _by_id(await oracle.v3("v3/catalog/variants")), "variant listing")
    for table, path in [
        ("categories", "v3/catalog/categories"),
        ("brands", "v3/catalog/brands"),
        ("locations", "v3/inventory/locations"),
        ("channels", "v3/channels"),
    ]:
        assert_same(_raws(rows_of(table)), _by_id(await oracle.v3(path)), table)
    levels = {}
    for item in await oracle.v3("v3/inventory/items"):
        identity = item["identity"]
        for level in item["locations"]:
            key = (level["location_id"], identity["product_id"], identity.get("variant_id") or 0)
            levels[key] = {"identity": identity, **level}
    assert_same(_raws(rows_of("inventory_levels")), levels, "inventory_levels")


async def assert_sales_matches(world: World, oracle: Oracle, rows_of: Any) -> None:
    orders = await oracle.v2("v2/orders")
    assert set(_by_id(orders)) == set(world.store.sales.orders)
    assert_same(_raws(rows_of("orders")), _by_id(orders), "orders")
    mirror_lines = rows_of("order_products")
    mirror_addresses = rows_of("order_shipping_addresses")
    lines: dict[int, dict[str, Any]] = {}
    addresses: dict[int, dict[str, Any]] = {}
    for order in orders:
        lines.update(_by_id(await oracle.v2(f"v2/orders/{order['id']}/products")))
        addresses.update(_by_id(await oracle.v2(f"v2/orders/{order['id']}/shipping_addresses")))
    assert_same(_raws(mirror_lines), lines, "order_products")
    assert set(mirror_addresses) == set(addresses)
    for address_id, address in addresses.items():
        row = mirror_addresses[address_id]
        assert row["order_id"] == address["order_id"]
        assert (row["city"], row["zip"], row["shipping_method"]) == (
            address["city"],
            address["zip"],
            address["shipping_method"],
        )
        assert (row["items_total"], row["items_shipped"]) == (
            address["items_total"],
            address["items_shipped"],
        )
    customers = await oracle.v3("v3/customers")
    assert set(_by_id(customers)) == set(world.store.sales.customers)
    assert_same(_raws(rows_of("customers")), _by_id(customers), "customers")
    groups = _by_id(await oracle.v2("v2/customer_groups"))
    assert_same(_raws(rows_of("customer_groups")), groups, "customer_groups")
    zones = await oracle.v2("v2/shipping/zones", paged=False)
    assert_same(_raws(rows_of("shipping_zones")), _by_id(zones), "shipping_zones")
    methods: dict[int, dict[str, Any]] = {}
    for zone in zones:
        path = f"v2/shipping/zones/{zone['id']}/methods"
        methods.update(_by_id(await oracle.v2(path, paged=False)))
    assert_same(_raws(rows_of("shipping_methods")), methods, "shipping_methods")
    statuses = await oracle.v2("v2/order_statuses", paged=False)
    assert_same(_raws(rows_of("order_statuses")), _by_id(statuses), "order_statuses")
    info = rows_of("store_info")
    assert [row["store_hash"] for row in info.values()] == [world.store.hash]


async def assert_transactions_match(
    world: World, oracle: Oracle, rows_of: Any, *, order_ids: set[int]
) -> None:
    """The mirror holds exactly the transactions of `order_ids` (orders it must cover)."""
    expected: dict[int, dict[str, Any]] = {}
    for order_id in sorted(order_ids):
        response = await oracle.http.get(f"v3/orders/{order_id}/transactions")
        if response.status_code == 200:
            expected.update(_by_id(response.json()["data"]))
    wanted = {str(i) for i in order_ids}
    mirrored = {k: v for k, v in _raws(rows_of("transactions")).items() if v["order_id"] in wanted}
    assert_same(mirrored, expected, "transactions")


def recent_order_ids(world: World) -> set[int]:
    """Orders created within the transactions window of the store's clock."""
    since = world.sandbox.now() - TRANSACTIONS_WINDOW
    return {o.id for o in world.store.sales.orders.values() if o.date_created >= since}


async def assert_mirror_matches(world: World, oracle: Oracle, rows_of: Any) -> None:
    await assert_catalog_matches(world, oracle, rows_of)
    await assert_sales_matches(world, oracle, rows_of)
