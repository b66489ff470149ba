"""From the hub to the store: stock set in the hub and a shipment recorded, pushed by the
outbox dispatcher, are in the sandbox store afterwards, and a sync shows them side by side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bigsync.bigcommerce.testing import FakeTime
from bigsync.errors import InputError
from bigsync.fulfillment import catalog, locations, shipping, stock
from bigsync.fulfillment.catalog import Selection
from bigsync.fulfillment.order_status import change_status
from bigsync.fulfillment.shipments import ShipOrder, ship
from bigsync.writeback.dispatcher import DispatchOptions, OutboxDispatcher
from tests.fulfillment.conftest import Shop
from tests.fulfillment.test_shipments import _open


async def _push(shop: Shop) -> dict:
    time = FakeTime()
    start = datetime.now(UTC) + timedelta(seconds=1)  # after every intent recorded so far
    dispatcher = OutboxDispatcher(
        shop.world.db,
        shop.world.api,
        connection_id=shop.hub.connection_id,
        connection_name="sandbox",
        options=DispatchOptions(),
        now=lambda: start + timedelta(seconds=time.now),
        sleep=time.sleep,
    )
    return (await dispatcher.run()).to_json()


async def _store_level(shop: Shop, variant_id: int, location_id: int) -> int:
    response = await shop.http.get("/v3/inventory/items", params={"variant_id:in": variant_id})
    response.raise_for_status()
    (item,) = response.json()["data"]
    level = next(x for x in item["locations"] if x["location_id"] == location_id)
    return int(level["total_inventory_onhand"])


async def test_stock_and_a_shipment_set_in_the_hub_land_in_the_store(shop: Shop) -> None:
    a, b = [v for v in shop.variants() if v.sku][:2]
    assert a.sku
    assert b.sku
    catalog.manage(shop.hub, Selection(skus=(a.sku, b.sku)))
    locations.add(shop.hub, "wh2")
    locations.map_to_store(shop.hub, "wh2", 2)
    stock.set_stock(shop.hub, a.sku, 40)
    stock.set_stock(shop.hub, a.sku, 42)  # coalesced: one write of 42
    stock.import_stock(shop.hub, f"sku,quantity,location\n{b.sku},17,wh2\n".encode())

    order_id = shop.order_with(_open)
    shipping.add_service(shop.hub, "main", carrier="ups")
    shipping.map_pattern(shop.hub, "*", "main")
    shipped = ship(shop.hub, ShipOrder(order_id, "1Z-E2E-1"))
    other = next(o for o in shop.orders_with(lambda lines, addresses: True) if o != order_id)
    change_status(shop.hub, other, "Awaiting Pickup")

    result = await _push(shop)
    assert result["counts"] == {"confirmed": 5}, result  # 2 levels, shipment, 2 statuses
    assert result["left"] == {}

    assert await _store_level(shop, a.variant_id, 1) == 42
    assert await _store_level(shop, b.variant_id, 2) == 17
    shipments = (await shop.http.get(f"/v2/orders/{order_id}/shipments")).json()
    assert [(s["tracking_number"], s["shipping_provider"]) for s in shipments] == [
        ("1Z-E2E-1", "ups")
    ]
    assert sorted((i["order_product_id"], i["quantity"]) for i in shipments[0]["items"]) == sorted(
        (line.order_product_id, line.quantity) for line in shipped.lines
    )
    assert (await shop.http.get(f"/v2/orders/{order_id}")).json()["status_id"] == 2
    assert (await shop.http.get(f"/v2/orders/{other}")).json()["status_id"] == 8
    # Confirmed after the mirror last read the order: it still counts until a sync shows it.
    first = shipped.lines[0]
    with pytest.raises(InputError, match="in shipments not sent or not yet mirrored"):
        ship(shop.hub, ShipOrder(order_id, "1Z-E2E-2", items=((first.order_product_id, 1),)))

    assert (await shop.sync()).status == "ok"
    lines = {(line.sku, line.location): line for line in stock.side_by_side(shop.hub).lines}
    assert (lines[(a.sku, "default")].difference, lines[(a.sku, "default")].push_state) == (
        0,
        "confirmed",
    )
    assert lines[(b.sku, "wh2")].store_quantity == 17
    assert stock.side_by_side(shop.hub, differs=True).lines == ()
    with pytest.raises(InputError, match="nothing left to ship"):  # the mirror shows it shipped
        ship(shop.hub, ShipOrder(order_id, "1Z-E2E-2"))
