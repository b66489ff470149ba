"""How long the sandbox takes to generate a store's data (catalog first; sales follow).

    .venv/bin/python bench/sandbox_generator.py [--products 10000] [--repeat 3] [--seed 1]
        [--orders 30000] [--customers 10000]

Generates the catalog of one fresh store `--repeat` times with the same seed (so every run
does identical work) and prints the best and median wall time, the record counts, and
products per second. Then generates the sales (customers, shipping, orders with line items,
shipments, transactions) on top of a fresh catalog `--repeat` times, the way
`generate_store` does (one generator for both steps), and prints the same for sales and
for the whole store. Pure CPU, in process; no network.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime

from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.generator.catalog import generate_catalog
from bigsync.sandbox.generator.sales import generate_sales

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def fresh_store() -> StoreState:
    return StoreState(hash="benchstore", store_id=1, name="Bench", plan="unlimited")


def time_catalog(sizes: StoreSizes, *, seed: int) -> tuple[float, StoreState]:
    store = fresh_store()
    started = time.perf_counter()
    generate_catalog(store, random.Random(seed), sizes, NOW)
    return time.perf_counter() - started, store


def time_store(sizes: StoreSizes, *, seed: int) -> tuple[float, float, StoreState]:
    """(catalog seconds, sales seconds, store) for one whole store."""
    store = fresh_store()
    rng = random.Random(seed)
    started = time.perf_counter()
    generate_catalog(store, rng, sizes, NOW)
    middle = time.perf_counter()
    generate_sales(store, rng, sizes, NOW)
    return middle - started, time.perf_counter() - middle, store


def report_sales(sizes: StoreSizes, *, seed: int, repeat: int) -> None:
    runs = [time_store(sizes, seed=seed) for _ in range(repeat)]
    sales = [s for _, s, _ in runs]
    totals = [c + s for c, s, _ in runs]
    state = runs[-1][2].sales
    orders = state.orders.values()
    lines = sum(len(o.products) for o in orders)
    shipments = sum(len(o.shipments) for o in orders)
    transactions = sum(len(o.transactions) for o in orders)
    methods = sum(len(m) for m in state.shipping_methods.values())
    best = min(sales)
    print(f"sales: {sizes.orders} orders, {sizes.customers} customers, {repeat} runs")
    print(
        f"  {len(state.orders)} orders, {lines} line items, {shipments} shipments, "
        f"{transactions} transactions, {len(state.customers)} customers, "
        f"{len(state.shipping_zones)} zones, {methods} shipping methods"
    )
    print(
        f"  best {best:.3f} s   median {statistics.median(sales):.3f} s   "
        f"{sizes.orders / best:,.0f} orders/s"
    )
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
    report_sales(sizes, seed=args.seed, repeat=args.repeat)


if __name__ == "__main__":
    main()
