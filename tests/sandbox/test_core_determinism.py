"""Same seed and spec, same sandbox: hashes, tokens and every generated record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from bigsync.sandbox import create_app
from bigsync.sandbox.backend import BuildSpec, Clock
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes

SPEC = BuildSpec(seed=42, stores=2, sizes=StoreSizes(products=25, orders=30, customers=15))
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PATHS = (
    "/v2/store",
    "/v3/channels",
    "/v3/catalog/products?include=variants&limit=250",
    "/v3/catalog/brands",
    "/v3/customers?limit=250",
    "/v2/orders?limit=250",
    "/v2/shipping/zones",
)


async def _snapshot(spec: BuildSpec) -> dict[str, Any]:
    clock = Clock()
    clock.freeze(AT)
    sandbox = build_sandbox(spec, clock=clock)
    transport = httpx.ASGITransport(app=create_app(sandbox))
    snapshot: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        stores = (await client.get("/_sandbox/stores")).json()
        snapshot["stores"] = stores
        for store in stores["stores"]:
            headers = {"X-Auth-Token": store["accounts"][0]["access_token"]}
            for path in PATHS:
                response = await client.get(f"/stores/{store['hash']}{path}", headers=headers)
                snapshot[f"{store['hash']} {path}"] = (response.status_code, response.content)
    return snapshot


async def test_same_seed_same_sandbox() -> None:
    first = await _snapshot(SPEC)
    assert first == await _snapshot(SPEC)
    assert sum(status == 200 for status, _ in list(first.values())[1:]) >= 4


async def test_another_seed_another_sandbox() -> None:
    first = await _snapshot(SPEC)
    other = await _snapshot(BuildSpec(seed=43, stores=2, sizes=SPEC.sizes))
    assert first["stores"] != other["stores"]
