"""`SalesState`: one store's orders, customers, customer groups and shipping setup.

Orders and customers are kept in dicts by id, inserted in id order (ids only grow), so the
default id-ascending list is the dict itself. Other orderings are sorted views cached per
"version": every change bumps the version through `orders_changed` / `customers_changed`,
so a sync paging through 30,000 orders by `date_modified` sorts once, not once per page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bigsync.sandbox.sales.records import Customer, Json, Order

SortKey = tuple[Any, int]
T = TypeVar("T")


def _order_key(name: str) -> Callable[[Order], SortKey]:
    if name == "external_id":  # never set on sandbox orders: every order sorts equal
        return lambda order: ("", order.id)
    return lambda order: (getattr(order, name), order.id)


def _customer_key(name: str) -> Callable[[Customer], SortKey]:
    if name == "last_name":
        return lambda customer: (customer.last_name.lower(), customer.id)
    return lambda customer: (getattr(customer, name), customer.id)


@dataclass
class SortedView(Generic[T]):
    """Records sorted by (field, id), and the keys for bisecting on the field."""

    version: int
    records: list[T]
    keys: list[SortKey]


@dataclass
class SalesState:
    """One store's orders, customers and shipping setup."""

    orders: dict[int, Order] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    customer_ids_by_email: dict[str, int] = field(default_factory=dict)
    customer_groups: dict[int, Json] = field(default_factory=dict)
    shipping_zones: dict[int, Json] = field(default_factory=dict)
    shipping_methods: dict[int, dict[int, Json]] = field(default_factory=dict)  # by zone id
    _order_version: int = 0
    _customer_version: int = 0
    _order_views: dict[str, SortedView[Order]] = field(default_factory=dict, repr=False)
    _customer_views: dict[str, SortedView[Customer]] = field(default_factory=dict, repr=False)

    def orders_changed(self) -> None:
        """Invalidate the sorted order views (call after any order edit)."""
        self._order_version += 1

    def customers_changed(self) -> None:
        """Invalidate the sorted customer views (call after any customer edit)."""
        self._customer_version += 1

    def orders_sorted_by(self, name: str) -> SortedView[Order]:
        """Every order sorted ascending by `name` (ties by id)."""
        view = self._order_views.get(name)
        if view is None or view.version != self._order_version:
            key = _order_key(name)
            records = list(self.orders.values())
            if name != "id":
                records.sort(key=key)
            view = SortedView(self._order_version, records, [key(o) for o in records])
            self._order_views[name] = view
        return view

    def customers_sorted_by(self, name: str) -> SortedView[Customer]:
        """Every customer sorted ascending by `name` (ties by id)."""
        view = self._customer_views.get(name)
        if view is None or view.version != self._customer_version:
            key = _customer_key(name)
            records = list(self.customers.values())
            if name != "id":
                records.sort(key=key)
            view = SortedView(self._customer_version, records, [key(c) for c in records])
            self._customer_views[name] = view
        return view

    def add_order(self, order: Order) -> None:
        self.orders[order.id] = order
        self.orders_changed()

    def add_customer(self, customer: Customer) -> None:
        self.customers[customer.id] = customer
        self.customer_ids_by_email[customer.email.lower()] = customer.id
        self.customers_changed()
