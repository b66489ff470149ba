"""Feature switches as a user types them: a full-scope token turns every read feature on, and
`--update --enable/--disable` changes one feature, the others untouched, across a new test."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from bigsync.cli.main import app
from bigsync.sandbox.server import SandboxServer
from tests.cli.conftest import token_of

READ_FEATURES = {
    "read_catalog",
    "read_orders",
    "read_transactions",
    "read_customers",
    "read_inventory",
}


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})


def features_of(name: str) -> set[str]:
    shown = run("connections", "--json")
    assert shown.exit_code == 0, shown.output
    (view,) = [v for v in json.loads(shown.output) if v["name"] == name]
    return set(view["features"])


@pytest.mark.usefixtures("cli_env")
def test_enable_and_disable_change_one_feature_and_survive_a_test(
    live_sandbox: SandboxServer,
) -> None:
    store_hash, token = token_of(live_sandbox, "full")
    added = run(
        "connect", "shop", "--store", store_hash, "--token", token, "--api-url", live_sandbox.url
    )
    assert added.exit_code == 0, added.output
    assert features_of("shop") == READ_FEATURES  # every read scope granted: all on, no write

    off = run("connect", "shop", "--update", "--disable", "read_customers")
    assert off.exit_code == 0, off.output
    assert features_of("shop") == READ_FEATURES - {"read_customers"}

    on = run("connect", "shop", "--update", "--enable", "write_stock")
    assert on.exit_code == 0, on.output
    assert features_of("shop") == (READ_FEATURES - {"read_customers"}) | {"write_stock"}

    tested = run("test", "shop")
    assert tested.exit_code == 0, tested.output
    assert features_of("shop") == (READ_FEATURES - {"read_customers"}) | {"write_stock"}


@pytest.mark.usefixtures("cli_env")
def test_turning_orders_off_says_transactions_stop_too(live_sandbox: SandboxServer) -> None:
    store_hash, token = token_of(live_sandbox, "full")
    added = run(
        "connect", "shop", "--store", store_hash, "--token", token, "--api-url", live_sandbox.url
    )
    assert added.exit_code == 0, added.output
    off = run("connect", "shop", "--update", "--disable", "read_orders")
    assert off.exit_code == 0, off.output
    assert "transactions" in off.output.lower()
    assert not {"read_orders", "read_transactions"} & features_of("shop")


@pytest.mark.usefixtures("cli_env")
def test_a_wrong_token_is_fixed_with_the_command_the_error_prints(
    live_sandbox: SandboxServer,
) -> None:
    store_hash, token = token_of(live_sandbox, "full")
    wrong = "x" * len(token)
    run("connect", "shop", "--store", store_hash, "--token", wrong, "--api-url", live_sandbox.url)
    refused = run("sync", "shop")
    assert refused.exit_code == 1
    assert "--update --token -" in refused.stderr
    fixed = CliRunner().invoke(
        app, ["connect", "shop", "--update", "--token", "-"], input=token + "\n"
    )
    assert fixed.exit_code == 0, fixed.output
    assert token not in fixed.output
    (view,) = json.loads(run("connections", "--json").output)
    assert view["state"] == "ok"
    assert run("sync", "shop").exit_code == 0


@pytest.mark.usefixtures("cli_env")
def test_enable_and_disable_work_when_the_connection_is_created(
    live_sandbox: SandboxServer,
) -> None:
    store_hash, token = token_of(live_sandbox, "full")
    added = run(
        "connect", "shop", "--store", store_hash, "--token", token, "--api-url",
        live_sandbox.url, "--enable", "webhooks", "--disable", "read_customers",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert features_of("shop") == (READ_FEATURES - {"read_customers"}) | {"webhooks"}
