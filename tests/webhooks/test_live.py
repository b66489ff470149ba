"""Webhooks end to end over real sockets: the sandbox delivers to a running hub, whose
refreshes read the sandbox and write the mirror."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bigsync.sandbox.webhooks import callback_body
from bigsync.webhooks.refresh import run_pending_refreshes
from bigsync.webhooks.signature import SECRET_HEADER
from bigsync.webhooks.subscriptions import keep_hooks, wanted_scopes
from tests.webhooks.conftest import FAST, Live


def _post(
    live: Live, body: bytes, headers: dict[str, str] | None = None, client: Any = None
) -> int:
    """One delivery (on `client`'s kept-alive connections when given)."""
    if client is None:
        return live.deliver(body, headers or {})
    sent = {"content-type": "application/json", **(headers or {})}
    return int(client.post(live.webhook_url, content=body, headers=sent).status_code)


def _product_event(live: Live, product_id: int, *, created_at: int = 1_700_000_000) -> bytes:
    return callback_body(
        scope="store/product/updated",
        store_id=live.store.store_id,
        store_hash=live.store.hash,
        data={"type": "product", "id": product_id},
        created_at=created_at,
    )


def test_hooks_are_registered_for_the_active_features(live: Live) -> None:
    hooks = [h for h in live.store.hooks.hooks.values() if h.destination == live.webhook_url]
    assert sorted(h.scope for h in hooks) == sorted(wanted_scopes(live.connection.features))
    assert all(h.is_active and dict(h.headers or {}) == {
        "X-Bigsync-Webhook-Secret": live.secret} for h in hooks)  # fmt: skip


def test_a_change_in_the_store_is_in_the_mirror_within_two_seconds(live: Live) -> None:
    started = time.monotonic()
    [product_id] = live.mutate("product", "update")
    assert not live.product_matches(product_id) or live.runner.runs > 0
    elapsed = live.wait_for(lambda: live.product_matches(product_id), timeout=10)
    assert time.monotonic() - started < 2.0, f"took {elapsed:.2f} s"
    [customer_id] = live.mutate("customer", "update")
    live.settle()
    row = live.row("customers", customer_id)
    doc = live.api("/v3/customers", **{"id:in": customer_id}).json()["data"][0]
    assert row is not None
    assert row["raw"] == doc


def test_new_orders_and_shipments_arrive_with_their_lines(live: Live) -> None:
    [order_id] = live.mutate("order", "create")
    live.settle()
    order = live.row("orders", order_id)
    assert order is not None
    lines = [r for r in live.rows("order_products") if r["order_id"] == order_id]
    truth = live.api(f"/v2/orders/{order_id}/products").json()
    assert sorted(r["id"] for r in lines) == sorted(p["id"] for p in truth)
    live.mutate("shipment", "create")  # the ids are the shipments'
    live.settle()
    for order_id in list(live.store.sales.orders):
        doc = live.api(f"/v2/orders/{order_id}").json()
        mirrored = live.row("orders", order_id)
        assert mirrored is not None, order_id
        assert mirrored["raw"] == doc, order_id


def test_deletes_remove_the_record(live: Live) -> None:
    [product_id] = live.mutate("product", "delete")
    [customer_id] = live.mutate("customer", "delete")
    live.settle()
    product = live.row("products", product_id)
    assert product is not None
    assert product["deleted_at"] is not None
    variants = [v for v in live.rows("variants") if v["product_id"] == product_id]
    assert variants
    assert all(v["deleted_at"] is not None for v in variants)
    assert not [r for r in live.rows("inventory_levels") if r["product_id"] == product_id]
    customer = live.row("customers", customer_id)
    assert customer is not None
    assert customer["deleted_at"] is not None


async def test_duplicate_deliveries_cause_one_refresh(live: Live) -> None:
    live.runner.paused = True  # every copy arrives before the refresh runs
    live.settle()
    product_id = next(iter(live.store.catalog.products))
    body = _product_event(live, product_id)
    headers = {SECRET_HEADER: live.secret}
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(lambda _: _post(live, body, headers, client), range(10)))
    statuses += [_post(live, body, headers) for _ in range(5)]
    assert statuses == [200] * 15
    events = live.events()
    assert live.pending() == 1
    report = await run_pending_refreshes(live.service, client_options=FAST)
    assert (report.refreshed, report.again) == (1, 0)
    live.clock.advance(61)  # BigCommerce's first retry comes a minute later
    assert [_post(live, body, headers) for _ in range(3)] == [200] * 3
    assert (live.pending(), live.events()) == (0, events)


async def test_a_copy_within_the_same_second_refreshes_again(live: Live) -> None:
    """Two changes of one product in one second have identical payloads: the second one
    must not be taken for a redelivery of the first once that one was refreshed."""
    live.runner.paused = True
    live.settle()
    product_id = next(iter(live.store.catalog.products))
    body = _product_event(live, product_id, created_at=1_650_000_000)
    headers = {SECRET_HEADER: live.secret}
    assert _post(live, body, headers) == 200
    first = await run_pending_refreshes(live.service, client_options=FAST)
    assert first.refreshed == 1
    assert _post(live, body, headers) == 200
    assert live.pending() == 1
    second = await run_pending_refreshes(live.service, client_options=FAST)
    assert second.refreshed == 1


def test_wrong_or_missing_secret_is_refused_and_changes_nothing(live: Live) -> None:
    live.settle()
    events, done = live.events(), live.runner.total.done
    product_id = next(iter(live.store.catalog.products))
    body = _product_event(live, product_id, created_at=1_600_000_000)
    assert _post(live, body) == 401
    assert _post(live, body, {SECRET_HEADER: "not-the-secret-" + "x" * 30}) == 401
    assert _post(live, body, {SECRET_HEADER: live.secret[:-1]}) == 401
    other = f"{live.hub_url}/webhooks/{live.connection.id + 99}"
    answer = httpx.post(other, content=body, headers={SECRET_HEADER: live.secret})
    assert answer.status_code == 401
    # authenticated but wrong: malformed 400, oversized 413, another store's payload 401
    assert _post(live, b"{not json", {SECRET_HEADER: live.secret}) == 400
    assert _post(live, b"[]", {SECRET_HEADER: live.secret}) == 400
    assert _post(live, b"x" * (65 * 1024), {SECRET_HEADER: live.secret}) == 413
    foreign = body.replace(live.store.hash.encode(), b"zzzzzzzzzz")
    assert _post(live, foreign, {SECRET_HEADER: live.secret}) == 401
    time.sleep(0.2)
    assert live.events() == events
    assert live.pending() == 0
    assert live.runner.total.done == done


async def test_a_deactivated_hook_is_repaired_by_upkeep(live: Live) -> None:
    hook = next(
        h for h in live.store.hooks.hooks.values()
        if h.destination == live.webhook_url and h.scope == "store/product/*"
    )  # fmt: skip
    live.store.hooks.deactivate(hook.id, now=0)
    [product_id] = live.mutate("product", "update")
    live.settle()
    assert not live.product_matches(product_id)  # nobody heard the change
    report = await keep_hooks(live.service, "shop", public_url=live.hub_url, client_options=FAST)
    assert report.reactivated == ("store/product/*",)
    assert not report.created
    assert not report.deleted
    assert live.store.hooks.hooks[hook.id].is_active
    [product_id] = live.mutate("product", "update")
    live.wait_for(lambda: live.product_matches(product_id))
    again = await keep_hooks(live.service, "shop", public_url=live.hub_url, client_options=FAST)
    assert not again.changed


async def test_a_burst_of_a_thousand_events_is_absorbed_without_loss(live: Live) -> None:
    before_stats = live.drain()
    live.wait_for(lambda: live.pending() == 0)
    requests_before = live.requests()
    touched: set[int] = set()
    for _ in range(100):
        touched.update(live.mutate("product", "update", count=10))
    stats = live.drain()
    live.wait_for(lambda: live.pending() == 0, timeout=60)
    assert stats["failures"] == before_stats["failures"] == 0
    absorbed = stats["successes"] - before_stats["successes"]
    assert absorbed >= 1000
    assert all(live.product_matches(pid) for pid in touched)
    requests = live.requests() - requests_before  # by the refreshes, and by this test's checks
    # one refresh per event would be two requests per event (product, stock)
    assert requests - len(touched) < absorbed / 2, f"{requests} requests, {absorbed} events"
    counts = live.control("GET", "/_sandbox/stats")["stores"][live.store.hash]
    assert counts["throttled"] == 0


async def test_a_thousand_events_for_one_product_cause_one_refresh(live: Live) -> None:
    live.runner.paused = True  # the refreshes run once the burst is in
    live.settle()
    product_id = next(iter(live.store.catalog.products))
    headers = {SECRET_HEADER: live.secret}
    bodies = [_product_event(live, product_id, created_at=1_700_000_000 + i) for i in range(1000)]
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda body: _post(live, body, headers, client), bodies))
    assert statuses == [200] * 1000
    assert live.pending() == 1
    report = await run_pending_refreshes(live.service, client_options=FAST)
    assert (report.refreshed, report.again, live.pending()) == (1, 0, 0)
