"""`bigsync users` and `bigsync users reset-password`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bigsync.accounts import AccountService
from bigsync.cli.main import app
from bigsync.errors import LoginFailedError
from bigsync.store.db import create_engine_for, migrate

runner = CliRunner()


def _accounts(root: Path) -> AccountService:
    engine = create_engine_for(f"sqlite:///{root}/cli.db")
    migrate(engine)
    return AccountService(engine)


def test_users_lists_and_resets_a_password(cli_env: Path) -> None:
    empty = runner.invoke(app, ["users"])
    assert empty.exit_code == 0
    assert "open the hub's /setup page" in empty.output
    accounts = _accounts(cli_env)
    accounts.setup_admin("admin", "correct horse battery")
    session = accounts.login("admin", "correct horse battery", client="x").token

    listed = runner.invoke(app, ["users"])
    assert listed.exit_code == 0
    assert listed.output.splitlines()[1].split()[:3] == ["admin", "local", "admin"]
    [user] = json.loads(runner.invoke(app, ["users", "--json"]).output)
    assert (user["username"], user["admin"]) == ("admin", True)

    reset = runner.invoke(app, ["users", "reset-password", "admin"], input="new long pass\n" * 2)
    assert reset.exit_code == 0, reset.output
    assert "New password set for admin" in reset.output
    assert "new long pass" not in reset.output
    assert accounts.session(session) is None
    assert accounts.login("admin", "new long pass", client="x")
    try:
        accounts.login("admin", "correct horse battery", client="x")
    except LoginFailedError:
        pass
    else:
        raise AssertionError("the old password still works")


def test_reset_password_refusals_are_one_line(cli_env: Path) -> None:
    _accounts(cli_env).setup_admin("admin", "correct horse battery")
    short = runner.invoke(
        app, ["users", "reset-password", "admin", "--password-stdin"], input="x\n"
    )
    assert short.exit_code == 1
    assert short.stderr.strip() == "error: the password needs at least 10 characters"
    unknown = runner.invoke(
        app, ["users", "reset-password", "bob", "--password-stdin"], input="long enough pass\n"
    )
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "error: no user called 'bob'"
