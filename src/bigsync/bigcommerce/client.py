"""`BigCommerceClient`: one store's REST API — the only code that sends to BigCommerce.

Every request goes through the store's `RateGovernor` (concurrency bound, pacing, 429 holds),
is retried by the one decision in `retry.py`, and fails with an error from `bigsync.errors`
mapped in `mapping.py`. Lists come page by page, in page order, from the paginators in
`pagination.py`; pages known in advance are fetched concurrently with a bounded look-ahead.
Every wait (pacing, 429 holds, retry backoff) reads the `clock` and waits with the `sleep` the
client is given, so tests move time instead of waiting (`bigsync.bigcommerce.testing`).
The HTTP library underneath is `transport.py`'s choice: aiohttp over a real socket, httpx when
the client is given an httpx transport (in-process tests) or asked for HTTP/2.

    async with BigCommerceClient(credentials, base_url=settings.api_url) as client:
        store = await client.get("/v2/store")
        async for page in client.paginate_v3("/v3/catalog/products"):
            ...
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import quote, urlencode

import httpx
import orjson

from bigsync.bigcommerce.credentials import StoreCredentials
from bigsync.bigcommerce.mapping import (
    TRANSPORT_EXCEPTIONS,
    decode_body,
    error_for_status,
    error_for_transport,
)
from bigsync.bigcommerce.pagination import (
    CursorPaginator,
    Page,
    PageRequest,
    V2Paginator,
    V3OffsetPaginator,
)
from bigsync.bigcommerce.ratelimit import (
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_RESERVE_SHARE,
    Clock,
    RateGovernor,
    Sleep,
    governor_for,
)
from bigsync.bigcommerce.retry import REPEATABLE_METHODS, RetryPolicy, retry_wait
from bigsync.bigcommerce.transport import TransportOptions, open_transport
from bigsync.errors import ApiError, MalformedResponseError, RateLimitedError

log = logging.getLogger("bigsync.bigcommerce")

DEFAULT_BASE_URL = "https://api.bigcommerce.com"
USER_AGENT = f"bigsync/{importlib.metadata.version('bigsync')}"
_COUNT_IGNORES = frozenset({"page", "limit", "sort", "include", "consignment_structure"})


@dataclass(frozen=True)
class ClientOptions:
    """How a client talks to a store. The defaults suit a long crawl on any plan."""

    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    """Requests in flight per store (shared by every client of the store in the process)."""
    reserve_share: float = DEFAULT_RESERVE_SHARE
    """Share of each rate window left to the store's other apps."""
    lookahead: int | None = None
    """Pages fetched ahead of the one being consumed; default `max_concurrency`."""
    timeout_s: float = 60.0
    connect_timeout_s: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    http2: bool = False
    on_answer: Callable[[str, int, float], None] | None = None
    """Called after every answer with (store hash, status (0: none), seconds the request was
    held by the governor): how a process counts requests for its metrics."""

    def __post_init__(self) -> None:
        if self.max_concurrency < 1 or (self.lookahead is not None and self.lookahead < 1):
            raise ValueError("max_concurrency and lookahead must be at least 1")
        if not 0.0 <= self.reserve_share < 1.0:
            raise ValueError("reserve_share must be in [0, 1)")


@dataclass(frozen=True)
class ApiResponse:
    """A successful answer: status, headers (case-insensitive) and decoded body (None on 204)."""

    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass
class RequestStats:
    """What a client has done so far, for progress displays and benchmarks."""

    requests: int = 0
    """Requests sent (every attempt counts)."""
    retries: int = 0
    rate_limited: int = 0
    """429 answers received."""
    transport_errors: int = 0
    waited_s: float = 0.0
    """Time (by the client's clock) during which requests were held back by the governor."""
    by_status: Counter[int] = field(default_factory=Counter)
    _waited_until: float = field(default=0.0, repr=False)

    def add_wait(self, *, until: float, seconds: float) -> None:
        """Count a wait that ended at `until`, without counting overlapping waits twice."""
        start = max(until - seconds, self._waited_until)
        if until > start:
            self.waited_s += until - start
            self._waited_until = until


class Paginator(Protocol):
    """What `pagination.py` paginators offer."""

    def first(self) -> list[PageRequest]: ...

    def read(
        self, request: PageRequest, status: int, body: Any
    ) -> tuple[Page, list[PageRequest]]: ...


class BigCommerceClient:
    """One store's API. Use as an async context manager (or call `aclose()`).

    `clock` and `sleep` are the time every wait is measured and spent in; a `governor` passed
    in keeps its own.
    """

    def __init__(
        self,
        credentials: StoreCredentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        options: ClientOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        governor: RateGovernor | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self.options = options or ClientOptions()
        self.stats = RequestStats()
        self._governor = governor
        self._clock = clock
        self._sleep = sleep
        self._prefix = f"{self.base_url}/stores/{credentials.store_hash}"
        self._http = open_transport(
            {
                "X-Auth-Token": credentials.access_token,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            TransportOptions(
                max_connections=self.options.max_concurrency,
                timeout_s=self.options.timeout_s,
                connect_timeout_s=self.options.connect_timeout_s,
                http2=self.options.http2,
            ),
            transport,
        )

    def __repr__(self) -> str:
        store_hash = self.credentials.store_hash
        return f"BigCommerceClient(store_hash={store_hash!r}, base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    @property
    def governor(self) -> RateGovernor:
        """The store's rate governor (shared with every other client of the store)."""
        if self._governor is None:
            self._governor = governor_for(
                self.base_url,
                self.credentials.store_hash,
                max_concurrency=self.options.max_concurrency,
                reserve_share=self.options.reserve_share,
                clock=self._clock,
                sleep=self._sleep,
            )
        return self._governor

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` (`/v2/...` or `/v3/...`) and return the decoded body (None on 204)."""
        return (await self.request("GET", path, params=params)).body

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> ApiResponse:
        """Send one request, retrying what is safe to retry; raise a `bigsync.errors` error.

        `idempotent=True` marks a write that may be sent twice (an absolute PUT); by default
        only GET and HEAD are, and other methods are repeated only after a 429.
        """
        method = method.upper()
        _check_path(path)
        repeatable = method in REPEATABLE_METHODS if idempotent is None else idempotent
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._send(method, path, params=params, json=json)
            except ApiError as error:
                wait = self._retry_wait(error, attempt, started=started, repeatable=repeatable)
                if wait is None:
                    raise
                self.stats.retries += 1
                log.info("retrying %s %s in %.2fs after: %s", method, path, wait, error)
                if not isinstance(error, RateLimitedError):  # the governor holds after a 429
                    await self._sleep(wait)

    def _retry_wait(
        self, error: ApiError, attempt: int, *, started: float, repeatable: bool
    ) -> float | None:
        wait = retry_wait(
            error,
            attempt=attempt,
            headers=getattr(error, "headers", None),
            elapsed_s=self._clock() - started,
            repeatable=repeatable,
            policy=self.options.retry,
        )
        if isinstance(error, RateLimitedError):
            # Every request to the store waits, whether this one is repeated or not; but never
            # longer than the policy's time bound, or one absurd header would stall them all.
            asked = wait if wait is not None else error.retry_after_s or 0.0
            self.governor.hold(min(asked, self.options.retry.max_elapsed_s))
        return wait

    def _answered(self, status: int, waited_s: float) -> None:
        hook = self.options.on_answer
        if hook is not None:
            hook(self.credentials.store_hash, status, waited_s)

    async def _send(
        self, method: str, path: str, *, params: Mapping[str, Any] | None, json: Any
    ) -> ApiResponse:
        governor = self.governor
        async with governor.slot() as ticket:
            self.stats.add_wait(until=self._clock(), seconds=ticket.waited_s)
            self.stats.requests += 1
            try:
                response = await self._http.send(
                    method, self._prefix + path + _query(params), _json_body(json)
                )
            except TRANSPORT_EXCEPTIONS as exc:
                self.stats.transport_errors += 1
                self._answered(0, ticket.waited_s)
                raise error_for_transport(
                    exc, method=method, path=path, url=self._url(path)
                ) from exc
            governor.observe(ticket, response.headers)
        status = response.status
        self.stats.by_status[status] += 1
        self._answered(status, ticket.waited_s)
        log.debug("%s %s -> %s", method, path, status)
        try:
            body = decode_body(status, response.headers, response.content)
        except MalformedResponseError as error:
            raise MalformedResponseError(
                f"{method} {path}: {error}", method=method, url=self._url(path)
            ) from None
        if not 200 <= status < 300:
            if status == 429:
                self.stats.rate_limited += 1
            raise error_for_status(
                status,
                method=method,
                path=path,
                url=self._url(path),
                headers=response.headers,
                body=body,
            )
        return ApiResponse(status=status, headers=response.headers, body=body)

    def _url(self, path: str) -> str:
        return self._prefix + path

    # --- lists ----------------------------------------------------------------------------

    def paginate_v3(
        self, path: str, *, params: Mapping[str, Any] | None = None, start_page: int = 1
    ) -> AsyncIterator[Page]:
        """Every page of a v3 `page`/`limit` list, in order; pages after the first are fetched
        concurrently once the first tells how many there are. `start_page` resumes a crawl."""
        return self.paginate(path, V3OffsetPaginator(params, start_page=start_page))

    async def paginate_v2(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        count_path: str | None = None,
        start_page: int = 1,
    ) -> AsyncIterator[Page]:
        """Every page of a v2 list, in order. With `count_path` (e.g. `/v2/orders/count`, asked
        with the same filters) all pages are planned from the count and fetched concurrently;
        without it, pages are fetched one by one until 204, `[]` or a short page."""
        count = None
        if count_path is not None:
            filters = {k: v for k, v in (params or {}).items() if k not in _COUNT_IGNORES}
            body = await self.get(count_path, params=filters)
            count = _count_of(body)
        paginator = V2Paginator(params, start_page=start_page, count=count)
        async for page in self.paginate(path, paginator):
            yield page

    def paginate_cursor(
        self, path: str, *, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Page]:
        """Every page of a v3 cursor list (`after=<end_cursor>`), in order; an `after` in
        `params` resumes after that cursor. `Page.next_cursor` is the resume point."""
        return self.paginate(path, CursorPaginator(params))

    async def paginate(self, path: str, paginator: Paginator) -> AsyncIterator[Page]:
        """The pages `paginator` asks for, read and yielded in page order. Requests already
        known run ahead of the consumer, at most `lookahead` at a time. Empty pages are not
        yielded. Leaving the loop early (use `contextlib.aclosing`) cancels what runs ahead."""
        lookahead = self.options.lookahead or self.options.max_concurrency
        pending: deque[PageRequest] = deque(paginator.first())
        running: deque[tuple[PageRequest, asyncio.Task[ApiResponse]]] = deque()
        try:
            while pending or running:
                while pending and len(running) < lookahead:
                    request = pending.popleft()
                    fetch = self.request("GET", path, params=request.params)
                    running.append((request, asyncio.ensure_future(fetch)))
                request, task = running.popleft()
                response = await task
                page, more = paginator.read(request, response.status, response.body)
                pending.extend(more)
                if page.items:
                    yield page
        finally:
            for _, task in running:
                task.cancel()
            await asyncio.gather(*(task for _, task in running), return_exceptions=True)


def _check_path(path: str) -> None:
    if not (path.startswith(("/v2/", "/v3/")) or path in ("/v2", "/v3")):
        raise ValueError(f"API paths start with /v2/ or /v3/, not {path[:40]!r}")


def _query(params: Mapping[str, Any] | None) -> str:
    """`?a=1&b=x%2Cy` (percent-encoded, as httpx encodes params), or "" without params."""
    if not params:
        return ""
    pairs = [(k, _query_value(v)) for k, v in params.items() if v is not None]
    return "?" + urlencode(pairs, quote_via=quote) if pairs else ""


def _json_body(value: Any) -> bytes | None:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(str(v) for v in value)
    return value


def _count_of(body: Any) -> int:
    count = body.get("count") if isinstance(body, Mapping) else None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise MalformedResponseError("the count answer has no usable `count`")
    return count
