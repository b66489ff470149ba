"""Targeted refreshes: read exactly the records webhooks named, write them to the mirror.

`run_pending_refreshes` drains the durable queue (`webhook_refreshes`): for each connection
one client (its requests pass through the store's one `RateGovernor`, shared with the sync,
so a burst of refreshes stays within the store's rate budget) and a few refreshes at a time.

What one refresh reads and writes, through the same stream specs and row builders as the
sync (`streams/`), in ONE transaction with the removal of its queue row:

    product   GET /v3/catalog/products/{id}?include=variants, and its stock at every
              location (GET /v3/inventory/items?product_id:in={id}) when read_inventory is on
    order     GET /v2/orders/{id}?include=consignments.line_items&consignment_structure=
              object (line items, shipping addresses), and GET /v3/orders/{id}/transactions
              when read_transactions is on
    customer  GET /v3/customers?id:in={id}
    category  GET /v3/catalog/categories/{id}

A record the store no longer has (404, or absent from the list) is removed from the mirror:
soft-deleted where the table keeps deletes (products with their variants, customers,
categories), deleted otherwise (an order with its line items, addresses and transactions;
a product's stock rows). A failed refresh stays queued with a growing delay; after
`MAX_ATTEMPTS` it is dropped and the scheduled syncs, which webhooks never replace, catch up.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bigsync.bigcommerce import BigCommerceClient, ClientOptions
from bigsync.connections import ConnectionService
from bigsync.connections.features import Feature
from bigsync.errors import ApiError, BigsyncError, ConnectionNotFoundError, NotFoundError
from bigsync.store import mirror_repository as mirror
from bigsync.store import webhook_repository as queue
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.streams import rows
from bigsync.streams.catalog import ORDERS
from bigsync.streams.spec import Batch
from bigsync.webhooks.payload import TargetKind
from bigsync.webhooks.receiver import FEATURE_OF

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from bigsync.connections.model import ConnectionView

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 200
CONCURRENCY = 8
"""Refreshes in flight per connection (the store's governor paces them further)."""


@dataclass(frozen=True)
class RefreshReport:
    """What one `run_pending_refreshes` call did."""

    refreshed: int = 0  # records read and written
    removed: int = 0  # records the store no longer has, removed from the mirror
    again: int = 0  # refreshed, but asked for again meanwhile: they run once more
    failed: int = 0  # kept queued, to try later
    dropped: int = 0  # given up (feature off, connection gone, too many attempts)

    def __add__(self, other: RefreshReport) -> RefreshReport:
        return RefreshReport(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )

    @property
    def done(self) -> int:
        return self.refreshed + self.removed


Write = Callable[["Connection", datetime], None]
"""What a refresh writes, run in the transaction that also removes its queue row."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def retry_delay(attempts: int) -> timedelta:
    """How long a failed refresh waits: 5 s, 10 s, 20 s … at most 10 minutes."""
    return timedelta(seconds=min(5 * 2**attempts, 600))


async def run_pending_refreshes(
    service: ConnectionService,
    *,
    connection_id: int | None = None,
    client_options: ClientOptions | None = None,
    concurrency: int = CONCURRENCY,
    batch: int = BATCH,
    max_batches: int = 50,
    clock: Callable[[], datetime] = utcnow,
) -> RefreshReport:
    """Refresh what the queue holds (of one connection, or all), until nothing is due or
    `max_batches` batches ran. Safe to call from several places: a refresh run twice
    writes the same rows."""
    db = UnitOfWork(service.engine)
    report = RefreshReport()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bigsync-refresh") as writer:
        for _ in range(max_batches):
            with db.read() as conn:
                due = queue.due_refreshes(
                    conn, now=clock(), limit=batch, connection_id=connection_id
                )
            if not due:
                break
            by_connection: dict[int, list[queue.PendingRefresh]] = defaultdict(list)
            for refresh in due:
                by_connection[refresh.connection_id].append(refresh)
            for cid, refreshes in by_connection.items():
                report += await _run_connection(
                    service,
                    cid,
                    refreshes,
                    writer=writer,
                    client_options=client_options,
                    concurrency=concurrency,
                    clock=clock,
                )
    return report


async def _run_connection(
    service: ConnectionService,
    connection_id: int,
    refreshes: Sequence[queue.PendingRefresh],
    *,
    writer: ThreadPoolExecutor,
    client_options: ClientOptions | None,
    concurrency: int,
    clock: Callable[[], datetime],
) -> RefreshReport:
    db = UnitOfWork(service.engine)
    loop = asyncio.get_running_loop()

    async def in_writer(work: Callable[[], Any]) -> Any:
        return await loop.run_in_executor(writer, work)

    def drop_all() -> None:
        with db.write() as conn:
            for refresh in refreshes:
                queue.drop_refresh(conn, refresh)

    try:
        view = service.get_by_id(connection_id)
        credentials = service.credentials(view.name)
    except (ConnectionNotFoundError, BigsyncError) as error:
        log.warning(
            "dropping %d refreshes of connection %s: %s", len(refreshes), connection_id, error
        )
        await in_writer(drop_all)
        return RefreshReport(dropped=len(refreshes))
    gate = asyncio.Semaphore(concurrency)
    async with BigCommerceClient(
        credentials, base_url=view.api_url, options=client_options
    ) as client:

        async def one(refresh: queue.PendingRefresh) -> RefreshReport:
            async with gate:
                return await _refresh_one(
                    client, view, refresh, db=db, in_writer=in_writer, clock=clock
                )

        results = await asyncio.gather(*(one(r) for r in refreshes))
    total = RefreshReport()
    for result in results:
        total += result
    return total


async def _refresh_one(
    client: BigCommerceClient,
    view: ConnectionView,
    refresh: queue.PendingRefresh,
    *,
    db: UnitOfWork,
    in_writer: Callable[[Callable[[], Any]], Any],
    clock: Callable[[], datetime],
) -> RefreshReport:
    kind = TargetKind(refresh.kind)
    active = set(view.active_features)
    if Feature.WEBHOOKS not in active or FEATURE_OF[kind] not in active:

        def drop() -> None:
            with db.write() as conn:
                queue.drop_refresh(conn, refresh)

        await in_writer(drop)
        return RefreshReport(dropped=1)
    try:
        write, removed = await READERS[kind](client, refresh.record_id, active, cid=view.id)
    except ApiError as error:
        failure = error
        postponed: RefreshReport = await in_writer(lambda: _postpone(db, refresh, failure, clock()))
        return postponed

    def commit() -> bool:
        now = clock()
        with db.write() as conn:
            write(conn, now)
            return queue.finish_refresh(conn, refresh)

    finished = await in_writer(commit)
    done = RefreshReport(removed=1) if removed else RefreshReport(refreshed=1)
    return done if finished else done + RefreshReport(again=1)


def _postpone(
    db: UnitOfWork, refresh: queue.PendingRefresh, error: ApiError, now: datetime
) -> RefreshReport:
    with db.write() as conn:
        if refresh.attempts + 1 >= MAX_ATTEMPTS:
            queue.drop_refresh(conn, refresh)
            log.warning(
                "gave up refreshing %s %s of connection %s after %d attempts: %s",
                refresh.kind,
                refresh.record_id,
                refresh.connection_id,
                MAX_ATTEMPTS,
                error,
            )
            return RefreshReport(dropped=1)
        queue.postpone_refresh(
            conn, refresh, error=str(error), not_before=now + retry_delay(refresh.attempts)
        )
    log.info("refresh of %s %s failed, will retry: %s", refresh.kind, refresh.record_id, error)
    return RefreshReport(failed=1)


# --- what each kind reads and writes ----------------------------------------------------------


def _batch_writer(batch: Batch, connection_id: int) -> Write:
    def write(conn: Connection, now: datetime) -> None:
        mirror.write_batch(conn, batch, connection_id=connection_id, now=now)

    return write


async def _all_items(client: BigCommerceClient, path: str, params: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    async for page in client.paginate_v3(path, params=params):
        items.extend(page.items)
    return items


async def _product(
    client: BigCommerceClient, product_id: int, active: set[str], *, cid: int
) -> tuple[Write, bool]:
    with_stock = Feature.READ_INVENTORY in active
    try:
        body = await client.get(
            f"/v3/catalog/products/{product_id}", params={"include": "variants"}
        )
    except NotFoundError:

        def remove(conn: Connection, now: datetime) -> None:
            mirror.soft_delete(conn, "products", [product_id], connection_id=cid, now=now)
            mirror.soft_delete_orphans(
                conn, "variants", "product_id", parent="products", connection_id=cid, now=now
            )
            mirror.delete_where(
                conn, "inventory_levels", "product_id", [product_id], connection_id=cid
            )

        return remove, True
    batch = rows.products_batch([body["data"]])
    stock: Batch | None = None
    if with_stock:
        items = await _all_items(
            client, "/v3/inventory/items", {"product_id:in": product_id, "limit": 1000}
        )
        stock = rows.inventory_batch(items)

    def write(conn: Connection, now: datetime) -> None:
        mirror.write_batch(conn, batch, connection_id=cid, now=now)
        if stock is not None:
            mirror.replace_inventory_of(
                conn, [product_id], stock.rows["inventory_levels"], connection_id=cid, now=now
            )

    return write, False


async def _order(
    client: BigCommerceClient, order_id: int, active: set[str], *, cid: int
) -> tuple[Write, bool]:
    try:
        doc = await client.get(f"/v2/orders/{order_id}", params=dict(ORDERS.params))
    except NotFoundError:

        def remove(conn: Connection, now: datetime) -> None:
            for table in ("transactions", "order_products", "order_shipping_addresses"):
                mirror.delete_where(conn, table, "order_id", [order_id], connection_id=cid)
            mirror.delete_where(conn, "orders", "id", [order_id], connection_id=cid)

        return remove, True
    batches = [rows.orders_batch([doc])]
    if Feature.READ_TRANSACTIONS in active:
        items = await _all_items(client, f"/v3/orders/{order_id}/transactions", {"limit": 250})
        batches.append(rows.transactions_batch(items, order_id))

    def write(conn: Connection, now: datetime) -> None:
        for batch in batches:
            mirror.write_batch(conn, batch, connection_id=cid, now=now)

    return write, False


async def _customer(
    client: BigCommerceClient, customer_id: int, active: set[str], *, cid: int
) -> tuple[Write, bool]:
    body = await client.get("/v3/customers", params={"id:in": customer_id})
    found = [doc for doc in body.get("data") or () if doc.get("id") == customer_id]
    if not found:

        def remove(conn: Connection, now: datetime) -> None:
            mirror.soft_delete(conn, "customers", [customer_id], connection_id=cid, now=now)

        return remove, True
    return _batch_writer(rows.customers_batch(found), cid), False


async def _category(
    client: BigCommerceClient, category_id: int, active: set[str], *, cid: int
) -> tuple[Write, bool]:
    try:
        body = await client.get(f"/v3/catalog/categories/{category_id}")
    except NotFoundError:

        def remove(conn: Connection, now: datetime) -> None:
            mirror.soft_delete(conn, "categories", [category_id], connection_id=cid, now=now)

        return remove, True
    return _batch_writer(rows.categories_batch([body["data"]]), cid), False


Reader = Callable[..., Any]

READERS: dict[TargetKind, Reader] = {
    TargetKind.PRODUCT: _product,
    TargetKind.ORDER: _order,
    TargetKind.CUSTOMER: _customer,
    TargetKind.CATEGORY: _category,
}
"""How each kind of record is read: (client, id, active features, cid=) -> (write, removed)."""
