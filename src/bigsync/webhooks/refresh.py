"""Targeted refreshes: read exactly the records webhooks named (or the outbox, after it
shipped or changed an order), write them to the mirror.

`run_pending_refreshes` drains the durable queue (`webhook_refreshes`): for each connection
one client (its requests pass through the store's one `RateGovernor`, shared with the sync,
so a burst of refreshes stays within the store's rate budget) and a few refreshes at a time.

Queued records of one kind are read together, up to `CHUNK` at a time, through the same
row builders as the sync (`streams/`), and written in ONE transaction with the removal of
their queue rows:

    product   GET /v3/catalog/products?id:in=…&include=variants, and their stock at every
              location (GET /v3/inventory/items?product_id:in=…) when read_inventory is on
    order     GET /v2/orders/{id}?include=consignments.line_items&consignment_structure=
              object (line items, shipping addresses) per order (v2 lists have no id
              filter), and GET /v3/orders/{id}/transactions when read_transactions is on
    customer  GET /v3/customers?id:in=…
    category  GET /v3/catalog/categories?id:in=…

A record the store no longer has (404, or absent from the list) is removed from the mirror:
soft-deleted where the table keeps deletes (products with their variants, customers,
categories), deleted otherwise (an order with its line items, addresses and transactions;
a product's stock rows). A failed refresh (the store refused or failed, or answered what the
row builders cannot read) stays queued with a growing delay and its reason; after
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
from bigsync.errors import ApiError, BigsyncError, NotFoundError
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


log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 200
CONCURRENCY = 8
"""Chunks in flight per connection (the store's governor paces their requests further)."""


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

    try:
        view = service.get_by_id(connection_id)
        credentials = service.credentials(view.name)
    except BigsyncError as error:
        log.warning(
            "dropping %d refreshes of connection %s: %s", len(refreshes), connection_id, error
        )
        await in_writer(lambda: _drop(db, refreshes))
        return RefreshReport(dropped=len(refreshes))
    active = set(view.active_features)
    wanted = [r for r in refreshes if _is_wanted(r, active)]
    unwanted = [r for r in refreshes if not _is_wanted(r, active)]
    total = RefreshReport(dropped=len(unwanted))
    if unwanted:
        await in_writer(lambda: _drop(db, unwanted))
    chunks = [
        chunk
        for kind in TargetKind
        for chunk in _chunks([r for r in wanted if r.kind == kind], CHUNK[kind])
    ]
    gate = asyncio.Semaphore(concurrency)
    async with BigCommerceClient(
        credentials, base_url=view.api_url, options=client_options
    ) as client:

        async def one(chunk: list[queue.PendingRefresh]) -> RefreshReport:
            async with gate:
                return await _refresh_chunk(
                    client, view.id, chunk, active, db=db, in_writer=in_writer, clock=clock
                )

        for result in await asyncio.gather(*(one(chunk) for chunk in chunks)):
            total += result
    return total


def _is_wanted(refresh: queue.PendingRefresh, active: set[str]) -> bool:
    """A refresh runs while its kind's read feature is on: queued by a webhook delivery, or by
    the outbox after a write to that record."""
    return FEATURE_OF[TargetKind(refresh.kind)] in active


def _chunks(items: list[queue.PendingRefresh], size: int) -> list[list[queue.PendingRefresh]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _drop(db: UnitOfWork, refreshes: Sequence[queue.PendingRefresh]) -> None:
    with db.write() as conn:
        for refresh in refreshes:
            queue.drop_refresh(conn, refresh)


async def _refresh_chunk(
    client: BigCommerceClient,
    connection_id: int,
    chunk: list[queue.PendingRefresh],
    active: set[str],
    *,
    db: UnitOfWork,
    in_writer: Callable[[Callable[[], Any]], Any],
    clock: Callable[[], datetime],
) -> RefreshReport:
    """Read the records of one chunk (one kind) and write them, with the removal of their
    queue rows, in one transaction."""
    kind = TargetKind(chunk[0].kind)
    ids = [r.record_id for r in chunk]
    try:
        write, removed = await READERS[kind](client, ids, active, cid=connection_id)
    except (ApiError, KeyError, TypeError, ValueError) as error:  # the store's answer, odd
        failure = error
        postponed: RefreshReport = await in_writer(lambda: _postpone(db, chunk, failure, clock()))
        return postponed

    def commit() -> RefreshReport:
        now = clock()
        with db.write() as conn:
            write(conn, now)
            again = sum(1 for r in chunk if not queue.finish_refresh(conn, r))
        gone = sum(1 for i in ids if i in removed)
        return RefreshReport(refreshed=len(ids) - gone, removed=gone, again=again)

    done: RefreshReport = await in_writer(commit)
    return done


def _postpone(
    db: UnitOfWork, chunk: Sequence[queue.PendingRefresh], error: Exception, now: datetime
) -> RefreshReport:
    report = RefreshReport()
    with db.write() as conn:
        for refresh in chunk:
            if refresh.attempts + 1 >= MAX_ATTEMPTS:
                queue.drop_refresh(conn, refresh)
                report += RefreshReport(dropped=1)
                continue
            delay = retry_delay(refresh.attempts)
            reason = str(error) if isinstance(error, ApiError) else f"unexpected answer: {error!r}"
            queue.postpone_refresh(conn, refresh, error=reason, not_before=now + delay)
            report += RefreshReport(failed=1)
    log.warning(
        "refresh of %d %s records failed (%d given up, the others retry): %s",
        len(chunk), chunk[0].kind, report.dropped, error,
    )  # fmt: skip
    return report


# --- what each kind reads and writes ----------------------------------------------------------

Reading = tuple[Write, set[int]]
"""What a reader found: how to write it, and the ids the store no longer has."""


def _id_list(ids: Sequence[int]) -> str:
    return ",".join(str(i) for i in ids)


async def _all_items(client: BigCommerceClient, path: str, params: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    async for page in client.paginate_v3(path, params=params):
        items.extend(page.items)
    return items


async def _products(
    client: BigCommerceClient, ids: Sequence[int], active: set[str], *, cid: int
) -> Reading:
    docs = await _all_items(
        client,
        "/v3/catalog/products",
        {"id:in": _id_list(ids), "include": "variants", "limit": 250},
    )
    found = [d for d in docs if d.get("id") in set(ids)]
    gone = set(ids) - {d["id"] for d in found}
    batch = rows.products_batch(found)
    stock: Batch | None = None
    if Feature.READ_INVENTORY in active and found:
        items = await _all_items(
            client,
            "/v3/inventory/items",
            {"product_id:in": _id_list([d["id"] for d in found]), "limit": 1000},
        )
        stock = rows.inventory_batch(items)

    def write(conn: Connection, now: datetime) -> None:
        mirror.write_batch(conn, batch, connection_id=cid, now=now)
        if stock is not None:
            levels = stock.rows["inventory_levels"]
            kept = [d["id"] for d in found]
            mirror.replace_inventory_of(conn, kept, levels, connection_id=cid, now=now)
        if gone:
            mirror.soft_delete(conn, "products", gone, connection_id=cid, now=now)
            mirror.soft_delete_orphans(
                conn, "variants", "product_id", parent="products", connection_id=cid, now=now
            )
            mirror.delete_where(conn, "inventory_levels", "product_id", gone, connection_id=cid)

    return write, gone


async def _one_order(
    client: BigCommerceClient, order_id: int, with_transactions: bool
) -> list[Batch] | None:
    try:
        doc = await client.get(f"/v2/orders/{order_id}", params=dict(ORDERS.params))
    except NotFoundError:
        return None
    batches = [rows.orders_batch([doc])]
    if with_transactions:
        items = await _all_items(client, f"/v3/orders/{order_id}/transactions", {"limit": 250})
        batches.append(rows.transactions_batch(items, order_id))
    return batches


async def _orders(
    client: BigCommerceClient, ids: Sequence[int], active: set[str], *, cid: int
) -> Reading:
    """One request per order (v2 has no id list filter), and its transactions."""
    with_transactions = Feature.READ_TRANSACTIONS in active
    found = await asyncio.gather(*(_one_order(client, i, with_transactions) for i in ids))
    gone = {i for i, batches in zip(ids, found, strict=True) if batches is None}
    batches = [b for result in found if result for b in result]

    def write(conn: Connection, now: datetime) -> None:
        for batch in batches:
            mirror.write_batch(conn, batch, connection_id=cid, now=now)
        for table in ("transactions", "order_products", "order_shipping_addresses"):
            mirror.delete_where(conn, table, "order_id", gone, connection_id=cid)
        mirror.delete_where(conn, "orders", "id", gone, connection_id=cid)

    return write, gone


def _listed(table: str, path: str, to_batch: Callable[..., Batch]) -> Callable[..., Any]:
    """A reader of a v3 list filtered by `id:in` (missing ids: soft-deleted)."""

    async def read(
        client: BigCommerceClient, ids: Sequence[int], active: set[str], *, cid: int
    ) -> Reading:
        docs = await _all_items(client, path, {"id:in": _id_list(ids), "limit": 250})
        found = [d for d in docs if d.get("id") in set(ids)]
        gone = set(ids) - {d["id"] for d in found}
        batch = to_batch(found)

        def write(conn: Connection, now: datetime) -> None:
            mirror.write_batch(conn, batch, connection_id=cid, now=now)
            mirror.soft_delete(conn, table, gone, connection_id=cid, now=now)

        return write, gone

    return read


Reader = Callable[..., Any]

READERS: dict[TargetKind, Reader] = {
    TargetKind.PRODUCT: _products,
    TargetKind.ORDER: _orders,
    TargetKind.CUSTOMER: _listed("customers", "/v3/customers", rows.customers_batch),
    TargetKind.CATEGORY: _listed("categories", "/v3/catalog/categories", rows.categories_batch),
}
"""How each kind is read: (client, ids, active features, cid=) -> (write, ids gone)."""

CHUNK: dict[TargetKind, int] = {
    TargetKind.PRODUCT: 50,
    TargetKind.ORDER: 10,
    TargetKind.CUSTOMER: 50,
    TargetKind.CATEGORY: 50,
}
"""Records read (and written in one transaction) together: ids per `id:in` request."""
