"""`bigsync connect / test / connections / disconnect / keys rotate` against a live sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bigsync.cli.main import app
from bigsync.config import get_settings

CLIENT_SECRET_LIKE = "5e7c0ffee0ddba11" * 4


@pytest.fixture
def cli_env(tmp_path: Path, live_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BIGSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BIGSYNC_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("BIGSYNC_API_URL", live_url)
    monkeypatch.delenv("BIGSYNC_SECRET_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def live_store(live_url: str) -> dict[str, Any]:
    store: dict[str, Any] = httpx.get(f"{live_url}/_sandbox/stores").json()["stores"][0]
    store["by_name"] = {a["name"]: a for a in store["accounts"]}
    return store


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=input)


@pytest.mark.usefixtures("cli_env")
def test_connect_test_list_rotate_disconnect(live_store: dict[str, Any]) -> None:
    token = live_store["by_name"]["full"]["access_token"]
    api_path = f"https://api.bigcommerce.com/stores/{live_store['hash']}/v3/"
    result = run(
        "connect", "shop", "--store", api_path, "-f", "read_catalog,read_orders", input=f"{token}\n"
    )
    assert result.exit_code == 0, result.output
    assert (
        f"Saved connection shop: store {live_store['hash']}, token ••••{token[-4:]}"
        in result.output
    )
    assert "token       ok" in result.output
    assert "Read orders: enabled" in result.output

    listed = run("connections")
    assert listed.exit_code == 0, listed.output
    assert "shop" in listed.output
    assert f"••••{token[-4:]}" in listed.output
    as_json = json.loads(run("connections", "--json").output)
    assert as_json[0]["secrets"] == {"access_token": f"••••{token[-4:]}"}

    tested = run("test", "shop", "--json")
    assert tested.exit_code == 0, tested.output
    assert json.loads(tested.output)["ok"] is True

    rotated = run("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "Re-sealed 1 secrets under master key" in rotated.output
    assert "Removed retired keys from the key file" in rotated.output
    assert run("test", "shop").exit_code == 0

    removed = run("disconnect", "shop", "--yes")
    assert removed.exit_code == 0, removed.output
    assert "Removed shop: 1 secrets deleted, mirrored data kept." in removed.output
    gone = run("test", "shop")
    assert gone.exit_code == 1
    assert "no connection named 'shop'" in gone.output


@pytest.mark.usefixtures("cli_env")
def test_connect_refuses_a_client_secret_pasted_as_the_token(live_store: dict[str, Any]) -> None:
    result = run(
        "connect", "shop", "--store", f"store-{live_store['hash']}", "--token", CLIENT_SECRET_LIKE
    )
    assert result.exit_code == 1
    assert "looks like the CLIENT SECRET" in result.output
    assert CLIENT_SECRET_LIKE not in result.output
    assert "No connections yet" in run("connections").output


@pytest.mark.usefixtures("cli_env")
def test_connect_with_missing_scopes_shows_the_fix(live_store: dict[str, Any]) -> None:
    token = live_store["by_name"]["catalog-only"]["access_token"]
    result = run(
        "connect",
        "shop",
        "--store",
        live_store["hash"],
        "-f",
        "read_catalog",
        "-f",
        "read_orders",
        input=f"{token}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Read orders: disabled (missing scope: Orders: read-only)" in result.output
    assert "To fix:" in result.output
    assert "Under OAuth scopes set Orders to read-only." in result.output
    listed = run("connections")
    assert "shop: read_orders disabled — missing scope: Orders: read-only" in listed.output


@pytest.mark.usefixtures("cli_env")
def test_wrong_token_fails_the_test_with_exit_code_1(live_store: dict[str, Any]) -> None:
    result = run(
        "connect", "shop", "--store", live_store["hash"], input="n0t0a0real0token0for0any0store\n"
    )
    assert result.exit_code == 1
    assert "the access token is not valid for store" in result.output


@pytest.mark.usefixtures("cli_env")
def test_update_with_a_new_token_re_enables_features(live_store: dict[str, Any]) -> None:
    catalog_only = live_store["by_name"]["catalog-only"]["access_token"]
    full = live_store["by_name"]["full"]["access_token"]
    first = run(
        "connect",
        "shop",
        "--store",
        live_store["hash"],
        "-f",
        "read_orders",
        input=f"{catalog_only}\n",
    )
    assert "Read orders: disabled" in first.output
    no_token = run("connect", "shop", "--update", "--store", live_store["hash"], "--token", " ")
    assert no_token.exit_code == 1
    assert "the access token is empty" in no_token.output
    updated = run("connect", "shop", "--update", "--token", full)
    assert updated.exit_code == 0, updated.output
    assert (
        f"Updated connection shop: store {live_store['hash']}, token ••••{full[-4:]}"
        in updated.output
    )
    assert "Read orders: enabled" in updated.output
    assert json.loads(run("connections", "--json").output)[0]["disabled_features"] == {}
