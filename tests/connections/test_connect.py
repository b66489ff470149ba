"""Connecting from a form (the web wizard): test before saving, save only what the store
accepts, and test what was saved."""

from __future__ import annotations

from typing import Any

import pytest

from bigsync.connections import ConnectionService, NewConnection
from bigsync.errors import ConnectionExistsError, StoreHashError


def _token(store: dict[str, Any], name: str = "full") -> str:
    token: str = store["by_name"][name]["access_token"]
    return token


async def test_check_new_reports_without_saving(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    api_path = f"https://api.bigcommerce.com/stores/{sandbox_store['hash']}/v3/"
    report = await service.check_new(
        NewConnection(name="shop", store=api_path, access_token=_token(sandbox_store))
    )
    assert report.ok
    assert report.store is not None
    assert report.store.store_hash == sandbox_store["hash"]
    assert service.list() == []


async def test_a_wrong_token_saves_nothing_and_says_why(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    wrong = "x" * 31 + "9"
    result = await service.connect(
        NewConnection(name="shop", store=sandbox_store["hash"], access_token=wrong)
    )
    assert result.added is None
    assert not result.report.ok
    token = result.report.check("token")
    assert token is not None
    assert token.ok is False
    assert service.list() == []


async def test_connect_saves_and_tests_what_the_store_accepts(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    new = NewConnection(
        name="shop",
        store=sandbox_store["hash"],
        access_token=_token(sandbox_store),
        sync_every="5m",
    )
    result = await service.connect(new)
    assert result.added is not None
    assert result.report.ok
    view = service.get("shop")
    assert view.last_test is not None
    assert view.last_test.ok
    assert view.sync_every is not None
    assert view.sync_every.total_seconds() == 300
    with pytest.raises(ConnectionExistsError):
        await service.connect(new)


async def test_a_pasted_token_in_the_store_field_is_refused_before_any_request(
    service: ConnectionService, sandbox_store: dict[str, Any]
) -> None:
    token = _token(sandbox_store)
    with pytest.raises(StoreHashError):
        await service.check_new(NewConnection(name="shop", store=token, access_token="a" * 32))
