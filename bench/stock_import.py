"""Hub stock from a CSV file: rows per second of `bigsync stock NAME import` (every row
checked, then hub stock and one outbox intent per mapped level written in ONE transaction),
and the time of `stock show` (hub and store side by side) afterwards.

    .venv/bin/python bench/stock_import.py [--items 20000] [--locations 2]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Seeds a fresh database (a SQLite file in a temporary directory, or a throw-away schema in
the PostgreSQL that `--postgres` names) with a mirror of `--items` variants and their stock
at each store location, manages them all, maps one hub location per store location, then
imports a file with a row per item and location twice: the first import records the
intents, the second (new quantities) replaces them in place (coalescing). Reports rows/s of
each and the intents in the outbox (expected: items × locations).
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import sqlalchemy as sa

from bigsync.fulfillment import catalog, locations, stock
from bigsync.fulfillment.catalog import Selection
from bigsync.fulfillment.hub import Hub
from bigsync.store import connection_repository, mirror_repository, outbox_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_schema import MIRROR_TABLES
from bigsync.store.unit_of_work import UnitOfWork


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


def seed(engine: sa.Engine, items: int, store_locations: int) -> int:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        cid = connection_repository.insert_connection(
            conn, name="bench", name_key="bench", kind="api_account", store_hash="bench1",
            api_url="http://sandbox", client_id=None, granted_scopes=None, features=[],
        )  # fmt: skip
        products: list[dict[str, Any]] = [
            {"id": i, "name": f"Product {i}", "raw": {}, "deleted_at": None}
            for i in range(1, items + 1)
        ]
        variants: list[dict[str, Any]] = [
            {"id": 10 * i, "product_id": i, "sku": f"SKU-{i:06d}", "content_hash": "x",
             "raw": {}, "deleted_at": None}
            for i in range(1, items + 1)
        ]  # fmt: skip
        places = [{"id": n, "code": f"L{n}", "label": f"Location {n}", "raw": {}}
                  for n in range(1, store_locations + 1)]  # fmt: skip
        levels = [
            {"location_id": n, "product_id": i, "variant_id": 10 * i, "sku": f"SKU-{i:06d}",
             "total_inventory_onhand": 5, "raw": {}}
            for i in range(1, items + 1) for n in range(1, store_locations + 1)
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


def csv_of(items: int, codes: list[str], quantity: int) -> bytes:
    lines = ["sku,quantity,location"]
    lines += [
        f"SKU-{i:06d},{quantity + i % 7},{code}" for i in range(1, items + 1) for code in codes
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--locations", type=int, default=2)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    with TemporaryDirectory() as tmp, database(args.postgres, Path(tmp)) as url:
        engine = create_engine_for(url)
        migrate(engine)
        cid = seed(engine, args.items, args.locations)
        hub = Hub(UnitOfWork(engine), cid, "bench")
        started = time.perf_counter()
        catalog.manage(hub, Selection(all=True))
        managed_s = time.perf_counter() - started
        codes = ["default"]
        for n in range(2, args.locations + 1):
            locations.add(hub, f"wh{n}")
            locations.map_to_store(hub, f"wh{n}", n)
            codes.append(f"wh{n}")
        rows = args.items * len(codes)
        figures = []
        for attempt, quantity in ((1, 10), (2, 20)):
            data = csv_of(args.items, codes, quantity)
            started = time.perf_counter()
            changes = stock.import_stock(hub, data, source="bench.csv")
            elapsed = time.perf_counter() - started
            assert len(changes) == rows
            figures.append((attempt, elapsed))
        with engine.connect() as conn:
            intents = sum(outbox_repository.count_by_state(conn, cid).values())
        started = time.perf_counter()
        report = stock.side_by_side(hub)
        show_s = time.perf_counter() - started
        engine.dispose()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}: {args.items:,} items x {len(codes)} locations = {rows:,} rows")
    print(f"manage --all: {managed_s:.2f} s")
    for attempt, elapsed in figures:
        what = "first import (new intents)" if attempt == 1 else "second import (coalesced)"
        print(f"{what}: {elapsed:.2f} s, {rows / elapsed:,.0f} rows/s")
    print(f"intents in the outbox: {intents:,} (expected {rows:,})")
    print(f"stock show: {len(report.lines):,} lines in {show_s:.2f} s")


if __name__ == "__main__":
    main()
