"""Inventory and locations: `/v3/inventory/items`, `/v3/inventory/adjustments/...`,
`/v3/inventory/locations...`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.catalog import inventory as ops
from bigsync.sandbox.catalog import locations
from bigsync.sandbox.catalog.query import int_set, items_matching, locations_matching
from bigsync.sandbox.catalog.render import inventory_item_json, location_item_json, location_json
from bigsync.sandbox.context import sandbox_of, store_of
from bigsync.sandbox.responses import json_response
from bigsync.sandbox.routes.catalog import page_of, read_json

# The specs state a 1,000-item payload limit for these reads; `limit` is capped there.
MAX_LIMIT = 1000


async def list_items(request: Request) -> Response:
    catalog = store_of(request).catalog
    params = request.query_params
    locations = locations_matching(
        catalog,
        {k: v for k, v in params.items() if k in ("location_id:in", "location_code:in")},
    )
    found = items_matching(catalog, params)
    return page_of(
        request, found, lambda item: inventory_item_json(item, locations), max_limit=MAX_LIMIT
    )


async def list_location_items(request: Request) -> Response:
    catalog = store_of(request).catalog
    location_id = request.path_params["location_id"]
    if location_id not in catalog.locations:
        raise ops.problem(404, f"Location {location_id} not found.")
    found = items_matching(catalog, request.query_params)
    return page_of(
        request, found, lambda item: location_item_json(item, location_id), max_limit=MAX_LIMIT
    )


async def update_location_items(request: Request) -> Response:
    body = await read_json(request)
    transaction = ops.update_settings(store_of(request), request.path_params["location_id"], body)
    return json_response({"transaction_id": transaction})


async def adjust_absolute(request: Request) -> Response:
    body = await read_json(request)
    transaction = ops.adjust(sandbox_of(request), store_of(request), body, relative=False)
    return json_response({"transaction_id": transaction})


async def adjust_relative(request: Request) -> Response:
    body = await read_json(request)
    transaction = ops.adjust(sandbox_of(request), store_of(request), body, relative=True)
    return json_response({"transaction_id": transaction})


async def list_locations(request: Request) -> Response:
    found = locations_matching(store_of(request).catalog, request.query_params)
    return page_of(request, found, location_json, max_limit=MAX_LIMIT)


async def create_locations(request: Request) -> Response:
    body = await read_json(request)
    transaction = locations.create_locations(sandbox_of(request), store_of(request), body)
    return json_response({"transaction_id": transaction})


async def update_locations(request: Request) -> Response:
    body = await read_json(request)
    transaction = locations.update_locations(sandbox_of(request), store_of(request), body)
    return json_response({"transaction_id": transaction})


async def delete_locations(request: Request) -> Response:
    ids = int_set(request.query_params, "location_id:in")
    if not ids:
        raise ops.problem(
            422, "The filter 'location_id:in' is required.", {"location_id:in": "required"}
        )
    transaction = locations.delete_locations(store_of(request), sorted(ids))
    return json_response({"transaction_id": transaction})


LOCATION_ITEMS = "/v3/inventory/locations/{location_id:int}/items"

routes = [
    Route("/v3/inventory/items", list_items, methods=["GET"]),
    Route("/v3/inventory/adjustments/absolute", adjust_absolute, methods=["PUT"]),
    Route("/v3/inventory/adjustments/relative", adjust_relative, methods=["POST"]),
    Route(LOCATION_ITEMS, list_location_items, methods=["GET"]),
    Route(LOCATION_ITEMS, update_location_items, methods=["PUT"]),
    Route("/v3/inventory/locations", list_locations, methods=["GET"]),
    Route("/v3/inventory/locations", create_locations, methods=["POST"]),
    Route("/v3/inventory/locations", update_locations, methods=["PUT"]),
    Route("/v3/inventory/locations", delete_locations, methods=["DELETE"]),
]
