"""The `bigsync` command line (Typer). Each command is a thin shell over a use-case."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from bigsync.sandbox.backend import BuildSpec
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import base_url, describe_stores, serve

app = typer.Typer(
    name="bigsync",
    help="Self-hosted BigCommerce integration hub.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Self-hosted BigCommerce integration hub."""


class SandboxPlan(StrEnum):
    """BigCommerce plans, which set the sandbox stores' request quota."""

    standard = "standard"
    plus = "plus"
    pro = "pro"
    enterprise = "enterprise"
    unlimited = "unlimited"


@app.command()
def sandbox(
    *,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5780,
    seed: Annotated[int, typer.Option(help="Same seed, same stores, tokens and data.")] = 1,
    stores: Annotated[int, typer.Option(min=1, help="How many stores to create.")] = 1,
    products: Annotated[int, typer.Option(min=0, help="Products per store.")] = 200,
    orders: Annotated[int, typer.Option(min=0, help="Orders per store.")] = 500,
    customers: Annotated[int, typer.Option(min=0, help="Customers per store.")] = 200,
    latency_ms: Annotated[
        float, typer.Option(min=0, help="Latency added to every store API request.")
    ] = 0.0,
    plan: Annotated[
        SandboxPlan, typer.Option(help="Plan of every store (sets the request quota).")
    ] = SandboxPlan.standard,
) -> None:
    """Serve a local BigCommerce API sandbox with generated stores."""
    sizes = StoreSizes(products=products, orders=orders, customers=customers)
    spec = BuildSpec(seed=seed, stores=stores, sizes=sizes, plan=plan.value)
    console = Console()
    with console.status("Generating stores..."):
        built = build_sandbox(spec, latency_ms=latency_ms)
    describe_stores(built, base_url(host, port), console)
    serve(built, host=host, port=port)
