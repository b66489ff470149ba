"""Server-side time of the web app's heaviest pages and API lists over a large mirror:
p50 and p95 per URL (target: p95 < 300 ms).

    .venv/bin/python bench/web_pages.py [--products 50000] [--orders 50000] [--requests 30]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Fills a fresh database (a SQLite file in a temporary directory, or a throw-away schema of
the PostgreSQL `--postgres` names) with a connection's mirror: `--products` products with 3
variants each and `--orders` orders of 1-4 lines, one shipping address and a transaction,
built as BigCommerce documents and written through the streams' row builders and the
mirror's page writer (what a sync does, without the network); on PostgreSQL the tables are
then analyzed, as autovacuum would have done after such a load. Then creates the app in
process (no scheduler), an admin with a browser session and an API token, and requests
each URL once to warm up, then `--requests` times through an ASGI middleware that times the
app alone (from the request's arrival to the end of the response body).

URLs: the products page (first page, a search, a deep keyset page) and its API list (first
and deep), the orders page (first, search, status filter, a deep page below the oldest 1%),
its API list, and an order's page and API detail. A URL whose route the app does not have
is skipped with a note.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
import sqlalchemy as sa

from bigsync.store import connection_repository, mirror_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.streams import rows
from bigsync.web.pagination import decode_cursor

CHUNK = 1000
FIRST_ORDER = 100
STATUSES = [(11, "Awaiting Fulfillment"), (2, "Shipped"), (3, "Partially Shipped"),
            (10, "Completed"), (9, "Awaiting Shipment"), (5, "Cancelled")]  # fmt: skip
FIRST_NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
LAST_NAMES = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]


@contextmanager
def database(postgres: str | None, tmp: Path) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite:///{tmp}/bench.db"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine_for(postgres)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def product_docs(start: int, count: int, now: datetime) -> list[dict[str, Any]]:
    docs = []
    for pid in range(start, start + count):
        variants: list[dict[str, Any]] = [
            {"id": pid * 10 + n, "product_id": pid, "sku": f"SKU-{pid:06d}-{n}",
             "price": 10.0 + pid % 90, "calculated_price": 10.0 + pid % 90,
             "inventory_level": (pid * n) % 40, "purchasing_disabled": False,
             "option_values": [{"label": ["S", "M", "L"][n - 1], "option_display_name": "Size"}]}
            for n in (1, 2, 3)
        ]  # fmt: skip
        docs.append(
            {"id": pid, "name": f"Product {pid} {LAST_NAMES[pid % 8]} edition",
             "sku": f"SKU-{pid:06d}", "type": "physical", "price": 10.0 + pid % 90,
             "is_visible": True, "brand_id": pid % 20 or None,
             "inventory_level": sum(v["inventory_level"] for v in variants),
             "inventory_tracking": "variant",
             "date_created": (now - timedelta(days=pid % 700)).isoformat(),
             "date_modified": (now - timedelta(days=pid % 30)).isoformat(),
             "variants": variants}
        )  # fmt: skip
    return docs


def order_docs(start: int, count: int, products: int, now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(start)
    docs = []
    for oid in range(start, start + count):
        first, last = FIRST_NAMES[oid % 8], LAST_NAMES[(oid // 8) % 8]
        email = f"{first.lower()}.{last.lower()}.{oid}@example.com"
        status_id, status = STATUSES[oid % len(STATUSES)]
        created = now - timedelta(minutes=(FIRST_ORDER + 10 * products - oid) * 7)
        address = {"first_name": first, "last_name": last, "street_1": f"{oid} Main St",
                   "city": "Springfield", "state": "Oregon", "zip": "97477",
                   "country": "United States", "country_iso2": "US", "email": email,
                   "phone": "555-0100"}  # fmt: skip
        shipped = status_id in (2, 10)
        lines: list[dict[str, Any]] = []
        for n in range(1 + oid % 4):
            pid = 1 + rng.randrange(products)
            quantity = 1 + (oid + n) % 3
            lines.append(
                {"id": oid * 10 + n, "order_id": oid, "product_id": pid,
                 "variant_id": pid * 10 + 1 + n % 3, "order_address_id": oid,
                 "sku": f"SKU-{pid:06d}-{1 + n % 3}", "name": f"Product {pid}",
                 "type": "physical", "quantity": quantity,
                 "quantity_shipped": quantity if shipped else 0,
                 "price_inc_tax": "12.5000", "total_inc_tax": f"{12.5 * quantity:.4f}",
                 "product_options": []}
            )  # fmt: skip
        items = sum(line["quantity"] for line in lines)
        docs.append(
            {"id": oid, "customer_id": oid % 5000, "status_id": status_id, "status": status,
             "payment_status": "captured", "total_inc_tax": f"{12.5 * items + 5:.4f}",
             "subtotal_inc_tax": f"{12.5 * items:.4f}", "shipping_cost_inc_tax": "5.0000",
             "total_tax": "0.0000", "currency_code": "USD", "channel_id": 1,
             "items_total": items, "items_shipped": items if shipped else 0,
             "is_deleted": False, "payment_method": "Credit Card",
             "date_created": _stamp(created), "date_modified": _stamp(created),
             "billing_address": address,
             "consignments": {"shipping": [
                 {"id": oid, **address, "shipping_method": "Flat Rate", "shipping_zone_id": 1,
                  "items_total": items, "items_shipped": items if shipped else 0,
                  "line_items": lines}]}}
        )  # fmt: skip
    return docs


def transaction_batch(order_id: int, now: datetime) -> Any:
    doc = {"id": order_id, "order_id": order_id, "event": "purchase", "method": "credit_card",
           "amount": 30.0, "currency": "USD", "gateway": "braintree", "status": "ok",
           "date_created": now.isoformat()}  # fmt: skip
    return rows.transactions_batch([doc], order_id)


def seed(engine: sa.Engine, products: int, orders: int) -> int:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        cid = connection_repository.insert_connection(
            conn, name="bench", name_key="bench", kind="api_account", store_hash="bench1",
            api_url="http://sandbox", client_id=None, granted_scopes=None, features=[],
        )  # fmt: skip
        statuses = [{"id": s, "name": n, "order": s} for s, n in STATUSES]
        mirror_repository.write_batch(
            conn, rows.order_statuses_batch(statuses), connection_id=cid, now=now
        )
    for start in range(1, products + 1, CHUNK):
        docs = product_docs(start, min(CHUNK, products + 1 - start), now)
        with engine.begin() as conn:
            mirror_repository.write_batch(
                conn, rows.products_batch(docs), connection_id=cid, now=now
            )
    last = FIRST_ORDER + orders
    for start in range(FIRST_ORDER, last, CHUNK):
        docs = order_docs(start, min(CHUNK, last - start), max(products, 1), now)
        with engine.begin() as conn:
            mirror_repository.write_batch(conn, rows.orders_batch(docs), connection_id=cid, now=now)
            for doc in docs[::10]:  # a transaction on every tenth order
                batch = transaction_batch(doc["id"], now)
                mirror_repository.write_batch(conn, batch, connection_id=cid, now=now)
    return cid


@dataclass
class Timer:
    """ASGI middleware: the app's own time per request (arrival to the last body byte)."""

    app: Any
    last_s: float = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last_s = time.perf_counter() - started

        await self.app(scope, receive, timed_send)


def _route_exists(app: Any, path: str) -> bool:
    """Whether the app has a GET route for `path` (ids of the path stand for parameters)."""
    from bigsync.web.openapi import route_table

    wanted = path.split("?", maxsplit=1)[0].strip("/").split("/")
    for template, methods in route_table(app):
        parts = template.strip("/").split("/")
        same_length = len(parts) == len(wanted)
        if (
            "GET" in methods
            and same_length
            and all(p == w or p.startswith("{") for p, w in zip(parts, wanted, strict=True))
        ):
            return True
    return False


async def measure(
    url: str,
    engine_url: str,
    data_dir: Path,
    *,
    cid: int,
    products: int,
    orders: int,
    requests: int,
) -> list[tuple[str, str, list[float] | None, int]]:
    from bigsync.accounts import AccountService
    from bigsync.config import Settings
    from bigsync.web.app import create_app

    settings = Settings(data_dir=data_dir, database_url=engine_url)
    app = create_app(settings=settings, run_jobs=False)
    timer = Timer(app)
    async with app.router.lifespan_context(app):
        accounts = AccountService(app.state.hub.engine)
        app.state.accounts = accounts
        accounts.setup_admin("bench", "bench-password-1234")
        session = accounts.login("bench", "bench-password-1234", client="bench")
        token = accounts.create_token(session.principal, "bench").token
        last_order = FIRST_ORDER + orders - 1
        deep_order = FIRST_ORDER + max(1, orders // 100)
        deep_product = max(1, products // 100)
        detail_id = FIRST_ORDER + orders // 2
        products_cursor = await _products_cursor(timer, url, cid, token, deep_product)
        deep = decode_cursor(products_cursor) if products_cursor else {}
        products_after = f"after={deep.get('p')}.{deep.get('v')}&total={deep.get('t')}"
        pages = [
            ("page", f"/integrations/{cid}/products"),
            ("page", f"/integrations/{cid}/products?q=Hopper"),
            ("page", f"/integrations/{cid}/products?{products_after}" if deep else ""),
            ("api", f"/api/v1/connections/{cid}/products"),
            ("api", f"/api/v1/connections/{cid}/products?cursor={products_cursor}"),
            ("page", f"/integrations/{cid}/orders"),
            ("page", f"/integrations/{cid}/orders?q=dijkstra"),
            ("page", f"/integrations/{cid}/orders?q={last_order - 3}"),
            ("page", f"/integrations/{cid}/orders?q=nobody-matches"),
            ("page", f"/integrations/{cid}/orders?status=11"),
            ("page", f"/integrations/{cid}/orders?shipping=to_ship"),
            ("page", f"/integrations/{cid}/orders?before={deep_order}"),
            ("api", f"/api/v1/connections/{cid}/orders"),
            ("api", f"/api/v1/connections/{cid}/orders?q=turing&limit=200"),
            ("page", f"/integrations/{cid}/orders/{detail_id}"),
            ("api", f"/api/v1/connections/{cid}/orders/{detail_id}"),
        ]
        results: list[tuple[str, str, list[float] | None, int]] = []
        transport = httpx.ASGITransport(app=timer)
        async with httpx.AsyncClient(transport=transport, base_url=url) as client:
            client.cookies.set("bigsync_session", session.token)
            for kind, path in pages:
                if not path or not _route_exists(app, path) or path.endswith("cursor="):
                    results.append((kind, path, None, 0))
                    continue
                headers = {"Authorization": f"Bearer {token}"} if kind == "api" else {}
                await client.get(path, headers=headers)  # warm: templates compiled, caches
                times = []
                status = 0
                for _ in range(requests):
                    response = await client.get(path, headers=headers)
                    status = response.status_code
                    times.append(timer.last_s)
                results.append((kind, path, times, status))
    return results


async def _products_cursor(timer: Timer, url: str, cid: int, token: str, skip: int) -> str:
    """A cursor deep into the products (the API's pages walked there, 200 at a time)."""
    path = f"/api/v1/connections/{cid}/products"
    if not _route_exists(timer.app, path):
        return ""
    cursor = ""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=timer), base_url=url) as c:
        for _ in range(max(1, skip // 200)):
            params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
            answer = await c.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
            if answer.status_code != 200:
                return ""
            cursor = answer.json().get("next_cursor") or ""
            if not cursor:
                break
    return cursor


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    with TemporaryDirectory() as tmp, database(args.postgres, Path(tmp)) as url:
        engine = create_engine_for(url)
        migrate(engine)
        started = time.perf_counter()
        cid = seed(engine, args.products, args.orders)
        seeded_s = time.perf_counter() - started
        if engine.dialect.name == "postgresql":  # what autovacuum does to a table this size
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        engine.dispose()
        run = measure(
            "http://bench", url, Path(tmp), cid=cid, products=args.products,
            orders=args.orders, requests=args.requests,
        )  # fmt: skip
        results = asyncio.run(run)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{backend}: {args.products:,} products (x3 variants), {args.orders:,} orders, "
        f"seeded in {seeded_s:.1f} s; {args.requests} requests per URL, server-side"
    )
    print(f"{'URL':<58} {'status':>6} {'p50 ms':>8} {'p95 ms':>8}")
    slow = []
    for _kind, path, times, status in results:
        if times is None:
            print(f"{path:<58} {'skip':>6}  (no such route in this app yet)")
            continue
        p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
        flag = "" if p95 < 300 else "  over 300 ms"
        print(f"{path:<58} {status:>6} {p50:>8.1f} {p95:>8.1f}{flag}")
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        if p95 >= 300:
            slow.append(path)
    print("every p95 under 300 ms" if not slow else f"p95 over 300 ms: {', '.join(slow)}")


if __name__ == "__main__":
    main()
