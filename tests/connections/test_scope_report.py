"""The connection test and scope report against sandbox API accounts with different scopes."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, StoreCredentials
from bigsync.connections import ConnectionChanges, ConnectionKind, ConnectionService, NewConnection
from bigsync.connections.check import TEST_RETRY
from bigsync.connections.features import Feature
from bigsync.sandbox import Sandbox
from tests.connections.conftest import create_account

ALL_FEATURES = [f.value for f in Feature]


def add(
    service: ConnectionService,
    store: dict[str, Any],
    token: str,
    *,
    name: str = "shop",
    features: list[str] | None = None,
    **kw: Any,
) -> None:
    service.add(
        NewConnection(
            name=name,
            store=f"https://api.bigcommerce.com/stores/{store['hash']}/v3/",
            access_token=token,
            features=features or ALL_FEATURES,
            **kw,
        )
    )


def statuses(report: Any, feature: str) -> dict[str, str]:
    result = report.feature(feature)
    assert result is not None
    return {s.control_panel_name: s.status for s in result.scopes}


async def test_full_account_grants_every_read_and_leaves_writes_unverified(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    add(service, sandbox_store, sandbox_store["by_name"]["full"]["access_token"])
    report = await service.test("shop")
    assert report.ok
    assert [(c.name, c.ok) for c in report.checks] == [
        ("host", True),
        ("token", True),
        ("store_info", True),
    ]
    assert report.store is not None
    assert report.store.store_hash == sandbox_store["hash"]
    assert report.store.name == sandbox_store["name"]
    assert report.store.currency == "USD"
    assert report.store.plan
    assert report.store.timezone
    assert all(f.is_enabled for f in report.features)
    assert statuses(report, "read_inventory") == {
        "Store inventory: read-only": "granted",
        "Store locations: read-only": "granted",
    }
    assert statuses(report, "write_fulfillment") == {"Orders: modify": "unverified"}
    assert statuses(report, "webhooks") == {}
    assert report.instructions == ()
    assert any("unverified until the first write" in note for note in report.notes)
    view = service.get("shop")
    assert view.disabled_features == {}
    assert view.active_features == tuple(ALL_FEATURES)


async def test_read_only_account_cannot_be_told_from_full_without_writing(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    add(service, sandbox_store, sandbox_store["by_name"]["read-only"]["access_token"])
    report = await service.test("shop")
    assert report.ok
    assert all(f.is_enabled for f in report.features)
    assert statuses(report, "write_stock") == {
        "Store inventory: modify": "unverified",
        "Store locations: read-only": "granted",
    }


async def test_catalog_only_account_disables_the_rest_with_control_panel_steps(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    add(service, sandbox_store, sandbox_store["by_name"]["catalog-only"]["access_token"])
    report = await service.test("shop")
    assert report.ok  # the token works; some scopes are missing
    store_info = report.check("store_info")
    assert store_info is not None
    assert store_info.ok is False
    assert "Information & settings: read-only" in store_info.message
    assert report.store is None
    catalog = report.feature("read_catalog")
    assert catalog is not None
    assert catalog.is_enabled
    orders = report.feature("read_orders")
    assert orders is not None
    assert orders.disabled_reason == "missing scope: Orders: read-only"
    # Without read access there is no modify access either: known without writing.
    assert statuses(report, "write_fulfillment") == {"Orders: modify": "missing"}
    assert statuses(report, "write_stock") == {
        "Store inventory: modify": "missing",
        "Store locations: read-only": "missing",
    }
    steps = "\n".join(report.instructions)
    assert "Settings → Store-level API accounts" in steps
    assert "set Information & settings to read-only" in steps
    assert "set Orders to modify" in steps  # the highest level any feature needs
    assert "set Order transactions to read-only" in steps
    assert "set Customers to read-only" in steps
    assert "set Store inventory to modify" in steps
    assert "Products" not in steps
    view = service.get("shop")
    assert set(view.disabled_features) == {
        "read_orders",
        "read_transactions",
        "read_customers",
        "read_inventory",
        "write_stock",
        "write_fulfillment",
    }
    assert view.active_features == ("read_catalog", "webhooks")
    assert view.last_test == report
    disabled = [e for e in service.audit("shop") if e.action == "disabled"]
    assert len(disabled) == 1
    assert "read_orders: missing scope: Orders: read-only" in disabled[0].detail


async def test_custom_scope_set_from_the_control_api(
    service: ConnectionService, control: httpx.AsyncClient, sandbox_store: dict[str, Any]
) -> None:
    scopes = [
        "store_v2_information_read_only",
        "store_v2_orders_read_only",
        "store_v2_transactions",
        "store_locations_read_only",
    ]
    account = await create_account(control, sandbox_store["hash"], "custom", scopes)
    add(service, sandbox_store, account["access_token"])
    report = await service.test("shop")
    assert statuses(report, "read_transactions") == {"Order transactions: read-only": "granted"}
    assert statuses(report, "read_orders") == {"Orders: read-only": "granted"}
    assert statuses(report, "read_customers") == {"Customers: read-only": "missing"}
    assert statuses(report, "read_inventory") == {
        "Store inventory: read-only": "missing",
        "Store locations: read-only": "granted",
    }
    assert statuses(report, "write_fulfillment") == {"Orders: modify": "unverified"}
    assert set(service.get("shop").disabled_features) == {
        "read_catalog",
        "read_customers",
        "read_inventory",
        "write_stock",
    }


async def test_a_new_test_re_enables_features_once_scopes_are_granted(
    service: ConnectionService, sandbox: Sandbox, sandbox_store: dict[str, Any]
) -> None:
    token = sandbox_store["by_name"]["catalog-only"]["access_token"]
    add(service, sandbox_store, token, features=["read_catalog", "read_orders"])
    await service.test("shop")
    assert set(service.get("shop").disabled_features) == {"read_orders"}
    # The merchant edits the API account's scopes in the control panel; the token stays.
    store = sandbox.stores[sandbox_store["hash"]]
    account = store.accounts[token]
    store.accounts[token] = dataclasses.replace(
        account, scopes=account.scopes | {"store_v2_orders_read_only", "store_v2_information"}
    )
    report = await service.test("shop")
    assert all(f.is_enabled for f in report.features if f.wanted)
    view = service.get("shop")
    assert view.disabled_features == {}
    assert view.active_features == ("read_catalog", "read_orders")


async def test_oauth_grant_verifies_write_scopes(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    granted = "store_v2_information_read_only store_v2_orders store_v2_products_read_only"
    add(
        service,
        sandbox_store,
        sandbox_store["by_name"]["full"]["access_token"],
        kind=ConnectionKind.OAUTH_APP,
        client_id="app0client0id0for0tests0000001",
        granted_scopes=granted,
        features=["read_catalog", "write_fulfillment", "write_stock"],
    )
    report = await service.test("shop")
    assert statuses(report, "write_fulfillment") == {"Orders: modify": "granted"}
    assert statuses(report, "write_stock") == {
        "Store inventory: modify": "missing",
        "Store locations: read-only": "granted",  # the probe decides read access
    }
    assert set(service.get("shop").disabled_features) == {"write_stock"}


@pytest.mark.parametrize("mistake", ["wrong-token", "other-store-token"])
async def test_token_not_valid_for_the_store(
    service: ConnectionService,
    sandbox_store: dict[str, Any],
    other_store: dict[str, Any],
    mistake: str,
) -> None:
    token = (
        "n0t0a0real0token0for0any0store"
        if mistake == "wrong-token"
        else other_store["by_name"]["full"]["access_token"]
    )
    add(service, sandbox_store, token)
    report = await service.test("shop")
    assert not report.ok
    host, check = report.checks
    assert host.ok is True
    assert check.name == "token"
    assert check.ok is False
    assert "either the token is wrong" in check.message
    assert "belongs to another store" in check.message
    assert report.features == ()
    assert service.get("shop").last_test == report
    last = service.audit("shop")[0]
    assert (last.action, last.outcome) == ("tested", "failed")


async def test_unknown_store_hash_is_told_apart_from_a_bad_token(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    service.add(
        NewConnection(
            name="shop",
            store="zzz999",
            access_token=sandbox_store["by_name"]["full"]["access_token"],
        )
    )
    report = await service.test("shop")
    assert not report.ok
    check = report.checks[-1]
    assert (check.name, check.ok) == ("store_hash", False)
    assert "no store with hash zzz999" in check.message


async def test_unreachable_host(service: ConnectionService, sandbox_store: dict[str, Any]) -> None:
    from bigsync.connections.check import default_client_factory

    add(service, sandbox_store, sandbox_store["by_name"]["full"]["access_token"])
    service.update(
        "shop",
        ConnectionChanges(
            api_url="http://127.0.0.1:9",
            access_token=sandbox_store["by_name"]["full"]["access_token"],
        ),
    )
    service.client_factory = default_client_factory
    report = await service.test("shop")
    assert not report.ok
    assert [(c.name, c.ok) for c in report.checks] == [("host", False)]
    assert "could not reach http://127.0.0.1:9" in report.checks[0].message


async def test_a_probe_that_fails_leaves_the_feature_on_as_unknown(
    service: ConnectionService, control: httpx.AsyncClient, sandbox_store: dict[str, Any]
) -> None:
    fault = {
        "kind": "error",
        "status": 503,
        "path": "/v3/customers",
        "store": sandbox_store["hash"],
    }
    assert (await control.post("/_sandbox/faults", json=fault)).status_code == 201
    add(service, sandbox_store, sandbox_store["by_name"]["full"]["access_token"])
    report = await service.test("shop")
    assert report.ok
    assert statuses(report, "read_customers") == {"Customers: read-only": "unknown"}
    customers = report.feature("read_customers")
    assert customers is not None
    assert customers.is_enabled
    assert "could not be checked" in customers.scopes[0].note


async def test_server_error_on_the_store_endpoint_is_not_blamed_on_the_token(
    service: ConnectionService, control: httpx.AsyncClient, sandbox_store: dict[str, Any]
) -> None:
    fault = {"kind": "error", "status": 500, "path": "/v2/store", "store": sandbox_store["hash"]}
    assert (await control.post("/_sandbox/faults", json=fault)).status_code == 201
    add(service, sandbox_store, sandbox_store["by_name"]["full"]["access_token"])
    report = await service.test("shop")
    assert not report.ok
    assert [(c.name, c.ok) for c in report.checks] == [("host", True), ("token", None)]
    assert "BigCommerce answered 500; try again later" in report.checks[1].message


class SparseStoreAnswer(httpx.AsyncBaseTransport):
    """The sandbox, except that GET /v2/store answers with most fields missing or null."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/v2/store"):
            return httpx.Response(200, json={"name": None, "plan_name": None, "timezone": None})
        return await self.inner.handle_async_request(request)


async def test_a_store_answer_without_its_fields_reads_as_blank_not_none(
    service: ConnectionService, sandbox_store: dict[str, Any], sandbox_app: Starlette
) -> None:
    def client_factory(credentials: StoreCredentials, base_url: str) -> BigCommerceClient:
        transport = SparseStoreAnswer(httpx.ASGITransport(app=sandbox_app))
        options = ClientOptions(retry=TEST_RETRY)
        return BigCommerceClient(
            credentials, base_url=base_url, options=options, transport=transport
        )

    service.client_factory = client_factory
    add(service, sandbox_store, sandbox_store["by_name"]["full"]["access_token"])
    report = await service.test("shop")
    assert report.ok
    assert report.store is not None
    assert (report.store.store_hash, report.store.name, report.store.plan) == (
        sandbox_store["hash"],
        "",
        "",
    )
    check = report.check("store_info")
    assert check is not None
    assert check.message == f"store {sandbox_store['hash']}"
