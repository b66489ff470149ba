"""The `bigsync` command line: builds the Typer app and registers each area's commands.

Each area's module imports only typer at the top; what a command needs is imported when it
runs, so `bigsync --help` starts at once."""

from __future__ import annotations

import typer

from bigsync.cli import (
    connections,
    demo,
    fulfillment,
    jobs,
    keys,
    locations,
    outbox,
    products,
    sandbox,
    serve,
    shipping,
    stock,
    sync,
    users,
    worker,
)
from bigsync.runtime import pace_garbage_collector

app = typer.Typer(
    name="bigsync",
    help="Self-hosted BigCommerce integration hub.\n\n"
    "Commands that show data take --json. Exit codes: 0 done, 1 failed, "
    "2 wrong command line, 130 interrupted.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help and tracebacks: rich's help renderer alone costs ~0.3 s of start-up.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Self-hosted BigCommerce integration hub."""
    pace_garbage_collector()


for area in (
    connections,
    keys,
    sync,
    outbox,
    products,
    locations,
    stock,
    fulfillment,
    shipping,
    serve,
    worker,
    jobs,
    users,
    sandbox,
    demo,
):
    area.register(app)
