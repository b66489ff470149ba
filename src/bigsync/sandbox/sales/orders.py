"""Order operations: create, update (status, archive, line items, addresses).

Every change moves the order's `date_modified` to the sandbox clock (to the second) and
emits the webhook events BigCommerce documents for it. Shipments and transactions are in
`sales.fulfilment`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bigsync.sandbox.catalog.state import SellableItem, variant_price
from bigsync.sandbox.responses import ApiProblem
from bigsync.sandbox.sales.records import (
    INCOMPLETE,
    SHIPPED,
    STATUS_NAMES,
    Address,
    Json,
    Order,
    OrderProduct,
    ShippingAddress,
    now_of,
)

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState

ORDER_ID_START = 100

READ_ONLY_ORDER_FIELDS = frozenset(
    {
        "id",
        "date_modified",
        "date_shipped",
        "status",
        "custom_status",
        "items_total",
        "items_shipped",
        "subtotal_tax",
        "total_tax",
        "shipping_address_count",
        "payment_status",
        "coupon_discount",
        "currency_exchange_rate",
        "is_email_opt_in",
        "cart_id",
    }
)


def sellable_items(store: StoreState) -> list[SellableItem]:
    """The store catalog's sellable SKUs (variants with their prices)."""
    return store.catalog.sellable_items()


def catalog_item(store: StoreState, product_id: int, variant_id: int) -> SellableItem:
    """The catalog SKU an order line names; 400 when the catalog has no such product or
    variant, or the product has several variants and the line does not say which."""
    catalog = store.catalog
    product = catalog.product(product_id)
    if product is None:
        raise bad_request(f"The product with id {product_id} was not found in the catalog.")
    if variant_id:
        variant = catalog.variant(variant_id)
        if variant is None or variant.product_id != product_id:
            raise bad_request(f"The variant {variant_id} does not belong to product {product_id}.")
    elif len(product.variant_ids) == 1:
        variant = catalog.variants[product.variant_ids[0]]
    else:
        raise bad_request(
            f"The product {product_id} has variants: send 'variant_id' or 'product_options'."
        )
    return SellableItem(
        product_id=product_id,
        variant_id=variant.id,
        sku=variant.sku,
        name=str(product.doc["name"]),
        price=variant_price(product, variant),
    )


def cents(value: Any) -> int:
    """Money as it arrives in a request (number or decimal string) in integer cents."""
    try:
        return round(float(value) * 100)
    except (TypeError, ValueError):
        raise ApiProblem(400, f"The value {value!r} is not a valid amount.") from None


def bad_request(message: str) -> ApiProblem:
    """A v2-style 400 for an invalid request body."""
    return ApiProblem(400, message)


def as_int(value: Any, name: str, default: int = 0) -> int:
    """An integer field of a request body (None and "" give `default`); 400 otherwise."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise bad_request(f"The field '{name}' must be an integer.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"The field '{name}' must be an integer.") from None


class _Record(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Record)


def find_by_id(records: Iterable[R], record_id: int) -> R:
    """The record of `records` (an order's lines, addresses, shipments) with id `record_id`;
    404 when there is none."""
    for record in records:
        if record.id == record_id:
            return record
    raise ApiProblem(404, "The requested resource was not found.")


def get_order(store: StoreState, order_id: int) -> Order:
    """The order `order_id` (archived ones included); 404 when there is none."""
    order = store.sales.orders.get(order_id)
    if order is None:
        raise ApiProblem(404, "The requested resource was not found.")
    return order


def touch(store: StoreState, order: Order, now: datetime) -> None:
    """Record a change: `date_modified` moves forward and the sorted views are rebuilt."""
    order.date_modified = max(now, order.date_modified)
    store.sales.orders_changed()


def address_from(body: Any, *, what: str) -> Address:
    """An order address from a request body; 400 when a required field is missing."""
    if not isinstance(body, dict):
        raise bad_request(f"The field '{what}' must be an object.")
    missing = [k for k in ("first_name", "last_name", "street_1", "city", "zip") if not body.get(k)]
    if missing:
        raise bad_request(f"Required fields missing [{', '.join(f'{what}.{k}' for k in missing)}]")
    return Address(
        first_name=str(body["first_name"]),
        last_name=str(body["last_name"]),
        street_1=str(body["street_1"]),
        street_2=str(body.get("street_2") or ""),
        city=str(body["city"]),
        state=str(body.get("state") or ""),
        zip=str(body["zip"]),
        country=str(body.get("country") or ""),
        country_iso2=str(body.get("country_iso2") or ""),
        email=str(body.get("email") or ""),
        company=str(body.get("company") or ""),
        phone=str(body.get("phone") or ""),
    )


def update_address(address: Address, body: Any) -> None:
    """Apply a partial address update."""
    if not isinstance(body, dict):
        raise bad_request("The address must be an object.")
    for key, value in body.items():
        if key in Address.__slots__ and key != "form_fields":
            setattr(address, key, str(value if value is not None else ""))


def _line_from(store: StoreState, order: Order, body: Any, *, address_id: int) -> OrderProduct:
    if not isinstance(body, dict):
        raise bad_request("Each entry of 'products' must be an object.")
    quantity = as_int(body.get("quantity"), "products.quantity")
    if quantity < 1:
        raise bad_request("Required fields missing [products.quantity]")
    product_id = as_int(body.get("product_id"), "products.product_id")
    variant_id = as_int(body.get("variant_id"), "products.variant_id")
    name, sku, price = body.get("name"), body.get("sku"), None
    if product_id:
        item = catalog_item(store, product_id, variant_id)
        variant_id = item.variant_id
        name, sku, price = name or item.name, sku or item.sku, cents(item.price)
    elif not name:
        raise bad_request("Required fields missing [products.name]")
    price_ex = cents(body["price_ex_tax"]) if "price_ex_tax" in body else price
    price_inc = cents(body["price_inc_tax"]) if "price_inc_tax" in body else price_ex
    if price_ex is None or price_inc is None:
        raise bad_request("Required fields missing [products.price_ex_tax, products.price_inc_tax]")
    return OrderProduct(
        id=store.next_id("order_product"),
        order_id=order.id,
        product_id=product_id,
        variant_id=variant_id,
        order_address_id=address_id,
        name=str(name),
        sku=str(sku or ""),
        price_ex_tax=price_ex,
        price_inc_tax=price_inc,
        quantity=quantity,
    )


def parse_order_date(value: Any) -> datetime:
    """`date_created` of a create body (RFC 2822, for migrated orders); 400 otherwise."""
    try:
        return parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        raise bad_request("The field 'date_created' must be an RFC 2822 date.") from None


def create_order(sandbox: Sandbox, store: StoreState, body: Any) -> Order:
    """`POST /v2/orders`: a new order with its line items and shipping addresses."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    if "billing_address" not in body:
        raise bad_request("Required fields missing [billing_address]")
    lines = body.get("products")
    if not isinstance(lines, list) or not lines:
        raise bad_request("Required fields missing [products]")
    status_id = as_int(body.get("status_id"), "status_id", default=1)
    if status_id not in STATUS_NAMES:
        raise bad_request(f"The status_id {status_id} is not a valid order status.")
    now = now_of(sandbox)
    created = parse_order_date(body["date_created"]) if body.get("date_created") else now
    order = Order(
        id=store.next_id("order", start=ORDER_ID_START),
        customer_id=as_int(body.get("customer_id"), "customer_id"),
        status_id=status_id,
        date_created=created,
        date_modified=now,
        billing_address=address_from(body["billing_address"], what="billing_address"),
        channel_id=as_int(body.get("channel_id"), "channel_id", default=1),
        payment_method=str(body.get("payment_method") or "Manual"),
        discount_amount=cents(body.get("discount_amount") or 0),
        order_source="external",
        external_source=body.get("external_source"),
        external_order_id=str(body.get("external_order_id") or ""),
        customer_message=str(body.get("customer_message") or ""),
        staff_notes=str(body.get("staff_notes") or ""),
        customer_locale=str(body.get("customer_locale") or "en"),
    )
    for raw in body.get("shipping_addresses") or []:
        order.shipping_addresses.append(
            ShippingAddress(
                id=store.next_id("order_address"),
                order_id=order.id,
                address=address_from(raw, what="shipping_addresses"),
                shipping_method=str(raw.get("shipping_method") or "Flat Rate"),
            )
        )
    address_id = order.shipping_addresses[0].id if order.shipping_addresses else 0
    order.products = [_line_from(store, order, line, address_id=address_id) for line in lines]
    if "shipping_cost_ex_tax" in body and order.shipping_addresses:
        first = order.shipping_addresses[0]
        first.cost_ex_tax = cents(body["shipping_cost_ex_tax"])
        first.cost_inc_tax = cents(body.get("shipping_cost_inc_tax", body["shipping_cost_ex_tax"]))
    store.sales.add_order(order)
    sandbox.emit(store, "store/order/created", {"type": "order", "id": order.id})
    return order


def set_status(sandbox: Sandbox, store: StoreState, order: Order, status_id: int) -> bool:
    """Move `order` to `status_id`; True when it changed. Completing an incomplete order
    (status 0 to anything else) is how a checkout turns into a real order."""
    if status_id not in STATUS_NAMES:
        raise bad_request(f"The status_id {status_id} is not a valid order status.")
    previous = order.status_id
    if previous == status_id:
        return False
    now = now_of(sandbox)
    order.status_id = status_id
    if status_id == SHIPPED and order.date_shipped is None:
        order.date_shipped = now
    touch(store, order, now)
    sandbox.emit(
        store,
        "store/order/statusUpdated",
        {
            "type": "order",
            "id": order.id,
            "status": {"previous_status_id": previous, "new_status_id": status_id},
        },
    )
    return True


def archive_order(sandbox: Sandbox, store: StoreState, order: Order) -> None:
    """`DELETE /v2/orders/{id}`: the order stays, marked `is_deleted: true`."""
    if order.is_deleted:
        return
    order.is_deleted = True
    touch(store, order, now_of(sandbox))
    sandbox.emit(store, "store/order/archived", {"type": "order", "id": order.id})


def _update_lines(store: StoreState, order: Order, lines: Any) -> None:
    if not isinstance(lines, list):
        raise bad_request("The field 'products' must be an array.")
    by_id = {p.id: p for p in order.products}
    address_id = order.shipping_addresses[0].id if order.shipping_addresses else 0
    for line in lines:
        if not isinstance(line, dict):
            raise bad_request("Each entry of 'products' must be an object.")
        if not line.get("id"):
            order.products.append(_line_from(store, order, line, address_id=address_id))
            continue
        product = by_id.get(as_int(line["id"], "products.id"))
        if product is None:
            raise bad_request(f"The order product {line['id']} does not belong to this order.")
        quantity = as_int(line.get("quantity"), "products.quantity", default=-1)
        if quantity == 0:
            order.products.remove(product)
            continue
        if quantity > 0:
            product.quantity = max(quantity, product.quantity_shipped)
        if "price_ex_tax" in line:
            product.price_ex_tax = cents(line["price_ex_tax"])
        if "price_inc_tax" in line:
            product.price_inc_tax = cents(line["price_inc_tax"])
        if line.get("name"):
            product.name = str(line["name"])


def _update_scalars(order: Order, body: Json) -> bool:
    changed = False
    for name in ("customer_message", "staff_notes", "payment_method", "external_order_id"):
        if name in body:
            setattr(order, name, str(body[name] or ""))
            changed = True
    for name in ("customer_id", "channel_id"):
        if name in body:
            setattr(order, name, as_int(body[name], name))
            changed = True
    if "discount_amount" in body:
        order.discount_amount = cents(body["discount_amount"])
        changed = True
    return changed


def update_order(sandbox: Sandbox, store: StoreState, order: Order, body: Any) -> Order:
    """`PUT /v2/orders/{id}`: a partial update; `is_deleted: true` archives."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    for name in body:
        if name in READ_ONLY_ORDER_FIELDS:
            raise bad_request(
                f"The field '{name}' cannot be written to. Please remove it from your request "
                "before trying again."
            )
    changed = False
    if "status_id" in body:
        changed |= set_status(sandbox, store, order, as_int(body["status_id"], "status_id"))
    if "billing_address" in body:
        update_address(order.billing_address, body["billing_address"])
        changed = True
    if "products" in body:
        _update_lines(store, order, body["products"])
        changed = True
    changed |= _update_scalars(order, body)
    if changed:
        touch(store, order, now_of(sandbox))
        sandbox.emit(store, "store/order/updated", {"type": "order", "id": order.id})
    if body.get("is_deleted") is True:
        archive_order(sandbox, store, order)
    elif body.get("is_deleted") is False and order.is_deleted:
        order.is_deleted = False
        touch(store, order, now_of(sandbox))
        sandbox.emit(store, "store/order/updated", {"type": "order", "id": order.id})
    return order


def get_shipping_address(order: Order, address_id: int) -> ShippingAddress:
    """One of the order's shipping addresses; 404 when it has no such address."""
    return find_by_id(order.shipping_addresses, address_id)


def update_shipping_address(
    sandbox: Sandbox, store: StoreState, order: Order, address: ShippingAddress, body: Any
) -> ShippingAddress:
    """`PUT /v2/orders/{id}/shipping_addresses/{id}`: address fields and shipping method."""
    if isinstance(body, dict):
        for name in ("items_total", "items_shipped", "id", "order_id"):
            if name in body:
                raise bad_request(
                    f"The field '{name}' cannot be written to. Please remove it from your "
                    "request before trying again."
                )
        if "shipping_method" in body:
            address.shipping_method = str(body["shipping_method"])
        update_address(address.address, {k: v for k, v in body.items() if k != "shipping_method"})
    else:
        raise bad_request("The request body must be a JSON object.")
    touch(store, order, now_of(sandbox))
    sandbox.emit(store, "store/order/updated", {"type": "order", "id": order.id})
    return address


def complete_incomplete(sandbox: Sandbox, store: StoreState, order: Order, status_id: int) -> bool:
    """Turn an incomplete (status 0) order into a real one; False if it was not incomplete."""
    if order.status_id != INCOMPLETE:
        return False
    set_status(sandbox, store, order, status_id)
    sandbox.emit(store, "store/order/updated", {"type": "order", "id": order.id})
    return True
