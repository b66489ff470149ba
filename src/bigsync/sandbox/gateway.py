"""What every `/stores/{hash}/...` request passes through before its handler runs.

Order: find the store, authenticate the token, check the scope, take a unit of the store's
rate quota, apply injected faults, run the handler; every answer carries the rate headers.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from bigsync.sandbox.context import sandbox_of
from bigsync.sandbox.responses import ApiProblem, render_problem

Endpoint = Callable[[Request], Awaitable[Response]]

UNAUTHORIZED_V3 = (
    "Unauthorized - the v3 Auth client ID or token in the request are not a valid "
    "combination for this store."
)


def gateway(endpoint: Endpoint) -> Endpoint:
    """Wrap a store API handler with authentication and error rendering."""

    @functools.wraps(endpoint)
    async def handle(request: Request) -> Response:
        is_v2 = request.url.path.split("/", 4)[3:4] == ["v2"]
        try:
            sandbox = sandbox_of(request)
            store = sandbox.stores.get(request.path_params["store_hash"])
            if store is None:
                raise ApiProblem(404, "The requested store was not found.")
            account = store.account_for(request.headers.get("x-auth-token"))
            if account is None:
                raise ApiProblem(401, UNAUTHORIZED_V3)
            request.state.store = store
            request.state.account = account
            request.state.v2_empty_as_200 = store.v2_empty_as_200
            return await endpoint(request)
        except ApiProblem as problem:
            return render_problem(problem, v2=is_v2)

    return handle
