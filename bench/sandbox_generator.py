"""How long the sandbox takes to generate a store's data (catalog first; sales follow).

    .venv/bin/python bench/sandbox_generator.py [--products 10000] [--repeat 3] [--seed 1]
        [--orders 30000] [--customers 10000]

Everything goes through `generate_store`, the entry point the sandbox uses (it pauses the
garbage collector for the whole store). First the catalog alone (the same sizes with no
orders or customers) `--repeat` times with the same seed, so every run does identical work:
best and median wall time, record counts, products per second. Then the whole store
(customers, shipping, orders with line items, shipments, transactions on top of the
catalog) `--repeat` times: the same for the whole store, and for the sales part as whole
store minus catalog (best against best, median against median). Pure CPU, in process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime

from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.generator import StoreSizes, generate_store

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def fresh_store() -> StoreState:
    return StoreState(hash="benchstore", store_id=1, name="Bench", plan="unlimited")


def time_store(sizes: StoreSizes, *, seed: int) -> tuple[float, StoreState]:
    """(seconds, store) for one `generate_store` call."""
    store = fresh_store()
    started = time.perf_counter()
    generate_store(store, rng=random.Random(seed), sizes=sizes, now=NOW)
    return time.perf_counter() - started, store


def time_catalog(sizes: StoreSizes, *, seed: int) -> tuple[float, StoreState]:
    return time_store(replace(sizes, orders=0, customers=0), seed=seed)


def report_sales(sizes: StoreSizes, *, seed: int, repeat: int, catalog: list[float]) -> None:
    runs = [time_store(sizes, seed=seed) for _ in range(repeat)]
    totals = [elapsed for elapsed, _ in runs]
    state = runs[-1][1].sales
    orders = state.orders.values()
    lines = sum(len(o.products) for o in orders)
    shipments = sum(len(o.shipments) for o in orders)
    transactions = sum(len(o.transactions) for o in orders)
    methods = sum(len(m) for m in state.shipping_methods.values())
    best = min(totals) - min(catalog)
    median = statistics.median(totals) - statistics.median(catalog)
    print(f"sales: {sizes.orders} orders, {sizes.customers} customers, {repeat} runs")
    print(
        f"  {len(state.orders)} orders, {lines} line items, {shipments} shipments, "
        f"{transactions} transactions, {len(state.customers)} customers, "
        f"{len(state.shipping_zones)} zones, {methods} shipping methods"
    )
    print(f"  best {best:.3f} s   median {median:.3f} s   {sizes.orders / best:,.0f} orders/s")
    print(
        f"store (catalog + sales): best {min(totals):.3f} s   "
        f"median {statistics.median(totals):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orders", type=int, default=30_000)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()
    sizes = StoreSizes(products=args.products, orders=args.orders, customers=args.customers)
    runs = [time_catalog(sizes, seed=args.seed) for _ in range(args.repeat)]
    seconds = [elapsed for elapsed, _ in runs]
    catalog = runs[-1][1].catalog
    best, median = min(seconds), statistics.median(seconds)
    print(f"catalog: {args.products} products, seed {args.seed}, {args.repeat} runs")
    print(
        f"  {len(catalog.products)} products, {len(catalog.variants)} variants, "
        f"{len(catalog.categories)} categories, {len(catalog.brands)} brands, "
        f"{len(catalog.locations)} locations, {len(catalog.inventory_items())} inventory items"
    )
    print(f"  best {best:.3f} s   median {median:.3f} s   {args.products / best:,.0f} products/s")
    report_sales(sizes, seed=args.seed, repeat=args.repeat, catalog=seconds)


if __name__ == "__main__":
    main()
