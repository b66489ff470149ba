"""Serve a sandbox with uvicorn, after printing how to reach each store.

`describe_stores` is the startup printout (rich): per store its hash, API path and API accounts
(tokens with their scopes), then a `curl` line that works as printed. `launch` is the whole
`bigsync sandbox` command: generate, print, serve.
"""

from __future__ import annotations

import logging

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
    """Print each store's hash and API accounts, then a working curl line."""
    spec = sandbox.spec
    console.print(
        f"[bold]bigsync sandbox[/bold] at {url}  (seed {spec.seed}, {len(sandbox.stores)} "
        f"store(s), plan {spec.plan}, control API {url}/_sandbox/stores)"
    )
    for store in sandbox.stores.values():
        table = Table(
            title=f"{store.name}: store hash [bold]{store.hash}[/bold] "
            f"(API path {url}/stores/{store.hash}/v3/)",
            title_justify="left",
        )
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


def serve(sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 5780) -> None:
    """Serve `sandbox` until interrupted (one worker process: the state lives in memory)."""
    config = uvicorn.Config(
        create_app(sandbox), host=host, port=port, log_level="warning", access_log=False
    )
    logging.getLogger("uvicorn.error").addFilter(QuietDrops())
    uvicorn.Server(config).run()


def launch(
    spec: BuildSpec,
    *,
    host: str,
    port: int,
    latency_ms: float = 0.0,
    webhook_timescale: float = 1.0,
    console: Console | None = None,
) -> None:
    """Generate the stores of `spec`, print how to reach them, serve until interrupted.

    `webhook_timescale` multiplies the webhook retry delays (see `DeliverySettings`).
    """
    console = console or Console()
    with console.status("Generating stores..."):
        built = build_sandbox(spec, latency_ms=latency_ms)
    built.webhooks.configure(timescale=webhook_timescale)
    describe_stores(built, base_url(host, port), console)
    serve(built, host=host, port=port)
