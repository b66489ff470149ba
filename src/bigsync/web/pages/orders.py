"""The Orders tab of an integration: the mirror's orders newest first (search, status and
shipping filters, keyset pages), and one order with its lines, addresses, payments, the
hub's shipments and status changes with their outbox state; forms to ship and to change
the status (each records an outbox intent, then the dispatch is woken)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from bigsync.errors import InputError
from bigsync.fulfillment import orders_view
from bigsync.fulfillment.order_status import change_status
from bigsync.fulfillment.shipments import ShipOrder, ship
from bigsync.web.auth import CsrfForm, PageUser
from bigsync.web.deps import HubDep
from bigsync.web.flash import flash, redirect
from bigsync.web.orders_hub import (
    MULTILINE_TEXT,
    PLAIN_TEXT,
    ConnectionId,
    OrderId,
    connection_hub,
    send_soon,
    write_fate,
)
from bigsync.web.problems import Problem
from bigsync.web.templating import render
from bigsync.writeback.intents import IntentKind

router = APIRouter(include_in_schema=False)

SHIPPING_CHOICES = (("", "Any"), ("to_ship", "To ship"), ("shipped", "Shipped"))


def _orders_url(connection_id: int, **query: str | int | None) -> str:
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    base = f"/integrations/{connection_id}/orders"
    return f"{base}?{urlencode(kept)}" if kept else base


@router.get("/integrations/{connection_id}/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    connection_id: ConnectionId,
    *,
    user: PageUser,
    hub: HubDep,
    q: Annotated[str, Query(max_length=255, pattern=PLAIN_TEXT)] = "",
    status: Annotated[str, Query(max_length=100, pattern=PLAIN_TEXT)] = "",
    shipping: Annotated[str, Query(max_length=20, pattern=PLAIN_TEXT)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    connection, orders_hub = connection_hub(hub, user, connection_id)
    page = orders_view.list_orders(
        orders_hub,
        search=q.strip() or None,
        status=status or None,
        shipping_filter=shipping or None,
        before=before,
    )
    next_url = (
        _orders_url(connection_id, q=q, status=status, shipping=shipping, before=page.next_before)
        if page.next_before
        else None
    )
    first_url = _orders_url(connection_id, q=q, status=status, shipping=shipping)
    return render(
        request,
        "orders/list.html",
        connection=connection,
        tab="orders",
        page=page,
        q=q,
        status_filter=status,
        shipping=shipping,
        shipping_choices=SHIPPING_CHOICES,
        next_url=next_url,
        first_url=first_url if before else None,
    )


def _detail_url(connection_id: int, order_id: int) -> str:
    return f"/integrations/{connection_id}/orders/{order_id}"


@router.get("/integrations/{connection_id}/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request, connection_id: ConnectionId, order_id: OrderId, user: PageUser, hub: HubDep
) -> HTMLResponse:
    connection, orders_hub = connection_hub(hub, user, connection_id)
    detail = orders_view.order_detail(orders_hub, order_id)
    if detail is None:
        raise Problem(
            404,
            "No such order",
            detail=f"order {order_id} is not in the mirror of {connection.name}: "
            "a sync brings new orders",
        )
    return render(
        request,
        "orders/detail.html",
        connection=connection,
        tab="orders",
        order=detail,
        api_url=f"/api/v1/connections/{connection_id}/orders/{order_id}",
    )


def _items(lines: list[int], quantities: list[str]) -> tuple[tuple[int, int], ...]:
    if len(lines) != len(quantities):
        raise InputError("the form's items and quantities do not match: reload the page")
    items = []
    for line_id, text in zip(lines, quantities, strict=True):
        cleaned = text.strip() or "0"
        if not cleaned.isdecimal():
            raise InputError(f"{text!r} is not a quantity (order product {line_id})")
        if int(cleaned) > 0:
            items.append((line_id, int(cleaned)))
    if not items:
        raise InputError("choose how many of each item this shipment carries")
    return tuple(items)


@router.post("/integrations/{connection_id}/orders/{order_id}/ship")
def ship_order(
    request: Request,
    connection_id: ConnectionId,
    order_id: OrderId,
    *,
    user: CsrfForm,
    hub: HubDep,
    tracking_number: Annotated[str, Form(max_length=200, pattern=PLAIN_TEXT)] = "",
    carrier: Annotated[str, Form(max_length=100, pattern=PLAIN_TEXT)] = "",
    carrier_other: Annotated[str, Form(max_length=100, pattern=PLAIN_TEXT)] = "",
    status_after: Annotated[str, Form(max_length=100, pattern=PLAIN_TEXT)] = "",
    comments: Annotated[str, Form(max_length=2000, pattern=MULTILINE_TEXT)] = "",
    line: Annotated[list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None, Form()] = None,
    quantity: Annotated[list[Annotated[str, Field(max_length=12)]] | None, Form()] = None,
) -> RedirectResponse:
    connection, orders_hub = connection_hub(hub, user, connection_id)
    chosen = carrier_other.strip() or carrier.strip()
    if not chosen:
        raise InputError("choose a shipping service or type a carrier (ups, dhl, ...)")
    request_ = ShipOrder(
        order_id=order_id,
        tracking_number=tracking_number,
        carrier=chosen,
        items=_items(line or [], quantity or []),
        status=status_after or None,
        comments=comments.strip(),
    )
    result = ship(orders_hub, request_)
    send_soon(hub, connection_id)
    units = sum(x.quantity for x in result.lines)
    via = f"{result.service} ({result.carrier})" if result.service else result.carrier
    again = " It was already recorded." if result.already_recorded else ""
    then = f" then {result.status_name}" if result.status_name else ""
    fate, kind = write_fate(connection, IntentKind.SHIPMENT)
    flash(
        request,
        f"Shipment of {units} item(s) by {via}, tracking {tracking_number.strip()}{then}: "
        f"outbox #{result.intent_id}, {fate}.{again}",
        kind,
    )
    return redirect(_detail_url(connection_id, order_id))


@router.post("/integrations/{connection_id}/orders/{order_id}/status")
def set_status(
    request: Request,
    connection_id: ConnectionId,
    order_id: OrderId,
    *,
    user: CsrfForm,
    hub: HubDep,
    status: Annotated[str, Form(max_length=100, pattern=PLAIN_TEXT)] = "",
) -> RedirectResponse:
    connection, orders_hub = connection_hub(hub, user, connection_id)
    if not status.strip():
        raise InputError("choose a status")
    result = change_status(orders_hub, order_id, status)
    send_soon(hub, connection_id)
    after = result.status.custom_label or result.status.name
    fate, kind = write_fate(connection, IntentKind.ORDER_STATUS)
    flash(request, f"Status {after}: outbox #{result.intent_id}, {fate}.", kind)
    return redirect(_detail_url(connection_id, order_id))
