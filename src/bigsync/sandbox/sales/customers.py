"""Customer operations (v3 batch create / update / delete), their listing, and their shape.

Decided where the docs are silent: `date_*:min/max` bounds are inclusive; a duplicate email
(against the store or inside the batch) is a 422 like every other invalid customer (the
spec declares no 409 for customers); deleting an unknown id is ignored.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from bigsync.sandbox.dates import iso8601_z, rfc2822
from bigsync.sandbox.responses import ApiProblem
from bigsync.sandbox.sales.records import Customer, CustomerAddress, Json, now_of
from bigsync.sandbox.sales.state import SalesState, SortKey

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState

MAX_BATCH = 10
MAX_EMBEDDED = 10
SORTS = {"date_created", "date_modified", "last_name"}
WRITABLE: dict[str, Callable[[Any], bool]] = {
    "email": lambda v: isinstance(v, str) and 3 <= len(v) <= 255,
    "first_name": lambda v: isinstance(v, str) and 1 <= len(v) <= 100,
    "last_name": lambda v: isinstance(v, str) and 1 <= len(v) <= 100,
    "company": lambda v: isinstance(v, str),
    "phone": lambda v: isinstance(v, str),
    "notes": lambda v: isinstance(v, str),
    "tax_exempt_category": lambda v: isinstance(v, str),
    "customer_group_id": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "accepts_product_review_abandoned_cart_emails": lambda v: isinstance(v, bool),
    "channel_ids": lambda v: (
        v is None or (isinstance(v, list) and bool(v) and all(type(i) is int for i in v))
    ),
}
"""Writable customer fields and what a valid value looks like."""
ADDRESS_REQUIRED = ("first_name", "last_name", "address1", "city", "country_code")


def _batch(body: Any) -> list[Json]:
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise ApiProblem(422, "The request body must be an array of customer objects.")
    if len(body) > MAX_BATCH:
        raise ApiProblem(
            413,
            "The request payload is too large. The maximum number of items allowed in the "
            f"array is {MAX_BATCH}.",
        )
    return body


def _fail(title: str, errors: dict[str, str]) -> ApiProblem:
    return ApiProblem(422, title, errors=errors)


def _check_emails(state: SalesState, batch: list[Json], title: str) -> None:
    seen: dict[str, int | None] = {}
    for index, item in enumerate(batch):
        email = item.get("email")
        if email is None:
            continue
        key = str(email).lower()
        owner = state.customer_ids_by_email.get(key)
        if (owner is not None and owner != item.get("id")) or key in seen:
            raise _fail(
                title, {f"{index}.email": f"The email address '{email}' is already in use."}
            )
        seen[key] = item.get("id")


def _address(store: StoreState, customer_id: int, raw: Any, *, where: str) -> CustomerAddress:
    if not isinstance(raw, dict):
        raise _fail("Create customers failed.", {where: "An address must be an object."})
    missing = [k for k in ADDRESS_REQUIRED if not raw.get(k)]
    if missing:
        raise _fail(
            "Create customers failed.", {f"{where}.{k}": "error.path.missing" for k in missing}
        )
    return CustomerAddress(
        id=store.next_id("customer_address"),
        customer_id=customer_id,
        first_name=str(raw["first_name"]),
        last_name=str(raw["last_name"]),
        address1=str(raw["address1"]),
        address2=str(raw.get("address2") or ""),
        city=str(raw["city"]),
        state_or_province=str(raw.get("state_or_province") or ""),
        postal_code=str(raw.get("postal_code") or ""),
        country_code=str(raw["country_code"]),
        country=str(raw.get("country") or raw["country_code"]),
        company=str(raw.get("company") or ""),
        phone=str(raw.get("phone") or ""),
        address_type=str(raw.get("address_type") or "residential"),
    )


def _check_fields(batch: list[Json], title: str) -> None:
    for index, item in enumerate(batch):
        wrong = [name for name, valid in WRITABLE.items() if name in item and not valid(item[name])]
        if wrong:
            raise _fail(title, {f"{index}.{name}": "error.type.invalid" for name in wrong})


def _apply(customer: Customer, item: Json) -> None:
    for name in WRITABLE:
        if name in item:
            setattr(customer, name, item[name])
    if isinstance(item.get("authentication"), dict):
        customer.force_password_reset = bool(item["authentication"].get("force_password_reset"))
    credit = item.get("store_credit_amounts")
    if isinstance(credit, list) and credit:
        customer.store_credit = float(credit[0].get("amount") or 0)


def create_customers(sandbox: Sandbox, store: StoreState, body: Any) -> list[Customer]:
    """`POST /v3/customers`: up to 10 customers, all or nothing."""
    batch = _batch(body)
    for index, item in enumerate(batch):
        missing = [k for k in ("email", "first_name", "last_name") if not item.get(k)]
        if missing:
            raise _fail(
                "Create customers failed.", {f"{index}.{k}": "error.path.missing" for k in missing}
            )
    _check_fields(batch, "Create customers failed.")
    _check_emails(store.sales, batch, "Create customers failed.")
    now = now_of(sandbox)
    created = []
    for index, item in enumerate(batch):
        customer = Customer(
            id=store.next_id("customer"),
            email=str(item["email"]),
            first_name=str(item["first_name"]),
            last_name=str(item["last_name"]),
            date_created=now,
            date_modified=now,
            origin_channel_id=item["origin_channel_id"]
            if type(item.get("origin_channel_id")) is int
            else 1,
        )
        _apply(customer, item)
        customer.addresses = [
            _address(store, customer.id, raw, where=f"{index}.addresses.{n}")
            for n, raw in enumerate(item.get("addresses") or [])
        ]
        created.append(customer)
    for customer in created:
        store.sales.add_customer(customer)
        sandbox.emit(store, "store/customer/created", {"type": "customer", "id": customer.id})
    return created


def update_customers(sandbox: Sandbox, store: StoreState, body: Any) -> list[Customer]:
    """`PUT /v3/customers`: up to 10 partial updates, each naming its `id`."""
    batch = _batch(body)
    state = store.sales
    for index, item in enumerate(batch):
        if not isinstance(item.get("id"), int) or item["id"] not in state.customers:
            raise _fail("Update customers failed.", {f"{index}.id": "Customer not found."})
    _check_fields(batch, "Update customers failed.")
    _check_emails(state, batch, "Update customers failed.")
    now = now_of(sandbox)
    updated = []
    for item in batch:
        customer = state.customers[item["id"]]
        state.customer_ids_by_email.pop(customer.email.lower(), None)
        _apply(customer, item)
        state.customer_ids_by_email[customer.email.lower()] = customer.id
        customer.date_modified = max(now, customer.date_modified)
        updated.append(customer)
        sandbox.emit(store, "store/customer/updated", {"type": "customer", "id": customer.id})
    state.customers_changed()
    return updated


def delete_customers(sandbox: Sandbox, store: StoreState, ids: Sequence[int]) -> list[int]:
    """`DELETE /v3/customers?id:in=`: the ids that existed and are gone now."""
    state = store.sales
    deleted = []
    for customer_id in ids:
        customer = state.customers.pop(customer_id, None)
        if customer is None:
            continue
        state.customer_ids_by_email.pop(customer.email.lower(), None)
        deleted.append(customer_id)
        sandbox.emit(store, "store/customer/deleted", {"type": "customer", "id": customer_id})
    if deleted:
        state.customers_changed()
    return deleted


@dataclass(frozen=True)
class CustomerQuery:
    """Filters and sort of `GET /v3/customers`."""

    ids: frozenset[int] | None = None
    emails: frozenset[str] | None = None
    names: frozenset[str] | None = None
    name_like: tuple[str, ...] | None = None
    companies: frozenset[str] | None = None
    group_ids: frozenset[int] | None = None
    phones: frozenset[str] | None = None
    date_created: tuple[datetime | None, datetime | None, datetime | None] = (None, None, None)
    date_modified: tuple[datetime | None, datetime | None, datetime | None] = (None, None, None)
    sort: str = "id"
    descending: bool = False


Check = Callable[[Customer], bool]


def _date_checks(name: str, bounds: tuple[Any, Any, Any]) -> list[Check]:
    exact, low, high = bounds
    checks: list[Check] = []
    if exact is not None:
        checks.append(lambda c: bool(getattr(c, name).replace(microsecond=0) == exact))
    if low is not None:
        checks.append(lambda c: bool(getattr(c, name) >= low))
    if high is not None:
        checks.append(lambda c: bool(getattr(c, name) <= high))
    return checks


def _member(value: Callable[[Customer], Any], allowed: frozenset[Any]) -> Check:
    return lambda customer: value(customer) in allowed


def _full_name(customer: Customer) -> str:
    return f"{customer.first_name} {customer.last_name}".lower()


def _checks(query: CustomerQuery) -> list[Check]:
    checks = _date_checks("date_created", query.date_created)
    checks += _date_checks("date_modified", query.date_modified)
    if query.ids is not None:
        checks.append(_member(lambda c: c.id, query.ids))
    if query.emails is not None:
        checks.append(_member(lambda c: c.email.lower(), query.emails))
    if query.names is not None:
        checks.append(_member(_full_name, query.names))
    if query.name_like is not None:
        likes = query.name_like
        checks.append(lambda c: any(s in _full_name(c) for s in likes))
    if query.companies is not None:
        checks.append(_member(lambda c: c.company.lower(), query.companies))
    if query.group_ids is not None:
        checks.append(_member(lambda c: c.customer_group_id, query.group_ids))
    if query.phones is not None:
        checks.append(_member(lambda c: c.phone, query.phones))
    return checks


@dataclass(frozen=True)
class Selection:
    """The customers a query matches, ascending by its sort field, with their sort keys;
    `descending` says how to show them. Unfiltered, this is the cached sorted view itself."""

    records: Sequence[Customer]
    keys: Sequence[SortKey]
    descending: bool

    def __len__(self) -> int:
        return len(self.records)

    def window(self, start: int, end: int) -> list[Customer]:
        """Display positions [start, end) of the selection."""
        if not self.descending:
            return list(self.records[start:end])
        total = len(self.records)
        return list(reversed(self.records[max(0, total - end) : max(0, total - start)]))


def select_customers(state: SalesState, query: CustomerQuery) -> Selection:
    """The customers matching `query` (only the matches are copied, and only if filtered)."""
    view = state.customers_sorted_by(query.sort)
    checks = _checks(query)
    if not checks:
        return Selection(view.records, view.keys, query.descending)
    kept = [i for i, c in enumerate(view.records) if all(check(c) for check in checks)]
    records = [view.records[i] for i in kept]
    keys = [view.keys[i] for i in kept]
    return Selection(records, keys, query.descending)


def sort_key(customer: Customer, sort: str) -> SortKey:
    """Where `customer` sorts under `sort`: (field value, id), as the sorted views key it."""
    if sort == "id":
        return (customer.id, customer.id)
    if sort == "last_name":
        return (customer.last_name.lower(), customer.id)
    return (getattr(customer, sort), customer.id)


def encode_cursor(customer: Customer, sort: str) -> str:
    """An opaque cursor naming `customer`'s place in a `sort` ordering."""
    value: Any = {"id": customer.id}
    if sort != "id":
        key = sort_key(customer, sort)[0]
        value["at"] = key.isoformat() if isinstance(key, datetime) else key
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> SortKey:
    """The sort key a cursor names; 422 when it is not one of ours."""
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        customer_id = int(value["id"])
        if sort == "id":
            return (customer_id, customer_id)
        at = value["at"]
        key = datetime.fromisoformat(at) if sort != "last_name" else str(at)
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise ApiProblem(422, "The cursor is not valid.", errors={"cursor": cursor}) from None
    return (key, customer_id)


def cursor_window(
    selection: Selection, sort: str, *, after: str | None, before: str | None, limit: int
) -> tuple[list[Customer], bool, bool]:
    """The page after (or before) a cursor, in display order, and whether items exist before
    / after that page. Cursors name a sort key, not a position, so they stay valid when
    customers are added or deleted between requests."""
    cursor = decode_cursor(after or before or "", sort)
    keys, total = selection.keys, len(selection)
    below, above = bisect_left(keys, cursor), bisect_right(keys, cursor)
    if (after is not None) != selection.descending:  # towards higher keys
        start, end = above, min(total, above + limit)
    else:  # towards lower keys
        start, end = max(0, below - limit), below
    page = list(selection.records[start:end])
    lower, higher = start > 0, end < total
    if selection.descending:
        return page[::-1], higher, lower
    return page, lower, higher


def customer_json(customer: Customer, includes: frozenset[str]) -> Json:
    """A v3 customer; sub-resources only when included (embedded arrays capped at 10)."""
    body: Json = {
        "id": customer.id,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": customer.company,
        "phone": customer.phone,
        "registration_ip_address": customer.registration_ip_address,
        "notes": customer.notes,
        "tax_exempt_category": customer.tax_exempt_category,
        "customer_group_id": customer.customer_group_id,
        "date_modified": iso8601_z(customer.date_modified),
        "date_created": iso8601_z(customer.date_created),
        "address_count": len(customer.addresses),
        "attribute_count": 0,
        "authentication": {"force_password_reset": customer.force_password_reset},
        "accepts_product_review_abandoned_cart_emails": (
            customer.accepts_product_review_abandoned_cart_emails
        ),
        "origin_channel_id": customer.origin_channel_id,
    }
    if customer.channel_ids is not None:  # global access: the field is left out
        body["channel_ids"] = customer.channel_ids
    if "addresses" in includes:
        body["addresses"] = [address_json(a) for a in customer.addresses[:MAX_EMBEDDED]]
    if "storecredit" in includes:
        body["store_credit_amounts"] = [{"amount": customer.store_credit}]
    if "attributes" in includes:
        body["attributes"] = []
    if "formfields" in includes:
        body["form_fields"] = []
    return body


def address_json(address: CustomerAddress) -> Json:
    """A customer address as `include=addresses` embeds it."""
    return {
        "id": address.id,
        "customer_id": address.customer_id,
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "address1": address.address1,
        "address2": address.address2,
        "city": address.city,
        "state_or_province": address.state_or_province,
        "postal_code": address.postal_code,
        "country_code": address.country_code,
        "country": address.country,
        "phone": address.phone,
        "address_type": address.address_type,
    }


def customer_group(group_id: int, name: str, *, now: datetime, is_default: bool = False) -> Json:
    """A v2 customer group as stored and served."""
    return {
        "id": group_id,
        "name": name,
        "is_default": is_default,
        "category_access": {"type": "all"},
        "discount_rules": [],
        "date_created": rfc2822(now),
        "date_modified": rfc2822(now),
        "is_group_for_guests": False,
    }
