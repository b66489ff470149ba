"""Per-store request rate over time in `GET /_sandbox/stats`: peaks per fixed quota window,
in any sliding window, and requests per second, all on the sandbox clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.stats import RequestTimeline

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T0_MS = T0.timestamp() * 1000


def test_fixed_window_peak_is_what_the_quota_counts_and_sliding_can_be_twice_that() -> None:
    timeline = RequestTimeline()
    window = 30_000
    for n in range(10):  # the last second of window 1
        timeline.add(T0_MS + 29_000 + n, window_start_ms=T0_MS, window_ms=window)
    for n in range(10):  # the first second of window 2
        timeline.add(T0_MS + 30_000 + n, window_start_ms=T0_MS + 30_000, window_ms=window)
    timeline.add(T0_MS + 61_000, window_start_ms=T0_MS + 61_000, window_ms=window)
    assert timeline.peak_in_window.requests == 10
    assert timeline.peak_in_window.at_ms == T0_MS
    assert timeline.peak_sliding.requests == 20
    assert timeline.peak_sliding.at_ms == T0_MS + 30_009
    body = timeline.as_json(per_second=True)
    assert body["busiest_second"] == 10
    second = int(T0_MS // 1000)
    assert body["per_second"] == {str(second + 29): 10, str(second + 30): 10, str(second + 61): 1}
    assert body["peak_in_window"] == {"requests": 10, "window_start": T0.isoformat()}
    assert "per_second" not in timeline.as_json()


def test_sliding_window_forgets_requests_older_than_the_window_and_a_clock_going_back() -> None:
    timeline = RequestTimeline()
    for at in (0, 1000, 2000):
        timeline.add(T0_MS + at, window_start_ms=T0_MS, window_ms=1500)
    assert timeline.peak_sliding.requests == 2
    timeline.add(T0_MS - 10_000, window_start_ms=T0_MS - 10_000, window_ms=1500)
    timeline.add(T0_MS - 9_999, window_start_ms=T0_MS - 10_000, window_ms=1500)
    assert timeline.peak_sliding.requests == 2  # the clock went back: counting starts afresh
    timeline.add(T0_MS - 9_998, window_start_ms=T0_MS - 10_000, window_ms=1500)
    assert timeline.peak_sliding.requests == 3


async def test_stats_show_each_stores_peak_and_quota(
    client: httpx.AsyncClient, sandbox: Sandbox, store: StoreState
) -> None:
    sandbox.clock.freeze(T0)
    store.set_plan("standard")
    path = f"/stores/{store.hash}/v2/time"
    for _ in range(5):
        assert (await client.get(path)).status_code == 200
    sandbox.clock.advance(timedelta(seconds=30))  # the next quota window
    for _ in range(3):
        await client.get(path)
    assert (await client.get(path, headers={"X-Auth-Token": "wrong"})).status_code == 401
    stats = (await client.get("/_sandbox/stats")).json()["stores"]
    mine = stats[store.hash]
    assert mine["quota"] == 150
    assert mine["rate"]["window_ms"] == 30_000
    assert mine["rate"]["peak_in_window"] == {"requests": 5, "window_start": T0.isoformat()}
    assert mine["rate"]["peak_sliding"]["requests"] == 5
    assert "per_second" not in mine["rate"]
    other = next(h for h in stats if h != store.hash)
    assert stats[other]["rate"]["peak_in_window"] == {"requests": 0, "window_start": None}
    detailed = (await client.get("/_sandbox/stats", params={"per_second": "true"})).json()
    second = int(T0.timestamp())
    assert detailed["stores"][store.hash]["rate"]["per_second"] == {
        str(second): 5,
        str(second + 30): 4,
    }
    await client.delete("/_sandbox/stats")
    cleared = (await client.get("/_sandbox/stats")).json()["stores"][store.hash]
    assert cleared["rate"]["peak_in_window"]["requests"] == 0


async def test_refused_requests_count_toward_the_peak(
    client: httpx.AsyncClient, sandbox: Sandbox, store: StoreState
) -> None:
    sandbox.clock.freeze(T0)
    store.set_plan("standard")
    store.rate.quota = 3
    statuses = [(await client.get(f"/stores/{store.hash}/v2/time")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    rate = (await client.get("/_sandbox/stats")).json()["stores"][store.hash]["rate"]
    assert rate["peak_in_window"]["requests"] == 5  # the client sent five in one window
    busiest = (await client.get("/_sandbox/stats")).json()["busiest"]
    assert busiest == {"store": store.hash, "peak_in_window": 5, "quota": 3, "share": 1.6667}


async def test_no_busiest_store_before_any_request_or_without_a_quota(
    client: httpx.AsyncClient, store: StoreState
) -> None:
    await client.get(f"/stores/{store.hash}/v2/time")  # plan unlimited: no quota to compare
    assert (await client.get("/_sandbox/stats")).json()["busiest"] is None
    store.set_plan("standard")
    await client.delete("/_sandbox/stats")
    assert (await client.get("/_sandbox/stats")).json()["busiest"] is None
    await client.get(f"/stores/{store.hash}/v2/time")
    busiest = (await client.get("/_sandbox/stats")).json()["busiest"]
    assert (busiest["store"], busiest["quota"]) == (store.hash, 150)
