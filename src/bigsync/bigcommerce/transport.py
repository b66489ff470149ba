"""The HTTP libraries under `BigCommerceClient`: aiohttp over real sockets, httpx in process.

    open_transport(headers, options, transport)   the sender for one client
    Answer(status, headers, content)              what a sender returns (body read in full)

A client given an `httpx.AsyncBaseTransport` (tests: `httpx.ASGITransport` into the sandbox
app in process) or asked for HTTP/2 sends through httpx; otherwise through aiohttp, whose
per-request CPU is several times smaller (bench/client_transport.py). Both send the same
request: the client builds the URL with its query and the JSON body once; both keep one
keep-alive pool sized to the store's concurrency, never follow redirects, and leave every
retry to `retry.py` (aiohttp's own resend of a request on a reused connection is switched
off). Exceptions stay the library's own: `mapping.py` turns them into bigsync errors.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL


@dataclass(frozen=True, slots=True)
class TransportOptions:
    """What the senders need from `ClientOptions`."""

    max_connections: int
    timeout_s: float
    connect_timeout_s: float
    http2: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer read in full: status, headers (case-insensitive), body bytes (decompressed)."""

    status: int
    headers: Mapping[str, str]
    content: bytes


class Sender(Protocol):
    """Sends one request to an absolute URL and reads the whole answer."""

    async def send(self, method: str, url: str, body: bytes | None) -> Answer: ...

    async def aclose(self) -> None: ...


JSON_HEADERS = {"Content-Type": "application/json"}


def open_transport(
    headers: Mapping[str, str],
    options: TransportOptions,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Sender:
    """The sender for a client: httpx when given an httpx transport or asked for HTTP/2,
    aiohttp otherwise. `headers` go with every request."""
    if transport is not None or options.http2:
        return HttpxSender(headers, options, transport)
    return AiohttpSender(headers, options)


class HttpxSender:
    """httpx: in process over `httpx.ASGITransport`, or HTTP/2."""

    def __init__(
        self,
        headers: Mapping[str, str],
        options: TransportOptions,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        limits = httpx.Limits(
            max_connections=options.max_connections,
            max_keepalive_connections=options.max_connections,
        )
        self._http = httpx.AsyncClient(
            headers=dict(headers),
            timeout=httpx.Timeout(options.timeout_s, connect=options.connect_timeout_s),
            limits=limits,
            transport=transport,
            http2=options.http2,
            follow_redirects=False,
        )

    async def send(self, method: str, url: str, body: bytes | None) -> Answer:
        headers = JSON_HEADERS if body is not None else None
        response = await self._http.request(method, url, content=body, headers=headers)
        return Answer(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        await self._http.aclose()


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """The TLS context of every aiohttp session of the process: httpx's trust store
    (certifi), loaded once (loading it costs more CPU than a small store's sync requests)."""
    return httpx.create_ssl_context()


class AiohttpSender:
    """aiohttp over a real socket. The session is opened on the first request (aiohttp binds
    it to the running event loop), so a client can be built outside one."""

    def __init__(self, headers: Mapping[str, str], options: TransportOptions) -> None:
        self._headers = dict(headers)
        self._options = options
        self._session: aiohttp.ClientSession | None = None
        self._proxy: URL | None = None
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=options.connect_timeout_s,
            sock_read=options.timeout_s,
        )

    def _open(self, url: URL) -> aiohttp.ClientSession:
        # A proxy from the environment (HTTPS_PROXY, NO_PROXY...), as httpx honours it, looked
        # up once: aiohttp's trust_env would do it, and read ~/.netrc, in a thread per request.
        with suppress(LookupError):
            self._proxy, _ = get_env_proxy_for_url(url)
        connector = aiohttp.TCPConnector(
            limit=self._options.max_connections,
            limit_per_host=0,
            ssl=shared_ssl_context(),
        )
        session = aiohttp.ClientSession(
            connector=connector,
            headers=self._headers,
            timeout=self._timeout,
            cookie_jar=aiohttp.DummyCookieJar(),  # the API sets none; none to filter per request
            auto_decompress=True,
        )
        # aiohttp resends a GET, PUT or DELETE once when a reused connection fails; bigsync's
        # retry decision (retry.py) alone repeats requests, counted and paced by the governor.
        session._retry_connection = False
        return session

    async def send(self, method: str, url: str, body: bytes | None) -> Answer:
        target = URL(url, encoded=True)
        session = self._session
        if session is None or session.closed:
            session = self._session = self._open(target)
        async with session.request(
            method,
            target,
            data=body,
            headers=JSON_HEADERS if body is not None else None,
            allow_redirects=False,
            proxy=self._proxy,
        ) as response:
            content = await response.read()
            return Answer(response.status, response.headers, content)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
