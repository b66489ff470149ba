"""The client against the sandbox in process (httpx.ASGITransport): answers, errors, faults."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from bigsync.bigcommerce.client import USER_AGENT
from bigsync.bigcommerce.retry import RetryPolicy
from bigsync.bigcommerce.testing import FakeTime
from bigsync.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    HttpStatusError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnprocessableError,
)
from bigsync.sandbox.backend import StoreState
from tests.client.conftest import FAST_RETRIES, ClientFactory, add_fault, sandbox_stats

PRODUCTS = "/v3/catalog/products"


async def first_order_id(client: BigCommerceClient) -> int:
    [order] = await client.get("/v2/orders", params={"limit": 1})
    return int(order["id"])


async def test_get_returns_the_decoded_body(make_client: ClientFactory, store: StoreState) -> None:
    async with make_client() as client:
        info = await client.get("/v2/store")
        products = await client.get(PRODUCTS, params={"limit": 1, "include": ["variants"]})
    assert info["id"] == store.hash
    assert len(products["data"]) == 1
    assert "variants" in products["data"][0]
    assert client.stats.requests == 2
    assert client.stats.by_status == {200: 2}


async def test_request_returns_status_headers_and_body(make_client: ClientFactory) -> None:
    async with make_client() as client:
        response = await client.request("GET", "/v2/orders/count")
        order_id = await first_order_id(client)
        gone = await client.request("DELETE", f"/v2/orders/{order_id}")
    assert response.status == 200
    assert response.headers["X-Rate-Limit-Requests-Quota"]  # case-insensitive
    assert response.body["count"] == 610
    assert (gone.status, gone.body) == (204, None)


@pytest.mark.parametrize(
    "bad",
    [{"max_concurrency": 0}, {"lookahead": 0}, {"reserve_share": 1.0}, {"reserve_share": -0.1}],
)
def test_options_are_checked(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        ClientOptions(**bad)  # type: ignore[arg-type]


async def test_paths_must_name_the_api_version(make_client: ClientFactory) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match="/v2/ or /v3/"):
            await client.get("/catalog/products")


async def test_wrong_token_is_401_and_never_retried(
    make_client: ClientFactory, store: StoreState, control: httpx.AsyncClient
) -> None:
    async with make_client(access_token="wrong0token0for0this0store0abcd") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get(PRODUCTS)
    assert caught.value.status == 401
    assert client.stats.requests == 1
    assert client.stats.retries == 0
    assert (await sandbox_stats(control, store.hash))["requests"] == 1


async def test_403_names_the_missing_scope(make_client: ClientFactory) -> None:
    async with make_client("catalog-only") as client:
        await client.get(PRODUCTS, params={"limit": 1})
        with pytest.raises(PermissionDeniedError) as caught:
            await client.get("/v2/orders")
    error = caught.value
    assert error.required_scope == "store_v2_orders_read_only"
    assert "Orders: read-only" in str(error)
    assert client.stats.retries == 0


async def test_read_only_token_cannot_write(make_client: ClientFactory) -> None:
    async with make_client("read-only") as client:
        with pytest.raises(PermissionDeniedError) as caught:
            await client.request("PUT", "/v2/orders/1", json={"status_id": 2})
    assert caught.value.required_scope == "store_v2_orders"


async def test_404_and_422_are_not_retried(make_client: ClientFactory) -> None:
    async with make_client() as client:
        with pytest.raises(NotFoundError):
            await client.get("/v2/orders/987654321")
        with pytest.raises(UnprocessableError) as caught:
            await client.request("POST", PRODUCTS, json={"name": "No price"})
        with pytest.raises(BadRequestError) as v2:
            await client.request("POST", "/v2/shipping/zones", json={})
    assert client.stats.retries == 0
    assert client.stats.requests == 3
    assert "price" in caught.value.field_errors
    assert set(v2.value.field_errors) == {"name", "type"}


async def test_variant_batch_errors_are_keyed_by_index(make_client: ClientFactory) -> None:
    async with make_client() as client:
        [variant] = (await client.get("/v3/catalog/variants", params={"limit": 1}))["data"]
        batch = [{"id": variant["id"], "sku": "DUP-1"}, {"id": variant["id"], "sku": "dup-1"}]
        with pytest.raises(UnprocessableError) as caught:
            await client.request("PUT", "/v3/catalog/variants", json=batch, idempotent=True)
    assert caught.value.field_errors
    assert all(key.startswith("[") for key in caught.value.field_errors)
    assert client.stats.retries == 0


async def test_429_storm_with_headers_waits_the_reset_then_recovers(
    make_client: ClientFactory,
    store: StoreState,
    control: httpx.AsyncClient,
    fake_time: FakeTime,
) -> None:
    await control.put(f"/_sandbox/stores/{store.hash}/settings", json={"window_ms": 400})
    await add_fault(control, kind="rate_limit", path=PRODUCTS, count=2, with_headers=True)
    async with make_client() as client:
        started = fake_time.now
        body = await client.get(PRODUCTS, params={"limit": 5})
        elapsed = fake_time.now - started
    assert len(body["data"]) == 5
    assert client.stats.rate_limited == 2
    assert client.stats.retries == 2
    # The sandbox's window is 0.4 s, but X-Retry-After says 1 s (whole seconds): the longer,
    # twice. The waits are the client's own (no extra backoff on top of them).
    assert elapsed >= 2.0
    assert client.stats.waited_s == pytest.approx(2.0, abs=0.01)


async def test_429_storm_without_headers_backs_off_with_jitter(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(control, kind="rate_limit", path=PRODUCTS, count=4, with_headers=False)
    async with make_client() as client:
        body = await client.get(PRODUCTS, params={"limit": 2})
    assert len(body["data"]) == 2
    assert (client.stats.rate_limited, client.stats.retries) == (4, 4)
    assert client.stats.waited_s < 1.0  # base 0.01 s, doubling, jittered


async def test_429s_that_never_end_give_up_within_the_bounds(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(control, kind="rate_limit", path=PRODUCTS, with_headers=False)
    options = ClientOptions(retry=RetryPolicy(max_attempts=3, backoff_base_s=0.01))
    async with make_client(options=options) as client:
        with pytest.raises(RateLimitedError):
            await client.get(PRODUCTS)
    assert client.stats.requests == 3


class OneAbsurd429(httpx.AsyncBaseTransport):
    """Passes requests to `inner`, except the first, answered by a 429 asking for a day."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent == 1:
            return httpx.Response(429, headers={"X-Retry-After": "86400"})
        return await self.inner.handle_async_request(request)


async def test_a_429_asking_for_a_day_holds_the_store_no_longer_than_the_retry_bound(
    make_client: ClientFactory, app: Starlette, fake_time: FakeTime
) -> None:
    options = ClientOptions(retry=RetryPolicy(max_elapsed_s=0.3, backoff_base_s=0.01))
    transport = OneAbsurd429(httpx.ASGITransport(app=app))
    async with make_client(options=options, transport=transport) as client:
        with pytest.raises(RateLimitedError):
            await client.get(PRODUCTS)  # a day is past the bound: given up at once
        started = fake_time.now
        store = await client.get("/v2/store")
    assert store["id"]
    assert fake_time.now - started == pytest.approx(0.3)  # the bound, not a day


async def test_5xx_burst_is_retried(make_client: ClientFactory, control: httpx.AsyncClient) -> None:
    await add_fault(control, kind="error", status=503, path="/v2/orders", count=3)
    async with make_client() as client:
        orders = await client.get("/v2/orders", params={"limit": 3})
    assert len(orders) == 3
    assert client.stats.by_status == {503: 3, 200: 1}
    assert client.stats.retries == 3


async def test_501_is_not_retried(make_client: ClientFactory, control: httpx.AsyncClient) -> None:
    await add_fault(control, kind="error", status=501, path="/v2/orders", count=1)
    async with make_client() as client:
        with pytest.raises(ServerError) as caught:
            await client.get("/v2/orders")
    assert caught.value.status == 501
    assert client.stats.requests == 1


async def test_writes_are_retried_only_when_marked_idempotent(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(
        control, kind="error", status=500, path="/v2/orders/*", methods=["PUT"], count=1
    )
    async with make_client() as client:
        order_id = await first_order_id(client)
        with pytest.raises(ServerError):
            await client.request("PUT", f"/v2/orders/{order_id}", json={"status_id": 2})
        assert client.stats.requests == 2
        await add_fault(
            control, kind="error", status=500, path="/v2/orders/*", methods=["PUT"], count=1
        )
        response = await client.request(
            "PUT", f"/v2/orders/{order_id}", json={"status_id": 2}, idempotent=True
        )
    assert response.body["status_id"] == 2
    assert client.stats.retries == 1


async def test_writes_are_repeated_after_a_429(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(
        control,
        kind="rate_limit",
        path="/v2/orders/*",
        methods=["PUT"],
        count=1,
        with_headers=False,
    )
    async with make_client() as client:
        order_id = await first_order_id(client)
        response = await client.request("PUT", f"/v2/orders/{order_id}", json={"status_id": 11})
    assert response.body["status_id"] == 11
    assert client.stats.rate_limited == 1


async def test_dropped_connection_is_retried(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(control, kind="drop", path="/v2/store", count=2)
    async with make_client() as client:
        info = await client.get("/v2/store")
    assert info["name"]
    assert client.stats.transport_errors == 2
    assert client.stats.retries == 2


async def test_truncated_body_is_retried(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(control, kind="truncate", path=PRODUCTS, count=1)
    async with make_client() as client:
        body = await client.get(PRODUCTS, params={"limit": 10})
    assert len(body["data"]) == 10
    assert client.stats.retries == 1


async def test_persistent_truncation_ends_in_malformed_response(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(control, kind="truncate", path=PRODUCTS)
    options = ClientOptions(retry=RetryPolicy(max_attempts=2, backoff_base_s=0.01))
    async with make_client(options=options) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.get(PRODUCTS)
    assert caught.value.method == "GET"
    assert caught.value.url.endswith(PRODUCTS)


async def test_persistent_drops_end_in_network_error(
    make_client: ClientFactory, control: httpx.AsyncClient
) -> None:
    await add_fault(control, kind="drop", path="/v2/store")
    options = ClientOptions(retry=RetryPolicy(max_attempts=2, backoff_base_s=0.01))
    async with make_client(options=options) as client:
        with pytest.raises(NetworkError):
            await client.get("/v2/store")


async def test_headers_sent(app: object, store: StoreState, tokens: dict[str, str]) -> None:
    seen: list[dict[str, str]] = []

    async def recording(scope: dict, receive: object, send: object) -> None:
        if scope["type"] == "http":
            seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await app(scope, receive, send)  # type: ignore[operator]

    credentials = StoreCredentials(store_hash=store.hash, access_token=tokens["full"])
    transport = httpx.ASGITransport(app=recording)  # type: ignore[arg-type]
    async with BigCommerceClient(credentials, base_url="http://x", transport=transport) as client:
        await client.get("/v2/store")
    [headers] = seen
    assert headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("bigsync/")
    assert headers["x-auth-token"] == tokens["full"]
    assert headers["accept"] == "application/json"
    assert "gzip" in headers["accept-encoding"]


async def test_a_redirect_is_an_error_not_a_success(store: StoreState) -> None:
    """BigCommerce answers http:// with 301 to https://; the client must not follow it blindly
    (the token would go wherever the redirect points) nor take it for a success."""
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    async def to_https(request: object) -> RedirectResponse:
        return RedirectResponse("https://api.example.test/v2/store", status_code=301)

    redirecting = Starlette(routes=[Route("/stores/{hash}/v2/store", to_https)])
    credentials = StoreCredentials(store_hash=store.hash, access_token="x" * 30)
    transport = httpx.ASGITransport(app=redirecting)
    async with BigCommerceClient(credentials, base_url="http://x", transport=transport) as client:
        with pytest.raises(HttpStatusError, match="base URL") as caught:
            await client.get("/v2/store")
    assert caught.value.status == 301
    assert client.stats.requests == 1


async def test_token_never_in_repr_logs_or_errors(
    make_client: ClientFactory,
    tokens: dict[str, str],
    control: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    await add_fault(control, kind="error", status=500, path="/v2/store", count=1)
    await add_fault(control, kind="drop", path="/v2/time", count=1)
    options = ClientOptions(retry=FAST_RETRIES)
    for name in ("full", "catalog-only"):
        async with make_client(name, options=options) as client:
            for path in ("/v2/time", "/v2/store", "/v2/orders", "/v2/orders/99999999"):
                try:
                    await client.get(path)
                except ApiError as error:
                    errors.append(error)
            assert tokens[name] not in repr(client)
            assert tokens[name] not in repr(client.credentials)
    assert len(errors) >= 3
    texts = [caplog.text]
    for raised in errors:
        texts += [str(raised), repr(raised), str(raised.__cause__), str(vars(raised))]
    for token in tokens.values():
        assert all(token not in text for text in texts)
    assert "retrying" in caplog.text  # the retries were logged, without the token
