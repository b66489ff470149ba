"""The Products page's reads over a large mirror: server time of one page of variants (with
hub and store stock per location and the count of matches) for each filter, at the start,
deep in the catalog (keyset: after a key, never an OFFSET) and with a search.

    .venv/bin/python bench/products_browse.py [--products 50000] [--repeat 20] [--http]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Seeds a fresh database (a SQLite file in a temporary directory, or a throw-away schema in
the PostgreSQL that `--postgres` names, ANALYZEd as autovacuum would) with `--products`
products of one variant each and their stock at two store locations, manages a fifth of
them, gives a hub level to each managed variant (one in ten differing from the store), then
times `fulfillment.browse.browse` (the
call the page and `/api/v1/connections/{id}/products` make) `--repeat` times per case and
prints p50 / p95 / max in milliseconds. `--http` also times the same cases through the web
app in process (httpx over ASGI, a real session and API token): `GET /api/v1/connections/
{id}/products` and the Products page, rendering and serialisation included.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa

from bigsync.fulfillment import browse, catalog, locations, stock
from bigsync.fulfillment.browse import ProductFilter
from bigsync.fulfillment.catalog import Selection
from bigsync.fulfillment.hub import Hub
from bigsync.store import connection_repository, mirror_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_schema import MIRROR_TABLES
from bigsync.store.unit_of_work import UnitOfWork
from stock_import import database


def seed(engine: sa.Engine, count: int) -> int:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        cid = connection_repository.insert_connection(
            conn, name="bench", name_key="bench", kind="api_account", store_hash="bench1",
            api_url="http://sandbox", client_id=None, granted_scopes=None, features=[],
        )  # fmt: skip
        products: list[dict[str, Any]] = [
            {"id": i, "name": f"Product {i} {'Blue' if i % 3 else 'Red'} shirt",
             "inventory_tracking": "variant", "raw": {}, "deleted_at": None}
            for i in range(1, count + 1)
        ]  # fmt: skip
        variants: list[dict[str, Any]] = [
            {"id": 10 * i, "product_id": i, "sku": f"SKU-{i:06d}", "content_hash": "x",
             "raw": {"option_values": [{"label": "M"}]}, "deleted_at": None}
            for i in range(1, count + 1)
        ]  # fmt: skip
        places: list[dict[str, Any]] = [
            {"id": n, "code": f"L{n}", "label": f"Location {n}", "raw": {}} for n in (1, 2)
        ]
        levels: list[dict[str, Any]] = [
            {"location_id": n, "product_id": i, "variant_id": 10 * i, "sku": f"SKU-{i:06d}",
             "total_inventory_onhand": 5, "raw": {}}
            for i in range(1, count + 1) for n in (1, 2)
        ]  # fmt: skip
        for table, rows in (
            ("products", products),
            ("variants", variants),
            ("locations", places),
            ("inventory_levels", levels),
        ):
            for start in range(0, len(rows), 5000):
                mirror_repository.upsert(
                    conn, MIRROR_TABLES[table], rows[start : start + 5000],
                    connection_id=cid, now=now,
                )  # fmt: skip
    return cid


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, times[-1]


async def http_cases(
    engine: sa.Engine, url: str, tmp: Path, cid: int, *, middle: tuple[int, int], repeat: int
) -> list[tuple[str, tuple[float, float, float]]]:
    """The API and the page over ASGI: the same cases, timed per request."""
    import httpx

    from bigsync.accounts import AccountService
    from bigsync.config import Settings
    from bigsync.jobs.context import JobContext
    from bigsync.vault import Vault
    from bigsync.web.app import create_app
    from bigsync.web.pagination import encode_cursor

    settings = Settings(data_dir=tmp / "data", database_url=url)
    context = JobContext(engine=engine, vault=Vault.from_settings(settings), settings=settings)
    app = create_app(context=context, run_jobs=False, migrate=False)
    accounts = AccountService(engine)
    app.state.accounts = accounts
    accounts.setup_admin("bench", "bench password 1")
    principal = accounts.login("bench", "bench password 1", client="bench").principal
    headers = {"Authorization": f"Bearer {accounts.create_token(principal, 'bench').token}"}
    api = f"/api/v1/connections/{cid}/products"
    deep = encode_cursor({"p": middle[0], "v": middle[1], "t": None})
    out: list[tuple[str, tuple[float, float, float]]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            login = await client.get("/login")
            token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
            form = {"csrf_token": token, "username": "bench", "password": "bench password 1"}
            await client.post("/login", data=form)
            cases = [
                ("API all, first page", api, {}, headers),
                ("API all, deep page", api, {"cursor": deep}, headers),
                ("API 200 per page", api, {"limit": "200"}, headers),
                ("API search", api, {"search": "sku-0123"}, headers),
                ("API differs", api, {"status": "differs"}, headers),
                ("API managed", api, {"status": "managed"}, headers),
                ("page all", f"/integrations/{cid}/products", {}, {}),
                ("page search", f"/integrations/{cid}/products", {"q": "red shirt"}, {}),
                ("page differs", f"/integrations/{cid}/products", {"status": "differs"}, {}),
            ]
            for name, path, params, sent in cases:
                times = []
                for _ in range(repeat + 1):
                    started = time.perf_counter()
                    answer = await client.get(path, params=params, headers=sent)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, answer.text[:300]
                times = sorted(times[1:])
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                out.append((name, (statistics.median(times), p95, times[-1])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--http", action="store_true", help="also time the API and the page")
    args = parser.parse_args()
    with TemporaryDirectory() as tmp, database(args.postgres, Path(tmp)) as url:
        engine = create_engine_for(url)
        migrate(engine)
        cid = seed(engine, args.products)
        hub = Hub(UnitOfWork(engine), cid, "bench")
        managed = [10 * i for i in range(1, args.products + 1, 5)]
        catalog.manage(hub, Selection(variant_ids=tuple(managed)))
        locations.add(hub, "wh2")
        locations.map_to_store(hub, "wh2", 2)
        wanted = [
            (f"SKU-{v // 10:06d}", None, 7 if n % 10 == 0 else 5) for n, v in enumerate(managed)
        ]
        stock.set_levels(hub, wanted, source="bench")
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:  # what autovacuum does after a sync's bulk writes
                conn.exec_driver_sql("ANALYZE")
        middle = (args.products // 2, 10 * (args.products // 2))
        cases: list[tuple[str, Callable[[], object]]] = [
            ("all, first page", lambda: browse.browse(hub)),
            ("all, deep page", lambda: browse.browse(hub, after=middle)),
            ("all, 200 per page", lambda: browse.browse(hub, limit=200)),
            ("search 'sku-0123'", lambda: browse.browse(hub, ProductFilter(search="sku-0123"))),
            ("search 'red shirt'", lambda: browse.browse(hub, ProductFilter(search="red shirt"))),
            ("search, no match", lambda: browse.browse(hub, ProductFilter(search="zzz"))),
        ]
        for status in ("managed", "unmanaged", "differs", "deleted"):
            cases.append((status, lambda s=status: browse.browse(hub, ProductFilter(s))))  # type: ignore[misc]
        cases.append(
            ("differs, deep", lambda: browse.browse(hub, ProductFilter("differs"), after=middle))
        )
        results = [(name, timed(fn, args.repeat)) for name, fn in cases]
        page = browse.browse(hub, ProductFilter("differs"))
        if args.http:
            results += asyncio.run(
                http_cases(engine, url, Path(tmp), cid, middle=middle, repeat=args.repeat)
            )
        engine.dispose()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}: {args.products:,} variants, {len(managed):,} managed, "
          f"{page.total:,} differ; {args.repeat} runs per case")  # fmt: skip
    print(f"{'case':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, (p50, p95, worst) in results:
        print(f"{name:<22} {p50:8.1f} {p95:8.1f} {worst:8.1f}")


if __name__ == "__main__":
    main()
