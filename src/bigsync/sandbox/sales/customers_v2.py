"""The v2 customer writes (`POST /v2/customers`, `PUT|DELETE /v2/customers/{id}`), deprecated
by BigCommerce but still served: they write the same customers `/v3/customers` does, and fire
the same `store/customer/*` events.

Decided where the docs are silent (v2 error shape `[{status, message}]`):
- A missing `first_name`, `last_name` or `email` on create is `400` naming the field; a value
  of the wrong type is `400 "The field 'NAME' is invalid."`.
- An email already used by another customer is `409` (v2's conflict status).
- Read-only fields (`id`, `date_created`, `date_modified`, `accepts_marketing`, `addresses`,
  `form_fields`) in a body are `400`, as the v2 orders API answers them.
- `_authentication.force_reset` sets `reset_pass_on_login`; a password is accepted and not
  stored. `store_credit` is a number (the v2 view renders it as a 4-decimal string).
- `DELETE /v2/customers` (the whole collection) is not served: the spec describes it, the
  sunset notes say it is gone (API-NOTES §8.10).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.responses import ApiProblem
from bigsync.sandbox.sales.customers import delete_customers
from bigsync.sandbox.sales.records import Customer, Json, now_of

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState

READ_ONLY = ("id", "date_created", "date_modified", "accepts_marketing", "addresses", "form_fields")
REQUIRED = ("first_name", "last_name", "email")


def _text(limit: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and len(v) <= limit


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


WRITABLE: dict[str, Callable[[Any], bool]] = {
    "first_name": lambda v: isinstance(v, str) and 1 <= len(v) <= 100,
    "last_name": lambda v: isinstance(v, str) and 1 <= len(v) <= 100,
    "email": lambda v: isinstance(v, str) and 3 <= len(v) <= 255 and "@" in v,
    "company": _text(255),
    "phone": _text(50),
    "notes": lambda v: isinstance(v, str),
    "tax_exempt_category": _text(255),
    "registration_ip_address": _text(30),
    "customer_group_id": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "store_credit": _number,
    "_authentication": lambda v: isinstance(v, dict),
}
"""Fields a v2 body may write, and what a valid value looks like."""


def _check(store: StoreState, body: Any, *, customer_id: int | None) -> Json:
    if not isinstance(body, dict):
        raise ApiProblem(400, "The request body must be a JSON object.")
    for name in READ_ONLY:
        if name in body and not (name == "id" and body[name] == customer_id):
            raise ApiProblem(
                400,
                f"The field '{name}' cannot be written to. Please remove it from your request "
                "before trying again.",
            )
    if customer_id is None:
        for name in REQUIRED:
            if not body.get(name):
                raise ApiProblem(400, f"The required field '{name}' was not supplied.")
    for name, valid in WRITABLE.items():
        if name in body and not valid(body[name]):
            raise ApiProblem(400, f"The field '{name}' is invalid.")
    group = body.get("customer_group_id")
    if group and group not in store.sales.customer_groups:
        raise ApiProblem(400, "The field 'customer_group_id' is invalid.")
    email = body.get("email")
    if email is not None:
        owner = store.sales.customer_ids_by_email.get(str(email).lower())
        if owner is not None and owner != customer_id:
            raise ApiProblem(409, f"The email address '{email}' is already in use.")
    return body


def _apply(customer: Customer, body: Json) -> None:
    for name in ("first_name", "last_name", "email", "company", "phone", "notes"):
        if name in body:
            setattr(customer, name, body[name])
    for name in ("tax_exempt_category", "registration_ip_address", "customer_group_id"):
        if name in body:
            setattr(customer, name, body[name])
    if "store_credit" in body:
        customer.store_credit = float(body["store_credit"])
    authentication = body.get("_authentication")
    if isinstance(authentication, dict) and "force_reset" in authentication:
        customer.force_password_reset = bool(authentication["force_reset"])


def create_customer(sandbox: Sandbox, store: StoreState, body: Any) -> Customer:
    """`POST /v2/customers`: one customer."""
    fields = _check(store, body, customer_id=None)
    now = now_of(sandbox)
    customer = Customer(
        id=store.next_id("customer"),
        email=str(fields["email"]),
        first_name=str(fields["first_name"]),
        last_name=str(fields["last_name"]),
        date_created=now,
        date_modified=now,
    )
    _apply(customer, fields)
    store.sales.add_customer(customer)
    sandbox.emit(store, "store/customer/created", {"type": "customer", "id": customer.id})
    return customer


def update_customer(sandbox: Sandbox, store: StoreState, customer: Customer, body: Any) -> None:
    """`PUT /v2/customers/{id}`: the fields given; the others stay."""
    fields = _check(store, body, customer_id=customer.id)
    state = store.sales
    state.customer_ids_by_email.pop(customer.email.lower(), None)
    _apply(customer, fields)
    state.customer_ids_by_email[customer.email.lower()] = customer.id
    customer.date_modified = max(now_of(sandbox), customer.date_modified)
    state.customers_changed()
    sandbox.emit(store, "store/customer/updated", {"type": "customer", "id": customer.id})


def delete_customer(sandbox: Sandbox, store: StoreState, customer: Customer) -> None:
    """`DELETE /v2/customers/{id}`."""
    delete_customers(sandbox, store, [customer.id])
