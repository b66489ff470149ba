"""`bigsync users`: the hub's web users; `bigsync users reset-password NAME` when the
admin's password is lost (their sessions end)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from bigsync.cli.service import JSON_HELP, fail, open_service

users_app = typer.Typer(
    help="The web app's users (the first one is created on the /setup page).",
    invoke_without_command=True,
)


@users_app.callback()
def list_users(
    ctx: typer.Context,
    *,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List the users (local ones log in with a password; store users come from the app's
    load callback and see their store only)."""
    if ctx.invoked_subcommand is not None:
        return
    from bigsync.accounts import AccountService  # noqa: PLC0415 -- lazy: see cli.service

    with open_service() as service:
        users = AccountService(service.engine).users()
    if as_json:
        document = [
            {
                "id": u.id,
                "username": u.username,
                "kind": u.kind.value,
                "admin": u.is_admin,
                "connection_id": u.connection_id,
                "created_at": u.created_at.isoformat(),
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in users
        ]
        typer.echo(json.dumps(document, indent=2))
        return
    if not users:
        typer.echo("No users yet: open the hub's /setup page to create the admin.")
        return
    typer.echo(f"{'USERNAME':<32} {'KIND':<6} {'ROLE':<6} LAST LOGIN")
    for user in users:
        name = user.username if len(user.username) <= 32 else user.username[:31] + "…"
        role = "admin" if user.is_admin else "store" if user.connection_id else "user"
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        typer.echo(f"{name:<32} {user.kind.value:<6} {role:<6} {last}")


@users_app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument(help="The user's username.")],
    *,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
) -> None:
    """Give a local user a new password (asked twice, not echoed); their sessions end."""
    from bigsync.accounts import AccountService  # noqa: PLC0415 -- lazy: see cli.service

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    if not password:
        fail("no password given")
    with open_service() as service:
        user = AccountService(service.engine).reset_password(username, password)
    typer.echo(f"New password set for {user.username}; their sessions have ended.")


def register(app: typer.Typer) -> None:
    """Add these commands to the main `bigsync` app."""
    app.add_typer(users_app, name="users")
