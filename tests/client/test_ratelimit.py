"""Rate-limit arithmetic: headers, the budget, pacing, and the governor's registry."""

from __future__ import annotations

import asyncio

import pytest

from bigsync.bigcommerce.ratelimit import (
    Budget,
    RateGovernor,
    RateHeaders,
    budget_after_answer,
    governor_for,
    read_rate_headers,
    reserve_of,
    schedule_send,
    store_key,
    wait_after_429,
)
from bigsync.bigcommerce.testing import FakeTime

FULL = {
    "X-Rate-Limit-Time-Window-Ms": "30000",
    "X-Rate-Limit-Time-Reset-Ms": "15000",
    "X-Rate-Limit-Requests-Quota": "150",
    "X-Rate-Limit-Requests-Left": "35",
}


def test_headers_are_read_case_insensitively() -> None:
    lower = {k.lower(): v for k, v in FULL.items()}
    expected = RateHeaders(window_ms=30000, reset_ms=15000, quota=150, left=35)
    assert read_rate_headers(FULL) == expected
    assert read_rate_headers(lower) == expected
    assert read_rate_headers(FULL).is_complete


def test_missing_or_garbled_headers_read_as_none() -> None:
    read = read_rate_headers({"X-Rate-Limit-Requests-Left": "many", "X-Retry-After": "-3"})
    assert read == RateHeaders()
    assert not read.is_complete
    assert read_rate_headers({"x-retry-after": "2"}).retry_after_s == 2.0


def test_wait_after_429() -> None:
    assert wait_after_429(FULL) == 15.0
    assert wait_after_429({**FULL, "X-Retry-After": "20"}) == 20.0
    assert wait_after_429({"X-Retry-After": "3"}) == 3.0
    assert wait_after_429({}) is None


def test_contradictory_headers_are_bounded_by_the_window_and_the_quota() -> None:
    garbled = {
        **FULL,
        "X-Rate-Limit-Time-Reset-Ms": "900000000",  # ten days, in a 30 s window
        "X-Rate-Limit-Requests-Left": "5000",  # more than the quota
    }
    read = read_rate_headers(garbled)
    assert (read.reset_ms, read.left) == (30000, 150)
    assert wait_after_429(garbled) == 30.0
    budget = budget_after_answer(None, read, received_at=100.0, sequence=0, sent_since=0)
    assert budget is not None
    spent = Budget(quota=150, window_s=30.0, left=0, resets_at=budget.resets_at)
    at, _, _ = schedule_send(spent, now=100.0, not_before=0.0, reserve_share=0.1)
    assert at <= 130.0  # waits at most one window, not ten days
    zero_window = read_rate_headers({**garbled, "X-Rate-Limit-Time-Window-Ms": "0"})
    assert zero_window.reset_ms == 0


def test_reserve_share() -> None:
    assert reserve_of(150, 0.1) == 15
    assert reserve_of(450, 0.1) == 45
    assert reserve_of(150, 0.0) == 0
    assert reserve_of(7, 0.1) == 1


def test_budget_from_headers_subtracts_requests_sent_since() -> None:
    budget = budget_after_answer(
        None, read_rate_headers(FULL), received_at=100.0, sequence=7, sent_since=5
    )
    assert budget == Budget(quota=150, window_s=30.0, left=30, resets_at=115.0, since=7)


def test_incomplete_headers_leave_the_budget_alone() -> None:
    budget = Budget(quota=150, window_s=30.0, left=30, resets_at=115.0)
    assert (
        budget_after_answer(budget, RateHeaders(left=3), received_at=101, sequence=0, sent_since=0)
        is budget
    )
    assert (
        budget_after_answer(None, RateHeaders(), received_at=101, sequence=0, sent_since=0) is None
    )


def test_same_window_answers_only_lower_left_and_push_the_reset_later() -> None:
    budget = Budget(quota=150, window_s=30.0, left=30, resets_at=115.0)
    later_higher = read_rate_headers({**FULL, "X-Rate-Limit-Requests-Left": "80"})
    merged = budget_after_answer(budget, later_higher, received_at=100.5, sequence=3, sent_since=0)
    assert merged == Budget(quota=150, window_s=30.0, left=30, resets_at=115.5)
    lower = read_rate_headers({**FULL, "X-Rate-Limit-Requests-Left": "10"})
    merged = budget_after_answer(budget, lower, received_at=99.0, sequence=4, sent_since=0)
    assert merged == Budget(quota=150, window_s=30.0, left=10, resets_at=115.0)


def test_next_window_replaces_and_stale_window_is_ignored() -> None:
    budget = Budget(quota=150, window_s=30.0, left=2, resets_at=115.0, since=0)
    fresh = read_rate_headers(
        {**FULL, "X-Rate-Limit-Time-Reset-Ms": "29900", "X-Rate-Limit-Requests-Left": "149"}
    )
    replaced = budget_after_answer(budget, fresh, received_at=116.0, sequence=9, sent_since=0)
    assert replaced == Budget(quota=150, window_s=30.0, left=149, resets_at=145.9, since=9)
    # A late answer to request 8, sent before the window that began with request 9.
    stale = read_rate_headers({**FULL, "X-Rate-Limit-Time-Reset-Ms": "100"})
    assert budget_after_answer(replaced, stale, received_at=116.0, sequence=8, sent_since=1) is (
        replaced
    )


def test_a_window_another_app_began_replaces_our_guess() -> None:
    """After a pause we assume a full, fresh window from our first request; the answer shows
    another app began the window 25 s ago and spent most of it: the answer wins."""
    guess = Budget(quota=150, window_s=30.0, left=149, resets_at=530.0, since=40)
    busy = read_rate_headers(
        {**FULL, "X-Rate-Limit-Time-Reset-Ms": "5000", "X-Rate-Limit-Requests-Left": "12"}
    )
    seen = budget_after_answer(guess, busy, received_at=500.1, sequence=40, sent_since=0)
    assert seen == Budget(quota=150, window_s=30.0, left=12, resets_at=505.1, since=40)
    at, _, _ = schedule_send(seen, now=500.2, not_before=0.0, reserve_share=0.1)
    assert at == 505.1  # 12 left is inside the reserve: wait for the refill


def test_rolling_into_a_new_window_records_where_it_began() -> None:
    spent = Budget(quota=150, window_s=30.0, left=15, resets_at=115.0, since=0)
    _, _, after = schedule_send(spent, now=120.0, not_before=0.0, reserve_share=0.1, sequence=77)
    assert after == Budget(quota=150, window_s=30.0, left=149, resets_at=150.0, since=77)


def test_no_budget_means_no_pacing() -> None:
    assert schedule_send(None, now=10.0, not_before=0.0, reserve_share=0.1) == (10.0, 10.0, None)
    assert schedule_send(None, now=10.0, not_before=12.0, reserve_share=0.1) == (12.0, 12.0, None)


def test_usable_requests_are_spread_over_the_rest_of_the_window() -> None:
    # 35 left, 15 kept for other apps: 20 usable over 15 s.
    budget = Budget(quota=150, window_s=30.0, left=35, resets_at=115.0)
    at, next_at, after = schedule_send(budget, now=100.0, not_before=0.0, reserve_share=0.1)
    assert at == 100.0
    assert after is not None
    assert after.left == 34
    assert next_at == pytest.approx(100.0 + 15.0 / 20)


def test_a_spent_window_waits_for_the_reset() -> None:
    budget = Budget(quota=150, window_s=30.0, left=15, resets_at=115.0)
    at, next_at, after = schedule_send(budget, now=100.0, not_before=0.0, reserve_share=0.1)
    assert at == 115.0
    assert after == Budget(quota=150, window_s=30.0, left=149, resets_at=145.0, since=0)
    assert next_at == pytest.approx(115.0 + 30.0 / 135)


def test_pacing_a_whole_window_sends_exactly_the_usable_share() -> None:
    budget: Budget | None = Budget(quota=150, window_s=30.0, left=150, resets_at=30.0)
    now, sent = 0.0, []
    for _ in range(300):
        at, now, budget = schedule_send(budget, now=now, not_before=now, reserve_share=0.1)
        sent.append(at)
    per_window = [sum(1 for t in sent if w * 30.0 <= t < (w + 1) * 30.0) for w in range(3)]
    assert per_window[:2] == [135, 135]
    assert sent[-1] < 3 * 30.0


def test_no_reserve_uses_the_whole_quota() -> None:
    budget: Budget | None = Budget(quota=10, window_s=1.0, left=10, resets_at=1.0)
    now, sent = 0.0, []
    for _ in range(10):
        at, now, budget = schedule_send(budget, now=now, not_before=now, reserve_share=0.0)
        sent.append(at)
    assert max(sent) < 1.0


async def test_one_governor_per_store_per_loop() -> None:
    first = governor_for("https://api.bigcommerce.com/", "abc123", max_concurrency=3)
    assert governor_for("https://api.bigcommerce.com", "abc123") is first
    assert first.max_concurrency == 3
    assert governor_for("https://api.bigcommerce.com", "other1") is not first
    assert governor_for("http://127.0.0.1:5780", "abc123") is not first


def test_a_store_is_its_api_host_and_hash_however_spelled() -> None:
    assert store_key("https://api.bigcommerce.com", "abc123") == "api.bigcommerce.com/abc123"
    assert store_key("HTTPS://API.BigCommerce.com/", "ABC123") == "api.bigcommerce.com/abc123"
    assert store_key("http://api.bigcommerce.com", "abc123") == "api.bigcommerce.com/abc123"
    assert store_key("http://127.0.0.1:5780/bc/", "abc123") == "127.0.0.1:5780/bc/abc123"
    assert store_key("http://127.0.0.1:5780", "abc123") != store_key(
        "http://127.0.0.1:5781", "abc123"
    )


async def test_connections_to_one_store_share_its_governor_under_the_stricter_settings() -> None:
    first = governor_for("https://api.bigcommerce.com", "shared1", max_concurrency=8)
    other = governor_for(
        "HTTPS://API.BigCommerce.com/", "shared1", max_concurrency=3, reserve_share=0.3
    )
    assert other is first
    assert (first.max_concurrency, first.reserve_share) == (3, 0.3)
    governor_for("https://api.bigcommerce.com", "shared1", max_concurrency=6, reserve_share=0.0)
    assert (first.max_concurrency, first.reserve_share) == (3, 0.3)  # never loosened


async def test_a_tightened_governor_bounds_the_requests_that_start_after() -> None:
    governor = RateGovernor(max_concurrency=4)
    running = peak = 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal running, peak
        async with governor.slot():
            running += 1
            peak = max(peak, running)
            await release.wait()
            running -= 1

    early = [asyncio.create_task(work()) for _ in range(4)]
    await asyncio.sleep(0)
    assert running == 4
    governor.tighten(max_concurrency=2, reserve_share=0.0)
    release.set()
    await asyncio.gather(*early)
    release.clear()
    peak = 0
    late = [asyncio.create_task(work()) for _ in range(6)]
    for _ in range(3):
        await asyncio.sleep(0)
    assert peak == 2
    release.set()
    await asyncio.gather(*late)
    assert governor.sent == 10


async def test_governor_bounds_concurrency() -> None:
    governor = RateGovernor(max_concurrency=3)
    running = peak = 0

    async def work() -> None:
        nonlocal running, peak
        async with governor.slot():
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0)  # the request is in flight; others run
            running -= 1

    await asyncio.gather(*(work() for _ in range(12)))
    assert peak == 3
    assert governor.sent == 12


async def test_governor_holds_everyone_after_a_429() -> None:
    time = FakeTime()
    governor = RateGovernor(clock=time.monotonic, sleep=time.sleep)
    governor.hold(0.2)
    async with governor.slot() as ticket:
        entered = time.now
    assert entered == pytest.approx(0.2)
    assert ticket.waited_s == pytest.approx(0.2)


async def test_a_hold_stops_requests_already_waiting_for_their_turn() -> None:
    time = FakeTime()
    governor = RateGovernor(
        max_concurrency=4, reserve_share=0.0, clock=time.monotonic, sleep=time.sleep
    )
    governor.budget = Budget(quota=10, window_s=1.0, left=10, resets_at=1.0)
    entered: list[float] = []
    first_sent = asyncio.Event()

    async def request() -> None:
        async with governor.slot():
            entered.append(time.now)
            first_sent.set()

    tasks = [asyncio.create_task(request()) for _ in range(3)]  # paced ~0.11 s apart
    await first_sent.wait()
    held_at = time.now
    governor.hold(0.3)  # a 429 arrives for the first one
    await asyncio.gather(*tasks)
    assert entered[0] == 0.0
    assert all(t >= held_at + 0.3 for t in entered[1:])


def test_governor_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        RateGovernor(max_concurrency=0)
    with pytest.raises(ValueError, match="reserve"):
        RateGovernor(reserve_share=1.0)
