"""`/api/v1/connections/{id}/products...` and `.../stock...`: the store's variants from the
mirror with hub and store stock per location (cursor pages), managing and unmanaging them
(by id, or every variant a filter matches), hub stock levels, CSV imports (with a dry run
that previews them) and a catalog refresh from the store that runs in the background.

Every write of hub stock records its outbox intents in the same transaction, and the outbox
job is nudged so that the push happens within seconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bigsync.errors import InputError
from bigsync.fulfillment import browse, stock
from bigsync.fulfillment.browse import ProductFilter, ProductsPage, VariantLine
from bigsync.fulfillment.catalog import ManageResult
from bigsync.fulfillment.hub import Hub as FulfillmentHub
from bigsync.fulfillment.stock import ImportPreview, StockChange
from bigsync.jobs.tasks import DISPATCH_OUTBOX
from bigsync.web.auth import ApiUser, actor_of, visible_connection
from bigsync.web.catalog_refresh import RefreshState, refresh_state, start_refresh
from bigsync.web.deps import HubDep
from bigsync.web.pagination import CursorPage, PageParams, encode_cursor
from bigsync.web.problems import Problem

router = APIRouter(prefix="/api/v1", tags=["products"])

ConnectionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the integration's id")]
TEXT = r"^[^\x00-\x1f\x7f-\x9f]*$"  # no control characters
Status = Literal["all", "managed", "unmanaged", "differs", "deleted"]
MAX_IMPORT_BYTES = 5 * 1024 * 1024
T = TypeVar("T")


class LocationStockOut(BaseModel):
    """A variant's stock at one hub location: hub level, the store's at the mapped store
    location (null: not mapped, or no level), and whether they differ."""

    location: str
    hub: int | None
    store: int | None
    mapped: bool
    differs: bool


class ProductVariant(BaseModel):
    """One store variant (a simple product is its own base variant)."""

    product_id: int
    variant_id: int
    sku: str | None
    name: str
    options: str
    managed: bool
    deleted_in_store: bool
    inventory_tracking: str | None
    differs: bool
    stock: list[LocationStockOut]

    @classmethod
    def of(cls, line: VariantLine) -> ProductVariant:
        return cls(
            product_id=line.product_id,
            variant_id=line.variant_id,
            sku=line.sku,
            name=line.name,
            options=line.options,
            managed=line.managed,
            deleted_in_store=line.deleted_in_store,
            inventory_tracking=line.inventory_tracking,
            differs=line.differs,
            stock=[
                LocationStockOut(
                    location=c.location, hub=c.hub, store=c.store, mapped=c.mapped,
                    differs=c.differs,
                )
                for c in line.stock
            ],
        )  # fmt: skip


class LocationOut(BaseModel):
    """A hub location (a stock column) and the store location it writes to."""

    code: str
    name: str
    store_location_id: int | None
    store_label: str | None
    is_default: bool


class ProductList(CursorPage[ProductVariant]):
    """A page of variants; `total`: how many match (counted on the first page, up to 10,000;
    10,001 means more), carried by the cursor to later pages."""

    total: int | None = None
    locations: list[LocationOut] = Field(default_factory=list)


class FilterIn(BaseModel):
    """Variants by filter: the same `status` and `search` as the list."""

    status: Status = "all"
    search: str | None = Field(default=None, max_length=200, pattern=TEXT)


class SelectionIn(BaseModel):
    """Which variants: their ids, or every variant a filter matches (not both)."""

    variant_ids: list[Annotated[int, Field(ge=1, le=2**53)]] = Field(
        default_factory=list, max_length=10_000
    )
    filter: FilterIn | None = None


class ManageOut(BaseModel):
    """What a manage or unmanage did, by SKU (`variant N` when a variant has none)."""

    changed: list[str]
    unchanged: list[str]

    @classmethod
    def of(cls, result: ManageResult) -> ManageOut:
        return cls(changed=list(result.changed), unchanged=list(result.unchanged))


class LevelIn(BaseModel):
    """A hub stock level: SKU, hub location (default: the default location), quantity."""

    sku: str = Field(min_length=1, max_length=255, pattern=TEXT)
    location: str | None = Field(default=None, min_length=1, max_length=64, pattern=TEXT)
    quantity: int = Field(ge=0, le=stock.MAX_QUANTITY)


class LevelsIn(BaseModel):
    """Hub stock levels to set: all of them, or (any bad) none."""

    levels: list[LevelIn] = Field(min_length=1, max_length=10_000)


class StockChangeOut(BaseModel):
    """A hub level set: before and after, and the outbox intent that writes it to the store
    (null: the location is not written to the store)."""

    sku: str
    location: str
    before: int | None
    quantity: int
    intent_id: int | None

    @classmethod
    def of(cls, change: StockChange) -> StockChangeOut:
        return cls(
            sku=change.sku, location=change.location, before=change.before,
            quantity=change.quantity, intent_id=change.intent_id,
        )  # fmt: skip


class StockChanges(BaseModel):
    """The levels set."""

    changes: list[StockChangeOut]


class ImportLine(BaseModel):
    """A row of a stock file as it applies (or would): line number, SKU, location, from, to."""

    line: int
    sku: str
    location: str
    before: int | None
    after: int
    changes: bool
    to_store: bool


class ImportProblem(BaseModel):
    """A bad row of a stock file."""

    line: int
    problem: str


class ImportOut(BaseModel):
    """A stock import: `applied` false for a dry run (or a file with bad rows, which
    applies nothing); the rows and the problems by line number."""

    applied: bool
    lines: list[ImportLine]
    problems: list[ImportProblem]

    @classmethod
    def of(cls, preview: ImportPreview, *, applied: bool) -> ImportOut:
        return cls(
            applied=applied,
            lines=[
                ImportLine(
                    line=p.line, sku=p.sku, location=p.location, before=p.before,
                    after=p.after, changes=p.changes, to_store=p.to_store,
                )
                for p in preview.lines
            ],
            problems=[ImportProblem(line=n, problem=text) for n, text in preview.problems],
        )  # fmt: skip


class RefreshOut(BaseModel):
    """The connection's catalog refresh: running, or how the last one ended (`status` null:
    none since the server started)."""

    started: bool = Field(description="this request started it")
    status: Literal["running", "ok", "warning", "failed"] | None
    started_at: datetime | None
    finished_at: datetime | None
    message: str

    @classmethod
    def of(cls, state: RefreshState | None, *, started: bool = False) -> RefreshOut:
        if state is None:
            return cls(started=False, status=None, started_at=None, finished_at=None, message="")
        return cls(
            started=started,
            status=state.status,
            started_at=state.started_at,
            finished_at=state.finished_at,
            message=state.message,
        )


def fulfillment_hub(hub: HubDep, user: ApiUser, connection_id: int) -> FulfillmentHub:
    """The connection's hub (404 problem when the caller may not see it); call in a thread."""
    service = hub.connections(actor=actor_of(user))
    view = visible_connection(hub, user, connection_id)
    return FulfillmentHub(service.db, view.id, view.name)


def refused(call: Callable[[], T]) -> T:
    """Run a use-case; its InputError is a 400 problem (the request was well-formed)."""
    try:
        return call()
    except InputError as error:
        raise Problem(400, "Refused", detail=str(error)) from None


def _after(page_after: dict[str, object] | None) -> tuple[tuple[int, int] | None, int | None]:
    if page_after is None:
        return None, None
    p, v, t = page_after.get("p"), page_after.get("v"), page_after.get("t")
    if not isinstance(p, int) or not isinstance(v, int) or not (t is None or isinstance(t, int)):
        raise Problem(400, "Invalid cursor", detail="use the next_cursor of a previous page")
    return (p, v), t


@router.get("/connections/{connection_id}/products", response_model=ProductList)
def list_products(
    connection_id: ConnectionId,
    *,
    hub: HubDep,
    user: ApiUser,
    page: PageParams,
    status: Annotated[Status, Query(description="which variants")] = "all",
    search: Annotated[
        str | None, Query(max_length=200, pattern=TEXT, description="in SKU or product name")
    ] = None,
) -> ProductList:
    """The store's variants from the mirror, in (product id, variant id) order, with hub and
    store stock per hub location."""
    fhub = fulfillment_hub(hub, user, connection_id)
    after, total = _after(page.after)
    result: ProductsPage = refused(
        lambda: browse.browse(fhub, ProductFilter(status, search), after=after, limit=page.limit)
    )
    total = result.total if result.total is not None else total
    cursor = None
    if result.next_after is not None:
        p, v = result.next_after
        cursor = encode_cursor({"p": p, "v": v, "t": total})
    return ProductList(
        items=[ProductVariant.of(line) for line in result.lines],
        next_cursor=cursor,
        total=total,
        locations=[
            LocationOut(
                code=c.code, name=c.name, store_location_id=c.store_location_id,
                store_label=c.store_label, is_default=c.is_default,
            )
            for c in result.locations
        ],
    )  # fmt: skip


def _selection(body: SelectionIn) -> dict[str, object]:
    if body.filter is not None and body.variant_ids:
        raise Problem(400, "Refused", detail="give either variant_ids or a filter, not both")
    if body.filter is None and not body.variant_ids:
        raise Problem(400, "Refused", detail="give variant_ids or a filter")
    if body.filter is not None:
        return {"filter": ProductFilter(body.filter.status, body.filter.search)}
    return {"variant_ids": tuple(body.variant_ids)}


@router.post("/connections/{connection_id}/products/manage", response_model=ManageOut)
def manage_products(
    connection_id: ConnectionId, body: SelectionIn, hub: HubDep, user: ApiUser
) -> ManageOut:
    """Manage variants in the hub (a hub item each): by id, or every live variant a filter
    matches."""
    fhub = fulfillment_hub(hub, user, connection_id)
    chosen = _selection(body)
    return ManageOut.of(refused(lambda: browse.manage(fhub, **chosen)))  # type: ignore[arg-type]


@router.post("/connections/{connection_id}/products/unmanage", response_model=ManageOut)
def unmanage_products(
    connection_id: ConnectionId, body: SelectionIn, hub: HubDep, user: ApiUser
) -> ManageOut:
    """Stop managing variants (their hub stock and history are kept)."""
    fhub = fulfillment_hub(hub, user, connection_id)
    chosen = _selection(body)
    return ManageOut.of(refused(lambda: browse.unmanage(fhub, **chosen)))  # type: ignore[arg-type]


@router.put("/connections/{connection_id}/stock", response_model=StockChanges)
def put_stock(
    connection_id: ConnectionId, body: LevelsIn, hub: HubDep, user: ApiUser
) -> StockChanges:
    """Set hub stock levels (all or none); each mapped level is pushed to the store."""
    fhub = fulfillment_hub(hub, user, connection_id)
    levels = [(level.sku, level.location, level.quantity) for level in body.levels]
    changes = refused(lambda: stock.set_levels(fhub, levels, source="the request"))
    if any(change.intent_id is not None for change in changes):
        hub.nudge(DISPATCH_OUTBOX, fhub.connection_id)
    return StockChanges(changes=[StockChangeOut.of(change) for change in changes])


@router.post(
    "/connections/{connection_id}/stock/import",
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string", "maxLength": 1_000_000}}},
        }
    },
)
async def import_stock(
    connection_id: ConnectionId,
    request: Request,
    hub: HubDep,
    user: ApiUser,
    dry_run: Annotated[bool, Query(description="preview only: apply nothing")] = False,
) -> ImportOut:
    """A stock file (`sku,quantity[,location]`, header optional): every row applies or, when
    any is bad, none; `dry_run=true` returns what would change."""
    data = await request.body()
    if len(data) > MAX_IMPORT_BYTES:
        raise Problem(413, "File too large", detail=f"at most {MAX_IMPORT_BYTES:,} bytes")
    return await run_in_threadpool(_import, hub, user, connection_id, data, dry_run)


def _import(
    hub: HubDep, user: ApiUser, connection_id: int, data: bytes, dry_run: bool
) -> ImportOut:
    fhub = fulfillment_hub(hub, user, connection_id)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(400, "Refused", detail="the file is not UTF-8 text") from None
    if "\x00" in text:
        raise Problem(400, "Refused", detail="the file is not text (NUL characters)")
    preview = refused(lambda: stock.preview_import(fhub, text))
    if dry_run or not preview.ok:
        return ImportOut.of(preview, applied=False)
    changes = refused(lambda: stock.import_stock(fhub, text, source="the file"))
    if any(change.intent_id is not None for change in changes):
        hub.nudge(DISPATCH_OUTBOX, fhub.connection_id)
    return ImportOut.of(preview, applied=True)


@router.post(
    "/connections/{connection_id}/products/refresh", response_model=RefreshOut, status_code=202
)
async def refresh_products(
    connection_id: ConnectionId, request: Request, hub: HubDep, user: ApiUser
) -> RefreshOut:
    """Re-read the catalog (every variant) and stock from the store now, in the background;
    GET the same path to see how it goes."""
    view = await run_in_threadpool(visible_connection, hub, user, connection_id)
    state, started = start_refresh(request, hub, view.id, view.name, actor=actor_of(user))
    return RefreshOut.of(state, started=started)


@router.get("/connections/{connection_id}/products/refresh", response_model=RefreshOut)
async def refresh_status(
    connection_id: ConnectionId, request: Request, hub: HubDep, user: ApiUser
) -> RefreshOut:
    """The running or last catalog refresh of the integration (in this server)."""
    view = await run_in_threadpool(visible_connection, hub, user, connection_id)
    return RefreshOut.of(refresh_state(request, view.id))


__all__ = ["router"]
