"""Hub stock: one coalesced intent per level, CSV import all-or-nothing with line numbers,
hub and store side by side, and locations mapped one to one."""

from __future__ import annotations

import pytest

from bigsync.errors import InputError
from bigsync.fulfillment import catalog, locations, stock
from bigsync.fulfillment.catalog import Selection
from bigsync.fulfillment.stock import StockFileError, parse_stock_file
from bigsync.store import hub_repository
from bigsync.writeback.outbox import list_intents
from tests.fulfillment.conftest import Shop


def _managed(shop: Shop, count: int) -> list[str]:
    skus = [v.sku for v in shop.variants() if v.sku][:count]
    catalog.manage(shop.hub, Selection(skus=tuple(skus)))
    return skus


def _intents(shop: Shop) -> list:
    with shop.hub.db.read() as conn:
        return list_intents(conn, shop.hub.connection_id)


def _hub_stock(shop: Shop) -> dict:
    with shop.hub.db.read() as conn:
        return hub_repository.stock_levels(conn, shop.hub.connection_id)


async def test_stock_set_records_exactly_one_coalesced_intent(shop: Shop) -> None:
    (sku,) = _managed(shop, 1)
    first = stock.set_stock(shop.hub, sku, 5)
    second = stock.set_stock(shop.hub, sku, 9)
    assert (first.location, first.store_location_id) == ("default", 1)  # the store's default
    assert first.intent_id == second.intent_id is not None
    assert (second.before, second.quantity) == (5, 9)
    intents = _intents(shop)
    assert len(intents) == 1
    assert (intents[0].kind, intents[0].state, intents[0].payload["quantity"]) == (
        "stock",
        "pending",
        9,
    )
    assert intents[0].payload["location_id"] == 1
    with pytest.raises(InputError, match="no hub location 'nowhere'"):
        stock.set_stock(shop.hub, sku, 1, location="nowhere")
    with pytest.raises(InputError, match="not managed"):
        stock.set_stock(shop.hub, "NOT-A-SKU", 1)
    assert len(_intents(shop)) == 1


async def test_a_location_not_mapped_keeps_stock_in_the_hub_only(shop: Shop) -> None:
    (sku,) = _managed(shop, 1)
    locations.add(shop.hub, "back-room")
    change = stock.set_stock(shop.hub, sku, 3, location="back-room")
    assert change.intent_id is None
    assert _intents(shop) == []
    locations.map_to_store(shop.hub, "back-room", 2)
    mapped = stock.set_stock(shop.hub, sku, 4, location="back-room")
    assert mapped.intent_id is not None
    assert _intents(shop)[0].payload["location_id"] == 2


async def test_locations_map_one_to_one_and_flag_a_store_location_deleted(shop: Shop) -> None:
    locations.add(shop.hub, "wh2", name="Warehouse 2")
    with pytest.raises(InputError, match="no location 77 in the mirror"):
        locations.map_to_store(shop.hub, "wh2", 77)
    with pytest.raises(InputError, match="mapped to hub location 'default' already"):
        locations.map_to_store(shop.hub, "wh2", 1)
    locations.map_to_store(shop.hub, "wh2", 2)
    views = {v.code: v for v in locations.list_locations(shop.hub)}
    assert (views["default"].store_location_id, views["default"].state) == (1, "mapped")
    assert (views["wh2"].store_location_id, views["wh2"].state) == (2, "mapped")
    with pytest.raises(InputError, match="is the default location"):
        locations.remove(shop.hub, "default")

    (sku,) = _managed(shop, 1)
    deleted = await shop.http.delete("/v3/inventory/locations", params={"location_id:in": "2"})
    assert deleted.status_code in (200, 204), deleted.text
    assert (await shop.sync(streams=_streams("locations,inventory_levels"))).status == "ok"
    views = {v.code: v for v in locations.list_locations(shop.hub)}
    assert views["wh2"].state == "store location gone"
    with pytest.raises(InputError, match="which the store no longer has"):
        stock.set_stock(shop.hub, sku, 1, location="wh2")
    locations.unmap(shop.hub, "wh2")
    assert locations.remove(shop.hub, "wh2") == 0


def _streams(names: str) -> tuple:
    from bigsync.streams import select_streams

    return select_streams(names)


def test_a_stock_file_is_parsed_with_editor_line_numbers() -> None:
    data = (
        "\ufeffSKU,Quantity,Location\r\n"
        "A-1, 5 ,\r\n"
        "\r\n"
        "B-2,x\r\n"
        "C-3,-1,wh\r\n"
        '"D,4",7,wh\r\n'
        "a-1,6\r\n"
        "E-5\r\n"
        ",3\r\n"
        "F-6,2147483648\r\n"
        "G-7,1,wh,extra\r\n"
        "A-1,2,wh\r\n"
    ).encode()
    rows, problems = parse_stock_file(data)
    assert [(r.line, r.sku, r.quantity, r.location) for r in rows] == [
        (2, "A-1", 5, None),
        (6, "D,4", 7, "wh"),
        (12, "A-1", 2, "wh"),  # another location: another level
    ]
    assert problems == [
        (4, "quantity 'x' is not a whole number from 0"),
        (5, "quantity '-1' is not a whole number from 0"),
        (7, "SKU a-1 again (first on line 2)"),
        (8, "1 columns, expected sku,quantity[,location]"),
        (9, "the SKU is empty"),
        (10, "quantity 2147483648 is above BigCommerce's 2,147,483,647"),
        (11, "4 columns, expected sku,quantity[,location]"),
    ]
    rows, problems = parse_stock_file("A-1,1\nB-2,2\n")  # no header, LF
    assert [(r.line, r.sku) for r in rows] == [(1, "A-1"), (2, "B-2")]
    assert problems == []


async def test_a_stock_file_applies_every_row_or_none(shop: Shop) -> None:
    a, b, c = _managed(shop, 3)
    locations.add(shop.hub, "wh2")
    locations.map_to_store(shop.hub, "wh2", 2)
    bad_files = {
        f"sku,quantity\n{a},1\n{b},lots\n": "line 3: quantity 'lots'",
        f"sku,quantity\n{a},1\nNOPE-9,2\n": "line 3: SKU NOPE-9 is not managed",
        f"sku,quantity,location\n{a},1,wh2\n{b},2,attic\n": "line 3: no hub location 'attic'",
        f"{a},1\n{b},2\n{a},3\n": "line 3: SKU " + a + " again (first on line 1)",
    }
    for data, message in bad_files.items():
        with pytest.raises(StockFileError, match="nothing was applied") as raised:
            stock.import_stock(shop.hub, data.encode(), source="stock.csv")
        assert message in str(raised.value)
        assert str(raised.value).startswith("stock.csv: 1 bad row")
        assert _hub_stock(shop) == {}
        assert _intents(shop) == []

    good = f"\ufeffsku,quantity,location\r\n{a},10\r\n{b},20,wh2\r\n{c},0,default\r\n"
    changes = stock.import_stock(shop.hub, good.encode(), source="stock.csv")
    assert [(ch.sku, ch.location, ch.quantity) for ch in changes] == [
        (a, "default", 10),
        (b, "wh2", 20),
        (c, "default", 0),
    ]
    assert sorted(_hub_stock(shop).values()) == [0, 10, 20]
    assert sorted((i.payload["location_id"], i.payload["quantity"]) for i in _intents(shop)) == [
        (1, 0),
        (1, 10),
        (2, 20),
    ]


async def test_stock_side_by_side_with_its_filters(shop: Shop) -> None:
    a, b = _managed(shop, 2)
    variants = {v.sku: v for v in shop.variants()}
    report = stock.side_by_side(shop.hub)
    assert report.store_synced_at is not None
    before = {(line.sku, line.location): line for line in report.lines}
    store_a = before[(a, "default")].store_quantity
    assert store_a == variants[a].inventory_level  # the default location's on-hand
    assert before[(a, "default")].hub_quantity is None
    assert not before[(a, "default")].differs
    assert before[(a, "default")].never_pushed

    stock.set_stock(shop.hub, a, (store_a or 0) + 3)
    stock.set_stock(shop.hub, b, before[(b, "default")].store_quantity or 0)
    lines = {(line.sku, line.location): line for line in stock.side_by_side(shop.hub).lines}
    assert lines[(a, "default")].difference == 3
    assert lines[(a, "default")].push_state == "pending"
    assert lines[(b, "default")].difference == 0
    differs = stock.side_by_side(shop.hub, differs=True).lines
    assert [(line.sku, line.location) for line in differs] == [(a, "default")]
    products = catalog.list_products(shop.hub, differs_only=True)
    assert [(p.sku, p.hub_quantity, p.store_quantity) for p in products] == [
        (a, (store_a or 0) + 3, store_a)
    ]
    never = stock.side_by_side(shop.hub, never_pushed=True).lines
    assert (a, "default") not in {(line.sku, line.location) for line in never}
    assert all(line.push_state is None for line in never)


async def test_levels_bigcommerce_would_refuse_are_refused_here(shop: Shop) -> None:
    variants = shop.variants()
    untracked = next(v for v in variants if v.inventory_tracking == "none")
    per_product = next(v for v in variants if v.inventory_tracking == "product" and v.options)
    simple = next(v for v in variants if v.inventory_tracking == "product" and not v.options)
    skus = (untracked.sku or "", per_product.sku or "", simple.sku or "")
    catalog.manage(shop.hub, Selection(skus=skus))
    with pytest.raises(InputError, match="does not track the stock of product"):
        stock.set_stock(shop.hub, skus[0], 1)
    with pytest.raises(InputError, match="tracks stock for the product as a whole"):
        stock.set_stock(shop.hub, skus[1], 1)
    assert _intents(shop) == []
    assert stock.set_stock(shop.hub, skus[2], 1).intent_id is not None  # its base variant
