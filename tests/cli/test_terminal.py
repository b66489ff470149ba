"""What a user sees on a terminal: 80 columns, `--json` everywhere, one-line errors."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

import pytest
from typer.testing import CliRunner

from bigsync.cli.main import app
from bigsync.cli.service import bigsync_command
from bigsync.sandbox.server import SandboxServer
from tests.cli.conftest import token_of

COMMANDS: tuple[list[str], ...] = (
    [],
    ["connect"],
    ["test"],
    ["connections"],
    ["disconnect"],
    ["sync"],
    ["status"],
    ["sandbox"],
    ["demo"],
    ["keys"],
    ["keys", "rotate"],
)


def run(*args: str, columns: int = 80, input: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=input, env={"COLUMNS": str(columns)})


def _too_long(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > 80]


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "bigsync")
def test_help_fits_80_columns_with_option_names_whole(command: list[str]) -> None:
    shown = run(*command, "--help")
    assert shown.exit_code == 0, shown.output
    assert _too_long(shown.output) == []
    if command and "--json" in shown.output:
        assert "Print JSON" in shown.output


def test_every_command_that_shows_data_documents_json() -> None:
    for command in (["connect"], ["test"], ["connections"], ["disconnect"], ["sync"], ["status"]):
        assert "--json" in run(*command, "--help").output, command
    assert "--json" in run("keys", "rotate", "--help").output


@pytest.mark.usefixtures("cli_env")
def test_disconnect_of_an_unknown_name_says_so_without_asking() -> None:
    result = run("disconnect", "nosuch")  # no input: a prompt would abort instead
    assert result.exit_code == 1
    assert result.stdout == ""
    see = f"{bigsync_command()} connections"  # spelled the way it runs from here
    assert result.stderr == f"error: no connection named 'nosuch' (see `{see}`)\n"


@pytest.mark.usefixtures("cli_env")
def test_errors_are_one_line_on_stderr() -> None:
    for command in (["test", "nosuch"], ["status", "nosuch"], ["sync", "nosuch"]):
        result = run(*command)
        assert result.exit_code == 1, command
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith("error: no connection named 'nosuch'")


@pytest.mark.usefixtures("cli_env")
def test_tables_and_progress_read_whole_at_80_columns(live_sandbox: SandboxServer) -> None:
    store_hash, token = token_of(live_sandbox, "catalog-only")
    connected = run(
        "connect", "shop", "--store", store_hash, "--token", token,
        "--api-url", live_sandbox.url, "-f", "read_catalog,read_orders,read_customers",
    )  # fmt: skip
    assert connected.exit_code == 0, connected.output
    assert _too_long(connected.output) == []
    synced = run("sync", "shop")
    assert synced.exit_code == 0, synced.output
    assert _too_long(synced.output) == []
    assert "…" not in synced.output  # nothing cut short
    assert "shipping_methods" in synced.output
    reason = "feature Read customers is disabled — missing scope: Customers: read-only"
    assert reason in _flat(synced.output)

    status = run("status", "shop")
    assert status.exit_code == 0, status.output
    assert _too_long(status.output) == []
    for stream in ("shipping_methods", "customer_groups", "inventory_levels"):
        assert stream in status.output
    assert reason in _flat(status.output)
    assert "just now" in status.output  # a relative time, never a timestamp split over lines
    assert "T" not in "".join(line for line in status.output.splitlines() if "sync #" in line)

    listed = run("connections")
    assert listed.exit_code == 0, listed.output
    assert _too_long(listed.output) == []
    assert "shop" in listed.output
    assert "just now" in listed.output
    assert "read_orders disabled — missing scope: Orders: read-only" in _flat(listed.output)


@pytest.mark.usefixtures("cli_env")
def test_every_command_prints_json_without_a_secret(live_sandbox: SandboxServer) -> None:
    store_hash, token = token_of(live_sandbox, "full")
    outputs: dict[str, Any] = {}
    for key, command in (
        ("connect", ["connect", "shop", "--store", store_hash, "--token", token,
                     "--api-url", live_sandbox.url, "--json"]),
        ("test", ["test", "shop", "--json"]),
        ("connections", ["connections", "--json"]),
        ("sync", ["sync", "shop", "--streams", "orders", "--json"]),
        ("status", ["status", "shop", "--json"]),
        ("keys rotate", ["keys", "rotate", "--json"]),
        ("disconnect", ["disconnect", "shop", "--yes", "--json"]),
    ):  # fmt: skip
        result = run(*command, columns=40)  # JSON never wraps, whatever the width
        assert result.exit_code == 0, (key, result.output)
        assert token not in result.output
        outputs[key] = json.loads(result.stdout)
    assert outputs["connect"]["connection"]["secrets"] == {"access_token": f"••••{token[-4:]}"}
    assert outputs["connect"]["test"]["ok"] is True
    assert outputs["test"]["ok"] is True
    assert [c["name"] for c in outputs["connections"]] == ["shop"]
    sync = outputs["sync"]
    assert sync["status"] == "ok"
    assert sync["started_at"].startswith("20")  # full ISO 8601
    assert "orders" in [s["name"] for s in sync["streams"]]
    assert outputs["status"]["tables"]["orders"] == 20
    assert outputs["keys rotate"]["resealed"] == 1
    assert outputs["disconnect"] == {
        "name": "shop",
        "secrets_deleted": 1,
        "data_deleted": {},
        "data_kept": True,
        "hooks_removed": 0,
        "hooks_error": None,
    }


@pytest.mark.usefixtures("cli_env")
def test_sync_without_connections_says_how_to_add_one() -> None:
    result = run("sync")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "no connections yet: add one with `" in result.stderr
    assert "bigsync connect NAME --store HASH`" in result.stderr


@pytest.mark.usefixtures("cli_env")
def test_the_test_report_folds_at_80_columns_and_its_commands_run_as_printed(
    live_sandbox: SandboxServer,
) -> None:
    store_hash, token = token_of(live_sandbox, "full")
    api_path = f"{live_sandbox.url}/stores/{store_hash}/v3/"  # the sandbox's own, host and all
    connected = run("connect", "north wh", "--api-path", api_path, "--token", token)
    assert connected.exit_code == 0, connected.output
    assert f"using API host {live_sandbox.url} from the API path" in connected.output
    assert _too_long(connected.output) == []
    commands = re.findall(r"`([^`]*)`", connected.output)
    enable = [c for c in commands if c.endswith("--enable write_stock")]
    assert len(enable) == 1, connected.output  # whole, on one line
    enabled = run(*shlex.split(enable[0])[1:])
    assert enabled.exit_code == 0, enabled.output
    assert "Write stock: enabled" in enabled.output
