"""Orders as a merchant browses them: the mirror's orders newest first, in keyset pages
(search by order id or the customer's name or email, filters by status and by what is left
to ship), and one order with everything the hub knows about it.

An order's shipments are what the mirror shows (the quantities BigCommerce says have
shipped, per line and address; the mirror has no shipment records) plus the shipments the
hub recorded, each with the state of the outbox intent that sends it; those the mirror
cannot show yet count as on their way. Writes are `shipments.ship` and
`order_status.change_status`, exactly as `bigsync ship` and `bigsync order-status` call them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bigsync.errors import InputError
from bigsync.fulfillment import shipments, shipping
from bigsync.fulfillment.hub import Hub
from bigsync.fulfillment.order_status import resolve_status
from bigsync.store import hub_mirror, hub_repository, orders_browse, shipping_repository
from bigsync.store.hub_mirror import OrderStatus
from bigsync.store.orders_browse import SHIPPING_FILTERS, AddressRecord
from bigsync.store.outbox_repository import OutboxRow, get_intents
from bigsync.writeback.intents import IntentState

DEFAULT_PAGE = 50
MAX_PAGE = 200
LIVE_STATES = frozenset({IntentState.PENDING, IntentState.SENDING, IntentState.FAILED})


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderSummary:
    """One order as listed. `shipping`: `unshipped`, `partial`, `shipped`, or `none` (no
    shipping address: digital or pickup); `on_the_way`: hub shipments the mirror does not
    show yet; `failed`: hub shipments whose intent failed."""

    id: int
    date_created: datetime | None
    status_id: int
    status: str
    payment_status: str | None
    customer_name: str | None
    customer_email: str | None
    total: float | None
    currency: str | None
    items_total: int
    items_shipped: int
    shipping: str
    on_the_way: int
    failed: int
    is_deleted: bool


@dataclass(frozen=True)
class OrdersPage:
    """A page of orders and the id the next page starts below (None: the last page)."""

    orders: tuple[OrderSummary, ...]
    next_before: int | None
    statuses: tuple[OrderStatus, ...]


@dataclass(frozen=True)
class Address:
    """A postal address as shown."""

    name: str
    company: str
    street: tuple[str, ...]
    city_line: str
    country: str
    phone: str
    email: str


@dataclass(frozen=True)
class LineView:
    """A line of the order: what was bought, what shipped (mirror), what is on its way (hub
    shipments not in the mirror yet) and what remains to ship."""

    id: int
    order_address_id: int | None
    sku: str | None
    name: str
    options: str
    quantity: int
    quantity_shipped: int
    on_the_way: int
    remaining: int
    shippable: bool
    price: float | None
    total: float | None


@dataclass(frozen=True)
class ShippingAddressView:
    """A shipping address (consignment) with its lines and the service its shipping method
    maps to (`service` None: no rule and no default; a carrier must be typed)."""

    id: int
    address: Address
    shipping_method: str | None
    items_total: int
    items_shipped: int
    lines: tuple[LineView, ...]
    service: str | None
    carrier: str | None
    rule: str | None

    @property
    def remaining(self) -> int:
        return sum(line.remaining for line in self.lines)


@dataclass(frozen=True)
class IntentView:
    """The outbox intent of a write, as shown beside it."""

    id: int
    kind: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True)
class ShipmentView:
    """A shipment the hub recorded, with its intent; `in_mirror`: the mirror's shipped
    quantities include it; `on_the_way`: not sent yet, or sent after the mirror's last read."""

    id: int
    order_address_id: int
    tracking_number: str
    carrier: str
    service: str | None
    items: tuple[tuple[int, int], ...]
    status_after: str | None
    created_at: datetime
    intent: IntentView | None
    in_mirror: bool
    on_the_way: bool


@dataclass(frozen=True)
class StatusChangeView:
    """An order status change the hub recorded, with its intent."""

    status_id: int | None
    status: str
    intent: IntentView


@dataclass(frozen=True)
class TransactionView:
    """A payment transaction."""

    id: int
    event: str | None
    method: str | None
    amount: float | None
    currency: str | None
    gateway: str | None
    status: str | None
    date_created: datetime | None


@dataclass(frozen=True)
class ServiceChoice:
    """A shipping service the ship form offers."""

    code: str
    carrier: str
    name: str


@dataclass(frozen=True)
class OrderDetail:
    """One order with everything the hub knows about it."""

    summary: OrderSummary
    billing: Address
    customer_id: int | None
    payment_method: str | None
    customer_message: str
    subtotal: float | None
    shipping_cost: float | None
    tax: float | None
    synced_at: datetime
    addresses: tuple[ShippingAddressView, ...]
    other_lines: tuple[LineView, ...]  # lines without a shipping address (digital, pickup)
    shipments: tuple[ShipmentView, ...]
    status_changes: tuple[StatusChangeView, ...]
    transactions: tuple[TransactionView, ...]
    statuses: tuple[OrderStatus, ...]
    services: tuple[ServiceChoice, ...]

    @property
    def remaining(self) -> int:
        return sum(a.remaining for a in self.addresses)


# --- the list ---------------------------------------------------------------------------------


def status_label(status_id: int, statuses: Mapping[int, OrderStatus], fallback: str | None) -> str:
    """The store's own name of a status (its custom label first)."""
    named = statuses.get(status_id)
    if named is not None:
        return named.custom_label or named.name
    return fallback or f"status {status_id}"


def shipping_state(count: orders_browse.ShippedCount | None) -> tuple[str, int, int]:
    """(state, items to ship, items shipped) of an order, per its shipping addresses."""
    if count is None or count.items_total == 0:
        return "none", 0, 0
    if count.items_shipped <= 0:
        state = "unshipped"
    elif count.items_shipped < count.items_total:
        state = "partial"
    else:
        state = "shipped"
    return state, count.items_total, count.items_shipped


def _check_page(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"a page has 1 to {MAX_PAGE} orders")
    return limit


def list_orders(
    hub: Hub,
    *,
    search: str | None = None,
    status: str | None = None,
    shipping_filter: str | None = None,
    before: int | None = None,
    limit: int = DEFAULT_PAGE,
) -> OrdersPage:
    """A page of the mirror's orders, newest first. `status`: an id or the store's name;
    `shipping_filter`: `to_ship` or `shipped`; `before`: the previous page's `next_before`."""
    _check_page(limit)
    if shipping_filter is not None and shipping_filter not in SHIPPING_FILTERS:
        raise InputError(
            f"no shipping filter {shipping_filter!r}; valid: {', '.join(SHIPPING_FILTERS)}"
        )
    if search is not None and len(search) > 255:
        raise InputError("a search is at most 255 characters")
    with hub.db.read() as conn:
        statuses = hub_mirror.store_order_statuses(conn, hub.connection_id)
        status_id = resolve_status(statuses, status, hub=hub).id if status else None
        records = orders_browse.list_orders(
            conn,
            hub.connection_id,
            search=search,
            status_id=status_id,
            shipping=shipping_filter,
            before_id=before,
            limit=limit + 1,
        )
        page = records[:limit]
        ids = [r.id for r in page]
        counts = orders_browse.shipped_counts(conn, hub.connection_id, ids)
        recorded = orders_browse.recorded_shipments(conn, hub.connection_id, ids)
    by_id = {s.id: s for s in statuses}
    synced = {r.id: r.synced_at for r in page}
    on_way: dict[int, int] = {}
    failed: dict[int, int] = {}
    for shipment in recorded:
        if shipment.state is None:
            continue
        if shipment.state == IntentState.FAILED:
            failed[shipment.order_id] = failed.get(shipment.order_id, 0) + 1
        elif shipments.not_in_mirror(
            shipment.state, shipment.confirmed_at, synced[shipment.order_id]
        ):
            on_way[shipment.order_id] = on_way.get(shipment.order_id, 0) + 1
    summaries = tuple(
        _summary(r, by_id, counts.get(r.id), on_way.get(r.id, 0), failed.get(r.id, 0)) for r in page
    )
    next_before = page[-1].id if len(records) > limit else None
    return OrdersPage(summaries, next_before, tuple(statuses))


def _summary(
    record: orders_browse.OrderRecord,
    statuses: Mapping[int, OrderStatus],
    count: orders_browse.ShippedCount | None,
    on_the_way: int,
    failed: int,
) -> OrderSummary:
    state, to_ship, shipped = shipping_state(count)
    return OrderSummary(
        id=record.id,
        date_created=record.date_created,
        status_id=record.status_id,
        status=status_label(record.status_id, statuses, record.status),
        payment_status=record.payment_status,
        customer_name=record.billing_name,
        customer_email=record.billing_email,
        total=record.total_inc_tax,
        currency=record.currency_code,
        items_total=to_ship,
        items_shipped=shipped,
        shipping=state,
        on_the_way=on_the_way,
        failed=failed,
        is_deleted=record.is_deleted,
    )


# --- one order --------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return str(value).strip() if value not in (None, "") else ""


def _money(raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def address_of(raw: Mapping[str, Any]) -> Address:
    """A billing address or consignment document as an `Address`."""
    name = " ".join(p for p in (_text(raw, "first_name"), _text(raw, "last_name")) if p)
    street = tuple(p for p in (_text(raw, "street_1"), _text(raw, "street_2")) if p)
    city = " ".join(p for p in (_text(raw, "zip"), _text(raw, "city")) if p)
    state = _text(raw, "state")
    city_line = ", ".join(p for p in (city, state) if p)
    return Address(
        name=name,
        company=_text(raw, "company"),
        street=street,
        city_line=city_line,
        country=_text(raw, "country") or _text(raw, "country_iso2"),
        phone=_text(raw, "phone"),
        email=_text(raw, "email"),
    )


def _options(raw: Mapping[str, Any]) -> str:
    values = raw.get("product_options")
    if not isinstance(values, list):
        return ""
    shown = []
    for option in values:
        if isinstance(option, dict):
            label = option.get("display_name") or option.get("name") or ""
            value = option.get("display_value") or option.get("value") or ""
            shown.append(f"{label}: {value}" if label else str(value))
    return ", ".join(shown)


def _line(
    line: hub_mirror.OrderLine, left: Mapping[int, int], reserved: Mapping[int, int]
) -> LineView:
    return LineView(
        id=line.id,
        order_address_id=line.order_address_id,
        sku=line.sku,
        name=line.name or "",
        options=_options(line.raw),
        quantity=line.quantity,
        quantity_shipped=line.quantity_shipped,
        on_the_way=reserved.get(line.id, 0),
        remaining=left.get(line.id, 0),
        shippable=line.id in left,
        price=_money(line.raw, "price_inc_tax"),
        total=line.total_inc_tax,
    )


def _intent(row: OutboxRow) -> IntentView:
    return IntentView(
        id=row.id,
        kind=row.kind,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        confirmed_at=row.confirmed_at,
    )


def order_detail(hub: Hub, order_id: int) -> OrderDetail | None:
    """Everything about one order, or None when the mirror does not have it."""
    cid = hub.connection_id
    with hub.db.read() as conn:
        record = orders_browse.get_order(conn, cid, order_id)
        if record is None:
            return None
        lines = hub_mirror.order_lines(conn, cid, order_id)
        addresses = orders_browse.order_addresses(conn, cid, order_id)
        payments = orders_browse.order_transactions(conn, cid, order_id)
        recorded = hub_repository.shipments_of_order(conn, cid, order_id)
        intents = get_intents(conn, [s.intent_id for s in recorded if s.intent_id is not None])
        status_rows = orders_browse.status_intents(conn, cid, order_id)
        store_order = hub_mirror.store_order(conn, cid, order_id)
        assert store_order is not None
        reserved = shipments.reserved_by_hub(conn, store_order, recorded)
        left = shipments.remaining(lines, reserved)
        statuses = hub_mirror.store_order_statuses(conn, cid)
        services = shipping_repository.list_services(conn, cid)
        rules = shipping_repository.list_rules(conn, cid)
        settings = shipping_repository.get_settings(conn, cid)
    by_id = {s.id: s for s in statuses}
    default = next((s for s in services if s.id == settings.default_service_id), None)
    views = [_line(line, left, reserved) for line in lines]
    address_views = tuple(
        _address_view(a, [v for v in views if v.order_address_id == a.id], rules, services, default)
        for a in addresses
    )
    address_ids = {a.id for a in addresses}
    count = orders_browse.ShippedCount(
        sum(a.items_total for a in addresses),
        sum(a.items_shipped for a in addresses),
        len(addresses),
    )
    shipment_views = tuple(
        _shipment_view(s, intents, by_id, record.synced_at) for s in reversed(recorded)
    )
    states = [v.intent.state for v in shipment_views if v.intent is not None]
    failed = states.count(IntentState.FAILED)
    on_way = sum(1 for v in shipment_views if v.on_the_way)
    raw = record.raw
    return OrderDetail(
        summary=_summary(record, by_id, count if addresses else None, on_way, failed),
        billing=address_of(raw.get("billing_address") or {}),
        customer_id=record.customer_id or None,
        payment_method=_text(raw, "payment_method") or None,
        customer_message=_text(raw, "customer_message"),
        subtotal=_money(raw, "subtotal_inc_tax"),
        shipping_cost=_money(raw, "shipping_cost_inc_tax"),
        tax=_money(raw, "total_tax"),
        synced_at=record.synced_at,
        addresses=address_views,
        other_lines=tuple(v for v in views if v.order_address_id not in address_ids),
        shipments=shipment_views,
        status_changes=tuple(_status_view(row, by_id) for row in status_rows),
        transactions=tuple(
            TransactionView(
                t.id, t.event, t.method, t.amount, t.currency, t.gateway, t.status, t.date_created
            )
            for t in payments
        ),
        statuses=tuple(statuses),
        services=tuple(ServiceChoice(s.code, s.carrier, s.name) for s in services),
    )


def _address_view(
    address: AddressRecord,
    lines: Sequence[LineView],
    rules: list[shipping_repository.StoredRule],
    services: list[shipping_repository.Service],
    default: shipping_repository.Service | None,
) -> ShippingAddressView:
    mapped, rule = shipping.map_method(address.shipping_method or "", rules, services, default)
    return ShippingAddressView(
        id=address.id,
        address=address_of(address.raw),
        shipping_method=address.shipping_method,
        items_total=address.items_total,
        items_shipped=address.items_shipped,
        lines=tuple(lines),
        service=mapped.code if mapped else None,
        carrier=mapped.carrier if mapped else None,
        rule=rule if mapped else None,
    )


def _shipment_view(
    shipment: hub_repository.HubShipment,
    intents: Mapping[int, OutboxRow],
    statuses: Mapping[int, OrderStatus],
    synced_at: datetime,
) -> ShipmentView:
    row = intents.get(shipment.intent_id) if shipment.intent_id is not None else None
    missing = row is not None and shipments.not_in_mirror(row.state, row.confirmed_at, synced_at)
    return ShipmentView(
        id=shipment.id,
        order_address_id=shipment.order_address_id,
        tracking_number=shipment.tracking_number,
        carrier=shipment.carrier,
        service=shipment.service_code,
        items=shipment.items,
        status_after=(
            status_label(shipment.status_id, statuses, None) if shipment.status_id else None
        ),
        created_at=shipment.created_at,
        intent=_intent(row) if row is not None else None,
        in_mirror=row is not None and row.state == IntentState.CONFIRMED and not missing,
        on_the_way=missing and row is not None and row.state != IntentState.FAILED,
    )


def _status_view(row: OutboxRow, statuses: Mapping[int, OrderStatus]) -> StatusChangeView:
    raw_id = row.payload.get("status_id")
    status_id = int(raw_id) if isinstance(raw_id, int) else None
    label = status_label(status_id, statuses, None) if status_id is not None else "unknown"
    return StatusChangeView(status_id, label, _intent(row))


def has_order(hub: Hub, order_id: int) -> bool:
    """Whether the mirror has this order."""
    with hub.db.read() as conn:
        return hub_mirror.store_order(conn, hub.connection_id, order_id) is not None


def intent_state(hub: Hub, intent_id: int) -> IntentView | None:
    """The state of one of the connection's intents (None: no such intent)."""
    with hub.db.read() as conn:
        row = get_intents(conn, [intent_id]).get(intent_id)
    if row is None or row.connection_id != hub.connection_id:
        return None
    return _intent(row)
