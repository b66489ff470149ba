"""Store information: `GET /v2/store`, `GET /v2/time`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.context import sandbox_of
from bigsync.sandbox.dates import unix
from bigsync.sandbox.responses import json_response


async def get_time(request: Request) -> Response:
    return json_response({"time": unix(sandbox_of(request).now())})


routes = [Route("/v2/time", get_time, methods=["GET"])]
