"""Seeded sales data: customer groups, customers with addresses, shipping zones and methods,
and two years of orders that sell real catalog variants.

The same `rng` state, sizes and `now` always give the same data. Orders are built straight
into records (no request parsing, no events), so 30,000 of them take a few seconds at most:

- ids and `date_created` grow together; `date_modified` is at or after the last thing that
  happened to the order (shipment, status change) and never after `now`;
- statuses follow a realistic mix, with a few Incomplete (0) and a few archived orders;
- about one order in seven is a guest order (`customer_id` 0), one in twenty ships to two
  addresses;
- shipped and completed orders have shipments for all their items, partially shipped ones
  for some; paid orders have a purchase (and refunded ones a refund) transaction.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.catalog.state import SellableItem
from bigsync.sandbox.sales.customers import customer_group
from bigsync.sandbox.sales.orders import ORDER_ID_START
from bigsync.sandbox.sales.records import (
    Address,
    Customer,
    CustomerAddress,
    Order,
    OrderProduct,
    Shipment,
    ShipmentItem,
    ShippingAddress,
    Transaction,
)
from bigsync.sandbox.sales.shipping import add_method, add_zone

if TYPE_CHECKING:
    from bigsync.sandbox.backend import StoreState

HISTORY = timedelta(days=730)
DAY = 86400.0

GROUPS = ("Retail", "Wholesale", "VIP", "Staff")
FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Eva", "Felix", "Greta", "Hannes", "Ida", "Jonas",
    "Kaisa", "Lars", "Maria", "Niko", "Olga", "Peeter", "Riina", "Sven", "Tiina", "Uku",
    "Vera", "Walter", "Yara", "Zoe", "Liam", "Mia", "Noah", "Emma", "Omar", "Sofia",
)  # fmt: skip
LAST_NAMES = (
    "Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Müller", "Schmidt",
    "Virtanen", "Korhonen", "Smith", "Johnson", "Brown", "Garcia", "Martin", "Bernard",
    "Rossi", "Bianchi", "Jansen", "de Vries", "Nowak", "Kowalski", "Berg", "Lind",
)  # fmt: skip
COMPANIES = ("", "", "", "", "Nordlys OÜ", "Baltic Trade AS", "Acme GmbH", "Blue Fjord Oy")
STREETS = ("Harbour Road", "Main Street", "Pikk", "Hauptstraße", "Mannerheimintie", "Elm Avenue")

# country, iso2, state, cities, zip pattern, tax rate in per cent
COUNTRIES: tuple[tuple[str, str, str, tuple[str, ...], str, int], ...] = (
    ("Estonia", "EE", "Harjumaa", ("Tallinn", "Tartu", "Pärnu"), "1{:04d}", 22),
    ("Germany", "DE", "Berlin", ("Berlin", "Hamburg", "Munich"), "1{:04d}", 19),
    ("Finland", "FI", "Uusimaa", ("Helsinki", "Espoo", "Tampere"), "0{:04d}", 24),
    ("Latvia", "LV", "Riga", ("Riga", "Jurmala"), "LV-1{:03d}", 21),
    ("United States", "US", "Texas", ("Austin", "Dallas", "Houston"), "7{:04d}", 8),
    ("United Kingdom", "GB", "England", ("London", "Leeds", "Bristol"), "SW{:02d} 1AA", 20),
)
COUNTRY_WEIGHTS = (30, 20, 15, 10, 15, 10)
COUNTRY_INDEX = {country[1]: index for index, country in enumerate(COUNTRIES)}

# zone name, type, country codes, methods: (name, type, settings)
ZONES: tuple[tuple[str, str, tuple[str, ...], tuple[tuple[str, str, dict[str, Any]], ...]], ...] = (
    (
        "Estonia",
        "country",
        ("EE",),
        (
            ("Omniva", "perorder", {"rate": 3.99}),
            ("DHL-1", "perorder", {"rate": 5.5}),
            ("Flat Rate", "perorder", {"rate": 4.0}),
        ),
    ),
    (
        "European Union",
        "country",
        ("DE", "FI", "LV"),
        (
            ("DHL Express", "weight", {"default_cost": 14.9, "default_cost_type": "fixed_amount"}),
            ("GLS Europe", "peritem", {"rate": 2.5}),
            ("Omniva", "perorder", {"rate": 7.9}),
        ),
    ),
    (
        "United States",
        "country",
        ("US",),
        (
            ("UPS Ground", "upsready", {}),
            ("Flat Rate", "perorder", {"rate": 12.0}),
        ),
    ),
    (
        "Rest of the World",
        "global",
        (),
        (
            ("DHL Express", "weight", {"default_cost": 29.0, "default_cost_type": "fixed_amount"}),
            ("Flat Rate", "perorder", {"rate": 25.0}),
        ),
    ),
)

# status id -> weight in the mix of generated orders
STATUS_MIX = {
    10: 30,
    2: 22,
    11: 14,
    9: 5,
    3: 3,
    7: 6,
    1: 4,
    5: 4,
    4: 2,
    14: 1,
    6: 1,
    12: 1,
    13: 1,
    8: 1,
    0: 2,
}
PAYMENT_STATUS = {0: "", 1: "pending", 5: "void", 6: "declined", 7: "pending", 4: "refunded"}
PAYMENT_STATUS.update({14: "partially refunded", 12: "held for review", 13: "captured"})
UNPAID = frozenset({0, 1, 5, 6, 7, 12})
SHIPPED_ALL = frozenset({2, 10, 4, 14})
GATEWAYS = ("stripe", "braintree", "adyen", "paypalexpress", "square")
CARDS = ("visa", "master", "american_express", "discover")


def generate_sales(store: StoreState, rng: random.Random, sizes: Any, now: datetime) -> None:
    """Fill `store.sales` (expected empty) from `rng`; `sizes` has `customers` and `orders`."""
    now = now.replace(microsecond=0)  # the API keeps dates to the second
    start = now - HISTORY
    _add_groups(store, now=start)
    zones = _add_shipping(store)
    customers = _add_customers(store, rng, sizes.customers, start=start, now=now)
    _add_orders(store, rng, sizes.orders, customers=customers, zones=zones, start=start, now=now)
    store.sales.orders_changed()
    store.sales.customers_changed()


def _add_groups(store: StoreState, *, now: datetime) -> None:
    for index, name in enumerate(GROUPS):
        group_id = store.next_id("customer_group")
        group = customer_group(group_id, name, now=now, is_default=index == 0)
        store.sales.customer_groups[group_id] = group


def _add_shipping(store: StoreState) -> dict[str, tuple[int, str, list[str]]]:
    """The zones and methods; returns, by country code, (zone id, zone name, method names)."""
    by_country: dict[str, tuple[int, str, list[str]]] = {}
    for name, kind, countries, methods in ZONES:
        locations = [{"country_iso2": code} for code in countries]
        zone = add_zone(store, {"name": name, "type": kind, "locations": locations})
        for method_name, method_type, settings in methods:
            body = {"name": method_name, "type": method_type, "settings": dict(settings)}
            add_method(store, zone["id"], body)
        entry = (zone["id"], name, [m[0] for m in methods])
        for code in countries or ("*",):
            by_country[code] = entry
    return by_country


def _random_address(rng: random.Random) -> tuple[int, str, str, str]:
    """(country index, street, city, zip)."""
    country_index = rng.choices(range(len(COUNTRIES)), COUNTRY_WEIGHTS)[0]
    _, _, _, cities, zip_pattern, _ = COUNTRIES[country_index]
    street = f"{rng.randint(1, 250)} {rng.choice(STREETS)}"
    return country_index, street, rng.choice(cities), zip_pattern.format(rng.randint(1, 99))


def _add_customers(
    store: StoreState, rng: random.Random, count: int, *, start: datetime, now: datetime
) -> list[Customer]:
    span = (now - start).total_seconds()
    created = sorted(rng.random() * span for _ in range(count))
    group_ids = list(store.sales.customer_groups)
    customers = []
    for offset in created:
        customer_id = store.next_id("customer")
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        date_created = start + timedelta(seconds=int(offset))
        modified = date_created + timedelta(seconds=int(rng.random() * (span - offset)))
        customer = Customer(
            id=customer_id,
            email=f"{first.lower()}.{last.lower().replace(' ', '')}.{customer_id}@example.com",
            first_name=first,
            last_name=last,
            date_created=date_created,
            date_modified=modified if rng.random() < 0.6 else date_created,
            company=rng.choice(COMPANIES),
            phone=f"+372 5{rng.randint(100000, 999999)}",
            customer_group_id=rng.choice(group_ids) if rng.random() < 0.4 else 0,
            accepts_product_review_abandoned_cart_emails=rng.random() < 0.5,
        )
        for _ in range(1 if rng.random() < 0.8 else 2):
            country_index, street, city, zip_code = _random_address(rng)
            country, iso2, state, *_ = COUNTRIES[country_index]
            customer.addresses.append(
                CustomerAddress(
                    id=store.next_id("customer_address"),
                    customer_id=customer_id,
                    first_name=first,
                    last_name=last,
                    address1=street,
                    city=city,
                    state_or_province=state,
                    postal_code=zip_code,
                    country_code=iso2,
                    country=country,
                    phone=customer.phone,
                )
            )
        store.sales.add_customer(customer)
        customers.append(customer)
    return customers


def _order_address(
    rng: random.Random, customer: Customer | None, *, email: str
) -> tuple[Address, int]:
    """An address for an order (the customer's, or a guest's) and its tax rate."""
    if customer is not None:
        saved = rng.choice(customer.addresses)
        country_index = COUNTRY_INDEX[saved.country_code]
        street, city, zip_code = saved.address1, saved.city, saved.postal_code
        first, last = customer.first_name, customer.last_name
    else:
        country_index, street, city, zip_code = _random_address(rng)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    country, iso2, state, _, _, tax = COUNTRIES[country_index]
    address = Address(
        first_name=first,
        last_name=last,
        street_1=street,
        city=city,
        state=state,
        zip=zip_code,
        country=country,
        country_iso2=iso2,
        email=email,
    )
    return address, tax


def _copy(a: Address) -> Address:
    return Address(
        a.first_name, a.last_name, a.street_1, a.city, a.state, a.zip, a.country,
        a.country_iso2, a.email, a.company, a.street_2, a.phone,
    )  # fmt: skip


class _Catalog:
    """The sellable items, and how many of them existed at a given time (by product age)."""

    def __init__(self, store: StoreState) -> None:
        self.items: list[SellableItem] = store.catalog.sellable_items()
        products = store.catalog.products
        self.times = [products[item.product_id].date_created for item in self.items]

    def pick(self, rng: random.Random, moment: datetime) -> SellableItem:
        available = bisect_right(self.times, moment) or 1
        return self.items[int(rng.random() * available)]


def _add_orders(
    store: StoreState,
    rng: random.Random,
    count: int,
    *,
    customers: list[Customer],
    zones: dict[str, tuple[int, str, list[str]]],
    start: datetime,
    now: datetime,
) -> None:
    catalog = _Catalog(store)
    span = (now - start).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(count))
    statuses = list(STATUS_MIX)
    weights = list(STATUS_MIX.values())
    chosen_statuses = rng.choices(statuses, weights, k=count)
    next_id = store.next_id
    orders = store.sales.orders
    registered = [c.date_created for c in customers]  # customers are in creation order
    for offset, status_id in zip(offsets, chosen_statuses, strict=True):
        created = start + timedelta(seconds=int(offset))
        customer = None
        known = bisect_right(registered, created)  # customers only buy once registered
        if known and rng.random() >= 0.15:
            customer = customers[int(rng.random() * known)]
        order_id = next_id("order", start=ORDER_ID_START)
        email = customer.email if customer else f"guest.{order_id}@example.net"
        billing, tax = _order_address(rng, customer, email=email)
        order = Order(
            id=order_id,
            customer_id=customer.id if customer else 0,
            status_id=status_id,
            date_created=created,
            date_modified=created,
            billing_address=billing,
            payment_method="Credit Card" if rng.random() < 0.85 else "Bank Deposit",
            payment_status=PAYMENT_STATUS.get(status_id, "captured"),
            cart_id=f"{order_id:08x}-5a1e-4b0c-9d2e-{order_id:012x}",
            ip_address=f"198.51.100.{order_id % 250 + 1}",
        )
        _add_destinations(store, rng, order, billing, zones)
        _add_lines(store, rng, order, catalog, tax)
        latest = created
        if status_id in SHIPPED_ALL or status_id == 3:
            latest = _ship(store, rng, order, partial=status_id == 3, now=now)
        if status_id not in UNPAID:
            latest = max(latest, _pay(store, rng, order, refund=status_id in (4, 14), now=now))
        if status_id != 0 and rng.random() < 0.3:  # a later status change or staff edit
            latest += timedelta(seconds=int(rng.random() * 10 * DAY))
        order.date_modified = min(latest, now)
        order.is_deleted = rng.random() < 0.01
        orders[order_id] = order


def _add_destinations(
    store: StoreState,
    rng: random.Random,
    order: Order,
    billing: Address,
    zones: dict[str, tuple[int, str, list[str]]],
) -> None:
    for index in range(2 if rng.random() < 0.05 else 1):
        address = _copy(billing)
        if index:  # a second consignment, e.g. a gift to someone else
            address.first_name = rng.choice(FIRST_NAMES)
            address.street_1 = f"{rng.randint(1, 250)} {rng.choice(STREETS)}"
        zone_id, zone_name, methods = zones.get(address.country_iso2) or zones["*"]
        cost = rng.choice((0, 399, 490, 590, 1290, 1490))
        order.shipping_addresses.append(
            ShippingAddress(
                id=store.next_id("order_address"),
                order_id=order.id,
                address=address,
                shipping_method=rng.choice(methods),
                cost_ex_tax=cost,
                cost_inc_tax=cost,
                shipping_zone_id=zone_id,
                shipping_zone_name=zone_name,
            )
        )


def _add_lines(
    store: StoreState, rng: random.Random, order: Order, catalog: _Catalog, tax: int
) -> None:
    addresses = order.shipping_addresses
    for index in range(max(len(addresses), rng.choice((1, 1, 1, 2, 2, 3, 4)))):
        address_id = addresses[index % len(addresses)].id
        quantity = rng.choice((1, 1, 1, 1, 2, 2, 3, 5))
        if catalog.items:
            item = catalog.pick(rng, order.date_created)
            product_id, variant_id, name, sku = (
                item.product_id,
                item.variant_id,
                item.name,
                item.sku,
            )
            price = round(item.price * 100)
        else:  # a store without catalog: custom products
            product_id = variant_id = 0
            name, sku, price = "Custom item", f"CUSTOM-{index}", 1000 + 250 * index
        order.products.append(
            OrderProduct(
                id=store.next_id("order_product"),
                order_id=order.id,
                product_id=product_id,
                variant_id=variant_id,
                order_address_id=address_id,
                name=name,
                sku=sku,
                price_ex_tax=price,
                price_inc_tax=price + price * tax // 100,
                quantity=quantity,
            )
        )


def _ship(
    store: StoreState, rng: random.Random, order: Order, *, partial: bool, now: datetime
) -> datetime:
    """One shipment per address for all its items; when `partial`, only the first address
    ships and one unit stays behind. Returns the time of the last shipment."""
    moment = order.date_created
    for address in order.shipping_addresses:
        lines = [p for p in order.products if p.order_address_id == address.id]
        plan = [(line, line.quantity) for line in lines]
        if partial and len(lines) > 1:
            plan = plan[:-1]
        elif partial:
            line = lines[0]
            line.quantity = max(2, line.quantity)
            plan = [(line, line.quantity - 1)]
        moment = min(now, moment + timedelta(seconds=int((0.2 + rng.random() * 4) * DAY)))
        items = []
        for line, quantity in plan:
            line.quantity_shipped = quantity
            items.append(ShipmentItem(line.id, line.product_id, quantity))
        carrier = "dhl" if "DHL" in address.shipping_method else "gls"
        order.shipments.append(
            Shipment(
                id=store.next_id("shipment"),
                order_id=order.id,
                order_address_id=address.id,
                date_created=moment,
                items=items,
                tracking_number=f"JJD{rng.randint(10**11, 10**12 - 1)}",
                shipping_method=address.shipping_method,
                tracking_carrier=carrier,
            )
        )
        if partial:
            break
    if not partial:
        order.date_shipped = moment
    return moment


def _pay(
    store: StoreState, rng: random.Random, order: Order, *, refund: bool, now: datetime
) -> datetime:
    """A purchase transaction (and a refund when the status says so); returns the last time."""
    gateway = rng.choice(GATEWAYS)
    card = rng.choice(CARDS)
    moment = order.date_created + timedelta(seconds=int(rng.random() * 60))
    events = [("purchase", order.total_inc_tax, moment)]
    if refund:
        moment = min(now, moment + timedelta(seconds=int((1 + rng.random() * 20) * DAY)))
        events.append(("refund", order.total_inc_tax // (1 if order.status_id == 4 else 3), moment))
    for event, amount, at in events:
        transaction_id = store.next_id("transaction", start=1000)
        order.transactions.append(
            Transaction(
                id=transaction_id,
                order_id=order.id,
                event=event,
                method="credit_card",
                amount=amount,
                currency=order.currency_code,
                gateway=gateway,
                gateway_transaction_id=f"{gateway[:2]}_{transaction_id:010d}",
                date_created=at,
                card_type=card,
                card_last4=f"{rng.randint(0, 9999):04d}",
            )
        )
    return moment
