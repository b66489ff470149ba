"""The API's OpenAPI document, `GET /api/v1/openapi.json` (API token or session needed).

It describes the `/api/v1` routes only (pages, health checks and the BigCommerce callbacks
are not part of the API). Every operation's error answers are RFC 9457 problems: the
document says so (`application/problem+json`, `ProblemDetails`) for 401 and for any other
error status, in place of FastAPI's own 422 schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi

from bigsync.web.auth import ApiUser
from bigsync.web.problems import PROBLEM_JSON, Problem, ProblemDetails

API_PREFIX = "/api/v1"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetails"}


def api_document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of `app`'s API routes (built once, then cached on the app)."""
    cached: dict[str, Any] | None = getattr(app.state, "api_openapi", None)
    if cached is not None:
        return cached
    document = get_openapi(
        title="bigsync API",
        version=app.version,
        description=(
            "The hub's JSON API. Authenticate with `Authorization: Bearer <API token>` "
            "(Settings → API tokens). Errors are RFC 9457 problem details; lists are "
            "paginated with `cursor` and `limit`."
        ),
        routes=app.routes,
        servers=[{"url": "/"}],
    )
    # Only the API's routes are in the schema (every other router is included with
    # include_in_schema=False); keep it so should one slip in.
    paths = document.get("paths", {})
    document["paths"] = {p: ops for p, ops in paths.items() if p.startswith(API_PREFIX + "/")}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["ProblemDetails"] = ProblemDetails.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = {"content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses["401"] = {"description": "Not authenticated", **problem}
            responses["default"] = {"description": "An error (problem details)", **problem}
    app.state.api_openapi = document
    return document


def route_table(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    """Every (path, methods) the app serves (mounts: methods empty), whatever the FastAPI
    version's way of keeping included routers."""
    try:
        from fastapi.routing import iter_route_contexts  # noqa: PLC0415 -- newer FastAPI
    except ImportError:  # pragma: no cover -- FastAPI that flattens included routers
        entries: list[Any] = list(app.routes)
    else:
        entries = list(iter_route_contexts(app.routes))
    table = []
    for entry in entries:
        path = getattr(entry, "path", None)
        if path is not None:
            table.append((str(path), frozenset(getattr(entry, "methods", None) or ())))
    return table


def reject_unknown_query(request: Request) -> None:
    """A 422 problem for a query parameter the operation does not have (a typo such as
    `?limt=10` is an error, not silently the default). Every API router is included with
    this dependency."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise Problem(
            422,
            "Invalid request",
            detail=f"unknown query parameter{'s' if len(unknown) > 1 else ''}: "
            + ", ".join(repr(name[:40]) for name in unknown[:5]),
        )


def _query_names(dependant: Any) -> set[str]:
    """The query parameters of a route's dependant and all its sub-dependencies."""
    names = {param.alias for param in getattr(dependant, "query_params", ())}
    for sub in getattr(dependant, "dependencies", ()):
        names |= _query_names(sub)
    return names


router = APIRouter(include_in_schema=False)


@router.get(OPENAPI_PATH)
async def openapi_json(request: Request, _user: ApiUser) -> dict[str, Any]:
    """The document (authenticated, like the API it describes)."""
    return api_document(request.app)
