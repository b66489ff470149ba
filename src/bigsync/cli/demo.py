"""`bigsync demo`: a sandbox store served on 127.0.0.1, connected as `demo` with every read
feature, mirrored into the demo's own database (`<data dir>/demo/bigsync.db`, never the
user's), then a few queries to show what the mirror holds; the sandbox keeps serving (with a
working `curl` line) until Ctrl-C.

The sandbox, the use-cases and rich are imported inside the functions that use them:
importing this module (as every `bigsync` command does) loads none of them."""

from __future__ import annotations

import json
import shlex
import socket
import time
from contextlib import closing, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.service import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    bigsync_command,
    open_service,
    run_async,
)
from bigsync.errors import BigsyncError

if TYPE_CHECKING:
    from rich.console import Console

    from bigsync.config import Settings
    from bigsync.connections.service import ConnectionService
    from bigsync.sandbox.backend import Sandbox
    from bigsync.sandbox.generator import StoreSizes
    from bigsync.sandbox.server import SandboxServer
    from bigsync.sync.model import SyncResult

DEMO_NAME = "demo"
DEMO_FEATURES = (
    "read_catalog",
    "read_orders",
    "read_transactions",
    "read_customers",
    "read_inventory",
)
SANDBOX_PORT = 5780  # `bigsync sandbox`'s default: the same seed serves the same store later


def demo(
    *,
    products: Annotated[int, typer.Option(min=1, help="Products in the demo store.")] = 200,
    orders: Annotated[int, typer.Option(min=1, help="Orders in the demo store.")] = 500,
    customers: Annotated[int, typer.Option(min=1, help="Customers in the demo store.")] = 200,
    plan: Annotated[str, typer.Option(help="Sandbox plan (sets the request quota).")] = (
        "unlimited"
    ),
    exit_after_sync: Annotated[
        bool,
        typer.Option("--exit", help="Stop the sandbox after the sync instead of serving it."),
    ] = False,
) -> None:
    """Try bigsync end to end: a local sandbox store, connected, mirrored into its own
    database (<data dir>/demo), and kept serving (with a working `curl` line) until Ctrl-C."""
    from rich.console import Console  # noqa: PLC0415 -- lazy: see the module doc

    from bigsync.config import get_settings  # noqa: PLC0415
    from bigsync.sandbox.generator import StoreSizes  # noqa: PLC0415

    console = Console()
    settings = demo_settings(get_settings())
    sizes = StoreSizes(products=products, orders=orders, customers=customers)
    with open_service("cli:demo", settings=settings) as service:
        try:
            result = run_demo(
                console,
                service,
                settings,
                sizes=sizes,
                plan=plan,
                keep_running=not exit_after_sync,
            )
        except KeyboardInterrupt:  # Ctrl-C before the sync ended: the sandbox is stopped
            console.print("Interrupted.")
            raise typer.Exit(EXIT_INTERRUPTED) from None
    if result.status == "failed":
        raise typer.Exit(EXIT_FAILED)


def demo_settings(settings: Settings) -> Settings:
    """The demo's own settings: `<data dir>/demo` for its database and key file, whatever
    database the user configured (the vault's environment key, if any, is kept)."""
    return settings.model_copy(
        update={"data_dir": settings.data_dir / DEMO_NAME, "database_url": None}
    )


def demo_command(settings: Settings, arguments: str) -> str:
    """A `bigsync` command line that works when pasted: the running `bigsync` with the demo's
    data directory (and, when the user configured a database, that setting emptied)."""
    data_dir = shlex.quote(str(Path(settings.data_dir).absolute()))
    reset = "BIGSYNC_DATABASE_URL= " if _user_database_configured() else ""
    return f"{reset}BIGSYNC_DATA_DIR={data_dir} {bigsync_command()} {arguments}"


def _user_database_configured() -> bool:
    from bigsync.config import get_settings  # noqa: PLC0415 -- lazy: see the module doc

    return bool(get_settings().database_url)


def how_to_open(database_url: str) -> str:
    """How to open the mirror: a SQLite client line, or the database URL without its password."""
    if database_url.startswith("sqlite:///"):
        return f"sqlite3 {database_url.removeprefix('sqlite:///')}   (or any SQLite client)"
    from bigsync.store.mirror_queries import database_without_password  # noqa: PLC0415 -- lazy

    return "database: " + database_without_password(database_url)


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
    from bigsync.connections.features import Feature  # noqa: PLC0415 -- lazy
    from bigsync.connections.model import NewConnection  # noqa: PLC0415
    from bigsync.errors import ConnectionNotFoundError  # noqa: PLC0415

    store = next(iter(sandbox.stores.values()))
    with suppress(ConnectionNotFoundError):
        service.remove(DEMO_NAME, purge_data=True)
    service.add(
        NewConnection(
            name=DEMO_NAME,
            store=store.hash,
            access_token=full_access_token(sandbox),
            api_url=url,
            features=[Feature(f) for f in DEMO_FEATURES],
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
    from bigsync.cli.progress import SyncProgress, summary_table  # noqa: PLC0415
    from bigsync.sandbox.backend import BuildSpec  # noqa: PLC0415
    from bigsync.sandbox.builder import build_sandbox  # noqa: PLC0415
    from bigsync.sandbox.server import SandboxServer, SandboxServerError  # noqa: PLC0415
    from bigsync.sync.model import SyncOptions  # noqa: PLC0415
    from bigsync.sync.service import sync_connection  # noqa: PLC0415

    with console.status("Generating a sandbox store..."):
        sandbox = build_sandbox(BuildSpec(seed=seed, stores=1, sizes=sizes, plan=plan))
    server = SandboxServer(sandbox, port=free_port(SANDBOX_PORT))
    try:
        server.start()
    except SandboxServerError as error:
        raise BigsyncError(str(error)) from None
    try:
        store = next(iter(sandbox.stores.values()))
        console.print(
            f"Sandbox store [bold]{store.name}[/bold] ({store.hash}, plan {plan}) at {server.url}: "
            f"{sizes.products} products, {sizes.orders} orders, {sizes.customers} customers"
        )
        connect_demo(service, sandbox, server.url)
        console.print(
            f"Connected as [bold]{DEMO_NAME}[/bold]. Mirroring it (full sync) into the demo's "
            f"own data directory {Path(settings.data_dir).absolute()}...",
            highlight=False,
        )
        with SyncProgress(console) as progress:
            result = run_async(
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
            serve_until_interrupted(console, server, settings, store_hash=store.hash)
        return result
    finally:
        server.stop()


def curl_line(url: str, *, store_hash: str, token: str) -> str:
    """A `curl` command that reads a page of the demo store's products."""
    return (
        f"curl -H 'X-Auth-Token: {token}' '{url}/stores/{store_hash}/v3/catalog/products?limit=3'"
    )


def serve_until_interrupted(
    console: Console, server: SandboxServer, settings: Settings, *, store_hash: str
) -> None:
    """Print how to use the running sandbox, then wait for Ctrl-C (or the server to stop).
    Ctrl-C at any point here is the normal way out."""
    try:
        _print_hints(console, server, settings, store_hash=store_hash)
        while server.is_serving:
            time.sleep(0.2)  # not join(): a join interrupted by Ctrl-C can leave the thread stuck
    except KeyboardInterrupt:
        console.print("Stopping the sandbox.")


def _print_hints(
    console: Console, server: SandboxServer, settings: Settings, *, store_hash: str
) -> None:
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
        f"{demo_command(settings, f'sync {DEMO_NAME}')} && "
        f"{demo_command(settings, f'status {DEMO_NAME}')}",
        highlight=False,
        soft_wrap=True,
    )


def explain(console: Console, service: ConnectionService, settings: Settings) -> None:
    """Run the example queries on the mirror and print how to explore it further."""
    from rich.table import Table  # noqa: PLC0415 -- lazy: see the module doc

    from bigsync.store.mirror_queries import (  # noqa: PLC0415
        EXAMPLE_QUERIES,
        run_example_query,
    )

    connection_id = service.get(DEMO_NAME).id
    for title, query in EXAMPLE_QUERIES:
        result = run_example_query(service.engine, query, connection_id=connection_id)
        table = Table(title=title, title_justify="left")
        for column in result.columns:
            table.add_column(column)
        for row in result.rows:
            table.add_row(*row)
        console.print(table)
        console.print(f"[dim]{query}[/dim]", highlight=False)
    url = settings.resolved_database_url
    console.print("\n[bold]Explore the mirror[/bold]", highlight=False)
    console.print(f"  {how_to_open(url)}", highlight=False)
    console.print(
        "  tables: products, variants, categories, brands, locations,\n"
        "          inventory_levels, orders, order_products,\n"
        "          order_shipping_addresses, order_statuses, transactions,\n"
        "          customers, customer_groups, shipping_zones, shipping_methods,\n"
        "          channels, store_info\n"
        "          (typed columns + the full API document in `raw`)",
        highlight=False,
    )
    console.print("  What was synced, cursors, last runs:", highlight=False)
    console.print(
        f"  {demo_command(settings, f'status {DEMO_NAME}')}", highlight=False, soft_wrap=True
    )


def register(app: typer.Typer) -> None:
    """Add `bigsync demo` to the main `bigsync` app."""
    app.command()(demo)
