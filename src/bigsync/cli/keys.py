"""`bigsync keys rotate`: re-seal every secret under a new master key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.service import JSON_HELP, bigsync_command, open_service

if TYPE_CHECKING:
    from bigsync.vault.rotation import RotationResult

keys_app = typer.Typer(help="Manage the vault's master keys.", no_args_is_help=True)


@keys_app.command("rotate")
def rotate_keys(
    batch_size: Annotated[int, typer.Option(min=1, help="Secrets re-sealed per transaction.")] = 50,
    *,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Re-seal every secret under a new master key; safe to interrupt and run again."""
    with open_service() as service:
        result = service.rotate_keys(batch_size=batch_size)
        env = service.vault.uses_env_key
    if as_json:
        document = {
            "key_id": result.key_id,
            "resealed": result.resealed,
            "resumed": result.resumed,
            "unused_key_ids": list(result.unused_key_ids),
            "unused_keys_removed": bool(result.unused_key_ids) and not env,
            "unreadable": result.unreadable,
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo(_summary(result, env=env))
    if result.unreadable:
        raise typer.Exit(1)


def _summary(result: RotationResult, *, env: bool) -> str:
    lines = [
        ("Resumed an interrupted rotation. " if result.resumed else "")
        + f"Re-sealed {result.resealed} secrets under master key {result.key_id}."
    ]
    if result.unused_key_ids:
        ids = ", ".join(result.unused_key_ids)
        lines.append(
            f"Retired keys no longer needed: {ids}; remove them from BIGSYNC_SECRET_KEY."
            if env
            else f"Removed retired keys from the key file: {ids}."
        )
    elif env and result.resealed == 0:
        lines.append(
            "With BIGSYNC_SECRET_KEY, rotate by putting a new key first: "
            "BIGSYNC_SECRET_KEY=NEW,OLD, run this again, then drop OLD."
        )
    if result.unreadable:
        lines.append(
            f"{result.unreadable} secrets are sealed with a key no keyring holds; "
            f"enter those connections' tokens again ({bigsync_command()} connect NAME --update)."
        )
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add `bigsync keys …` to the main `bigsync` app."""
    app.add_typer(keys_app, name="keys")
