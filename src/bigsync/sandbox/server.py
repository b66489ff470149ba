"""Serve a sandbox with uvicorn, after printing how to reach each store.

`describe_stores` is the startup printout (rich): per store its hash, API path and API accounts
(tokens with their scopes), then a `curl` line that works as printed. `launch` is the whole
`bigsync sandbox` command: generate, print, serve. `SandboxServer` serves a sandbox from a
daemon thread, for tests, demos and benchmarks in the same process.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn
from rich.console import Console
from rich.table import Table

from bigsync.sandbox.app import create_app
from bigsync.sandbox.backend import BuildSpec, Sandbox
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.faults import ConnectionDropped
from bigsync.sandbox.scopes import MODIFY_SCOPES, READ_ONLY_SCOPES


def base_url(host: str, port: int) -> str:
    """The URL clients should use (a wildcard bind address is reached on 127.0.0.1)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 -- compared, not bound
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def curl_example(sandbox: Sandbox, url: str) -> str:
    """A ready-to-paste request for the first store's first page of one product."""
    store = next(iter(sandbox.stores.values()))
    token = next(a.access_token for a in store.accounts.values() if a.name == "full")
    return (
        f"curl -H 'X-Auth-Token: {token}' '{url}/stores/{store.hash}/v3/catalog/products?limit=1'"
    )


def describe_scopes(scopes: frozenset[str]) -> str:
    """`every scope (modify)` / `every scope (read-only)` for the two broad accounts, else the list.

    The full list of every account stays in `GET /_sandbox/stores`.
    """
    if scopes == frozenset(MODIFY_SCOPES):
        return f"every scope, modify ({len(scopes)})"
    if scopes == frozenset(READ_ONLY_SCOPES):
        return f"every scope, read-only ({len(scopes)})"
    return " ".join(sorted(scopes))


def describe_stores(sandbox: Sandbox, url: str, console: Console) -> None:
    """Print each store's hash and API accounts, then a working curl line.

    Readable at 80 columns: every line but the curl line (kept whole, to paste) fits.
    """
    spec = sandbox.spec
    console.print(f"[bold]bigsync sandbox[/bold] at {url}", highlight=False)
    console.print(
        f"  seed {spec.seed}, {len(sandbox.stores)} store(s), plan {spec.plan}", highlight=False
    )
    console.print(f"  control API {url}/_sandbox/stores", highlight=False)
    for store in sandbox.stores.values():
        console.print()
        console.print(
            f"[bold]{store.name}[/bold]  store hash [bold]{store.hash}[/bold]", highlight=False
        )
        console.print(f"  API path {url}/stores/{store.hash}/v3/", highlight=False)
        table = Table()
        table.add_column("account")
        table.add_column("X-Auth-Token", no_wrap=True)
        table.add_column("scopes", overflow="fold")
        for account in store.accounts.values():
            table.add_row(account.name, account.access_token, describe_scopes(account.scopes))
        console.print(table)
    if sandbox.stores:
        console.print("Try:", style="bold")
        console.print(curl_example(sandbox, url), soft_wrap=True, highlight=False, markup=False)


class QuietDrops(logging.Filter):
    """Keeps uvicorn from logging a traceback for every connection a `drop` fault aborts."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


class SandboxServerError(OSError):
    """The sandbox server could not start listening."""


def _run(server: uvicorn.Server) -> None:
    """The server thread: uvicorn exits (SystemExit) when it cannot bind; `start` reports it."""
    with contextlib.suppress(SystemExit):
        server.run()


class SandboxServer:
    """`sandbox` served by uvicorn in a daemon thread, with its own event loop.

        with SandboxServer(sandbox) as url:      # port 0: a free port, reported in `url`
            httpx.get(f"{url}/_sandbox/stores")

    `start()` returns the base URL once the socket listens; `stop()` is bounded (the app's
    shutdown cancels pending webhook deliveries; a lingering client is cut after a grace period).
    """

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0.0,
        webhook_timescale: float = 1.0,
    ) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self.latency_ms = latency_ms
        self.webhook_timescale = webhook_timescale
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients use (the bound port once started)."""
        return base_url(self.host, self.port)

    @property
    def is_serving(self) -> bool:
        """Whether the server thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, timeout_s: float = 30.0) -> str:
        """Serve from a daemon thread; returns `url` once the socket listens."""
        if self._server is not None:
            return self.url
        if self.latency_ms:
            self.sandbox.latency_ms = self.latency_ms
        if self.webhook_timescale != 1.0:
            self.sandbox.webhooks.configure(timescale=self.webhook_timescale)
        config = uvicorn.Config(
            create_app(self.sandbox),
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,  # `stop` must not wait on a client that lingers
        )
        logging.getLogger("uvicorn.error").addFilter(QuietDrops())
        server = uvicorn.Server(config)
        thread = threading.Thread(target=_run, args=(server,), name="bigsync-sandbox", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop(timeout_s=1.0)
                raise SandboxServerError(f"the sandbox could not listen on {self.url}")
            time.sleep(0.01)
        self.port = int(server.servers[0].sockets[0].getsockname()[1])
        return self.url

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """Stop serving, waiting at most `timeout_s` (a daemon thread cannot keep a process up)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=timeout_s)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host`:`port` (0: a free port), for uvicorn to serve on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise SandboxServerError(
            f"the sandbox could not listen on {base_url(host, port)}: {reason}"
        ) from None
    return sock


def serve(sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 5780) -> None:
    """Serve `sandbox` until interrupted (one worker process: the state lives in memory)."""
    serve_on(sandbox, bind(host, port))


def serve_on(sandbox: Sandbox, sock: socket.socket) -> None:
    """Serve `sandbox` on a bound socket until interrupted."""
    config = uvicorn.Config(create_app(sandbox), log_level="warning", access_log=False)
    logging.getLogger("uvicorn.error").addFilter(QuietDrops())
    uvicorn.Server(config).run(sockets=[sock])


def build_launched(
    spec: BuildSpec,
    *,
    latency_ms: float = 0.0,
    webhook_timescale: float = 1.0,
    inventory_delay_ms: int = 0,
) -> Sandbox:
    """The sandbox `launch` serves: built from `spec`, with the command's settings."""
    built = build_sandbox(spec, latency_ms=latency_ms)
    built.webhooks.configure(timescale=webhook_timescale)
    for store in built.stores.values():
        store.inventory_delay_ms = inventory_delay_ms
    return built


def launch(
    spec: BuildSpec,
    *,
    host: str,
    port: int,
    latency_ms: float = 0.0,
    webhook_timescale: float = 1.0,
    inventory_delay_ms: int = 0,
    console: Console | None = None,
) -> None:
    """Generate the stores of `spec`, print how to reach them, serve until interrupted.

    The socket is bound before anything is printed, so the printout names the port really
    listened on (`port` 0: a free one). A port that cannot be bound is one line on stderr
    and exit status 1. `webhook_timescale` multiplies the webhook retry delays (see
    `DeliverySettings`); `inventory_delay_ms` is every store's inventory delay (see
    `catalog.inventory_queue`).
    """
    console = console or Console()
    try:
        sock = bind(host, port)
    except SandboxServerError as exc:
        Console(stderr=True).print(
            f"error: {exc} (choose another --port, or 0 for a free one)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise SystemExit(1) from None
    with sock:
        with console.status("Generating stores..."):
            built = build_launched(
                spec,
                latency_ms=latency_ms,
                webhook_timescale=webhook_timescale,
                inventory_delay_ms=inventory_delay_ms,
            )
        bound_port = int(sock.getsockname()[1])
        describe_stores(built, base_url(host, bound_port), console)
        serve_on(built, sock)
