"""Managed products against a synced sandbox store: managing and unmanaging with history, a
SKU renamed in the store followed by variant id, a variant deleted there flagged."""

from __future__ import annotations

import pytest

from bigsync.errors import InputError
from bigsync.fulfillment import catalog, stock
from bigsync.fulfillment.catalog import Selection
from bigsync.store import hub_mirror, hub_repository
from tests.fulfillment.conftest import Shop


def _events(shop: Shop, sku: str) -> list[str]:
    return [e.event for e in catalog.item_history(shop.hub, sku)]


async def test_manage_by_sku_product_and_all_then_unmanage_keeps_history(shop: Shop) -> None:
    variants = shop.variants()
    first, *_ = variants
    assert first.sku
    result = catalog.manage(shop.hub, Selection(skus=(first.sku.lower(),)))  # SKUs case-blind
    assert result.changed == (first.sku,)
    again = catalog.manage(shop.hub, Selection(skus=(first.sku,)))
    assert (again.changed, again.unchanged) == ((), (first.sku,))

    product_id = variants[-1].product_id
    of_product = [v for v in variants if v.product_id == product_id]
    by_product = catalog.manage(shop.hub, Selection(product_ids=(product_id,)))
    assert len(by_product.changed) == len(of_product)

    everything = catalog.manage(shop.hub, Selection(all=True))
    assert len(everything.changed) + len(everything.unchanged) == len(variants)
    lines = catalog.list_products(shop.hub, managed_only=True)
    assert {line.variant_id for line in lines} == {v.variant_id for v in variants}

    stock.set_stock(shop.hub, first.sku, 7)
    off = catalog.unmanage(shop.hub, Selection(skus=(first.sku,)))
    assert off.changed == (first.sku,)
    managed = {line.sku for line in catalog.list_products(shop.hub, managed_only=True)}
    assert first.sku not in managed
    with shop.hub.db.read() as conn:  # the item, its stock and history stay
        items = hub_repository.list_items(conn, shop.hub.connection_id)
        item = next(i for i in items if i.sku == first.sku)
        assert not item.managed
        assert item.unmanaged_at is not None
        assert 7 in hub_repository.stock_levels(conn, shop.hub.connection_id).values()
    assert _events(shop, first.sku) == ["managed", "stock_set", "unmanaged"]
    back = catalog.manage(shop.hub, Selection(skus=(first.sku,)))
    assert back.changed == (first.sku,)
    assert _events(shop, first.sku)[-1] == "managed"


async def test_selections_name_what_is_missing(shop: Shop) -> None:
    with pytest.raises(InputError, match=r"no variant with SKU 'NOPE-1'.*bigsync sync sandbox"):
        catalog.manage(shop.hub, Selection(skus=("NOPE-1",)))
    with pytest.raises(InputError, match="no product 999999"):
        catalog.manage(shop.hub, Selection(product_ids=(999999,)))
    with pytest.raises(InputError, match="either --all or"):
        catalog.manage(shop.hub, Selection(all=True, skus=("X",)))
    with pytest.raises(InputError, match="say which variants"):
        catalog.manage(shop.hub, Selection())
    with pytest.raises(InputError, match="no item with SKU"):
        catalog.unmanage(shop.hub, Selection(skus=("NOPE-1",)))
    assert catalog.list_products(shop.hub, managed_only=True) == []  # nothing half-done


async def test_a_sku_renamed_in_the_store_is_followed(shop: Shop) -> None:
    variant = shop.variants()[0]
    assert variant.sku
    catalog.manage(shop.hub, Selection(skus=(variant.sku,)))
    stock.set_stock(shop.hub, variant.sku, 4)
    path = f"/v3/catalog/products/{variant.product_id}/variants/{variant.variant_id}"
    renamed = await shop.http.put(path, json={"sku": f"{variant.sku}-NEW"})
    assert renamed.status_code == 200, renamed.text
    assert (await shop.sync()).status == "ok"

    lines = catalog.list_products(shop.hub, managed_only=True)
    assert [(line.variant_id, line.sku) for line in lines] == [
        (variant.variant_id, f"{variant.sku}-NEW")
    ]
    history = catalog.item_history(shop.hub, f"{variant.sku}-NEW")
    assert history[-1].event == "sku_renamed"
    assert history[-1].detail == f"{variant.sku} -> {variant.sku}-NEW"
    change = stock.set_stock(shop.hub, f"{variant.sku}-NEW", 5)  # same item, same stock row
    assert change.before == 4
    with pytest.raises(InputError, match="not managed"):
        stock.set_stock(shop.hub, variant.sku, 1)


async def test_a_variant_deleted_in_the_store_is_flagged_not_dropped(shop: Shop) -> None:
    with_options = [v for v in shop.variants() if v.options]
    variant = with_options[0]
    assert variant.sku
    catalog.manage(shop.hub, Selection(skus=(variant.sku,)))
    path = f"/v3/catalog/products/{variant.product_id}/variants/{variant.variant_id}"
    deleted = await shop.http.delete(path)
    assert deleted.status_code == 204, deleted.text
    assert (await shop.sync()).status == "ok"

    lines = catalog.list_products(shop.hub, managed_only=True)
    assert [(line.sku, line.deleted_in_store) for line in lines] == [(variant.sku, True)]
    assert _events(shop, variant.sku)[-1] == "deleted_in_store"
    with pytest.raises(InputError, match="deleted in the store"):
        stock.set_stock(shop.hub, variant.sku, 3)
    catalog.list_products(shop.hub)  # looking again flags nothing twice
    assert _events(shop, variant.sku).count("deleted_in_store") == 1


async def test_two_manage_commands_at_once_make_one_item_per_variant(shop: Shop) -> None:
    import threading

    variants = shop.variants()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def manage_all() -> None:
        barrier.wait()
        try:
            result = catalog.manage(shop.hub, Selection(all=True))
            outcomes.append(f"changed {len(result.changed)}")
        except InputError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=manage_all) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    assert f"changed {len(variants)}" in outcomes  # one did it all ...
    other = next(o for o in outcomes if o != f"changed {len(variants)}")  # ... the other
    assert other in ("changed 0", "another command managed some of these variants at the "
                     "same time: run it again")  # fmt: skip
    with shop.hub.db.read() as conn:
        items = hub_repository.list_items(conn, shop.hub.connection_id)
        events = hub_repository.item_events(conn, shop.hub.connection_id)
    assert sorted(i.variant_id for i in items) == sorted(v.variant_id for v in variants)
    assert len([e for e in events if e.event == "managed"]) == len(variants)


async def test_the_store_quantity_shows_for_every_variant_managed_or_not(shop: Shop) -> None:
    import sqlalchemy as sa

    from bigsync.fulfillment import locations
    from bigsync.store.mirror_schema import inventory_levels

    variants = shop.variants()
    first = variants[0]
    assert first.sku
    catalog.manage(shop.hub, Selection(skus=(first.sku,)))

    def check(at: set[int] | None) -> dict[int, catalog.ProductLine]:
        """Every line's store quantity is the mirror's sum at store locations `at` (all)."""
        lines = {line.variant_id: line for line in catalog.list_products(shop.hub)}
        with shop.hub.db.read() as conn:
            levels = hub_mirror.store_stock(conn, shop.hub.connection_id)
        for variant in variants:
            known = {
                loc: n
                for (v, loc), n in levels.items()
                if v == variant.variant_id and n is not None
            }
            counted = [n for loc, n in known.items() if at is None or loc in at]
            line = lines[variant.variant_id]
            if known:
                assert line.store_quantity == (sum(counted) if counted else None), variant
            else:  # nothing mirrored: the catalog's level (none when inventory is not tracked)
                tracked = variant.inventory_tracking != "none"
                assert line.store_quantity == (variant.inventory_level if tracked else None)
            assert line.managed == (variant.variant_id == first.variant_id)
            assert line.managed or line.hub_quantity is None
        assert any(line.store_quantity for line in lines.values() if not line.managed)
        return lines

    at_default = check({1})  # the hub's default location maps to the store's default
    locations.unmap(shop.hub, "default")
    everywhere = check(None)  # no location mapped: the store's total
    assert sum(x.store_quantity or 0 for x in everywhere.values()) > sum(
        x.store_quantity or 0 for x in at_default.values()
    )

    # No level mirrored (inventory not synced yet): the catalog's inventory_level, if tracked.
    tracked = next(v for v in variants[1:] if v.inventory_tracking != "none")
    untracked = next(v for v in variants if v.inventory_tracking == "none")
    with shop.hub.db.write() as conn:
        conn.execute(
            sa.delete(inventory_levels).where(
                inventory_levels.c.variant_id.in_([tracked.variant_id, untracked.variant_id])
            )
        )
    lines = {line.variant_id: line for line in catalog.list_products(shop.hub)}
    assert tracked.inventory_level is not None
    assert lines[tracked.variant_id].store_quantity == tracked.inventory_level
    assert lines[untracked.variant_id].store_quantity is None
