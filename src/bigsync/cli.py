"""The `bigsync` command line (Typer). Each command is a thin shell over a use-case."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="bigsync",
    help="Self-hosted BigCommerce integration hub.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Self-hosted BigCommerce integration hub."""
