"""The records behind the sales API: orders and what hangs under them, customers.

Money is held as integer cents (v2 renders it as 4-decimal strings, v3 as numbers), times
as aware UTC datetimes. Records are mutable: the API edits them in place, and every edit of
an order goes through `sales.orders` so `date_modified` and the list indexes stay right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox

Json = dict[str, Any]

ORDER_STATUSES: tuple[tuple[int, str, str], ...] = (
    (
        0,
        "Incomplete",
        "An incomplete order happens when a shopper reached the payment page, but did not "
        "complete the transaction.",
    ),
    (1, "Pending", "Customer started the checkout process, but did not complete it."),
    (
        7,
        "Awaiting Payment",
        "Customer has completed checkout process, but payment has yet to be confirmed.",
    ),
    (
        11,
        "Awaiting Fulfillment",
        "Customer has completed the checkout process and payment has been confirmed.",
    ),
    (
        9,
        "Awaiting Shipment",
        "Order has been pulled and packaged, and is awaiting collection from a shipping provider.",
    ),
    (
        8,
        "Awaiting Pickup",
        "Order has been pulled, and is awaiting customer pickup from a seller-specified location.",
    ),
    (
        3,
        "Partially Shipped",
        "Only some items in the order have been shipped, due to some products being "
        "pre-order only or other reasons.",
    ),
    (
        10,
        "Completed",
        "Client has paid for their digital product and their file(s) are available for download.",
    ),
    (
        2,
        "Shipped",
        "Order has been shipped, but receipt has not been confirmed; seller has used the "
        "Ship Items action.",
    ),
    (
        5,
        "Cancelled",
        "Seller has cancelled an order, due to a stock inconsistency or other reasons.",
    ),
    (
        6,
        "Declined",
        "Seller has marked the order as declined for lack of manual payment, or other reasons.",
    ),
    (4, "Refunded", "Seller has used the Refund action."),
    (
        13,
        "Disputed",
        "Customer has initiated a dispute resolution process for the PayPal transaction that "
        "paid for the order.",
    ),
    (
        12,
        "Manual Verification Required",
        "Order is on hold while some aspect needs to be manually confirmed.",
    ),
    (14, "Partially Refunded", "Seller has partially refunded the order."),
)
"""(id, name, description) in the control panel's sort order, as `/v2/orders/count` lists them."""

STATUS_NAMES = {status_id: name for status_id, name, _ in ORDER_STATUSES}
STATUS_SORT_ORDER = {status_id: index for index, (status_id, _, _) in enumerate(ORDER_STATUSES)}


def now_of(sandbox: Sandbox) -> datetime:
    """The sandbox time to whole seconds: the API keeps and filters dates per second."""
    return sandbox.now().replace(microsecond=0)


INCOMPLETE = 0
SHIPPED = 2
AWAITING_PAYMENT = 7
AWAITING_FULFILLMENT = 11


@dataclass(slots=True)
class OrderProduct:
    """One line item (`/v2/orders/{id}/products`); `id` is its own id space."""

    id: int
    order_id: int
    product_id: int
    variant_id: int
    order_address_id: int
    name: str
    sku: str
    price_ex_tax: int
    price_inc_tax: int
    quantity: int
    quantity_shipped: int = 0
    weight: float = 1.0
    product_options: list[Json] = field(default_factory=list)


@dataclass(slots=True)
class Address:
    """A postal address as orders carry it (billing, shipping)."""

    first_name: str
    last_name: str
    street_1: str
    city: str
    state: str
    zip: str
    country: str
    country_iso2: str
    email: str
    company: str = ""
    street_2: str = ""
    phone: str = ""


@dataclass(slots=True)
class ShippingAddress:
    """An order's shipping address (a shipping consignment); `id` is the `order_address_id`."""

    id: int
    order_id: int
    address: Address
    shipping_method: str
    cost_ex_tax: int = 0
    cost_inc_tax: int = 0
    shipping_zone_id: int = 0
    shipping_zone_name: str = ""


@dataclass(slots=True)
class ShipmentItem:
    order_product_id: int
    product_id: int
    quantity: int


@dataclass(slots=True)
class Shipment:
    """A shipment of some of an order's items to one of its shipping addresses."""

    id: int
    order_id: int
    order_address_id: int
    date_created: datetime
    items: list[ShipmentItem]
    tracking_number: str = ""
    shipping_method: str = ""
    shipping_provider: str = ""
    tracking_carrier: str = ""
    tracking_link: str = ""
    comments: str = ""
    merchant_shipping_cost: int = 0


@dataclass(slots=True)
class Transaction:
    """A payment event on an order (`/v3/orders/{id}/transactions`)."""

    id: int
    order_id: int
    event: str
    method: str
    amount: int
    currency: str
    gateway: str
    gateway_transaction_id: str
    date_created: datetime
    status: str = "ok"
    card_type: str = "visa"
    card_last4: str = "1111"


@dataclass(slots=True)
class Order:
    """A v2 order. Totals are derived from the line items, shipping cost and discount."""

    id: int
    customer_id: int
    status_id: int
    date_created: datetime
    date_modified: datetime
    billing_address: Address
    products: list[OrderProduct] = field(default_factory=list)
    shipping_addresses: list[ShippingAddress] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    date_shipped: datetime | None = None
    is_deleted: bool = False
    channel_id: int = 1
    currency_code: str = "USD"
    payment_method: str = "Credit Card"
    payment_status: str = ""
    discount_amount: int = 0
    order_source: str = "www"
    external_source: str | None = None
    external_order_id: str = ""
    cart_id: str = ""
    customer_message: str = ""
    staff_notes: str = ""
    ip_address: str = ""
    customer_locale: str = "en"

    @property
    def items_total(self) -> int:
        return sum(p.quantity for p in self.products)

    @property
    def items_shipped(self) -> int:
        return sum(p.quantity_shipped for p in self.products)

    @property
    def subtotal_ex_tax(self) -> int:
        return sum(p.price_ex_tax * p.quantity for p in self.products)

    @property
    def subtotal_inc_tax(self) -> int:
        return sum(p.price_inc_tax * p.quantity for p in self.products)

    @property
    def shipping_ex_tax(self) -> int:
        return sum(a.cost_ex_tax for a in self.shipping_addresses)

    @property
    def shipping_inc_tax(self) -> int:
        return sum(a.cost_inc_tax for a in self.shipping_addresses)

    @property
    def total_ex_tax(self) -> int:
        return max(0, self.subtotal_ex_tax + self.shipping_ex_tax - self.discount_amount)

    @property
    def total_inc_tax(self) -> int:
        return max(0, self.subtotal_inc_tax + self.shipping_inc_tax - self.discount_amount)


@dataclass(slots=True)
class CustomerAddress:
    """A customer's saved address (`include=addresses`)."""

    id: int
    customer_id: int
    first_name: str
    last_name: str
    address1: str
    city: str
    state_or_province: str
    postal_code: str
    country_code: str
    country: str
    company: str = ""
    address2: str = ""
    phone: str = ""
    address_type: str = "residential"


@dataclass(slots=True)
class Customer:
    """A v3 customer."""

    id: int
    email: str
    first_name: str
    last_name: str
    date_created: datetime
    date_modified: datetime
    company: str = ""
    phone: str = ""
    notes: str = ""
    tax_exempt_category: str = ""
    customer_group_id: int = 0
    registration_ip_address: str = ""
    accepts_product_review_abandoned_cart_emails: bool = False
    force_password_reset: bool = False
    origin_channel_id: int = 1
    channel_ids: list[int] | None = None
    store_credit: float = 0.0
    addresses: list[CustomerAddress] = field(default_factory=list)
