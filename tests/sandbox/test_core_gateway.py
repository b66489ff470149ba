"""The gateway: store lookup, token auth, scopes, read-only accounts, 404/405 shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from bigsync.sandbox import create_app
from bigsync.sandbox.backend import Sandbox, StoreState
from bigsync.sandbox.builder import add_account
from bigsync.sandbox.context import account_of, store_of
from bigsync.sandbox.faults import FaultSpec
from bigsync.sandbox.gateway import FORBIDDEN_V3, UNAUTHORIZED_V3, mount_store_routes
from bigsync.sandbox.responses import json_response
from bigsync.sandbox.scopes import is_granted, required_scopes


async def _echo(request: Request) -> Response:
    return json_response({"store": store_of(request).hash, "account": account_of(request).name})


ECHO_ROUTES = [
    Route("/v3/catalog/products", _echo, methods=["GET", "POST"]),
    Route("/v2/orders/{order_id}", _echo, methods=["GET", "PUT"]),
    Route("/v3/hooks", _echo, methods=["GET", "POST"]),
]


@pytest.fixture
async def echo(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    """The real gateway in front of handlers that echo who was let through."""
    app = Starlette(routes=mount_store_routes(ECHO_ROUTES))
    app.state.sandbox = sandbox
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sandbox"
    ) as client:
        yield client


async def test_missing_or_unknown_token_is_401_in_both_shapes(
    client: httpx.AsyncClient, store_hash: str
) -> None:
    v3 = await client.get(f"/stores/{store_hash}/v3/channels", headers={"X-Auth-Token": ""})
    assert v3.status_code == 401
    assert v3.json() == {
        "status": 401,
        "title": UNAUTHORIZED_V3,
        "type": "/api-docs/getting-started/api-status-codes",
    }
    v2 = await client.get(f"/stores/{store_hash}/v2/time", headers={"X-Auth-Token": "x" * 31})
    assert v2.status_code == 401
    assert v2.json()[0]["status"] == 401
    assert "x-rate-limit-requests-left" in v2.headers


async def test_token_of_another_store_is_401(
    client: httpx.AsyncClient, sandbox: Sandbox, store_hash: str
) -> None:
    other = next(s for s in sandbox.stores.values() if s.hash != store_hash)
    foreign = next(iter(other.accounts))
    response = await client.get(f"/stores/{store_hash}/v2/time", headers={"X-Auth-Token": foreign})
    assert response.status_code == 401
    own = await client.get(f"/stores/{other.hash}/v2/time", headers={"X-Auth-Token": foreign})
    assert own.status_code == 200


async def test_x_auth_client_is_ignored(
    client: httpx.AsyncClient, store_hash: str, tokens: dict[str, str]
) -> None:
    response = await client.get(
        f"/stores/{store_hash}/v2/time",
        headers={"X-Auth-Client": "not-a-client", "X-Auth-Token": tokens["read-only"]},
    )
    assert response.status_code == 200


async def test_unknown_store_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/stores/nosuchstore/v3/channels")
    assert response.status_code == 404
    assert response.json()["title"] == "The requested store was not found."


async def test_unknown_path_and_wrong_method_answer_in_the_api_shape(
    client: httpx.AsyncClient, store_hash: str
) -> None:
    missing = await client.get(f"/stores/{store_hash}/v3/no/such/thing")
    assert missing.status_code == 404
    assert missing.json()["status"] == 404
    wrong = await client.delete(f"/stores/{store_hash}/v2/time")
    assert wrong.status_code == 405
    assert wrong.json() == [
        {"status": 405, "message": "The requested method is not allowed for this resource."}
    ]
    assert "x-rate-limit-time-window-ms" in wrong.headers


async def test_missing_scope_is_403_with_the_documented_body(
    echo: httpx.AsyncClient, store: StoreState, tokens: dict[str, str]
) -> None:
    catalog_only = {"X-Auth-Token": tokens["catalog-only"]}
    allowed = await echo.get(f"/stores/{store.hash}/v3/catalog/products", headers=catalog_only)
    assert allowed.json() == {"store": store.hash, "account": "catalog-only"}
    v2 = await echo.get(f"/stores/{store.hash}/v2/orders/1", headers=catalog_only)
    assert v2.status_code == 403
    assert v2.json() == [
        {"status": 403, "message": "You do not have permission to make this request."}
    ]
    v3 = await echo.post(f"/stores/{store.hash}/v3/catalog/products", headers=catalog_only)
    assert v3.status_code == 403
    assert v3.json() == {
        "status": 403,
        "title": FORBIDDEN_V3,
        "type": "/api-docs/getting-started/api-status-codes",
    }


async def test_read_only_scopes_allow_only_get_and_head(
    echo: httpx.AsyncClient, store: StoreState, tokens: dict[str, str]
) -> None:
    read_only = {"X-Auth-Token": tokens["read-only"]}
    url = f"/stores/{store.hash}/v2/orders/5"
    assert (await echo.get(url, headers=read_only)).status_code == 200
    assert (await echo.head(url, headers=read_only)).status_code == 200
    assert (await echo.put(url, headers=read_only)).status_code == 403
    full = {"X-Auth-Token": tokens["full"]}
    assert (await echo.put(url, headers=full)).status_code == 200


async def test_hooks_need_no_scope(
    echo: httpx.AsyncClient, sandbox: Sandbox, store: StoreState
) -> None:
    bare = add_account(sandbox, store, name="bare", scopes=[])
    headers = {"X-Auth-Token": bare.access_token}
    assert (await echo.post(f"/stores/{store.hash}/v3/hooks", headers=headers)).status_code == 200
    products = await echo.get(f"/stores/{store.hash}/v3/catalog/products", headers=headers)
    assert products.status_code == 403


@pytest.mark.parametrize(
    ("path", "scopes"),
    [
        ("/v3/catalog/products/{product_id}/variants", {"store_v2_products"}),
        ("/v3/catalog/trees/categories", {"store_v2_products"}),
        ("/v2/orders/7/shipments", {"store_v2_orders"}),
        ("/v2/order_statuses", {"store_v2_orders"}),
        ("/v3/orders/7/transactions", {"store_v2_transactions"}),
        ("/v3/orders/7/payment_actions/refunds", {"store_v2_orders", "store_v2_transactions"}),
        ("/v3/customers", {"store_v2_customers"}),
        ("/v2/customer_groups/3", {"store_v2_customers"}),
        ("/v3/inventory/locations", {"store_locations"}),
        ("/v3/inventory/locations/metafields", {"store_locations"}),
        ("/v3/inventory/locations/{location_id}/metafields/4", {"store_locations"}),
        ("/v3/inventory/locations/2/items", {"store_inventory"}),
        ("/v3/inventory/items", {"store_inventory"}),
        ("/v3/inventory/adjustments/absolute", {"store_inventory"}),
        ("/v2/store", {"store_v2_information"}),
        ("/v2/time", {"store_v2_information"}),
        ("/v2/shipping/zones/1/methods", {"store_v2_information"}),
        ("/v3/channels", {"store_channel_settings"}),
        ("/v3/channels/1/listings", {"store_channel_listings"}),
        ("/v3/hooks", set()),
        ("/v3/hooks/12", set()),
    ],
)
def test_scope_table(path: str, scopes: set[str]) -> None:
    assert required_scopes(path) == scopes


def test_is_granted() -> None:
    need = frozenset({"store_v2_orders"})
    assert is_granted(frozenset({"store_v2_orders"}), need, "DELETE")
    assert is_granted(frozenset({"store_v2_orders_read_only"}), need, "HEAD")
    assert not is_granted(frozenset({"store_v2_orders_read_only"}), need, "POST")
    assert not is_granted(frozenset({"store_v2_products"}), need, "GET")
    assert is_granted(frozenset(), frozenset(), "POST")


async def test_the_app_can_be_mounted_under_a_prefix(
    sandbox: Sandbox, store: StoreState, tokens: dict[str, str]
) -> None:
    outer = Starlette(routes=[Mount("/bc", app=create_app(sandbox))])
    sandbox.faults.add(FaultSpec(kind="error", path="/v3/channels", status=503), now=sandbox.now())
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(transport=transport, base_url="http://host") as client:
        headers = {"X-Auth-Token": tokens["full"]}
        faulted = await client.get(f"/bc/stores/{store.hash}/v3/channels", headers=headers)
        assert faulted.status_code == 503
        fine = await client.get(f"/bc/stores/{store.hash}/v3/channels/1", headers=headers)
        assert fine.status_code == 200


async def test_a_foreign_token_can_be_made_a_403(
    client: httpx.AsyncClient, sandbox: Sandbox, store_hash: str
) -> None:
    other = next(s for s in sandbox.stores.values() if s.hash != store_hash)
    foreign = {"X-Auth-Token": next(iter(other.accounts))}
    settings = await client.put(
        f"/_sandbox/stores/{store_hash}/settings", json={"foreign_token_status": 403}
    )
    assert settings.json()["foreign_token_status"] == 403
    url = f"/stores/{store_hash}/v3/channels"
    assert (await client.get(url, headers=foreign)).json()["status"] == 403
    assert (await client.get(url, headers={"X-Auth-Token": "z" * 31})).status_code == 401
    bad = {"foreign_token_status": 418}
    assert (
        await client.put(f"/_sandbox/stores/{store_hash}/settings", json=bad)
    ).status_code == 400


async def test_accept_and_content_type_are_checked(
    echo: httpx.AsyncClient, store: StoreState, tokens: dict[str, str]
) -> None:
    url = f"/stores/{store.hash}/v3/catalog/products"
    token = tokens["full"]
    html = await echo.get(url, headers={"X-Auth-Token": token, "Accept": "text/html"})
    assert html.status_code == 406
    for accept in ("application/json", "*/*", "application/problem+json, text/plain"):
        ok = await echo.get(url, headers={"X-Auth-Token": token, "Accept": accept})
        assert ok.status_code == 200, accept
    form = await echo.post(
        url,
        headers={"X-Auth-Token": token, "Content-Type": "application/x-www-form-urlencoded"},
        content=b"a=1",
    )
    assert form.status_code == 415
    assert form.json()["title"] == "The content type of the request is not supported."
    assert (await echo.post(url, headers={"X-Auth-Token": token}, json={})).status_code == 200
