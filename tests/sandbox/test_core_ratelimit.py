"""The per-store quota: headers on every answer, 429 when spent, refill after the window."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from bigsync.sandbox.backend import PLAN_QUOTAS, Sandbox, StoreState
from bigsync.sandbox.ratelimit import UNLIMITED_QUOTA, RateWindow

RATE_HEADERS = (
    "x-rate-limit-time-window-ms",
    "x-rate-limit-time-reset-ms",
    "x-rate-limit-requests-quota",
    "x-rate-limit-requests-left",
)


def _ints(response: httpx.Response) -> dict[str, int]:
    return {name: int(response.headers[name]) for name in RATE_HEADERS}


def test_window_arithmetic() -> None:
    window = RateWindow(quota=2, window_ms=30_000)
    first = window.take(1_000.0)
    assert first.allowed
    assert dict(first.headers)[b"x-rate-limit-requests-left"] == b"1"
    assert window.take(11_000.0).allowed
    denied = window.take(21_000.0)
    assert not denied.allowed
    assert dict(denied.headers)[b"x-rate-limit-time-reset-ms"] == b"10000"
    assert dict(denied.headers)[b"x-retry-after"] == b"10"
    assert denied.retry_after_s == 10
    assert window.take(31_000.0).allowed  # a new window started at 31 s


@pytest.mark.parametrize("plan", ["standard", "pro", "enterprise"])
def test_quota_follows_the_plan(store: StoreState, plan: str) -> None:
    store.set_plan(plan)
    decision = store.rate.take(0.0)
    assert dict(decision.headers)[b"x-rate-limit-requests-quota"] == str(PLAN_QUOTAS[plan]).encode()


async def test_quota_is_shared_by_every_account_and_refills(
    client: httpx.AsyncClient, sandbox: Sandbox, store: StoreState, tokens: dict[str, str]
) -> None:
    sandbox.clock.freeze()
    store.set_plan("standard")
    url = f"/stores/{store.hash}/v2/time"
    lefts = []
    for i in range(150):
        token = tokens["full"] if i % 2 else tokens["read-only"]
        response = await client.get(url, headers={"X-Auth-Token": token})
        assert response.status_code == 200
        lefts.append(_ints(response)["x-rate-limit-requests-left"])
    assert lefts == list(range(149, -1, -1))

    sandbox.clock.advance(timedelta(seconds=12))
    throttled = await client.get(url)
    assert throttled.status_code == 429
    assert throttled.json() == [{"status": 429, "message": throttled.json()[0]["message"]}]
    assert _ints(throttled) == {
        "x-rate-limit-time-window-ms": 30_000,
        "x-rate-limit-time-reset-ms": 18_000,
        "x-rate-limit-requests-quota": 150,
        "x-rate-limit-requests-left": 0,
    }
    assert throttled.headers["x-retry-after"] == "18"

    v3 = await client.get(f"/stores/{store.hash}/v3/channels")
    assert v3.status_code == 429
    assert v3.json()["status"] == 429

    other = next(s for s in sandbox.stores.values() if s is not store)
    other.set_plan("standard")
    other_token = next(iter(other.accounts))
    fine = await client.get(f"/stores/{other.hash}/v2/time", headers={"X-Auth-Token": other_token})
    assert fine.status_code == 200  # quotas are per store

    sandbox.clock.advance(timedelta(seconds=18))
    refilled = await client.get(url)
    assert refilled.status_code == 200
    assert _ints(refilled)["x-rate-limit-requests-left"] == 149

    stats = (await client.get("/_sandbox/stats")).json()["stores"][store.hash]
    assert stats["throttled"] == 2
    assert stats["endpoints"]["GET /v2/time"]["statuses"] == {"200": 151, "429": 1}


async def test_errors_carry_the_headers_and_401_costs_nothing(
    client: httpx.AsyncClient, store: StoreState
) -> None:
    store.set_plan("standard")
    url = f"/stores/{store.hash}/v2/time"
    unauthorized = await client.get(url, headers={"X-Auth-Token": "nope"})
    assert unauthorized.status_code == 401
    assert _ints(unauthorized)["x-rate-limit-requests-left"] == 150
    missing = await client.get(f"/stores/{store.hash}/v3/missing")
    assert missing.status_code == 404
    assert _ints(missing)["x-rate-limit-requests-left"] == 149


async def test_unlimited_plan_never_throttles(
    client: httpx.AsyncClient, sandbox: Sandbox, store: StoreState
) -> None:
    sandbox.clock.freeze()
    store.set_plan("unlimited")
    for _ in range(200):
        response = await client.get(f"/stores/{store.hash}/v2/time")
        assert response.status_code == 200
    assert _ints(response)["x-rate-limit-requests-quota"] == UNLIMITED_QUOTA
    assert _ints(response)["x-rate-limit-requests-left"] == UNLIMITED_QUOTA


async def test_window_can_be_compressed_through_settings(
    client: httpx.AsyncClient, sandbox: Sandbox, store: StoreState
) -> None:
    sandbox.clock.freeze()
    settings = await client.put(
        f"/_sandbox/stores/{store.hash}/settings", json={"plan": "standard", "window_ms": 100}
    )
    assert settings.json()["window_ms"] == 100
    response = await client.get(f"/stores/{store.hash}/v2/time")
    assert _ints(response)["x-rate-limit-time-window-ms"] == 100
    assert _ints(response)["x-rate-limit-time-reset-ms"] == 100


async def test_every_get_route_answers_with_the_rate_headers(
    client: httpx.AsyncClient, store_hash: str
) -> None:
    from tests.sandbox.coverage import operations

    paths = [re.sub(r"\{[^}]+\}", "1", path) for method, path in operations() if method == "GET"]
    assert len(paths) > 5
    for path in paths:
        for method in ("GET", "HEAD"):
            response = await client.request(method, f"/stores/{store_hash}{path}")
            assert response.status_code < 500, (method, path)
            missing = [name for name in RATE_HEADERS if name not in response.headers]
            assert missing == [], (method, path)
