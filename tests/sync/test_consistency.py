"""The mirror agrees with itself after every sync: a stock change read by a normal sync
(no products scan due) shows in `inventory_levels` AND in the catalog's `inventory_level`
of the variants and products, column and raw document alike."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.sync.conftest import Oracle, World
from tests.sync.mirror_check import assert_mirror_matches


async def test_a_stock_change_reaches_variants_and_products_in_a_normal_sync(
    world: World, oracle: Oracle, rows_of: Any
) -> None:
    await world.sync()
    world.sandbox.clock.advance(timedelta(seconds=5))
    changed = world.mutate("inventory", "update", 8, seed=3)
    world.sandbox.clock.advance(timedelta(seconds=5))
    result = await world.sync(scan_share=0.0)  # as in a large store: the scan is hourly
    by_name = {s.name: s for s in result.streams}
    assert (by_name["products_scan"].note or "").startswith("scan not due")  # not re-read
    truth = await oracle.v3("v3/catalog/products", include="variants")
    variants = {int(v["id"]): v for p in truth for v in p["variants"]}
    products = {int(p["id"]): p for p in truth}
    mirrored_variants, mirrored_products = rows_of("variants"), rows_of("products")
    moved = [i for i in changed if i in variants] + [i for i in changed if i in products]
    assert moved
    for variant_id, variant in variants.items():
        row = mirrored_variants[variant_id]
        assert row["inventory_level"] == variant["inventory_level"], variant_id
        assert row["raw"]["inventory_level"] == variant["inventory_level"], variant_id
    for product_id, product in products.items():
        row = mirrored_products[product_id]
        assert row["inventory_level"] == product["inventory_level"], product_id
        assert row["raw"]["inventory_level"] == product["inventory_level"], product_id
    await assert_mirror_matches(world, oracle, rows_of)
