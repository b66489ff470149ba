"""More conformance cases for the requests bigsync's write-back sends and reads back.

`test_spec_conformance.py` calls every operation once. The dispatcher relies on a few of them
in more shapes, so each shape here is its own case, validated the same way (request, status,
headers, body against the official spec): full 2,000-item absolute adjustments over two
locations by every identity, the 2,001-item refusal, a queued (asynchronous) write, partial
and remaining shipments, a shipment of more than remains, status changes by `status_id`, the
shipment list, and the inventory item filters the dispatcher reads back with.

Statuses a spec does not document (413 on adjustments, 400 on shipments) are checked as in
the sweep's error cases: the validator must object to the status and to nothing else, and
the body must follow its API version's error convention exactly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bigsync.sandbox import Sandbox
from bigsync.sandbox.app import create_app
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.catalog.inventory import ERROR_TYPE, MAX_ITEMS
from bigsync.sandbox.sales.records import Order
from bigsync.sandbox.testing import IN_PROCESS_URL, SandboxFactory
from tests.sandbox.catalog_spec import fill_documented_nulls
from tests.sandbox.schema import declares_status, spec_errors
from tests.sandbox.test_spec_conformance import _check

ABSOLUTE = "/v3/inventory/adjustments/absolute"
RELATIVE = "/v3/inventory/adjustments/relative"
ITEMS = "/v3/inventory/items"
INTEGER_LISTS = ("variant_id:in", "product_id:in", "location_id:in")
"""inventory.v3.yml describes these filters as "list of ... separated by comma" but types
them `integer`, so a list of two or more ids (what BigCommerce takes) fails request
validation; only that error is allowed."""
TOO_LARGE = (
    f"The request payload is too large. The maximum items allowed in the array is {MAX_ITEMS}."
)


@dataclass
class Ctx:
    client: httpx.AsyncClient
    sandbox: Sandbox
    store: StoreState

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, f"/stores/{self.store.hash}{path}", **kwargs)

    def unshipped(self) -> Order:
        """An order with nothing shipped, one shipping address and a line of 2+ units."""
        return next(
            o
            for o in self.store.sales.orders.values()
            if o.status_id == 11
            and not o.shipments
            and len(o.shipping_addresses) == 1
            and any(p.quantity > 1 for p in o.products)
        )


Run = Callable[[Ctx], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class WriteCase:
    run: Run
    status: int
    products: int | None = None  # build a store of this many products for the case
    expect: Callable[[httpx.Response], None] | None = None  # exact body checks of errors
    comma_lists: bool = False  # integer `:in` filters sent as lists (see INTEGER_LISTS)


CASES: dict[str, WriteCase] = {}


def case(name: str, status: int = 200, **options: Any) -> Callable[[Run], Run]:
    def register(run: Run) -> Run:
        assert name not in CASES
        CASES[name] = WriteCase(run, status, **options)
        return run

    return register


def _every_identity(store: StoreState, count: int) -> list[dict[str, Any]]:
    """`count` adjustment items over locations 1 and 2, naming items by sku, variant_id and
    product_id in turn (product-level items by sku or product_id)."""
    out: list[dict[str, Any]] = []
    for n, item in enumerate(store.catalog.inventory_items()):
        for location_id in (1, 2):
            if item.variant is not None:
                identity = {"sku": item.sku} if n % 2 else {"variant_id": item.variant.id}
            else:
                identity = {"sku": item.sku} if n % 2 else {"product_id": item.product.id}
            out.append({"location_id": location_id, "quantity": n % 97, **identity})
            if len(out) == count:
                return out
    raise AssertionError(f"the store has fewer than {count} item-locations")


def _problem(status: int, title: str) -> Callable[[httpx.Response], None]:
    def expect(response: httpx.Response) -> None:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "status": status,
            "title": title,
            "type": ERROR_TYPE,
            "errors": {},
        }

    return expect


def _v2_error(status: int, fragment: str) -> Callable[[httpx.Response], None]:
    def expect(response: httpx.Response) -> None:
        ((error),) = response.json()
        assert set(error) == {"status", "message"}
        assert error["status"] == status
        assert fragment in error["message"]

    return expect


# --- inventory adjustments ----------------------------------------------------------------


@case("absolute: 2,000 items over two locations by sku, variant_id, product_id", products=500)
async def _absolute_full(c: Ctx) -> httpx.Response:
    items = _every_identity(c.store, MAX_ITEMS)
    response = await c.call("PUT", ABSOLUTE, json={"reason": "ERP sync", "items": items})
    assert {i["location_id"] for i in items} == {1, 2}
    assert {k for i in items for k in i} >= {"sku", "variant_id", "product_id"}
    return response


@case("absolute: 2,001 items", 413, products=500, expect=_problem(413, TOO_LARGE))
async def _absolute_too_many(c: Ctx) -> httpx.Response:
    items = _every_identity(c.store, MAX_ITEMS + 1)
    response = await c.call("PUT", ABSOLUTE, json={"reason": "ERP sync", "items": items})
    assert c.store.inventory_queue.applied == 0  # nothing applied, nothing queued
    assert len(c.store.inventory_queue) == 0
    return response


@case("absolute: accepted while writes are pending (asynchronous store)")
async def _absolute_queued(c: Ctx) -> httpx.Response:
    c.sandbox.clock.freeze()
    c.store.inventory_delay_ms = 60_000
    items = _every_identity(c.store, 4)
    await c.call("PUT", ABSOLUTE, json={"items": items})
    response = await c.call("PUT", ABSOLUTE, json={"items": items})
    assert len(c.store.inventory_queue) == 2
    return response


@case("relative: several items, both locations, positive and negative deltas")
async def _relative_mixed(c: Ctx) -> httpx.Response:
    items = _every_identity(c.store, 6)
    await c.call("PUT", ABSOLUTE, json={"items": [{**i, "quantity": 50} for i in items]})
    deltas = [{**i, "quantity": (-1) ** n * (n + 1)} for n, i in enumerate(items)]
    return await c.call("POST", RELATIVE, json={"reason": "returns", "items": deltas})


# --- inventory reads the dispatcher confirms with ----------------------------------------


def _list_errors(request: httpx.Request) -> list[str]:
    return [
        f"ParameterValidationError: Query parameter error: {name} "
        f"(Failed to cast value to integer type: {value})"
        for name in INTEGER_LISTS
        if "," in (value := request.url.params.get(name, ""))
    ]


def _filtered(**params: Any) -> Run:
    async def run(c: Ctx) -> httpx.Response:
        resolved = {k: v(c.store) if callable(v) else v for k, v in params.items()}
        response = await c.call("GET", ITEMS, params=resolved)
        data = response.json()["data"]
        assert data, "the filter must select something"
        for item in data:
            _assert_selected(item, resolved)
        return response

    return run


def _assert_selected(item: dict[str, Any], params: dict[str, Any]) -> None:
    """`item` is one the filters in `params` select, with only the locations asked for."""
    identity = item["identity"]
    for name in ("variant_id", "product_id", "sku"):
        wanted = params.get(f"{name}:in")
        if wanted is not None:
            assert str(identity[name]) in str(wanted).split(",")
    locations = params.get("location_id:in")
    if locations is not None:
        shown = {str(row["location_id"]) for row in item["locations"]}
        assert shown == set(str(locations).split(","))


def _variants(store: StoreState) -> str:
    items = [i for i in store.catalog.inventory_items() if i.variant is not None][:3]
    return ",".join(str(i.variant.id) for i in items if i.variant is not None)


def _skus(store: StoreState) -> str:
    return ",".join(i.sku for i in store.catalog.inventory_items()[:3])


def _products(store: StoreState) -> str:
    return ",".join(str(i.product.id) for i in store.catalog.inventory_items()[:2])


case("items: variant_id:in", comma_lists=True)(_filtered(**{"variant_id:in": _variants}))
case("items: sku:in")(_filtered(**{"sku:in": _skus}))
case("items: product_id:in", comma_lists=True)(_filtered(**{"product_id:in": _products}))
case("items: location_id:in with variant_id:in", comma_lists=True)(
    _filtered(**{"location_id:in": "2", "variant_id:in": _variants})
)
case("items: location_id:in 1,2 with sku:in, paged", comma_lists=True)(
    _filtered(**{"location_id:in": "1,2", "sku:in": _skus, "limit": 2, "page": 1})
)


# --- shipments and order status ----------------------------------------------------------


def _ship_body(order: Order, quantity: int | None = None) -> dict[str, Any]:
    line = next(p for p in order.products if p.quantity > 1)
    return {
        "order_address_id": order.shipping_addresses[0].id,
        "tracking_number": "1Z999AA10123456784",
        "shipping_provider": "ups",
        "shipping_method": "UPS Ground",
        "comments": "from the warehouse",
        "items": [{"order_product_id": line.id, "quantity": quantity or line.quantity}],
    }


@case("shipment: part of a line", 201)
async def _ship_part(c: Ctx) -> httpx.Response:
    order = c.unshipped()
    response = await c.call("POST", f"/v2/orders/{order.id}/shipments", json=_ship_body(order, 1))
    line = next(p for p in order.products if p.quantity > 1)
    assert line.quantity_shipped == 1
    assert order.status_id == 11  # shipments never change the status (API-NOTES §8.8)
    return response


@case("shipment: the rest of a line after a partial one", 201)
async def _ship_rest(c: Ctx) -> httpx.Response:
    order = c.unshipped()
    line = next(p for p in order.products if p.quantity > 1)
    await c.call("POST", f"/v2/orders/{order.id}/shipments", json=_ship_body(order, 1))
    body = _ship_body(order, line.quantity - 1)
    response = await c.call("POST", f"/v2/orders/{order.id}/shipments", json=body)
    assert line.quantity_shipped == line.quantity
    return response


@case("shipment: more than remains", 400, expect=_v2_error(400, "exceeds what is left to ship"))
async def _ship_too_much(c: Ctx) -> httpx.Response:
    order = c.unshipped()
    line = next(p for p in order.products if p.quantity > 1)
    await c.call("POST", f"/v2/orders/{order.id}/shipments", json=_ship_body(order, 1))
    response = await c.call(
        "POST", f"/v2/orders/{order.id}/shipments", json=_ship_body(order, line.quantity)
    )
    assert line.quantity_shipped == 1  # nothing of the refused shipment applied
    assert len(order.shipments) == 1
    return response


@case("shipments: listed after two partial shipments")
async def _ship_list(c: Ctx) -> httpx.Response:
    order = c.unshipped()
    for _ in range(2):
        await c.call("POST", f"/v2/orders/{order.id}/shipments", json=_ship_body(order, 1))
    response = await c.call("GET", f"/v2/orders/{order.id}/shipments")
    assert [s["tracking_number"] for s in response.json()] == ["1Z999AA10123456784"] * 2
    return response


@case("order: status_id to Shipped (2) after shipping")
async def _status_shipped(c: Ctx) -> httpx.Response:
    order = c.unshipped()
    await c.call("POST", f"/v2/orders/{order.id}/shipments", json=_ship_body(order))
    response = await c.call("PUT", f"/v2/orders/{order.id}", json={"status_id": 2})
    assert response.json()["status"] == "Shipped"
    return response


@case("order: status_id to Partially Shipped (3)")
async def _status_partial(c: Ctx) -> httpx.Response:
    order = c.unshipped()
    return await c.call("PUT", f"/v2/orders/{order.id}", json={"status_id": 3})


@case("order: unknown status_id", 400, expect=_v2_error(400, "not a valid order status"))
async def _status_unknown(c: Ctx) -> httpx.Response:
    return await c.call("PUT", f"/v2/orders/{c.unshipped().id}", json={"status_id": 99})


# --- the sweep ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
async def test_write_case_conforms(
    name: str,
    *,
    make_sandbox: SandboxFactory,
    sandbox: Sandbox,
    store: StoreState,
    tokens: dict[str, str],
) -> None:
    found = CASES[name]
    if found.products is not None:
        sandbox = make_sandbox(products=found.products, stores=1)
        store = next(iter(sandbox.stores.values()))
        tokens = {a.name: t for t, a in store.accounts.items()}
    transport = httpx.ASGITransport(app=create_app(sandbox))
    headers = {"X-Auth-Token": tokens["full"], "Accept": "application/json"}
    async with httpx.AsyncClient(
        transport=transport, base_url=IN_PROCESS_URL, headers=headers
    ) as client:
        response = await found.run(Ctx(client, sandbox, store))
    assert response.status_code == found.status, response.text[:500]
    if found.expect is not None:
        found.expect(response)
    if found.comma_lists:
        errors = _list_errors(response.request)
        assert errors, "the case must send a list"
        assert spec_errors(response, body=fill_documented_nulls(response.json())) == errors
        _check(response, validate_request=False)
    elif declares_status(response):
        _check(response, validate_request=True)
    else:
        assert spec_errors(response) == [
            f"ResponseNotFound: Unknown response http status: {response.status_code}"
        ]
