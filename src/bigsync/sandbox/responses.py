"""Response bodies in BigCommerce's exact shapes: v3 envelopes, v2 bare bodies, both error forms.

Route handlers build their answers here and raise `ApiProblem` for errors; the app renders a
problem in the v2 or v3 shape according to the path it was raised under.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
STATUS_CODES_TYPE = "/api-docs/getting-started/api-status-codes"

V2_MESSAGES = {
    400: "The request was malformed.",
    401: "The authentication credentials are missing or invalid for this store.",
    403: "You do not have permission to make this request.",
    404: "The requested resource was not found.",
    405: "The requested method is not allowed for this resource.",
    409: "The request conflicts with the current state of the resource.",
    413: "The request payload is too large.",
    415: "The content type of the request is not supported.",
    422: "The request could not be processed.",
    429: "Too many requests.",
    500: "Internal server error.",
}


class ApiProblem(Exception):  # noqa: N818 -- a problem answer, not a failure of the sandbox
    """An error answer: `{status,title,type,errors}` under v3, `[{status,message}]` under v2."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        errors: Mapping[str, Any] | None = None,
        media_type: str = JSON,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.errors = dict(errors or {})
        self.media_type = media_type
        self.headers = dict(headers or {})
        self.body = body  # replaces the rendered shape entirely when set


def json_response(
    body: Any,
    status: int = 200,
    *,
    media_type: str = JSON,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Serialize with orjson; no per-record models."""
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    """204 with an empty body."""
    return Response(status_code=204, headers=headers)


def v3_object(data: Any, status: int = 200) -> Response:
    """A single v3 resource: `{"data": {...}, "meta": {}}`."""
    return json_response({"data": data, "meta": {}}, status)


def render_problem(problem: ApiProblem, *, v2: bool) -> Response:
    """The error body for `problem`, in the v2 or v3 shape."""
    if problem.body is not None:
        body = problem.body
    elif v2:
        body = [{"status": problem.status, "message": problem.title}]
    else:
        body = {
            "status": problem.status,
            "title": problem.title,
            "type": STATUS_CODES_TYPE,
            "errors": problem.errors,
        }
    return json_response(
        body, problem.status, media_type=problem.media_type, headers=problem.headers
    )


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    """An integer query parameter; 400 (v3) when it is not an integer."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiProblem(400, f"The value of '{name}' must be an integer.") from None


def parse_bool(raw: str | None) -> bool | None:
    """A boolean query value: `true`/`1`, `false`/`0` (any case); None when absent or empty.

    ValueError for anything else (each caller answers it in its own API's words).
    """
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ValueError(raw)


def id_list_param(request: Request, name: str) -> list[int] | None:
    """A comma-separated integer list (`id:in=1,2,3`), or None when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ApiProblem(400, f"The value of '{name}' must be a list of integers.") from None


def str_list_param(request: Request, name: str) -> list[str] | None:
    """A comma-separated string list (`sku:in=A,B`), or None when absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    return [part for part in raw.split(",") if part]


def page_and_limit(
    request: Request, *, default_limit: int = 50, max_limit: int = 250
) -> tuple[int, int]:
    """`page` (1-based) and `limit`; a limit above the maximum is refused with 413 as documented."""
    page = int_param(request, "page", 1) or 1
    limit = int_param(request, "limit", default_limit) or default_limit
    if page < 1:
        raise ApiProblem(400, "The value of 'page' must be 1 or greater.")
    if limit < 1:
        raise ApiProblem(400, "The value of 'limit' must be 1 or greater.")
    if limit > max_limit:
        raise ApiProblem(
            413,
            f"The request payload is too large. The maximum value for 'limit' is {max_limit}.",
        )
    return page, limit


def _link(request: Request, page: int, limit: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "limit")]
    return "?" + urlencode([*params, ("page", str(page)), ("limit", str(limit))], safe=",:")


def pagination_meta(
    request: Request, *, total: int, count: int, page: int, limit: int
) -> dict[str, Any]:
    """`meta.pagination` exactly as the v3 specs define it; links are relative query strings."""
    total_pages = max(1, math.ceil(total / limit)) if total else 0
    links: dict[str, str] = {"current": _link(request, page, limit)}
    if page > 1:
        links = {"previous": _link(request, page - 1, limit), **links}
    if page < total_pages:
        links["next"] = _link(request, page + 1, limit)
    return {
        "total": total,
        "count": count,
        "per_page": limit,
        "current_page": page,
        "total_pages": total_pages,
        "links": links,
    }


def v3_page(
    request: Request,
    items: Sequence[Any],
    *,
    default_limit: int = 50,
    max_limit: int = 250,
    render: Any = None,
) -> Response:
    """One page of a v3 offset-paginated list of already filtered, sorted `items`.

    `render`, when given, turns each item of the page into its response form (so only the
    page's records are rendered, never the whole collection).
    """
    page, limit = page_and_limit(request, default_limit=default_limit, max_limit=max_limit)
    window = items[(page - 1) * limit : page * limit]
    data = [render(item) for item in window] if render else list(window)
    meta = {
        "pagination": pagination_meta(
            request, total=len(items), count=len(data), page=page, limit=limit
        )
    }
    return json_response({"data": data, "meta": meta})


def v2_list(request: Request, items: Sequence[Any], *, render: Any = None) -> Response:
    """A page of a v2 list: a bare array; past the end 204 (or `200 []` if the store says so)."""
    page = int_param(request, "page", 1) or 1
    limit = int_param(request, "limit", 50) or 50
    if page < 1 or limit < 1:
        raise ApiProblem(400, "The values of 'page' and 'limit' must be 1 or greater.")
    if limit > 250:
        raise ApiProblem(413, "The maximum limit is 250.")
    window = items[(page - 1) * limit : page * limit]
    if not window:
        if getattr(request.state, "v2_empty_as_200", False):
            return json_response([])
        return no_content()
    return json_response([render(item) for item in window] if render else list(window))
