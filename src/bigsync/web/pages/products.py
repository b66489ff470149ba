"""The Products page of an integration: the store's variants from the mirror with the hub's
and the store's stock side by side, and what the merchant does there.

GET  /integrations/{id}/products            search, filter, keyset pages (`after`), counts
POST /integrations/{id}/products/manage     "Create product": manage the checked variants,
                                            or every variant the filter matches
POST /integrations/{id}/products/unmanage   the same, the other way
POST /integrations/{id}/products/stock      one hub level (pushed to the store within
                                            seconds: the outbox job is nudged)
POST /integrations/{id}/products/refresh    re-read the catalog from the store, in the
                                            background (the page shows it running)
GET  /integrations/{id}/products/import     a stock CSV file: upload
POST /integrations/{id}/products/import     ... its preview (nothing applied)
POST /integrations/{id}/products/import/confirm   ... applied, all rows or none
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bigsync.connections.model import ConnectionView
from bigsync.errors import InputError
from bigsync.fulfillment import browse, stock
from bigsync.fulfillment.browse import ProductFilter
from bigsync.fulfillment.hub import Hub as FulfillmentHub
from bigsync.fulfillment.stock import StockFileError
from bigsync.store.catalog_browse import STATUSES
from bigsync.web.auth import CsrfForm, PageUser, actor_of, visible_connection
from bigsync.web.catalog_refresh import refresh_state, start_refresh
from bigsync.web.deps import Hub, HubDep
from bigsync.web.flash import FlashKind, flash, redirect, redirect_back
from bigsync.web.orders_hub import send_soon, write_fate
from bigsync.web.problems import Problem
from bigsync.web.templating import render
from bigsync.writeback.intents import IntentKind

router = APIRouter(include_in_schema=False)

ConnectionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_IMPORT_BYTES = 5 * 1024 * 1024
STATUS_LABELS = {
    "all": "All",
    "managed": "Managed",
    "unmanaged": "Not managed",
    "differs": "Stock differs",
    "deleted": "Deleted in store",
}


def _hub(hub: Hub, user: PageUser, connection_id: int) -> tuple[FulfillmentHub, ConnectionView]:
    service = hub.connections(actor=actor_of(user))
    view = visible_connection(hub, user, connection_id)
    return FulfillmentHub(service.db, view.id, view.name), view


def _after(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        product_id, variant_id = (int(part) for part in text.split(".", 1))
    except ValueError:
        raise Problem(400, "Invalid page", detail="use the page links") from None
    return product_id, variant_id


def _products_url(connection_id: int, **query: object) -> str:
    shown = {k: v for k, v in query.items() if v not in (None, "", "all")}
    tail = f"?{urlencode(shown)}" if shown else ""
    return f"/integrations/{connection_id}/products{tail}"


@router.get("/integrations/{connection_id}/products", response_class=HTMLResponse)
def products_page(
    request: Request,
    connection_id: ConnectionId,
    *,
    hub: HubDep,
    user: PageUser,
    status: Annotated[str, Query(max_length=20)] = "all",
    q: Annotated[str, Query(max_length=200)] = "",
    after: Annotated[str, Query(max_length=50)] = "",
    total: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    fhub, view = _hub(hub, user, connection_id)
    if status not in STATUSES:
        status = "all"
    search = q.strip() or None
    chosen = ProductFilter(status, search)
    page = browse.browse(fhub, chosen, after=_after(after))
    shown_total = page.total if page.total is not None else total
    next_url = None
    if page.next_after is not None:
        p, v = page.next_after
        next_url = _products_url(
            connection_id, status=status, q=q.strip(), after=f"{p}.{v}", total=shown_total
        )
    return render(
        request,
        "products/index.html",
        title=f"Products · {view.name}",
        connection=view,
        tab="products",
        page=page,
        total=shown_total,
        capped=shown_total is not None and shown_total > browse.COUNT_CAP,
        current_status=status,
        q=q.strip(),
        statuses=STATUS_LABELS,
        next_url=next_url,
        first_url=_products_url(connection_id, status=status, q=q.strip()) if after else None,
        refresh=refresh_state(request, view.id),
    )


def _selection(variant_id: list[str], scope: str, status: str, q: str) -> dict[str, object]:
    if scope == "filter":
        if status not in STATUSES:
            raise InputError(f"unknown filter {status!r}")
        return {"filter": ProductFilter(status, q.strip() or None)}
    try:
        ids = tuple(int(v) for v in variant_id)
    except ValueError:
        raise InputError("select variants from the list") from None
    if not ids:
        raise InputError("select at least one variant (or all that match)")
    return {"variant_ids": ids}


SelectForm = Annotated[list[str], Form(max_length=10_000)]


@router.post("/integrations/{connection_id}/products/manage")
def manage(
    request: Request,
    connection_id: ConnectionId,
    *,
    hub: HubDep,
    user: CsrfForm,
    variant_id: SelectForm = [],  # noqa: B006 -- FastAPI copies form defaults
    scope: Annotated[str, Form(max_length=20)] = "checked",
    status: Annotated[str, Form(max_length=20)] = "all",
    q: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    fhub, _view = _hub(hub, user, connection_id)
    result = browse.manage(fhub, **_selection(variant_id, scope, status, q))  # type: ignore[arg-type]
    text = f"{len(result.changed):,} variant(s) now managed in the hub"
    if result.unchanged:
        text += f"; {len(result.unchanged):,} were already"
    flash(request, text + ".")
    return redirect_back(request)


@router.post("/integrations/{connection_id}/products/unmanage")
def unmanage(
    request: Request,
    connection_id: ConnectionId,
    *,
    hub: HubDep,
    user: CsrfForm,
    variant_id: SelectForm = [],  # noqa: B006 -- FastAPI copies form defaults
    scope: Annotated[str, Form(max_length=20)] = "checked",
    status: Annotated[str, Form(max_length=20)] = "all",
    q: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    fhub, _view = _hub(hub, user, connection_id)
    result = browse.unmanage(fhub, **_selection(variant_id, scope, status, q))  # type: ignore[arg-type]
    flash(
        request,
        f"{len(result.changed):,} variant(s) no longer managed (their hub stock and history "
        "are kept).",
    )
    return redirect_back(request)


@router.post("/integrations/{connection_id}/products/stock")
def set_stock(
    request: Request,
    connection_id: ConnectionId,
    *,
    hub: HubDep,
    user: CsrfForm,
    sku: Annotated[str, Form(min_length=1, max_length=255)],
    quantity: Annotated[str, Form(max_length=20)],
    location: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    fhub, view = _hub(hub, user, connection_id)
    try:
        amount = stock.parse_quantity(quantity)
    except ValueError as error:
        raise InputError(str(error)) from None
    change = stock.set_stock(fhub, sku, amount, location=location or None)
    kind: FlashKind = "ok"
    if change.intent_id is not None:
        send_soon(hub, fhub.connection_id)
        fate, kind = write_fate(view, IntentKind.STOCK)
        tail = f"; {fate}"
    else:
        tail = " (this location is not written to the store)"
    before = change.before if change.before is not None else "none"
    text = f"{change.sku} at {change.location}: {before} → {change.quantity}{tail}."
    flash(request, text, kind)
    return redirect_back(request)


@router.post("/integrations/{connection_id}/products/refresh")
async def refresh(
    request: Request, connection_id: ConnectionId, hub: HubDep, user: CsrfForm
) -> Response:
    view = await run_in_threadpool(visible_connection, hub, user, connection_id)
    _state, started = start_refresh(request, hub, view.id, view.name, actor=actor_of(user))
    if started:
        flash(request, "Refreshing the catalog and stock from the store…", "ok")
    else:
        flash(request, "A refresh is running already.", "warn")
    return redirect_back(request)


@router.get("/integrations/{connection_id}/products/import", response_class=HTMLResponse)
def import_page(
    request: Request, connection_id: ConnectionId, hub: HubDep, user: PageUser
) -> Response:
    _fhub, view = _hub(hub, user, connection_id)
    return render(
        request, "products/import.html", title=f"Import stock · {view.name}", connection=view,
        tab="products", preview=None, text="",
    )  # fmt: skip


@router.post("/integrations/{connection_id}/products/import", response_class=HTMLResponse)
async def import_preview(
    request: Request,
    connection_id: ConnectionId,
    *,
    hub: HubDep,
    user: CsrfForm,
    file: UploadFile | None = None,
    text: Annotated[str, Form(max_length=MAX_IMPORT_BYTES)] = "",
) -> Response:
    data = text
    if file is not None and file.filename:
        raw = await file.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            raise InputError(f"the file is larger than {MAX_IMPORT_BYTES:,} bytes")
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("the file is not UTF-8 text") from None
    return await run_in_threadpool(_preview, request, hub, user, connection_id, data)


def _preview(request: Request, hub: Hub, user: PageUser, connection_id: int, data: str) -> Response:
    fhub, view = _hub(hub, user, connection_id)
    if "\x00" in data:
        raise InputError("the file is not text")
    preview = stock.preview_import(fhub, data)
    return render(
        request, "products/import.html", title=f"Import stock · {view.name}", connection=view,
        tab="products", preview=preview, text=data,
    )  # fmt: skip


@router.post("/integrations/{connection_id}/products/import/confirm")
def import_confirm(
    request: Request,
    connection_id: ConnectionId,
    *,
    hub: HubDep,
    user: CsrfForm,
    text: Annotated[str, Form(max_length=MAX_IMPORT_BYTES)] = "",
) -> Response:
    fhub, view = _hub(hub, user, connection_id)
    try:
        changes = stock.import_stock(fhub, text, source="the file")
    except StockFileError as error:
        flash(request, str(error), "fail")
        return redirect(f"/integrations/{connection_id}/products/import")
    if any(change.intent_id is not None for change in changes):
        send_soon(hub, fhub.connection_id)
    fate, kind = write_fate(view, IntentKind.STOCK)
    flash(request, f"Imported {len(changes):,} stock level(s): {fate}.", kind)
    return redirect(f"/integrations/{connection_id}/products")
