"""The Products page's use-cases: the store's variants from the mirror one page at a time,
each with the hub's and the store's stock per hub location, and managing or unmanaging every
variant a filter matches (not only the page shown).

A page is read in (product id, variant id) order and continues after the last key of the
previous one (`after`), so the thousandth page costs what the first does. Differences follow
`bigsync stock NAME show --differs`: a hub level at a mapped location that the store does not
show (no store level counts as 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from bigsync.errors import InputError
from bigsync.fulfillment import catalog, locations
from bigsync.fulfillment.catalog import ManageResult, Selection
from bigsync.fulfillment.hub import Hub
from bigsync.store import catalog_browse, hub_mirror, hub_repository
from bigsync.store.catalog_browse import STATUSES

MAX_LIMIT = 200
COUNT_CAP = 10_000  # a page counts its matches up to this ("10,000+" beyond)


@dataclass(frozen=True)
class ProductFilter:
    """Which variants a page lists: `status` (one of `STATUSES`) and a search in the SKU or
    the product name."""

    status: str = "all"
    search: str | None = None

    def check(self) -> ProductFilter:
        """The filter, or InputError for an unknown status."""
        if self.status not in STATUSES:
            raise InputError(f"unknown filter {self.status!r}: one of {', '.join(STATUSES)}")
        search = (self.search or "").strip() or None
        return ProductFilter(self.status, search)


@dataclass(frozen=True)
class LocationColumn:
    """A hub location as a column of the page: the store location it writes to, if any."""

    code: str
    name: str
    store_location_id: int | None
    store_label: str | None
    is_default: bool


@dataclass(frozen=True)
class LocationStock:
    """A variant's stock at one hub location: the hub's level (None: not managed, or none
    set) and the store's at the mapped location (None: not mapped, or no level there)."""

    location: str
    hub: int | None
    store: int | None
    mapped: bool

    @property
    def differs(self) -> bool:
        """A hub level at a mapped location that the store does not show."""
        return self.mapped and self.hub is not None and self.hub != (self.store or 0)


@dataclass(frozen=True)
class VariantLine:
    """One variant of a page."""

    product_id: int
    variant_id: int
    sku: str | None
    name: str
    options: str
    managed: bool
    deleted_in_store: bool
    inventory_tracking: str | None
    stock: tuple[LocationStock, ...]

    @property
    def differs(self) -> bool:
        """Whether the hub and the store differ at some mapped location."""
        return any(cell.differs for cell in self.stock)


@dataclass(frozen=True)
class ProductsPage:
    """One page: its lines, the location columns, where the next page starts (None: last
    page) and how many variants match in all (None when not counted; `COUNT_CAP` + 1 means
    "more than `COUNT_CAP`")."""

    lines: tuple[VariantLine, ...]
    locations: tuple[LocationColumn, ...]
    next_after: tuple[int, int] | None
    total: int | None

    @property
    def total_is_capped(self) -> bool:
        """Whether counting stopped at `COUNT_CAP`."""
        return self.total is not None and self.total > COUNT_CAP


def browse(
    hub: Hub,
    filter: ProductFilter | None = None,
    *,
    after: tuple[int, int] | None = None,
    limit: int = 50,
    count: bool = True,
) -> ProductsPage:
    """A page of variants matching `filter`, after the key `after` (product id, variant id).
    `count`: count the matches (up to `COUNT_CAP`; not for a search whose first page is
    full); a first page that is not full is its own count, and later pages are not counted
    (the caller carries the first page's total)."""
    chosen = (filter or ProductFilter()).check()
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"a page has 1 to {MAX_LIMIT} variants")
    columns = _columns(hub)
    with hub.db.read() as conn:
        rows, more = catalog_browse.browse_page(
            conn,
            hub.connection_id,
            status=chosen.status,
            search=chosen.search,
            after=after,
            limit=limit,
        )
        item_ids = [r.item_id for r in rows if r.item_id is not None and r.managed]
        hub_stock = catalog_browse.hub_levels(conn, hub.connection_id, item_ids)
        store_stock = catalog_browse.store_levels(
            conn, hub.connection_id, [r.variant_id for r in rows]
        )
        total: int | None = None
        if count and after is None and not more:
            total = len(rows)
        elif count and after is None and chosen.search is None:
            # A search is not counted past its first page: with few matches the count would
            # read every variant again (LIKE '%…%' has no index), doubling the page's cost.
            total = catalog_browse.count_matching(
                conn, hub.connection_id, status=chosen.status, search=chosen.search, cap=COUNT_CAP
            )
        ids = {loc.code: loc.id for loc in hub_repository.list_locations(conn, hub.connection_id)}
    lines = tuple(
        VariantLine(
            product_id=r.product_id,
            variant_id=r.variant_id,
            sku=r.sku,
            name=r.product_name,
            options=r.options,
            managed=r.managed,
            deleted_in_store=r.managed and r.deleted,
            inventory_tracking=r.inventory_tracking,
            stock=tuple(
                LocationStock(
                    location=col.code,
                    hub=(
                        hub_stock.get((r.item_id, ids[col.code]))
                        if r.managed and r.item_id is not None and col.code in ids
                        else None
                    ),
                    store=(
                        store_stock.get((r.variant_id, col.store_location_id))
                        if col.store_location_id is not None
                        else None
                    ),
                    mapped=col.store_location_id is not None,
                )
                for col in columns
            ),
        )
        for r in rows
    )
    next_after = (rows[-1].product_id, rows[-1].variant_id) if more and rows else None
    return ProductsPage(lines, columns, next_after, total)


def _columns(hub: Hub) -> tuple[LocationColumn, ...]:
    """The hub's locations (the default made first when there is none yet, as `locations
    list` does), default first."""
    with hub.db.read() as conn:
        found = hub_repository.list_locations(conn, hub.connection_id)
        store = hub_mirror.store_locations(conn, hub.connection_id)
    if not found:
        with hub.db.write() as conn:
            locations.ensure_default(conn, hub, now=hub.now())
            found = hub_repository.list_locations(conn, hub.connection_id)
    return tuple(
        LocationColumn(
            code=loc.code,
            name=loc.name,
            store_location_id=loc.store_location_id,
            store_label=(
                store[loc.store_location_id].label
                if loc.store_location_id is not None and loc.store_location_id in store
                else None
            ),
            is_default=loc.is_default,
        )
        for loc in found
    )


def matching_variant_ids(hub: Hub, filter: ProductFilter, *, live_only: bool = False) -> list[int]:
    """Every variant id the filter matches (all pages; `live_only`: not deleted in the
    store)."""
    chosen = filter.check()
    with hub.db.read() as conn:
        return catalog_browse.matching_variant_ids(
            conn,
            hub.connection_id,
            status=chosen.status,
            search=chosen.search,
            live_only=live_only,
        )


def manage(
    hub: Hub, *, variant_ids: tuple[int, ...] = (), filter: ProductFilter | None = None
) -> ManageResult:
    """Manage these variants, or every live variant `filter` matches."""
    ids = _chosen(hub, variant_ids, filter, live_only=True)
    if filter is not None and not ids:
        return ManageResult((), ())
    return catalog.manage(hub, Selection(variant_ids=ids))


def unmanage(
    hub: Hub, *, variant_ids: tuple[int, ...] = (), filter: ProductFilter | None = None
) -> ManageResult:
    """Stop managing these variants, or every variant `filter` matches."""
    ids = _chosen(hub, variant_ids, filter)
    if filter is not None and not ids:
        return ManageResult((), ())
    return catalog.unmanage(hub, Selection(variant_ids=ids))


def _chosen(
    hub: Hub,
    variant_ids: tuple[int, ...],
    filter: ProductFilter | None,
    *,
    live_only: bool = False,
) -> tuple[int, ...]:
    if filter is not None and variant_ids:
        raise InputError("choose either variants or a filter, not both")
    if filter is None:
        if not variant_ids:
            raise InputError("select at least one variant")
        return tuple(dict.fromkeys(variant_ids))
    return tuple(matching_variant_ids(hub, filter, live_only=live_only))
