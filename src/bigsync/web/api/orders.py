"""`/api/v1/connections/{id}/orders`: the mirror's orders (newest first, cursor pages,
search and filters), one order with the hub's shipments and status changes, and the two
writes (a shipment, a status), each recorded as an outbox intent and sent within seconds.

The cursor holds only the position; send the same filters with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from bigsync.errors import InputError
from bigsync.fulfillment import orders_view
from bigsync.fulfillment.order_status import change_status
from bigsync.fulfillment.shipments import ShipOrder, ship
from bigsync.web.auth import ApiUser
from bigsync.web.deps import HubDep
from bigsync.web.orders_hub import (
    MULTILINE_TEXT,
    PLAIN_TEXT,
    ConnectionId,
    OrderId,
    connection_hub,
    send_soon,
)
from bigsync.web.pagination import CursorPage, PageParams, encode_cursor
from bigsync.web.problems import Problem, ProblemDetails

if TYPE_CHECKING:
    from bigsync.fulfillment.hub import Hub as ConnectionHub
    from bigsync.store.hub_mirror import OrderStatus

router = APIRouter(prefix="/api/v1", tags=["orders"])

ShippingState = Literal["unshipped", "partial", "shipped", "none"]
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ProblemDetails, "content": {"application/problem+json": {}}}
    for code in (400, 401, 404, 422)
}


@contextmanager
def refused_as_400() -> Iterator[None]:
    """A request the schema allows but the order or the store's data refuses (over-shipping,
    an unknown status or carrier) is a 400 problem with the use-case's message; 422 stays
    for requests the schema itself refuses."""
    try:
        yield
    except InputError as error:
        raise Problem(400, "Request refused", detail=str(error)) from None


def _known(orders_hub: ConnectionHub, name: str, order_id: int) -> None:
    if not orders_view.has_order(orders_hub, order_id):
        raise Problem(
            404, "No such order", detail=f"order {order_id} is not in the mirror of {name}"
        )


class Order(BaseModel):
    """An order of the mirror as listed."""

    id: int
    date_created: datetime | None
    status_id: int
    status: str = Field(description="The store's name of the status (its custom label first).")
    payment_status: str | None
    customer_name: str | None = Field(description="The billing address's name.")
    customer_email: str | None
    total_inc_tax: float | None
    currency_code: str | None
    items_to_ship: int = Field(description="Items of the order's shipping addresses.")
    items_shipped: int = Field(description="Of those, shipped per the mirror.")
    shipping: ShippingState
    shipments_on_the_way: int = Field(
        description="Hub shipments the mirror does not show yet (not sent, or sent since)."
    )
    shipments_failed: int
    is_deleted: bool = Field(description="Archived in the store.")

    @classmethod
    def of(cls, order: orders_view.OrderSummary) -> Order:
        return cls(
            id=order.id,
            date_created=order.date_created,
            status_id=order.status_id,
            status=order.status,
            payment_status=order.payment_status,
            customer_name=order.customer_name,
            customer_email=order.customer_email,
            total_inc_tax=order.total,
            currency_code=order.currency,
            items_to_ship=order.items_total,
            items_shipped=order.items_shipped,
            shipping=order.shipping,
            shipments_on_the_way=order.on_the_way,
            shipments_failed=order.failed,
            is_deleted=order.is_deleted,
        )


class OrderAddress(BaseModel):
    name: str
    company: str
    street: list[str]
    city_line: str
    country: str
    phone: str
    email: str

    @classmethod
    def of(cls, address: orders_view.Address) -> OrderAddress:
        return cls(
            name=address.name,
            company=address.company,
            street=list(address.street),
            city_line=address.city_line,
            country=address.country,
            phone=address.phone,
            email=address.email,
        )


class OrderLine(BaseModel):
    id: int = Field(description="The order product id (what a shipment's items name).")
    order_address_id: int | None
    sku: str | None
    name: str
    options: str
    quantity: int
    quantity_shipped: int = Field(description="Shipped, per the mirror.")
    on_the_way: int = Field(description="In hub shipments the mirror does not show yet.")
    remaining: int = Field(description="What may still ship.")
    shippable: bool
    price_inc_tax: float | None
    total_inc_tax: float | None

    @classmethod
    def of(cls, line: orders_view.LineView) -> OrderLine:
        return cls(
            id=line.id,
            order_address_id=line.order_address_id,
            sku=line.sku,
            name=line.name,
            options=line.options,
            quantity=line.quantity,
            quantity_shipped=line.quantity_shipped,
            on_the_way=line.on_the_way,
            remaining=line.remaining,
            shippable=line.shippable,
            price_inc_tax=line.price,
            total_inc_tax=line.total,
        )


class OrderShippingAddress(BaseModel):
    id: int
    address: OrderAddress
    shipping_method: str | None
    items_total: int
    items_shipped: int
    lines: list[OrderLine]
    service: str | None = Field(description="The service the shipping method maps to.")
    carrier: str | None
    rule: str | None = Field(description="The rule that chose it (`unmatched`: the default).")


class OrderIntent(BaseModel):
    """The outbox intent that sends a write."""

    id: int
    kind: str
    state: str = Field(
        description=(
            "pending, held (its write feature is off: sent once it is turned on), sending, "
            "confirmed, failed, dropped (see `bigsync outbox`)."
        )
    )
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None

    @classmethod
    def of(cls, intent: orders_view.IntentView) -> OrderIntent:
        return cls(
            id=intent.id,
            kind=intent.kind,
            state=intent.state,
            attempts=intent.attempts,
            last_error=intent.last_error,
            created_at=intent.created_at,
            updated_at=intent.updated_at,
            confirmed_at=intent.confirmed_at,
        )


class OrderShipmentItem(BaseModel):
    order_product_id: int = Field(ge=1, le=2**63 - 1)
    quantity: int = Field(ge=1, le=1_000_000)


class OrderShipment(BaseModel):
    """A shipment the hub recorded."""

    id: int
    order_address_id: int
    tracking_number: str
    carrier: str
    service: str | None
    items: list[OrderShipmentItem]
    status_after: str | None
    created_at: datetime
    intent: OrderIntent | None
    in_mirror: bool
    on_the_way: bool


class OrderStatusChange(BaseModel):
    status_id: int | None
    status: str
    intent: OrderIntent


class OrderTransaction(BaseModel):
    id: int
    event: str | None
    method: str | None
    amount: float | None
    currency: str | None
    gateway: str | None
    status: str | None
    date_created: datetime | None


class OrderStatusChoice(BaseModel):
    id: int
    name: str
    custom_label: str | None


class OrderDetail(Order):
    """One order with everything the hub knows about it."""

    billing_address: OrderAddress
    customer_id: int | None
    payment_method: str | None
    customer_message: str
    subtotal_inc_tax: float | None
    shipping_cost_inc_tax: float | None
    total_tax: float | None
    synced_at: datetime
    shipping_addresses: list[OrderShippingAddress]
    other_lines: list[OrderLine]
    shipments: list[OrderShipment]
    status_changes: list[OrderStatusChange]
    transactions: list[OrderTransaction]
    statuses: list[OrderStatusChoice]

    @classmethod
    def of_detail(cls, detail: orders_view.OrderDetail) -> OrderDetail:
        base = Order.of(detail.summary).model_dump()
        return cls(
            **base,
            billing_address=OrderAddress.of(detail.billing),
            customer_id=detail.customer_id,
            payment_method=detail.payment_method,
            customer_message=detail.customer_message,
            subtotal_inc_tax=detail.subtotal,
            shipping_cost_inc_tax=detail.shipping_cost,
            total_tax=detail.tax,
            synced_at=detail.synced_at,
            shipping_addresses=[
                OrderShippingAddress(
                    id=a.id,
                    address=OrderAddress.of(a.address),
                    shipping_method=a.shipping_method,
                    items_total=a.items_total,
                    items_shipped=a.items_shipped,
                    lines=[OrderLine.of(x) for x in a.lines],
                    service=a.service,
                    carrier=a.carrier,
                    rule=a.rule,
                )
                for a in detail.addresses
            ],
            other_lines=[OrderLine.of(x) for x in detail.other_lines],
            shipments=[
                OrderShipment(
                    id=s.id,
                    order_address_id=s.order_address_id,
                    tracking_number=s.tracking_number,
                    carrier=s.carrier,
                    service=s.service,
                    items=[OrderShipmentItem(order_product_id=p, quantity=q) for p, q in s.items],
                    status_after=s.status_after,
                    created_at=s.created_at,
                    intent=OrderIntent.of(s.intent) if s.intent else None,
                    in_mirror=s.in_mirror,
                    on_the_way=s.on_the_way,
                )
                for s in detail.shipments
            ],
            status_changes=[
                OrderStatusChange(
                    status_id=c.status_id, status=c.status, intent=OrderIntent.of(c.intent)
                )
                for c in detail.status_changes
            ],
            transactions=[
                OrderTransaction(
                    id=t.id,
                    event=t.event,
                    method=t.method,
                    amount=t.amount,
                    currency=t.currency,
                    gateway=t.gateway,
                    status=t.status,
                    date_created=t.date_created,
                )
                for t in detail.transactions
            ],
            statuses=[
                OrderStatusChoice(id=s.id, name=s.name, custom_label=s.custom_label)
                for s in detail.statuses
            ],
        )


def _before(page: PageParams) -> int | None:
    if page.after is None:
        return None
    before = page.after.get("before")
    if not isinstance(before, int) or isinstance(before, bool) or not 1 <= before < 2**63:
        raise Problem(400, "Invalid cursor", detail="use the next_cursor of a previous page")
    return before


@router.get(
    "/connections/{connection_id}/orders",
    response_model=CursorPage[Order],
    responses=ERRORS,
    summary="List the mirror's orders, newest first",
)
def list_orders(
    connection_id: ConnectionId,
    *,
    user: ApiUser,
    hub: HubDep,
    page: PageParams,
    q: Annotated[
        str | None,
        Query(
            max_length=255, pattern=PLAIN_TEXT, description="Order id, or part of a name or email."
        ),
    ] = None,
    status_filter: Annotated[
        str | None,
        Query(
            alias="status",
            max_length=100,
            pattern=PLAIN_TEXT,
            description="A status id or the store's name.",
        ),
    ] = None,
    shipping: Annotated[
        Literal["to_ship", "shipped"] | None,
        Query(description="to_ship: items left to ship; shipped: all shipped."),
    ] = None,
) -> CursorPage[Order]:
    _view, orders_hub = connection_hub(hub, user, connection_id)
    with refused_as_400():
        found = orders_view.list_orders(
            orders_hub,
            search=q,
            status=status_filter,
            shipping_filter=shipping,
            before=_before(page),
            limit=page.limit,
        )
    cursor = encode_cursor({"before": found.next_before}) if found.next_before else None
    return CursorPage[Order](items=[Order.of(o) for o in found.orders], next_cursor=cursor)


def _detail(hub: HubDep, user: ApiUser, connection_id: int, order_id: int) -> OrderDetail:
    view, orders_hub = connection_hub(hub, user, connection_id)
    detail = orders_view.order_detail(orders_hub, order_id)
    if detail is None:
        raise Problem(
            404,
            "No such order",
            detail=f"order {order_id} is not in the mirror of {view.name}",
        )
    return OrderDetail.of_detail(detail)


@router.get(
    "/connections/{connection_id}/orders/{order_id}",
    response_model=OrderDetail,
    responses=ERRORS,
    summary="One order with its lines, addresses, shipments, status changes and payments",
)
def get_order(
    connection_id: ConnectionId, order_id: OrderId, user: ApiUser, hub: HubDep
) -> OrderDetail:
    return _detail(hub, user, connection_id, order_id)


class OrderShipmentRequest(BaseModel):
    """A shipment to record. Without `items`: everything left (one shipping address only).
    Without `carrier`: the service the shipping method maps to."""

    tracking_number: str = Field(min_length=1, max_length=50, pattern=PLAIN_TEXT)
    carrier: str | None = Field(
        default=None,
        max_length=64,
        pattern=PLAIN_TEXT,
        description="A service code or a carrier (ups, dhl, …).",
    )
    items: list[OrderShipmentItem] | None = Field(default=None, max_length=500)
    status: str | None = Field(
        default=None,
        max_length=100,
        pattern=PLAIN_TEXT,
        description="Status after it: an id or name, `keep`; default: as configured.",
    )
    comments: str = Field(default="", max_length=2000, pattern=MULTILINE_TEXT)


class OrderShipmentRecorded(BaseModel):
    order_id: int
    order_address_id: int
    items: list[OrderShipmentItem]
    carrier: str
    service: str | None
    status_id: int | None
    status_name: str | None
    completes_order: bool
    already_recorded: bool = Field(description="The same shipment was recorded before.")
    intent: OrderIntent


@router.post(
    "/connections/{connection_id}/orders/{order_id}/shipments",
    response_model=OrderShipmentRecorded,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="Ship items of an order (recorded, then sent to BigCommerce within seconds)",
)
def create_shipment(
    connection_id: ConnectionId,
    order_id: OrderId,
    body: OrderShipmentRequest,
    user: ApiUser,
    hub: HubDep,
) -> OrderShipmentRecorded:
    view, orders_hub = connection_hub(hub, user, connection_id)
    _known(orders_hub, view.name, order_id)
    items = tuple((i.order_product_id, i.quantity) for i in body.items) if body.items else None
    request = ShipOrder(
        order_id, body.tracking_number, body.carrier, items, body.status, body.comments
    )
    with refused_as_400():
        result = ship(orders_hub, request)
    send_soon(hub, connection_id)
    intent = orders_view.intent_state(orders_hub, result.intent_id)
    assert intent is not None
    return OrderShipmentRecorded(
        order_id=result.order_id,
        order_address_id=result.order_address_id,
        items=[
            OrderShipmentItem(order_product_id=x.order_product_id, quantity=x.quantity)
            for x in result.lines
        ],
        carrier=result.carrier,
        service=result.service,
        status_id=result.status_id,
        status_name=result.status_name,
        completes_order=result.completes_order,
        already_recorded=result.already_recorded,
        intent=OrderIntent.of(intent),
    )


class OrderStatusRequest(BaseModel):
    status: str = Field(
        min_length=1,
        max_length=100,
        pattern=PLAIN_TEXT,
        description="A status id or the store's name for it.",
    )


class OrderStatusRecorded(BaseModel):
    order_id: int
    before: OrderStatusChoice | None
    status: OrderStatusChoice
    intent: OrderIntent


@router.put(
    "/connections/{connection_id}/orders/{order_id}/status",
    response_model=OrderStatusRecorded,
    responses=ERRORS,
    summary="Set an order's status (recorded, then sent to BigCommerce within seconds)",
)
def put_status(
    connection_id: ConnectionId,
    order_id: OrderId,
    body: OrderStatusRequest,
    user: ApiUser,
    hub: HubDep,
) -> OrderStatusRecorded:
    view, orders_hub = connection_hub(hub, user, connection_id)
    _known(orders_hub, view.name, order_id)
    with refused_as_400():
        result = change_status(orders_hub, order_id, body.status)
    send_soon(hub, connection_id)
    intent = orders_view.intent_state(orders_hub, result.intent_id)
    assert intent is not None

    def choice(s: OrderStatus) -> OrderStatusChoice:
        return OrderStatusChoice(id=s.id, name=s.name, custom_label=s.custom_label)

    return OrderStatusRecorded(
        order_id=order_id,
        before=choice(result.before) if result.before else None,
        status=choice(result.status),
        intent=OrderIntent.of(intent),
    )
