"""Orders: `/v2/orders` (list, count, CRUD, archive), order products, shipping addresses,
shipments, `/v2/order_statuses`, and `/v3/orders/{id}/transactions`
(specs: orders.v2.oas2.yml, orders.v3.yml).

Decided where the docs are silent (API-NOTES §6.3, §7.5, §13): `limit` above 250 is a 413;
a page past the end is 204 (or `200 []` when the store is switched to it); date filters
take RFC 2822, ISO 8601 or Unix seconds, and a value that parses as none of them (such as
an ISO offset whose `+` was not sent as `%2B` and arrived as a space) is a 400; `include`
of consignments without `consignment_structure=object` answers the consignments link.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.context import sandbox_of, store_of
from bigsync.sandbox.dates import parse_filter_date
from bigsync.sandbox.responses import ApiProblem, json_response, no_content, v2_list
from bigsync.sandbox.sales import fulfilment, views
from bigsync.sandbox.sales import orders as ops
from bigsync.sandbox.sales.order_query import SORT_FIELDS, OrderQuery, select_orders
from bigsync.sandbox.sales.records import ORDER_STATUSES, STATUS_NAMES, Json, Order
from bigsync.sandbox.sales.views import transaction_json

INCLUDES = frozenset({"consignments", "consignments.line_items", "fees"})


async def json_body(request: Request) -> Any:
    """The request's JSON body; 400 when it is not JSON."""
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiProblem(400, "The request body is not valid JSON.") from None


def _int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiProblem(400, f"The value of '{name}' must be an integer.") from None


def _money(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return round(float(raw) * 100)
    except ValueError:
        raise ApiProblem(400, f"The value of '{name}' must be a number.") from None


def _date(request: Request, name: str) -> Any:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_filter_date(raw, now=sandbox_of(request).now())
    except ValueError:
        raise ApiProblem(
            400,
            f"The value of '{name}' is not a valid RFC 2822 or ISO 8601 date "
            "(send '+' in an offset as %2B).",
        ) from None


def _text(request: Request, name: str) -> str | None:
    return request.query_params.get(name) or None


def order_query(request: Request) -> OrderQuery:
    """The filters and sort of an orders request."""
    sort, _, direction = (request.query_params.get("sort") or "id").partition(":")
    if sort not in SORT_FIELDS or direction not in ("", "asc", "desc"):
        raise ApiProblem(400, f"The sort '{request.query_params['sort']}' is not supported.")
    return OrderQuery(
        min_id=_int(request, "min_id"),
        max_id=_int(request, "max_id"),
        min_total=_money(request, "min_total"),
        max_total=_money(request, "max_total"),
        customer_id=_int(request, "customer_id"),
        email=_text(request, "email"),
        status_id=_int(request, "status_id"),
        cart_id=_text(request, "cart_id"),
        payment_method=_text(request, "payment_method"),
        min_date_created=_date(request, "min_date_created"),
        max_date_created=_date(request, "max_date_created"),
        min_date_modified=_date(request, "min_date_modified"),
        max_date_modified=_date(request, "max_date_modified"),
        channel_id=_int(request, "channel_id"),
        external_order_id=_text(request, "external_order_id"),
        sort=sort,
        descending=direction == "desc",
    )


def _renderer(request: Request) -> Any:
    """How to render each order of this request, `include` and all."""
    store_hash = store_of(request).hash
    raw = request.query_params.get("include") or ""
    includes = frozenset(part for part in raw.split(",") if part)
    if includes - INCLUDES:
        raise ApiProblem(400, f"The include '{raw}' is not supported.")
    as_object = request.query_params.get("consignment_structure") == "object"
    with_lines = "consignments.line_items" in includes
    with_consignments = with_lines or "consignments" in includes

    def render(order: Order) -> Json:
        body = views.order_json(store_hash, order)
        if with_consignments:
            body["consignments"] = (
                views.consignments_json(store_hash, order, line_items=with_lines)
                if as_object
                else views.link(store_hash, f"/orders/{order.id}/consignments")
            )
        if "fees" in includes:
            body["fees"] = []
        return body

    return render


def _order(request: Request) -> Order:
    return ops.get_order(store_of(request), int(request.path_params["order_id"]))


async def list_orders(request: Request) -> Response:
    orders = select_orders(store_of(request).sales, order_query(request))
    return v2_list(request, orders, render=_renderer(request))


async def count_orders(request: Request) -> Response:
    counts: dict[int, int] = {}
    for order in select_orders(store_of(request).sales, order_query(request)):
        counts[order.status_id] = counts.get(order.status_id, 0) + 1
    return json_response(views.orders_count_json(counts))


async def create_order(request: Request) -> Response:
    render = _renderer(request)  # a bad `include` is refused before anything is created
    order = ops.create_order(sandbox_of(request), store_of(request), await json_body(request))
    return json_response(render(order))


async def archive_all(request: Request) -> Response:
    sandbox, store = sandbox_of(request), store_of(request)
    for order in list(store.sales.orders.values()):
        ops.archive_order(sandbox, store, order)
    return no_content()


async def get_order(request: Request) -> Response:
    return json_response(_renderer(request)(_order(request)))


async def update_order(request: Request) -> Response:
    order = _order(request)
    ops.update_order(sandbox_of(request), store_of(request), order, await json_body(request))
    return json_response(views.order_json(store_of(request).hash, order))


async def archive_order(request: Request) -> Response:
    ops.archive_order(sandbox_of(request), store_of(request), _order(request))
    return no_content()


async def list_products(request: Request) -> Response:
    return v2_list(request, _order(request).products, render=views.order_product_json)


async def get_product(request: Request) -> Response:
    line = ops.find_by_id(_order(request).products, int(request.path_params["product_id"]))
    return json_response(views.order_product_json(line))


async def list_coupons(request: Request) -> Response:
    _order(request)
    return v2_list(request, [])


async def list_addresses(request: Request) -> Response:
    order = _order(request)
    store_hash = store_of(request).hash
    return v2_list(
        request,
        order.shipping_addresses,
        render=lambda a: views.shipping_address_json(store_hash, order, a),
    )


def _address(request: Request, order: Order) -> Any:
    raw = str(request.path_params.get("address_id"))
    try:
        return ops.get_shipping_address(order, int(raw))
    except (TypeError, ValueError):
        raise ApiProblem(404, "The requested resource was not found.") from None


async def get_address(request: Request) -> Response:
    order = _order(request)
    address = _address(request, order)
    return json_response(views.shipping_address_json(store_of(request).hash, order, address))


async def update_address(request: Request) -> Response:
    order = _order(request)
    address = _address(request, order)
    body = await json_body(request)
    ops.update_shipping_address(sandbox_of(request), store_of(request), order, address, body)
    return json_response(views.shipping_address_json(store_of(request).hash, order, address))


async def shipping_quotes(request: Request) -> Response:
    """Quotes exist only for storefront checkouts: API and sandbox orders answer 204."""
    _address(request, _order(request))
    return no_content()


async def get_consignments(request: Request) -> Response:
    order = _order(request)
    with_lines = "consignments.line_items" in (request.query_params.get("include") or "")
    return json_response(
        views.consignments_json(store_of(request).hash, order, line_items=with_lines)
    )


async def list_shipments(request: Request) -> Response:
    order = _order(request)
    if not order.shipments:  # documented: 204 when the order has no shipments
        return no_content()
    return v2_list(request, order.shipments, render=lambda s: views.shipment_json(order, s))


async def count_shipments(request: Request) -> Response:
    return json_response({"count": len(_order(request).shipments)})


async def create_shipment(request: Request) -> Response:
    order = _order(request)
    body = await json_body(request)
    shipment = fulfilment.create_shipment(sandbox_of(request), store_of(request), order, body)
    return json_response(views.shipment_json(order, shipment), 201)


async def delete_shipments(request: Request) -> Response:
    order = _order(request)
    for shipment in list(order.shipments):
        fulfilment.delete_shipment(sandbox_of(request), store_of(request), order, shipment)
    return no_content()


def _shipment(request: Request, order: Order) -> Any:
    return fulfilment.get_shipment(order, int(request.path_params["shipment_id"]))


async def get_shipment(request: Request) -> Response:
    order = _order(request)
    return json_response(views.shipment_json(order, _shipment(request, order)))


async def update_shipment(request: Request) -> Response:
    order = _order(request)
    shipment = _shipment(request, order)
    body = await json_body(request)
    fulfilment.update_shipment(sandbox_of(request), store_of(request), order, shipment, body)
    return json_response(views.shipment_json(order, shipment))


async def delete_shipment(request: Request) -> Response:
    order = _order(request)
    fulfilment.delete_shipment(
        sandbox_of(request), store_of(request), order, _shipment(request, order)
    )
    return no_content()


async def list_statuses(request: Request) -> Response:
    return json_response(views.order_statuses_json())


async def get_status(request: Request) -> Response:
    status_id = int(request.path_params["status_id"])
    if status_id not in STATUS_NAMES:
        raise ApiProblem(404, "The requested resource was not found.")
    description = next(d for s, _, d in ORDER_STATUSES if s == status_id)
    return json_response(views.status_json(status_id, description=description))


async def list_transactions(request: Request) -> Response:
    order = store_of(request).sales.orders.get(int(request.path_params["order_id"]))
    if order is None:
        raise ApiProblem(404, "The resource was not found.")
    if not order.transactions:  # documented: 204 when the order has no transactions
        return no_content()
    data = [transaction_json(t) for t in order.transactions]
    total = len(data)
    meta = {
        "pagination": {
            "total": total,
            "count": total,
            "per_page": max(50, total),
            "current_page": 1,
            "total_pages": 1,
            "links": {"current": "?page=1&limit=50"},
        }
    }
    return json_response({"data": data, "meta": meta})


ORDER = "/v2/orders/{order_id:int}"

routes = [
    Route("/v2/orders", list_orders, methods=["GET"]),
    Route("/v2/orders", create_order, methods=["POST"]),
    Route("/v2/orders", archive_all, methods=["DELETE"]),
    Route("/v2/orders/count", count_orders, methods=["GET"]),
    Route(ORDER, get_order, methods=["GET"]),
    Route(ORDER, update_order, methods=["PUT"]),
    Route(ORDER, archive_order, methods=["DELETE"]),
    Route(ORDER + "/products", list_products, methods=["GET"]),
    Route(ORDER + "/products/{product_id:int}", get_product, methods=["GET"]),
    Route(ORDER + "/coupons", list_coupons, methods=["GET"]),
    Route(ORDER + "/consignments", get_consignments, methods=["GET"]),
    Route(ORDER + "/shipping_addresses", list_addresses, methods=["GET"]),
    Route(ORDER + "/shipping_addresses/{address_id}", get_address, methods=["GET"]),
    Route(ORDER + "/shipping_addresses/{address_id}", update_address, methods=["PUT"]),
    Route(
        ORDER + "/shipping_addresses/{address_id}/shipping_quotes", shipping_quotes, methods=["GET"]
    ),
    Route(ORDER + "/shipments", list_shipments, methods=["GET"]),
    Route(ORDER + "/shipments", create_shipment, methods=["POST"]),
    Route(ORDER + "/shipments", delete_shipments, methods=["DELETE"]),
    Route(ORDER + "/shipments/count", count_shipments, methods=["GET"]),
    Route(ORDER + "/shipments/{shipment_id:int}", get_shipment, methods=["GET"]),
    Route(ORDER + "/shipments/{shipment_id:int}", update_shipment, methods=["PUT"]),
    Route(ORDER + "/shipments/{shipment_id:int}", delete_shipment, methods=["DELETE"]),
    Route("/v2/order_statuses", list_statuses, methods=["GET"]),
    Route("/v2/order_statuses/{status_id:int}", get_status, methods=["GET"]),
    Route("/v3/orders/{order_id:int}/transactions", list_transactions, methods=["GET"]),
]
