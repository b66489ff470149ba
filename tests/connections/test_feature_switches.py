"""Feature defaults and switches, from what the user does: connect, test, --enable, --disable."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bigsync.connections import ConnectionChanges, ConnectionService, NewConnection
from bigsync.connections.report import FeatureState
from tests.connections.conftest import create_account

READS = ("read_catalog", "read_orders", "read_transactions", "read_customers", "read_inventory")


def connect(service: ConnectionService, store: dict[str, Any], token: str, **kw: Any) -> None:
    service.add(NewConnection(name="shop", store=store["hash"], access_token=token, **kw))


def states(report: Any) -> dict[str, str]:
    return {f.feature: f.state.value for f in report.features}


async def test_a_full_scope_token_turns_every_read_feature_on_and_offers_the_writes(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    connect(service, sandbox_store, sandbox_store["by_name"]["full"]["access_token"])
    report = await service.test("shop")
    assert service.get("shop").active_features == READS
    assert states(report) == {
        **dict.fromkeys(READS, "on"),
        "write_stock": "available",
        "write_fulfillment": "available",
        "webhooks": "available",
    }
    stock = report.feature("write_stock")
    assert stock is not None
    assert stock.enable_command == "bigsync connect shop --update --enable write_stock"
    assert [e.detail for e in service.audit("shop") if e.action == "enabled"] == [
        "its scopes are granted: read_transactions, read_customers"
    ]


async def test_a_token_without_customers_names_the_scope_that_blocks_them(
    service: ConnectionService, control: httpx.AsyncClient, sandbox_store: dict[str, Any]
) -> None:
    scopes = [
        "store_v2_information_read_only",
        "store_v2_products_read_only",
        "store_v2_orders_read_only",
        "store_v2_transactions_read_only",
        "store_inventory_read_only",
        "store_locations_read_only",
    ]
    account = await create_account(control, sandbox_store["hash"], "no-customers", scopes)
    connect(service, sandbox_store, account["access_token"])
    report = await service.test("shop")
    customers = report.feature("read_customers")
    assert customers is not None
    assert customers.state is FeatureState.BLOCKED
    assert customers.disabled_reason == "missing scope: Customers: read-only"
    assert "Under OAuth scopes set Customers to read-only." in report.instructions
    view = service.get("shop")
    assert "read_customers" not in view.features
    assert "read_transactions" in view.active_features
    assert report.to_json()["features"][3]["state"] == "blocked"


async def test_a_feature_turned_off_stays_off_after_a_test_and_enable_touches_only_one(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    connect(service, sandbox_store, sandbox_store["by_name"]["full"]["access_token"])
    await service.test("shop")
    service.update("shop", ConnectionChanges(disable=["read_customers"]))
    report = await service.test("shop")
    assert states(report)["read_customers"] == "off"
    view = service.get("shop")
    assert view.features_off == ("read_customers",)
    assert "read_customers" not in view.active_features
    result = service.update("shop", ConnectionChanges(enable=["write_stock"]))
    assert result.connection.features == (
        "read_catalog",
        "read_orders",
        "read_transactions",
        "read_inventory",
        "write_stock",
    )
    service.update("shop", ConnectionChanges(enable=["read_customers"]))
    assert (await service.test("shop")).feature("read_customers").is_enabled  # type: ignore[union-attr]


async def test_transactions_bring_orders_along_and_leave_with_them(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    connect(service, sandbox_store, sandbox_store["by_name"]["full"]["access_token"])
    off = service.update("shop", ConnectionChanges(disable=["read_orders"]))
    assert off.notices == ()  # transactions were not on yet
    on = service.update("shop", ConnectionChanges(enable=["read_transactions"]))
    assert on.notices == ("read_transactions needs read_orders: turned read_orders on too",)
    assert {"read_orders", "read_transactions"} <= set(on.connection.features)
    assert on.connection.features_off == ()
    again = service.update("shop", ConnectionChanges(disable=["read_orders"]))
    assert again.notices == ("read_transactions needs read_orders: read_transactions is off too",)
    assert set(again.connection.features_off) == {"read_orders", "read_transactions"}
    report = await service.test("shop")
    assert states(report)["read_transactions"] == "off"


def test_setting_the_list_says_what_it_turned_off(service: ConnectionService) -> None:
    connect(service, {"hash": "abc123"}, "svc0test0token0000000000000wxyz")
    result = service.update("shop", ConnectionChanges(features=["read_customers"]))
    assert result.notices == (
        "turned off: read_catalog, read_orders, read_inventory "
        "(turn one back on with --enable FEATURE)",
    )
    assert result.connection.features == ("read_customers",)
    assert set(result.connection.features_off) == {
        "read_catalog",
        "read_orders",
        "read_transactions",
        "read_inventory",
    }


@pytest.mark.parametrize(
    ("store_of", "option"), [("other", "--token"), ("unknown", "--store HASH --token")]
)
async def test_a_connection_whose_test_refused_its_credentials_is_saved_but_failing(
    service: ConnectionService,
    sandbox_store: dict[str, Any],
    other_store: dict[str, Any],
    store_of: str,
    option: str,
) -> None:
    token = other_store["by_name"]["full"]["access_token"]
    store = sandbox_store if store_of == "other" else {"hash": "zzz999"}
    connect(service, store, token)
    report = await service.test("shop")
    assert not report.ok
    view = service.get("shop")
    assert view.is_failing
    assert view.failing_reason is not None
    assert f"bigsync connect shop --update {option}" in view.failing_reason
    assert view.failing_reason.endswith("then bigsync test shop")
    assert view.to_json()["state"] == "failing"
    assert token not in view.failing_reason
    service.update("shop", ConnectionChanges(store=other_store["hash"], access_token=token))
    assert (await service.test("shop")).ok
    assert service.get("shop").failing_reason is None
