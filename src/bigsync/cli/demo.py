"""`bigsync demo`: a sandbox store served on 127.0.0.1, connected as `demo` with every read
feature, mirrored into the configured database, then a few queries to show what the mirror
holds; the sandbox keeps serving (with a working `curl` line) until Ctrl-C.

The sandbox is imported inside the functions that serve it: importing this module (as every
`bigsync` command does through the CLI) does not load it."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from contextlib import closing, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from bigsync.cli.progress import SyncProgress, summary_table
from bigsync.config import Settings
from bigsync.connections import ConnectionService, NewConnection
from bigsync.connections.features import Feature
from bigsync.errors import BigsyncError, ConnectionNotFoundError
from bigsync.sync.engine import SyncOptions, SyncResult
from bigsync.sync.service import sync_connection

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox
    from bigsync.sandbox.generator import StoreSizes

DEMO_NAME = "demo"
DEMO_FEATURES = (
    Feature.READ_CATALOG,
    Feature.READ_ORDERS,
    Feature.READ_TRANSACTIONS,
    Feature.READ_CUSTOMERS,
    Feature.READ_INVENTORY,
)
SANDBOX_PORT = 5780  # `bigsync sandbox`'s default: the same seed serves the same store later

EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "Orders by status",
        "SELECT o.status, count(*) AS orders, round(sum(o.total_inc_tax), 2) AS revenue\n"
        "FROM orders o WHERE o.connection_id = :c GROUP BY o.status ORDER BY orders DESC",
    ),
    (
        "Best-selling variants",
        "SELECT p.sku, p.name, sum(p.quantity) AS units\n"
        "FROM order_products p WHERE p.connection_id = :c\n"
        "GROUP BY p.sku, p.name ORDER BY units DESC LIMIT 5",
    ),
    (
        "Stock per location",
        "SELECT l.label AS location, count(*) AS items, sum(i.available_to_sell) AS available\n"
        "FROM inventory_levels i JOIN locations l\n"
        "  ON l.connection_id = i.connection_id AND l.id = i.location_id\n"
        "WHERE i.connection_id = :c GROUP BY l.label",
    ),
)


@dataclass
class BackgroundSandbox:
    """A sandbox served by uvicorn in a daemon thread on 127.0.0.1."""

    sandbox: Sandbox
    port: int
    server: Any = None  # uvicorn.Server once started
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout_s: float = 30.0) -> None:
        import uvicorn  # noqa: PLC0415 -- lazy: see the module doc

        from bigsync.sandbox.app import create_app  # noqa: PLC0415 -- lazy: see the module doc

        config = uvicorn.Config(
            create_app(self.sandbox),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,  # `stop` must not wait on a client that lingers
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="sandbox", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise BigsyncError(f"the sandbox could not listen on {self.url}")
            time.sleep(0.02)

    def stop(self, *, timeout_s: float = 10.0) -> None:
        """Stop serving; bounded (the thread is a daemon: it cannot keep the process up)."""
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=timeout_s)


def how_to_open(database_url: str) -> str:
    """How to open the mirror: a SQLite client line, or the database URL without its password."""
    if database_url.startswith("sqlite:///"):
        return f"sqlite3 {database_url.removeprefix('sqlite:///')}   (or any SQLite client)"
    return "database: " + sa.engine.make_url(database_url).render_as_string(hide_password=True)


def free_port(preferred: int) -> int:
    """`preferred` when it is free on 127.0.0.1, else any free port."""
    for port in (preferred, 0):
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise BigsyncError("no free port on 127.0.0.1")


def full_access_token(sandbox: Sandbox) -> str:
    """The token of the first store's full-access account."""
    store = next(iter(sandbox.stores.values()))
    return next(a.access_token for a in store.accounts.values() if a.name == "full")


def connect_demo(service: ConnectionService, sandbox: Sandbox, url: str) -> None:
    """(Re)create the `demo` connection to the sandbox's first store, every read feature on."""
    store = next(iter(sandbox.stores.values()))
    with suppress(ConnectionNotFoundError):
        service.remove(DEMO_NAME, purge_data=True)
    service.add(
        NewConnection(
            name=DEMO_NAME,
            store=store.hash,
            access_token=full_access_token(sandbox),
            api_url=url,
            features=DEMO_FEATURES,
        )
    )


def run_demo(
    console: Console,
    service: ConnectionService,
    settings: Settings,
    *,
    sizes: StoreSizes,
    plan: str = "unlimited",
    seed: int = 1,
    keep_running: bool = True,
) -> SyncResult:
    """Serve a sandbox store, connect it, mirror it in full, show what to explore, and (with
    `keep_running`) keep serving the sandbox until Ctrl-C."""
    from bigsync.sandbox.backend import BuildSpec  # noqa: PLC0415 -- lazy: see the module doc
    from bigsync.sandbox.builder import build_sandbox  # noqa: PLC0415 -- lazy: see the module doc

    with console.status("Generating a sandbox store..."):
        sandbox = build_sandbox(BuildSpec(seed=seed, stores=1, sizes=sizes, plan=plan))
    server = BackgroundSandbox(sandbox, free_port(SANDBOX_PORT))
    server.start()
    try:
        store = next(iter(sandbox.stores.values()))
        console.print(
            f"Sandbox store [bold]{store.name}[/bold] ({store.hash}, plan {plan}) at {server.url}: "
            f"{sizes.products} products, {sizes.orders} orders, {sizes.customers} customers"
        )
        connect_demo(service, sandbox, server.url)
        console.print(f"Connected as [bold]{DEMO_NAME}[/bold]. Mirroring it (full sync)...")
        with SyncProgress(console) as progress:
            result = asyncio.run(
                sync_connection(
                    service,
                    DEMO_NAME,
                    options=SyncOptions(full=True),
                    on_progress=progress,
                    on_client=progress.attach,
                )
            )
        console.print(summary_table(result))
        explain(console, service, settings)
        if keep_running:
            serve_until_interrupted(console, server, store_hash=store.hash)
        return result
    finally:
        server.stop()


def curl_line(url: str, *, store_hash: str, token: str) -> str:
    """A `curl` command that reads a page of the demo store's products."""
    return (
        f"curl -H 'X-Auth-Token: {token}' '{url}/stores/{store_hash}/v3/catalog/products?limit=3'"
    )


def serve_until_interrupted(
    console: Console, server: BackgroundSandbox, *, store_hash: str
) -> None:
    """Print how to use the running sandbox, then wait for Ctrl-C (or the server to stop).
    Ctrl-C at any point here is the normal way out."""
    try:
        _print_hints(console, server, store_hash=store_hash)
        thread = server.thread
        while thread is not None and thread.is_alive():
            time.sleep(0.2)  # not join(): a join interrupted by Ctrl-C can leave the thread stuck
    except KeyboardInterrupt:
        console.print("Stopping the sandbox.")


def _print_hints(console: Console, server: BackgroundSandbox, *, store_hash: str) -> None:
    console.print(
        f"\n[bold]The sandbox keeps serving at {server.url}[/bold] (Ctrl-C to stop). Try:",
        highlight=False,
    )
    token = full_access_token(server.sandbox)
    console.print(
        curl_line(server.url, store_hash=store_hash, token=token), highlight=False, soft_wrap=True
    )
    mutate = json.dumps({"store": store_hash, "kind": "order", "action": "create", "count": 5})
    console.print(
        f"Change the store, then sync only what changed (in another terminal):\n"
        f"curl -X POST -H 'Content-Type: application/json' -d '{mutate}' "
        f"'{server.url}/_sandbox/mutate'\n"
        f"bigsync sync {DEMO_NAME} && bigsync status {DEMO_NAME}",
        highlight=False,
        soft_wrap=True,
    )


def explain(console: Console, service: ConnectionService, settings: Settings) -> None:
    """Run the example queries on the mirror and print how to explore it further."""
    connection_id = service.get(DEMO_NAME).id
    with service.engine.connect() as conn:
        for title, query in EXAMPLE_QUERIES:
            result = conn.execute(sa.text(query), {"c": connection_id})
            table = Table(title=title, title_justify="left")
            columns = list(result.keys())
            for column in columns:
                table.add_column(str(column))
            for row in result:
                table.add_row(*("" if v is None else str(v) for v in row))
            console.print(table)
            console.print(f"[dim]{query}[/dim]", highlight=False)
    url = settings.resolved_database_url
    console.print("\n[bold]Explore the mirror[/bold]", highlight=False)
    console.print(f"  {how_to_open(url)}", highlight=False)
    console.print(
        "  tables: products, variants, categories, brands, locations, inventory_levels, orders,\n"
        "          order_products, order_shipping_addresses, order_statuses, transactions,\n"
        "          customers, customer_groups, shipping_zones, shipping_methods, channels,\n"
        "          store_info (typed columns + the full API document in `raw`)",
        highlight=False,
    )
    console.print(f"  bigsync status {DEMO_NAME}        what was synced, cursors, last runs")
