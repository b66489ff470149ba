"""Customers: `/v3/customers` (offset and cursor pagination, batch writes), the v2 view of the
same customers (`/v2/customers`, `/count`, `/{id}`, `/{id}/addresses`; create, update and
delete one customer, see `sales/customers_v2.py`) and
`/v2/customer_groups` (specs: customers.v3.yml, customers.v2.yml).

Cursor pagination (API-NOTES §6.2): `after=<end_cursor>` pages forward, `before=<start_cursor>`
backward, and `page` is ignored with either. The first page carries `pagination` and
`cursor_pagination`, later offset pages only `pagination`, cursor pages only
`cursor_pagination`. Every non-empty page names its `start_cursor` and `end_cursor`; the
last page has no `links.next` (and the first no `links.previous`). `limit` above 250 is 413.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.context import sandbox_of, store_of
from bigsync.sandbox.dates import parse_filter_date, rfc2822
from bigsync.sandbox.responses import (
    ApiProblem,
    id_list_param,
    json_response,
    no_content,
    page_and_limit,
    pagination_meta,
    str_list_param,
    v2_list,
)
from bigsync.sandbox.routes.orders import json_body
from bigsync.sandbox.sales import customers as ops
from bigsync.sandbox.sales import customers_v2
from bigsync.sandbox.sales.customers import CustomerQuery, customer_json
from bigsync.sandbox.sales.records import Customer, CustomerAddress, Json
from bigsync.sandbox.sales.views import link

INCLUDES = frozenset(
    {"addresses", "storecredit", "attributes", "formfields", "shopper_profile_id", "segment_ids"}
)
SORTS = {f"{field}:{way}" for field in ops.SORTS for way in ("asc", "desc")}


def _lowered(request: Request, name: str) -> frozenset[str] | None:
    values = str_list_param(request, name)
    return frozenset(v.lower() for v in values) if values is not None else None


def _dates(request: Request, name: str) -> tuple[datetime | None, datetime | None, datetime | None]:
    now = sandbox_of(request).now()
    out: list[datetime | None] = []
    for key in (name, f"{name}:min", f"{name}:max"):
        raw = request.query_params.get(key)
        if not raw:
            out.append(None)
            continue
        try:
            moment = parse_filter_date(raw, now=now)
        except ValueError:
            raise ApiProblem(422, f"The value of '{key}' is not a valid date.") from None
        out.append(moment.replace(microsecond=0))
    return out[0], out[1], out[2]


def customer_query(request: Request) -> CustomerQuery:
    """The filters and sort of a customers request (422 for an invalid filter, as the spec)."""
    sort = request.query_params.get("sort") or ""
    if sort and sort not in SORTS:
        raise ApiProblem(422, f"The sort '{sort}' is not supported.", errors={"sort": sort})
    field, _, way = sort.partition(":")
    try:
        ids = id_list_param(request, "id:in")
        groups = id_list_param(request, "customer_group_id:in")
    except ApiProblem as problem:
        raise ApiProblem(422, problem.title) from None
    like = str_list_param(request, "name:like")
    phones = str_list_param(request, "phone:in")
    return CustomerQuery(
        ids=frozenset(ids) if ids is not None else None,
        emails=_lowered(request, "email:in"),
        names=_lowered(request, "name:in"),
        name_like=tuple(v.lower() for v in like) if like is not None else None,
        companies=_lowered(request, "company:in"),
        group_ids=frozenset(groups) if groups is not None else None,
        phones=frozenset(phones) if phones is not None else None,
        date_created=_dates(request, "date_created"),
        date_modified=_dates(request, "date_modified"),
        sort=field or "id",
        descending=way == "desc",
    )


def _includes(request: Request) -> frozenset[str]:
    raw = str_list_param(request, "include") or []
    unknown = set(raw) - INCLUDES
    if unknown:
        raise ApiProblem(422, f"The include '{','.join(sorted(unknown))}' is not supported.")
    return frozenset(raw)


def _cursor_link(request: Request, limit: int, **cursor: str) -> str:
    params = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in ("page", "limit", "after", "before")
    ]
    return "?" + urlencode([*params, ("limit", str(limit)), *cursor.items()], safe=",:")


def _cursor_meta(
    request: Request,
    page: list[Customer],
    query: CustomerQuery,
    *,
    limit: int,
    has_before: bool,
    has_after: bool,
) -> Json:
    meta: Json = {"count": len(page), "per_page": limit}
    links: Json = {}
    if page:
        start = ops.encode_cursor(page[0], query.sort)
        end = ops.encode_cursor(page[-1], query.sort)
        meta["start_cursor"], meta["end_cursor"] = start, end
        if has_before:
            links["previous"] = _cursor_link(request, limit, before=start)
        if has_after:
            links["next"] = _cursor_link(request, limit, after=end)
    current = {k: v for k in ("after", "before") if (v := request.query_params.get(k))}
    links["current"] = _cursor_link(request, limit, **current)
    meta["links"] = links
    return meta


async def list_customers(request: Request) -> Response:
    query = customer_query(request)
    includes = _includes(request)
    customers = ops.select_customers(store_of(request).sales, query)
    after, before = request.query_params.get("after"), request.query_params.get("before")
    if after and before:
        raise ApiProblem(422, "The parameters 'before' and 'after' cannot be combined.")
    page_number, limit = page_and_limit(request)
    meta: Json
    if after or before:
        page, has_before, has_after = ops.cursor_window(
            customers, query.sort, after=after, before=before, limit=limit
        )
        meta = {
            "cursor_pagination": _cursor_meta(
                request, page, query, limit=limit, has_before=has_before, has_after=has_after
            )
        }
    else:
        page = customers.window((page_number - 1) * limit, page_number * limit)
        pagination = pagination_meta(
            request, total=len(customers), count=len(page), page=page_number, limit=limit
        )
        meta = {"pagination": pagination}
        if page_number == 1:
            meta["cursor_pagination"] = _cursor_meta(
                request,
                page,
                query,
                limit=limit,
                has_before=False,
                has_after=len(customers) > limit,
            )
    data = [customer_json(c, includes) for c in page]
    return json_response({"data": data, "meta": meta})


async def create_customers(request: Request) -> Response:
    created = ops.create_customers(sandbox_of(request), store_of(request), await json_body(request))
    every = frozenset({"addresses"})
    return json_response({"data": [customer_json(c, every) for c in created], "meta": {}})


async def update_customers(request: Request) -> Response:
    updated = ops.update_customers(sandbox_of(request), store_of(request), await json_body(request))
    return json_response({"data": [customer_json(c, frozenset()) for c in updated], "meta": {}})


async def delete_customers(request: Request) -> Response:
    try:
        ids = id_list_param(request, "id:in")
    except ApiProblem as problem:
        raise ApiProblem(422, problem.title) from None
    if ids:  # without a filter: 204 and nothing deleted, as documented
        ops.delete_customers(sandbox_of(request), store_of(request), ids)
    return no_content()


def _group(request: Request) -> Json:
    group = store_of(request).sales.customer_groups.get(int(request.path_params["group_id"]))
    if group is None:
        raise ApiProblem(404, "The requested resource was not found.")
    return group


async def list_groups(request: Request) -> Response:
    groups = list(store_of(request).sales.customer_groups.values())
    name = request.query_params.get("name")
    if name:
        groups = [g for g in groups if g["name"] == name]
    like = request.query_params.get("name:like")
    if like:
        groups = [g for g in groups if like.lower() in g["name"].lower()]
    return v2_list(request, groups)


async def count_groups(request: Request) -> Response:
    return json_response({"count": len(store_of(request).sales.customer_groups)})


async def get_group(request: Request) -> Response:
    return json_response(_group(request))


async def create_group(request: Request) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict) or not body.get("name"):
        raise ApiProblem(400, "Required fields missing [name]")
    store = store_of(request)
    group = ops.customer_group(
        store.next_id("customer_group"), str(body["name"]), now=sandbox_of(request).now()
    )
    for name in ("is_default", "category_access", "discount_rules", "is_group_for_guests"):
        if name in body:
            group[name] = body[name]
    store.sales.customer_groups[group["id"]] = group
    return json_response(group)


def customer_v2_json(customer: Customer, *, store_hash: str) -> Json:
    """The v2 view of a customer (customer_Full): the same record as v3, v2 field names."""
    return {
        "id": customer.id,
        "company": customer.company,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "date_created": rfc2822(customer.date_created),
        "date_modified": rfc2822(customer.date_modified),
        "store_credit": f"{customer.store_credit:.4f}",
        "registration_ip_address": customer.registration_ip_address,
        "customer_group_id": customer.customer_group_id,
        "notes": customer.notes,
        "tax_exempt_category": customer.tax_exempt_category,
        "reset_pass_on_login": customer.force_password_reset,
        "accepts_marketing": customer.accepts_product_review_abandoned_cart_emails,
        "addresses": link(store_hash, f"/customers/{customer.id}/addresses"),
        "form_fields": None,
    }


def address_v2_json(address: CustomerAddress) -> Json:
    """The v2 view of a customer address (customerAddress_Full)."""
    return {
        "id": address.id,
        "customer_id": address.customer_id,
        "first_name": address.first_name,
        "last_name": address.last_name,
        "company": address.company,
        "street_1": address.address1,
        "street_2": address.address2,
        "city": address.city,
        "state": address.state_or_province,
        "zip": address.postal_code,
        "country": address.country,
        "country_iso2": address.country_code,
        "phone": address.phone,
        "address_type": address.address_type,
    }


def _v2_customer(request: Request) -> Customer:
    customer = store_of(request).sales.customers.get(int(request.path_params["customer_id"]))
    if customer is None:
        raise ApiProblem(404, "The requested resource was not found.")
    return customer


async def list_customers_v2(request: Request) -> Response:
    store = store_of(request)
    customers = sorted(store.sales.customers.values(), key=lambda c: c.id)
    return v2_list(request, customers, render=lambda c: customer_v2_json(c, store_hash=store.hash))


async def count_customers_v2(request: Request) -> Response:
    return json_response({"count": len(store_of(request).sales.customers)})


async def get_customer_v2(request: Request) -> Response:
    return json_response(customer_v2_json(_v2_customer(request), store_hash=store_of(request).hash))


async def create_customer_v2(request: Request) -> Response:
    store = store_of(request)
    body = await json_body(request)
    customer = customers_v2.create_customer(sandbox_of(request), store, body)
    return json_response(customer_v2_json(customer, store_hash=store.hash))


async def update_customer_v2(request: Request) -> Response:
    store = store_of(request)
    customer = _v2_customer(request)
    body = await json_body(request)
    customers_v2.update_customer(sandbox_of(request), store, customer, body)
    return json_response(customer_v2_json(customer, store_hash=store.hash))


async def delete_customer_v2(request: Request) -> Response:
    customers_v2.delete_customer(sandbox_of(request), store_of(request), _v2_customer(request))
    return no_content()


async def list_addresses_v2(request: Request) -> Response:
    return v2_list(request, _v2_customer(request).addresses, render=address_v2_json)


async def count_addresses_v2(request: Request) -> Response:
    return json_response({"count": len(_v2_customer(request).addresses)})


async def get_address_v2(request: Request) -> Response:
    address_id = int(request.path_params["address_id"])
    for address in _v2_customer(request).addresses:
        if address.id == address_id:
            return json_response(address_v2_json(address))
    raise ApiProblem(404, "The requested resource was not found.")


routes = [
    Route("/v3/customers", list_customers, methods=["GET"]),
    Route("/v3/customers", create_customers, methods=["POST"]),
    Route("/v3/customers", update_customers, methods=["PUT"]),
    Route("/v3/customers", delete_customers, methods=["DELETE"]),
    Route("/v2/customers", list_customers_v2, methods=["GET"]),
    Route("/v2/customers", create_customer_v2, methods=["POST"]),
    Route("/v2/customers/count", count_customers_v2, methods=["GET"]),
    Route("/v2/customers/{customer_id:int}", get_customer_v2, methods=["GET"]),
    Route("/v2/customers/{customer_id:int}", update_customer_v2, methods=["PUT"]),
    Route("/v2/customers/{customer_id:int}", delete_customer_v2, methods=["DELETE"]),
    Route("/v2/customers/{customer_id:int}/addresses", list_addresses_v2, methods=["GET"]),
    Route("/v2/customers/{customer_id:int}/addresses/count", count_addresses_v2, methods=["GET"]),
    Route(
        "/v2/customers/{customer_id:int}/addresses/{address_id:int}",
        get_address_v2,
        methods=["GET"],
    ),
    Route("/v2/customer_groups", list_groups, methods=["GET"]),
    Route("/v2/customer_groups", create_group, methods=["POST"]),
    Route("/v2/customer_groups/count", count_groups, methods=["GET"]),
    Route("/v2/customer_groups/{group_id:int}", get_group, methods=["GET"]),
]
