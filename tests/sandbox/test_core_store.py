"""Store information, time and channels, validated against the official specs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bigsync.sandbox.backend import Sandbox, StoreState
from tests.sandbox import schema
from tests.sandbox.schema import (
    assert_matches_spec,
    operation_id_for,
    require_specs,
    spec_errors,
    spec_file_for,
)


async def test_store_information_matches_spec(client: httpx.AsyncClient, store: StoreState) -> None:
    response = await client.get(f"/stores/{store.hash}/v2/store")
    assert response.status_code == 200
    assert_matches_spec(response)
    body = response.json()
    assert body["id"] == store.hash
    assert body["store_id"] == store.store_id
    assert body["control_panel_base_url"] == f"https://store-{store.hash}.mybigcommerce.com"
    assert body["default_channel_id"] == 1
    assert body["plan_name"] == "Enterprise"  # the fixture's stores are on plan unlimited


async def test_time_is_the_sandbox_clock(
    client: httpx.AsyncClient, sandbox: Sandbox, store_hash: str
) -> None:
    sandbox.clock.freeze(sandbox.now().replace(year=2030, microsecond=0))
    response = await client.get(f"/stores/{store_hash}/v2/time")
    assert_matches_spec(response)
    assert response.json() == {"time": int(sandbox.now().timestamp())}


async def test_channels_list_and_get(client: httpx.AsyncClient, store_hash: str) -> None:
    listed = await client.get(f"/stores/{store_hash}/v3/channels")
    assert_matches_spec(listed)
    channels = listed.json()["data"]
    assert channels[0]["id"] == 1
    assert channels[0]["type"] == "storefront"
    assert listed.json()["meta"]["pagination"]["total"] == len(channels) == 3

    filtered = await client.get(f"/stores/{store_hash}/v3/channels", params={"type:in": "pos"})
    assert_matches_spec(filtered)
    assert [c["type"] for c in filtered.json()["data"]] == ["pos"]

    one = await client.get(f"/stores/{store_hash}/v3/channels/1")
    assert_matches_spec(one)
    assert one.json()["data"]["currencies"]["default_currency"] == "USD"

    missing = await client.get(f"/stores/{store_hash}/v3/channels/99")
    assert missing.status_code == 404
    assert_matches_spec(missing)


def test_spec_lookup_picks_the_most_specific_template() -> None:
    require_specs()
    path = "/stores/abc123/v3/catalog/products/12/variants"
    assert spec_file_for(path) is not None
    assert spec_file_for(path).name == "product-variants_catalog.v3.yml"  # type: ignore[union-attr]
    assert operation_id_for("GET", "/stores/abc123/v2/time") == "getSystemTimestamp"
    assert spec_file_for("/stores/abc123/v3/nothing/here") is None


async def test_the_harness_catches_a_body_that_breaks_the_spec(
    client: httpx.AsyncClient, store_hash: str
) -> None:
    response = await client.get(f"/stores/{store_hash}/v2/store")
    broken = {**response.json(), "store_id": "not-a-number"}
    errors = spec_errors(response, body=broken)
    assert len(errors) == 1
    assert "store_id" in errors[0]
    assert "'not-a-number' is not of type 'integer'" in errors[0]
    bad_status = await client.get(f"/stores/{store_hash}/v2/time", headers={"X-Auth-Token": ""})
    assert spec_errors(bad_status)  # the spec declares no 401 for /time


def test_without_the_specs_spec_tests_skip_outside_ci_and_fail_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema, "REPO", tmp_path / "clone")  # no ../shared beside it
    monkeypatch.delenv("BIGSYNC_OPENAPI_DIR", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="OpenAPI specs are not available"):
        require_specs()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="OpenAPI specs are not available"):
        require_specs()
