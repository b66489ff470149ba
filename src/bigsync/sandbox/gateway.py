"""What every `/stores/{hash}/...` request passes through before its handler runs.

Order: find the store (404), apply its inventory writes now due, authenticate the token
(401; `X-Auth-Client` is ignored; a token of another store is 401, or 403 when the store's
`foreign_token_status` says so), take one unit of the store's rate quota (429), find the
handler (404/405), check the scope (403), check `Accept` (406) and the body's
`Content-Type` (415), wait the added latency, apply injected faults, run the handler. Every
answer of a known store carries the four `X-Rate-Limit-*` headers (a 401 shows the window
without spending from it) and is counted in the store's stats.

The gateway is one plain async function per path, not a middleware: the handlers of all
methods of a path share it, so a wrong method gets the API's 405 body with rate headers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bigsync.sandbox.backend import Sandbox, StoreState
from bigsync.sandbox.faults import ConnectionDropped, FaultSpec
from bigsync.sandbox.ratelimit import RateDecision
from bigsync.sandbox.responses import (
    STATUS_CODES_TYPE,
    V2_MESSAGES,
    ApiProblem,
    render_problem,
)
from bigsync.sandbox.scopes import is_granted, required_scopes

Endpoint = Callable[[Request], Awaitable[Response]]

STORE_PREFIX = "/stores/{store_hash}"
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

UNAUTHORIZED_V3 = (
    "Unauthorized - the v3 Auth client ID or token in the request are not a valid "
    "combination for this store."
)
FORBIDDEN_V3 = "Unauthorized Access. You do not have permission to make this request."
TOO_MANY_REQUESTS = "Too many requests. The rate limit of this store has been reached."
STORE_NOT_FOUND = "The requested store was not found."
_ACCEPTABLE = ("json", "*/*", "application/*")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_BODY_TYPES = ("json", "multipart/form-data")


def _problem(status: int, title: str, *, v2: bool) -> ApiProblem:
    """401/403 as documented: v3 `{status,title,type}` (no `errors`); v2 `[{status,message}]`.

    No v2 spec documents these bodies; the v2 shape follows the v2 error convention.
    """
    if v2:
        return ApiProblem(status, title, body=[{"status": status, "message": V2_MESSAGES[status]}])
    return ApiProblem(
        status, title, body={"status": status, "title": title, "type": STATUS_CODES_TYPE}
    )


def _fault_problem(status: int) -> ApiProblem:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Injected fault"
    return ApiProblem(status, V2_MESSAGES.get(status, phrase))


class DroppedConnection(Response):
    """Sends the status line, headers and half the body, then aborts the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = len(self.body) + 1  # more than will ever arrive, even for an empty body
        headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        headers.append((b"content-length", str(declared).encode()))
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        half = bytes(self.body[: len(self.body) // 2])
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise ConnectionDropped("connection dropped by an injected fault")


def truncated(response: Response) -> Response:
    """The same answer with its body cut in half (and a Content-Length that matches)."""
    body = bytes(response.body)
    cut = Response(body[: len(body) // 2], status_code=response.status_code)
    cut.raw_headers = [
        *(h for h in response.raw_headers if h[0] != b"content-length"),
        (b"content-length", str(len(body) // 2).encode()),
    ]
    return cut


class StoreEndpoint:
    """One store API path (a route template) and its handlers by method, behind the gateway.

    With no handlers at all it is the catch-all that answers 404 in the API's shape.
    """

    def __init__(self, path: str, handlers: dict[str, Endpoint]) -> None:
        self.path = path
        self.handlers = dict(handlers)
        if "GET" in self.handlers:
            self.handlers.setdefault("HEAD", self.handlers["GET"])
        self.required = required_scopes(path)
        self.is_v2 = path.startswith("/v2/")
        self.keys = {method: f"{method} {path}" for method in ALL_METHODS}

    async def handle(self, request: Request) -> Response:
        """Run the request through the gateway and, if it passes, its handler."""
        scope = request.scope
        sandbox: Sandbox = request.app.state.sandbox
        store_hash: str = request.path_params["store_hash"]
        full_path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and full_path.startswith(root_path):  # the app is mounted under a prefix
            full_path = full_path[len(root_path) :]
        path = full_path[len("/stores/") + len(store_hash) :]  # e.g. `/v3/catalog/products`
        is_v2 = self.is_v2 if self.handlers else path.startswith("/v2/")
        store = sandbox.stores.get(store_hash)
        if store is None:
            return render_problem(ApiProblem(404, STORE_NOT_FOUND), v2=is_v2)
        method: str = scope["method"]
        key = self.keys.get(method) or f"{method} {self.path}"
        now = sandbox.clock.now()
        now_ms = now.timestamp() * 1000.0
        store.inventory_queue.settle(now)  # due inventory writes show in this answer
        token = request.headers.get("x-auth-token")
        account = store.account_for(token)
        if account is None:
            problem = _unauthorized(sandbox, store, token, v2=is_v2)
            return _finish(store, key, render_problem(problem, v2=is_v2), store.rate.peek(now_ms))
        decision = store.rate.take(now_ms)
        try:
            if not decision.allowed:
                raise ApiProblem(429, TOO_MANY_REQUESTS)
            handler = self._handler_for(method)
            if not is_granted(account.scopes, self.required, method):
                raise _problem(403, FORBIDDEN_V3, v2=is_v2)
            _check_media_types(request, method)
            plan = sandbox.faults.plan(store_hash, method, path, now)
            delay_ms = sandbox.latency_ms + plan.latency_ms
            if delay_ms > 0:
                await asyncio.sleep(delay_ms / 1000.0)
            request.state.store = store
            request.state.account = account
            request.state.v2_empty_as_200 = store.v2_empty_as_200
            if plan.terminal is not None:
                return await self._fault(
                    plan.terminal,
                    request=request,
                    handler=handler,
                    store=store,
                    key=key,
                    now_ms=now_ms,
                )
            response = await handler(request)
        except ApiProblem as problem:
            response = render_problem(problem, v2=is_v2)
        return _finish(store, key, response, decision)

    def _handler_for(self, method: str) -> Endpoint:
        handler = self.handlers.get(method)
        if handler is None:
            if self.handlers:
                raise ApiProblem(405, V2_MESSAGES[405])
            raise ApiProblem(404, V2_MESSAGES[404])
        return handler

    async def _fault(
        self,
        fault: FaultSpec,
        *,
        request: Request,
        handler: Endpoint,
        store: StoreState,
        key: str,
        now_ms: float,
    ) -> Response:
        is_v2 = self.is_v2
        decision = store.rate.peek(now_ms)
        if fault.kind == "error":
            return _finish(
                store, key, render_problem(_fault_problem(fault.status), v2=is_v2), decision
            )
        if fault.kind == "rate_limit":
            response = render_problem(ApiProblem(429, TOO_MANY_REQUESTS), v2=is_v2)
            if not fault.with_headers:
                store.stats.record(key, 429)
                return response
            return _finish(store, key, response, store.rate.exhaust(now_ms))
        if fault.run_handler or fault.kind == "truncate":
            try:
                response = await handler(request)
            except ApiProblem as problem:
                response = render_problem(problem, v2=is_v2)
        else:
            response = render_problem(_fault_problem(500), v2=is_v2)
        if fault.kind == "truncate":
            return _finish(store, key, truncated(response), decision)
        dropped = DroppedConnection(bytes(response.body), status_code=response.status_code)
        dropped.raw_headers = list(response.raw_headers)
        store.stats.record(key, 0)
        return dropped


def _unauthorized(
    sandbox: Sandbox, store: StoreState, token: str | None, *, v2: bool
) -> ApiProblem:
    """401 for a missing or unknown token; 403 for another store's token if the store says so."""
    if store.foreign_token_status == 403 and any(
        other.account_for(token) for other in sandbox.stores.values()
    ):
        return _problem(403, FORBIDDEN_V3, v2=v2)
    return _problem(401, UNAUTHORIZED_V3, v2=v2)


def _check_media_types(request: Request, method: str) -> None:
    """406 for an Accept that rules JSON out; 415 for a body declared as neither JSON nor
    multipart (a body without Content-Type is left to the handler, which parses it as JSON)."""
    accept = request.headers.get("accept")
    if accept and not any(kind in accept for kind in _ACCEPTABLE):
        raise ApiProblem(406, "The requested representation is not available.")
    if method in _BODY_METHODS:
        content_type = request.headers.get("content-type")
        if content_type and not any(kind in content_type for kind in _BODY_TYPES):
            raise ApiProblem(415, V2_MESSAGES[415])


def _finish(store: StoreState, key: str, response: Response, decision: RateDecision) -> Response:
    response.raw_headers.extend(decision.headers)
    store.stats.record(key, response.status_code)
    return response


def mount_store_routes(routes: Iterable[Route]) -> list[Route]:
    """The store API routes under `/stores/{store_hash}`, one gateway per path, plus a catch-all.

    Routes sharing a path are merged (first registration of a method wins); the order of first
    appearance is kept, so modules control which template matches first.
    """
    by_path: dict[str, dict[str, Endpoint]] = {}
    for route in routes:
        handlers = by_path.setdefault(route.path, {})
        for method in sorted(route.methods or ("GET",)):
            handlers.setdefault(method, route.endpoint)
    endpoints = [StoreEndpoint(path, handlers) for path, handlers in by_path.items()]
    endpoints.append(StoreEndpoint("/{rest:path}", {}))
    return [
        Route(STORE_PREFIX + endpoint.path, endpoint.handle, methods=list(ALL_METHODS))
        for endpoint in endpoints
    ]
