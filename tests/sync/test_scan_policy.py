"""Variant policy: a variant-only edit (which does not move the product's `date_modified`)
is in the mirror after the next normal sync when re-reading the products costs at most a
set share of one quota window; above that, the scan runs hourly, and status says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bigsync.sync.model import scan_cost, scan_every_sync
from bigsync.sync.service import mirror_status
from tests.sync.conftest import Oracle, World


def test_the_scan_cost_rule() -> None:
    assert scan_cost(10_000, 250) == 40
    assert scan_cost(0, 250) == 1
    assert scan_every_sync(15, quota=150, share=0.1)  # Standard plan: up to 3,750 products
    assert not scan_every_sync(16, quota=150, share=0.1)
    assert scan_every_sync(40, quota=450, share=0.1)  # Pro: 10k products every sync


async def test_a_variant_price_edit_is_mirrored_by_the_next_normal_sync(
    world: World, oracle: Oracle, rows_of: Any
) -> None:
    await world.sync()
    world.sandbox.clock.advance(timedelta(seconds=5))
    edited = world.mutate("variant", "update", 4, seed=7)
    world.sandbox.clock.advance(timedelta(seconds=5))
    result = await world.sync()  # minutes after the last one: the hourly scan is not due
    truth = await oracle.v3("v3/catalog/products", include="variants")
    variants = {int(v["id"]): v for p in truth for v in p["variants"]}
    mirrored = rows_of("variants")
    assert edited
    for variant_id in edited:
        assert mirrored[variant_id]["raw"] == variants[variant_id]
    scan = {s.name: s for s in result.streams}["products_scan"]
    assert scan.status == "ok"
    assert (scan.note or "").startswith("every sync: 1 request,")
    status = mirror_status(world.db, connection_id=world.connection_id, name="sandbox")
    assert status["variants"]["last_read_at"] is not None
    assert status["variants"]["scan_requests"] == 1
    assert status["variants"]["scan_runs"] == "every sync"


async def test_above_the_share_the_scan_waits_for_its_hour(world: World) -> None:
    await world.sync(scan_share=0.0)
    world.sandbox.clock.advance(timedelta(seconds=5))
    result = await world.sync(scan_share=0.0)
    scan = {s.name: s for s in result.streams}["products_scan"]
    assert scan.requests == 0
    assert (scan.note or "").startswith("scan not due")
