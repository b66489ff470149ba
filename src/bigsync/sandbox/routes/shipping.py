"""Shipping zones and methods: `/v2/shipping/zones[/{id}[/methods[/{id}]]]`
(spec: shipping.v2.yml). Status codes as declared: POST zone 201, POST method 200, PUT 200,
DELETE 204. Zone and method lists are bare arrays (`[]` when empty, never 204).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.context import store_of
from bigsync.sandbox.responses import json_response, no_content
from bigsync.sandbox.routes.orders import json_body
from bigsync.sandbox.sales import shipping as ops


def _zone_id(request: Request) -> int:
    return int(request.path_params["zone_id"])


def _method_id(request: Request) -> int:
    return int(request.path_params["method_id"])


async def list_zones(request: Request) -> Response:
    return json_response(list(store_of(request).sales.shipping_zones.values()))


async def create_zone(request: Request) -> Response:
    return json_response(ops.add_zone(store_of(request), await json_body(request)), 201)


async def get_zone(request: Request) -> Response:
    return json_response(ops.get_zone(store_of(request), _zone_id(request)))


async def update_zone(request: Request) -> Response:
    zone = ops.update_zone(store_of(request), _zone_id(request), await json_body(request))
    return json_response(zone)


async def delete_zone(request: Request) -> Response:
    ops.delete_zone(store_of(request), _zone_id(request))
    return no_content()


async def list_methods(request: Request) -> Response:
    return json_response(list(ops.methods_of(store_of(request), _zone_id(request)).values()))


async def create_method(request: Request) -> Response:
    method = ops.add_method(store_of(request), _zone_id(request), await json_body(request))
    return json_response(method)


async def get_method(request: Request) -> Response:
    return json_response(ops.get_method(store_of(request), _zone_id(request), _method_id(request)))


async def update_method(request: Request) -> Response:
    body = await json_body(request)
    method = ops.update_method(store_of(request), _zone_id(request), _method_id(request), body)
    return json_response(method)


async def delete_method(request: Request) -> Response:
    ops.delete_method(store_of(request), _zone_id(request), _method_id(request))
    return no_content()


ZONE = "/v2/shipping/zones/{zone_id:int}"
METHOD = ZONE + "/methods/{method_id:int}"

routes = [
    Route("/v2/shipping/zones", list_zones, methods=["GET"]),
    Route("/v2/shipping/zones", create_zone, methods=["POST"]),
    Route(ZONE, get_zone, methods=["GET"]),
    Route(ZONE, update_zone, methods=["PUT"]),
    Route(ZONE, delete_zone, methods=["DELETE"]),
    Route(ZONE + "/methods", list_methods, methods=["GET"]),
    Route(ZONE + "/methods", create_method, methods=["POST"]),
    Route(METHOD, get_method, methods=["GET"]),
    Route(METHOD, update_method, methods=["PUT"]),
    Route(METHOD, delete_method, methods=["DELETE"]),
]
