"""`/v2/shipping/zones` and their methods: CRUD with the declared status codes
(spec: shipping.v2.yml)."""

from __future__ import annotations

import httpx
import pytest

from bigsync.sandbox.backend import StoreState
from tests.sandbox.schema import assert_matches_spec

CARRIERS = {"DHL Express", "DHL-1", "GLS Europe", "Omniva", "UPS Ground", "Flat Rate"}


@pytest.fixture
def zones(store_hash: str) -> str:
    return f"/stores/{store_hash}/v2/shipping/zones"


async def test_generated_zones_and_methods_match_spec(
    client: httpx.AsyncClient, zones: str
) -> None:
    response = await client.get(zones)
    assert_matches_spec(response)
    names = set()
    for zone in response.json():
        single = await client.get(f"{zones}/{zone['id']}")
        assert_matches_spec(single)
        assert single.json() == zone
        methods = await client.get(f"{zones}/{zone['id']}/methods")
        assert_matches_spec(methods)
        for method in methods.json():
            one = await client.get(f"{zones}/{zone['id']}/methods/{method['id']}")
            assert_matches_spec(one)
            names.add(method["name"])
    assert names == CARRIERS
    assert {z["type"] for z in response.json()} == {"country", "global"}


async def test_order_addresses_use_the_zones_and_their_methods(store: StoreState) -> None:
    methods = {
        zone_id: {m["name"] for m in by_id.values()}
        for zone_id, by_id in store.sales.shipping_methods.items()
    }
    for order in store.sales.orders.values():
        for address in order.shipping_addresses:
            assert address.shipping_method in methods[address.shipping_zone_id]


async def test_zone_crud(client: httpx.AsyncClient, zones: str) -> None:
    body = {"name": "Nordics", "type": "country", "locations": [{"country_iso2": "SE"}]}
    created = await client.post(zones, json=body)
    assert created.status_code == 201
    assert_matches_spec(created)
    zone_id = created.json()["id"]
    updated = await client.put(f"{zones}/{zone_id}", json={"name": "Nordic countries"})
    assert updated.status_code == 200
    assert_matches_spec(updated)
    assert updated.json()["name"] == "Nordic countries"
    deleted = await client.delete(f"{zones}/{zone_id}")
    assert deleted.status_code == 204
    assert_matches_spec(deleted)
    missing = await client.get(f"{zones}/{zone_id}")
    assert missing.status_code == 404
    assert missing.json()[0]["status"] == 404
    invalid = await client.post(zones, json={"name": "No type"})
    assert invalid.status_code == 400


async def test_method_crud(client: httpx.AsyncClient, zones: str) -> None:
    zone_id = (await client.get(zones)).json()[0]["id"]
    url = f"{zones}/{zone_id}/methods"
    body = {"name": "DPD Classic", "type": "perorder", "settings": {"rate": 6.5}, "enabled": True}
    created = await client.post(url, json=body)
    assert created.status_code == 200  # POST method is declared 200, unlike POST zone
    assert_matches_spec(created)
    method_id = created.json()["id"]
    updated = await client.put(f"{url}/{method_id}", json={"settings": {"rate": 7.0}})
    assert_matches_spec(updated)
    assert updated.json()["settings"] == {"rate": 7.0}
    deleted = await client.delete(f"{url}/{method_id}")
    assert deleted.status_code == 204
    assert_matches_spec(deleted)
    assert (await client.get(f"{url}/{method_id}")).status_code == 404
    assert (await client.post(url, json={"name": "X", "type": "teleport"})).status_code == 400
