"""Hub stock: set one level, import a CSV file, and the hub and the store side by side.

Every change of hub stock and the outbox intent that writes it to the store commit in ONE
transaction: a stock intent per changed level at a hub location mapped to a store location
(`writeback.outbox.record_stock_many`, which coalesces pending intents of one item and location,
so setting a level twice before a push sends only the latest). A hub location that is not
mapped keeps its stock in the hub only.

CSV import (`sku,quantity[,location]`, header optional, UTF-8 with or without a BOM, LF or
CRLF): every row is checked first and a file with any bad row applies NOTHING; the error
names every bad row by its line number (up to `MAX_REPORTED`). Rows are bad when the
quantity is not a whole number from 0 to 2,147,483,647, the SKU is empty or not managed (or
its variant was deleted in the store), the location is unknown, or the same SKU and location
come twice in the file (refused rather than "last wins": a file that says two things about
one level is a mistake to look at, not to guess about), or BigCommerce would refuse the level
(an untracked product, or one option of a product tracked as a whole). Without a location,
the row is for the hub's default location.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bigsync.errors import InputError
from bigsync.fulfillment import catalog, locations
from bigsync.fulfillment.hub import Hub
from bigsync.store import hub_mirror, hub_repository
from bigsync.store.hub_repository import HubItem, HubLocation, ItemEvent
from bigsync.store.outbox_repository import StockPushState, stock_push_states
from bigsync.writeback.intents import StockLevel
from bigsync.writeback.outbox import record_stock_many

if TYPE_CHECKING:
    from sqlalchemy import Connection

MAX_QUANTITY = 2_147_483_647  # BigCommerce's ceiling per item and location
MAX_REPORTED = 20
COLUMNS = ("sku", "quantity", "location")


class StockFileError(InputError):
    """A stock file with bad rows; `problems` are (line number, what is wrong)."""

    def __init__(self, source: str, problems: Sequence[tuple[int, str]]) -> None:
        shown = "; ".join(f"line {line}: {text}" for line, text in problems[:MAX_REPORTED])
        more = len(problems) - MAX_REPORTED
        tail = f"; and {more} more" if more > 0 else ""
        rows = "row" if len(problems) == 1 else "rows"
        super().__init__(
            f"{source}: {len(problems)} bad {rows}, nothing was applied: {shown}{tail}"
        )
        self.problems = tuple(problems)


@dataclass(frozen=True)
class StockRow:
    """One row of a stock file (`location` None: the default location)."""

    line: int
    sku: str
    quantity: int
    location: str | None


def parse_quantity(text: str) -> int:
    """A stock quantity as typed, or ValueError saying what is expected."""
    cleaned = text.strip()
    if not cleaned.isdecimal() or not cleaned.isascii():
        raise ValueError(f"quantity {text.strip()!r} is not a whole number from 0")
    quantity = int(cleaned)
    if quantity > MAX_QUANTITY:
        raise ValueError(f"quantity {quantity} is above BigCommerce's {MAX_QUANTITY:,}")
    return quantity


def parse_stock_file(data: bytes | str) -> tuple[list[StockRow], list[tuple[int, str]]]:
    """The rows of a stock file and its problems (line numbers as in an editor). Pure."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[StockRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str | None], int] = {}
    first = True
    line = 0
    for raw_cells in reader:
        line, start = reader.line_num, line + 1
        cells = [cell.strip() for cell in raw_cells]
        if not any(cells):
            continue
        if first:
            first = False
            if [c.casefold() for c in cells] in (list(COLUMNS[:2]), list(COLUMNS)):
                continue  # the header
        row = _row(start, cells, problems)
        if row is None:
            continue
        key = (row.sku.casefold(), row.location)
        if key in seen:
            where = f" at location {row.location}" if row.location else ""
            problems.append((start, f"SKU {row.sku}{where} again (first on line {seen[key]})"))
            continue
        seen[key] = start
        rows.append(row)
    return rows, problems


def _row(line: int, cells: list[str], problems: list[tuple[int, str]]) -> StockRow | None:
    if len(cells) not in (2, 3):
        problems.append((line, f"{len(cells)} columns, expected sku,quantity[,location]"))
        return None
    sku = cells[0]
    if not sku:
        problems.append((line, "the SKU is empty"))
        return None
    try:
        quantity = parse_quantity(cells[1])
    except ValueError as error:
        problems.append((line, str(error)))
        return None
    location = cells[2] if len(cells) == 3 and cells[2] else None
    return StockRow(line, sku, quantity, location)


# --- applying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockChange:
    """One hub level set: before and after, and the intent that writes it (None: the hub
    location is not mapped, or maps to a store location the store no longer has)."""

    sku: str
    location: str
    before: int | None
    quantity: int
    intent_id: int | None
    store_location_id: int | None


def set_stock(hub: Hub, sku: str, quantity: int, *, location: str | None = None) -> StockChange:
    """Set the hub quantity of `sku` at `location` (default: the default location) and record
    the write to the store, in one transaction."""
    if quantity < 0 or quantity > MAX_QUANTITY:
        raise InputError(f"a stock quantity is a whole number from 0 to {MAX_QUANTITY:,}")
    row = StockRow(0, sku, quantity, location)
    with hub.db.write() as conn:
        changes = _apply(conn, hub, [row], source=None)
    return changes[0]


def import_stock(hub: Hub, data: bytes | str, *, source: str = "the file") -> list[StockChange]:
    """Apply a stock file: every row, or (when any row is bad) none."""
    rows, problems = parse_stock_file(data)
    if not rows and not problems:
        raise InputError(f"{source} has no rows (columns: sku,quantity[,location])")
    with hub.db.write() as conn:
        return _apply(conn, hub, rows, source=source, problems=problems)


def set_levels(
    hub: Hub, levels: Sequence[tuple[str, str | None, int]], *, source: str = "the form"
) -> list[StockChange]:
    """Set several hub levels, (SKU, location or None for the default, quantity) each: all of
    them or (any bad) none, in one transaction; a bad level is named by its place (1, 2, …)."""
    rows = [StockRow(n, sku, q, loc) for n, (sku, loc, q) in enumerate(levels, start=1)]
    problems = [
        (row.line, f"quantity {row.quantity} is not from 0 to {MAX_QUANTITY:,}")
        for row in rows
        if not 0 <= row.quantity <= MAX_QUANTITY
    ]
    if not rows:
        raise InputError("no stock levels given")
    with hub.db.write() as conn:
        return _apply(conn, hub, rows, source=source, problems=problems)


@dataclass(frozen=True)
class PreviewLine:
    """One row of a stock file as it would apply: line number, SKU, hub location, the level
    before (None: none yet) and after, and whether it is written to the store."""

    line: int
    sku: str
    location: str
    before: int | None
    after: int
    to_store: bool

    @property
    def changes(self) -> bool:
        """Whether applying the row changes the hub level."""
        return self.before != self.after


@dataclass(frozen=True)
class ImportPreview:
    """What a stock file would do: every good row, and the bad ones by line number (any bad
    row: the import applies nothing)."""

    lines: tuple[PreviewLine, ...]
    problems: tuple[tuple[int, str], ...]

    @property
    def ok(self) -> bool:
        """Whether the file would apply."""
        return bool(self.lines) and not self.problems


def preview_import(hub: Hub, data: bytes | str) -> ImportPreview:
    """What `import_stock` would do with this file, with the same checks, writing nothing
    (the hub's upkeep of its items and default location aside)."""
    rows, problems = parse_stock_file(data)
    with hub.db.write() as conn:
        planned, problems = _plan(conn, hub, rows, problems)
        before = hub_repository.stock_levels(conn, hub.connection_id)
    lines = tuple(
        PreviewLine(
            line=row.line,
            sku=item.sku or row.sku,
            location=location.code,
            before=before.get((item.id, location.id)),
            after=row.quantity,
            to_store=location.store_location_id is not None,
        )
        for row, item, location in planned
    )
    if not rows and not problems:
        problems = [(1, "no rows (columns: sku,quantity[,location])")]
    return ImportPreview(lines, tuple(sorted(problems)))


def _plan(
    conn: Connection,
    hub: Hub,
    rows: Sequence[StockRow],
    problems: Sequence[tuple[int, str]],
    *,
    raise_first: bool = False,
) -> tuple[list[tuple[StockRow, HubItem, HubLocation]], list[tuple[int, str]]]:
    """Check every row: the rows that would apply (row, item, location) and every problem
    (`raise_first`: raise the first problem as it is, for a single level)."""
    now = hub.now()
    items = {(i.sku or "").casefold(): i for i in catalog.managed_items(conn, hub) if i.sku}
    # Whole reads, filtered here: an IN list of every row's id would pass the databases'
    # limit on bound parameters for large files.
    variants = {v.variant_id: v for v in hub_mirror.store_variants(conn, hub.connection_id)}
    default = locations.ensure_default(conn, hub, now=now)
    by_code = {loc.code: loc for loc in hub_repository.list_locations(conn, hub.connection_id)}
    store = hub_mirror.store_locations(conn, hub.connection_id)
    problems = list(problems)
    planned: list[tuple[StockRow, HubItem, HubLocation]] = []
    for row in rows:
        try:
            item = _item(hub, items, row.sku)
            _check_tracking(item, variants.get(item.variant_id))
            location = default if row.location is None else _location(hub, by_code, row.location)
            _check_store_location(hub, location, store)
        except InputError as error:
            if raise_first:
                raise
            problems.append((row.line, str(error)))
            continue
        planned.append((row, item, location))
    return planned, problems


def _apply(
    conn: Connection,
    hub: Hub,
    rows: Sequence[StockRow],
    *,
    source: str | None,
    problems: Sequence[tuple[int, str]] = (),
) -> list[StockChange]:
    """Check every row (raising StockFileError with these and the parse `problems`, so
    nothing is written), then write them all."""
    now = hub.now()
    planned, problems = _plan(conn, hub, rows, problems, raise_first=source is None)
    if problems:
        raise StockFileError(source or "input", sorted(problems))
    before = hub_repository.stock_levels(conn, hub.connection_id)
    hub_repository.set_stock(
        conn,
        hub.connection_id,
        {(item.id, loc.id): row.quantity for row, item, loc in planned},
        now=now,
    )
    mapped = [
        (row, item, location, location.store_location_id)
        for row, item, location in planned
        if location.store_location_id is not None
    ]
    intent_ids = record_stock_many(
        conn,
        hub.connection_id,
        [
            StockLevel(
                product_id=item.product_id,
                variant_id=item.variant_id,
                sku=item.sku or "",
                location_id=store_id,
                quantity=row.quantity,
            )
            for row, item, _, store_id in mapped
        ],
        now=now,
    )
    intent_of = {
        (item.id, location.id): intent_id
        for (_, item, location, _), intent_id in zip(mapped, intent_ids, strict=True)
    }
    changes: list[StockChange] = []
    events: list[ItemEvent] = []
    for row, item, location in planned:
        old = before.get((item.id, location.id))
        how = f" from {source}" if source else ""
        detail = f"{old if old is not None else '(none)'} -> {row.quantity} at {location.code}{how}"
        events.append(ItemEvent(item.id, now, "stock_set", detail))
        changes.append(
            StockChange(
                sku=item.sku or "",
                location=location.code,
                before=old,
                quantity=row.quantity,
                intent_id=intent_of.get((item.id, location.id)),
                store_location_id=location.store_location_id,
            )
        )
    hub_repository.add_events(conn, hub.connection_id, events)
    return changes


def _item(hub: Hub, items: dict[str, HubItem], sku: str) -> HubItem:
    item = items.get(sku.casefold())
    if item is None:
        raise InputError(
            f"SKU {sku} is not managed by the hub (`bigsync manage {hub.name} --sku {sku}`)"
        )
    if item.store_deleted_at is not None:
        raise InputError(f"SKU {sku} was deleted in the store; its stock is not written")
    return item


def _check_tracking(item: HubItem, variant: hub_mirror.StoreVariant | None) -> None:
    """Refuse a level BigCommerce would not take: an untracked product, or one variant of a
    product whose stock is tracked for the product as a whole."""
    tracking = variant.inventory_tracking if variant else None
    if tracking == "none":
        raise InputError(
            f"BigCommerce does not track the stock of product {item.product_id} (SKU "
            f"{item.sku}): turn inventory tracking on for it in the store, then sync"
        )
    if tracking == "product" and variant is not None and variant.options:
        raise InputError(
            f"product {item.product_id} tracks stock for the product as a whole, not for SKU "
            f"{item.sku}: track it by option in the store, then sync"
        )


def _location(hub: Hub, by_code: dict[str, HubLocation], code: str) -> HubLocation:
    location = by_code.get(code)
    if location is None:
        known = ", ".join(sorted(by_code))
        raise InputError(
            f"no hub location {code!r} (known: {known}; `bigsync locations {hub.name} add {code}`)"
        )
    return location


def _check_store_location(
    hub: Hub, location: HubLocation, store: dict[int, hub_mirror.StoreLocation]
) -> None:
    store_id = location.store_location_id
    if store_id is not None and store and store_id not in store:
        raise InputError(
            f"hub location {location.code!r} maps to store location {store_id}, which the "
            f"store no longer has: map it again (`bigsync locations {hub.name} map "
            f"{location.code} ID`)"
        )


# --- side by side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLine:
    """One managed item at one hub location: the hub's and the store's quantity, and how the
    last write of it stands.

    `store_quantity` is the store's on-hand level from the mirror (None: the location is not
    mapped, or the store has no level there). `push_state` is the newest intent's state
    (None: never pushed)."""

    sku: str
    product_id: int
    variant_id: int
    location: str
    store_location_id: int | None
    hub_quantity: int | None
    store_quantity: int | None
    push_state: str | None
    pushed_at: datetime | None
    push_error: str | None

    @property
    def difference(self) -> int | None:
        """hub − store, when both are known."""
        if self.hub_quantity is None or self.store_quantity is None:
            return None
        return self.hub_quantity - self.store_quantity

    @property
    def differs(self) -> bool:
        """Whether the hub has a level the store does not show."""
        return self.hub_quantity is not None and self.hub_quantity != (self.store_quantity or 0)

    @property
    def never_pushed(self) -> bool:
        """Mapped to the store, and no write of it was ever recorded."""
        return self.store_location_id is not None and self.push_state is None


@dataclass(frozen=True)
class StockReport:
    """Stock side by side, and how old the store's figures are (the last inventory sync)."""

    lines: tuple[StockLine, ...]
    store_synced_at: datetime | None


def side_by_side(hub: Hub, *, differs: bool = False, never_pushed: bool = False) -> StockReport:
    """Every managed item × hub location, hub and store side by side."""
    with hub.db.write() as conn:
        items = catalog.managed_items(conn, hub)
        locations.ensure_default(conn, hub, now=hub.now())
        hub_locations = hub_repository.list_locations(conn, hub.connection_id)
        hub_stock = hub_repository.stock_levels(conn, hub.connection_id)
        store_stock = hub_mirror.store_stock(conn, hub.connection_id)
        pushes = stock_push_states(conn, hub.connection_id)
        synced_at = hub_mirror.stream_synced_at(conn, hub.connection_id, "inventory_levels")
    lines = list(_lines(items, hub_locations, hub_stock, store_stock, pushes))
    if differs:
        lines = [line for line in lines if line.differs]
    if never_pushed:
        lines = [line for line in lines if line.never_pushed]
    return StockReport(tuple(lines), synced_at)


def _lines(
    items: Iterable[HubItem],
    hub_locations: Sequence[HubLocation],
    hub_stock: dict[tuple[int, int], int],
    store_stock: dict[tuple[int, int], int | None],
    pushes: Mapping[tuple[int, int], StockPushState],
) -> Iterable[StockLine]:
    for item in items:
        for location in hub_locations:
            store_id = location.store_location_id
            hub_quantity = hub_stock.get((item.id, location.id))
            if hub_quantity is None and store_id is None:
                continue  # nothing to show: no hub level, not written to the store
            push = pushes.get((item.variant_id, store_id)) if store_id is not None else None
            yield StockLine(
                sku=item.sku or "",
                product_id=item.product_id,
                variant_id=item.variant_id,
                location=location.code,
                store_location_id=store_id,
                hub_quantity=hub_quantity,
                store_quantity=(
                    store_stock.get((item.variant_id, store_id)) if store_id is not None else None
                ),
                push_state=push.state if push else None,
                pushed_at=push.updated_at if push else None,
                push_error=push.last_error if push else None,
            )
