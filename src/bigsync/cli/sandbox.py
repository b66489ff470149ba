"""`bigsync sandbox`: serve a local BigCommerce API sandbox (imported inside the command)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class SandboxPlan(StrEnum):
    """BigCommerce plans, which set the sandbox stores' request quota."""

    standard = "standard"
    plus = "plus"
    pro = "pro"
    enterprise = "enterprise"
    unlimited = "unlimited"


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
    webhook_timescale: Annotated[
        float,
        typer.Option(
            help="Multiplies webhook retry delays (1.0: BigCommerce's ~48 h schedule; "
            "0.001: about 3 minutes)."
        ),
    ] = 1.0,
) -> None:
    """Serve a local BigCommerce API sandbox with generated stores."""
    if webhook_timescale <= 0:
        raise typer.BadParameter("must be a positive number", param_hint="--webhook-timescale")
    # Loaded here, not at the top: no other command needs the sandbox.
    from bigsync.sandbox.backend import BuildSpec  # noqa: PLC0415
    from bigsync.sandbox.generator import StoreSizes  # noqa: PLC0415
    from bigsync.sandbox.server import launch  # noqa: PLC0415

    sizes = StoreSizes(products=products, orders=orders, customers=customers)
    spec = BuildSpec(seed=seed, stores=stores, sizes=sizes, plan=plan.value)
    launch(spec, host=host, port=port, latency_ms=latency_ms, webhook_timescale=webhook_timescale)


def register(app: typer.Typer) -> None:
    """Add `bigsync sandbox` to the main `bigsync` app."""
    app.command()(sandbox)
