"""The Products page and `/api/v1/connections/{id}/products...`, `.../stock...` over ASGI,
on a mirror seeded directly (a connection row and its variants, stock at two store
locations): lists and filters, cursors through every page, manage / unmanage by ids and by
filter, hub stock (with its outbox intent), CSV imports with a dry run, and the pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from bigsync.store import mirror_repository, outbox_repository
from bigsync.store.mirror_schema import MIRROR_TABLES
from tests.databases import add_connection
from tests.web.test_auth import csrf_of, login

PRODUCTS = 30


def seed(engine: sa.Engine, count: int = PRODUCTS) -> int:
    """A connection with `count` products of one variant each (SKU-001, ...; product 3 is
    deleted in the store) and 5 on hand of each at store locations 1 and 2."""
    cid = add_connection(engine, "shop")
    now = datetime.now(UTC)
    rows: dict[str, list[dict[str, Any]]] = {
        "products": [
            {"id": i, "name": f"{'Red' if i % 2 else 'Blue'} shirt {i}",
             "inventory_tracking": "variant", "raw": {},
             "deleted_at": now if i == 3 else None}
            for i in range(1, count + 1)
        ],
        "variants": [
            {"id": 100 + i, "product_id": i, "sku": f"SKU-{i:03d}", "content_hash": "x",
             "raw": {"option_values": [{"label": "M"}]}, "deleted_at": None}
            for i in range(1, count + 1)
        ],
        "locations": [{"id": n, "code": f"L{n}", "label": f"Warehouse {n}", "raw": {}}
                      for n in (1, 2)],
        "inventory_levels": [
            {"location_id": n, "product_id": i, "variant_id": 100 + i, "sku": f"SKU-{i:03d}",
             "total_inventory_onhand": 5, "raw": {}}
            for i in range(1, count + 1) for n in (1, 2)
        ],
    }  # fmt: skip
    with engine.begin() as conn:
        for table, values in rows.items():
            mirror_repository.upsert(conn, MIRROR_TABLES[table], values, connection_id=cid, now=now)
    return cid


@pytest.fixture
async def shop(web_client: httpx.AsyncClient, web_app: FastAPI) -> int:
    return seed(web_app.state.hub.engine)


def _url(cid: int, tail: str = "") -> str:
    return f"/api/v1/connections/{cid}/products{tail}"


async def _all(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any):
    items, cursor, totals = [], None, []
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        answer = await client.get(url, params=query, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        totals.append(body["total"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items, totals


async def test_the_list_pages_through_every_variant_with_a_cursor(
    web_client: httpx.AsyncClient, shop: int, api_headers: dict[str, str]
) -> None:
    items, totals = await _all(web_client, _url(shop), api_headers, limit=7)
    ids = [item["variant_id"] for item in items]
    assert ids == [100 + i for i in range(1, PRODUCTS + 1) if i != 3]  # product 3 deleted
    assert set(totals) == {PRODUCTS - 1}  # counted once, carried by the cursor
    first = items[0]
    assert first["sku"] == "SKU-001"
    assert first["options"] == "M"
    assert not first["managed"]
    assert [cell["store"] for cell in first["stock"]] == [5]  # the default location -> 1
    found, _ = await _all(web_client, _url(shop), api_headers, search="sku-02")
    assert [i["sku"] for i in found] == [f"SKU-{n:03d}" for n in range(20, 30)]
    found, _ = await _all(web_client, _url(shop), api_headers, search="BLUE shirt 1")
    assert {i["sku"] for i in found} == {"SKU-010", "SKU-012", "SKU-014", "SKU-016", "SKU-018"}
    found, _ = await _all(web_client, _url(shop), api_headers, search="100%")
    assert found == []


async def test_manage_by_ids_and_by_filter_and_unmanage(
    web_client: httpx.AsyncClient, shop: int, api_headers: dict[str, str]
) -> None:
    answer = await web_client.post(
        _url(shop, "/manage"), json={"variant_ids": [101, 102]}, headers=api_headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"changed": ["SKU-001", "SKU-002"], "unchanged": []}
    answer = await web_client.post(
        _url(shop, "/manage"), json={"filter": {"search": "SKU-00"}}, headers=api_headers
    )
    assert answer.json()["changed"] == [f"SKU-00{n}" for n in range(4, 10)]  # 3: deleted
    assert answer.json()["unchanged"] == ["SKU-001", "SKU-002"]
    managed, totals = await _all(web_client, _url(shop), api_headers, status="managed")
    assert len(managed) == 8
    assert totals[0] == 8
    unmanaged, _ = await _all(web_client, _url(shop), api_headers, status="unmanaged")
    assert len(unmanaged) == PRODUCTS - 1 - 8
    answer = await web_client.post(
        _url(shop, "/unmanage"), json={"filter": {"status": "managed"}}, headers=api_headers
    )
    assert len(answer.json()["changed"]) == 8
    managed, _ = await _all(web_client, _url(shop), api_headers, status="managed")
    assert managed == []
    both = {"variant_ids": [101], "filter": {"status": "all"}}
    refused = await web_client.post(_url(shop, "/manage"), json=both, headers=api_headers)
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    missing = await web_client.post(
        _url(shop, "/manage"), json={"variant_ids": [99999]}, headers=api_headers
    )
    assert missing.status_code == 400
    assert "99999" in missing.json()["detail"]


async def test_stock_levels_record_intents_and_show_differences(
    web_client: httpx.AsyncClient, web_app: FastAPI, shop: int, api_headers: dict[str, str]
) -> None:
    await web_client.post(
        _url(shop, "/manage"), json={"variant_ids": [101, 102]}, headers=api_headers
    )
    answer = await web_client.put(
        f"/api/v1/connections/{shop}/stock",
        json={"levels": [{"sku": "SKU-001", "quantity": 9}, {"sku": "sku-002", "quantity": 5}]},
        headers=api_headers,
    )
    assert answer.status_code == 200, answer.text
    changes = answer.json()["changes"]
    assert [(c["sku"], c["before"], c["quantity"]) for c in changes] == [
        ("SKU-001", None, 9),
        ("SKU-002", None, 5),
    ]
    assert all(c["intent_id"] for c in changes)
    with web_app.state.hub.engine.connect() as conn:
        assert sum(outbox_repository.count_by_state(conn, shop).values()) == 2
    differs, _ = await _all(web_client, _url(shop), api_headers, status="differs")
    assert [(i["sku"], i["stock"][0]["hub"], i["stock"][0]["store"]) for i in differs] == [
        ("SKU-001", 9, 5)
    ]
    assert differs[0]["differs"]
    assert differs[0]["stock"][0]["differs"]
    bad = await web_client.put(
        f"/api/v1/connections/{shop}/stock",
        json={"levels": [{"sku": "SKU-001", "quantity": 1}, {"sku": "SKU-020", "quantity": 1}]},
        headers=api_headers,
    )
    assert bad.status_code == 400
    assert "SKU-020" in bad.json()["detail"]
    again, _ = await _all(web_client, _url(shop), api_headers, status="differs")
    assert again[0]["stock"][0]["hub"] == 9  # all or nothing


async def test_a_stock_import_previews_then_applies(
    web_client: httpx.AsyncClient, shop: int, api_headers: dict[str, str]
) -> None:
    await web_client.post(
        _url(shop, "/manage"), json={"variant_ids": [101, 102]}, headers=api_headers
    )
    url = f"/api/v1/connections/{shop}/stock/import"
    headers = api_headers | {"Content-Type": "text/csv"}
    good = "sku,quantity\r\nSKU-001,12\r\nSKU-002,0\r\n"
    preview = await web_client.post(url, params={"dry_run": "true"}, content=good, headers=headers)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["applied"] is False
    assert body["problems"] == []
    assert [
        (r["line"], r["sku"], r["location"], r["before"], r["after"]) for r in body["lines"]
    ] == [
        (2, "SKU-001", "default", None, 12),
        (3, "SKU-002", "default", None, 0),
    ]
    managed, _ = await _all(web_client, _url(shop), api_headers, status="managed")
    assert [i["stock"][0]["hub"] for i in managed] == [None, None]  # nothing applied
    bad = "SKU-001,12\nSKU-404,1\nSKU-002,-1\n"
    refused = await web_client.post(url, content=bad, headers=headers)
    assert refused.status_code == 200
    assert refused.json()["applied"] is False
    assert [p["line"] for p in refused.json()["problems"]] == [2, 3]
    applied = await web_client.post(url, content=good, headers=headers)
    assert applied.json()["applied"] is True
    managed, _ = await _all(web_client, _url(shop), api_headers, status="managed")
    assert [i["stock"][0]["hub"] for i in managed] == [12, 0]
    again = await web_client.post(url, params={"dry_run": "true"}, content=good, headers=headers)
    assert [r["changes"] for r in again.json()["lines"]] == [False, False]


async def test_the_api_needs_a_token_and_hides_other_connections(
    web_client: httpx.AsyncClient, shop: int, api_headers: dict[str, str]
) -> None:
    assert (await web_client.get(_url(shop))).status_code == 401
    missing = await web_client.get(_url(shop + 1), headers=api_headers)
    assert missing.status_code == 404
    status = await web_client.get(_url(shop, "/refresh"), headers=api_headers)
    assert status.json()["status"] is None


async def test_the_pages_list_manage_set_stock_and_import(
    web_client: httpx.AsyncClient, shop: int, admin_token: str
) -> None:
    await login(web_client)
    page = await web_client.get(f"/integrations/{shop}/products")
    assert page.status_code == 200, page.text
    assert "SKU-001" in page.text
    assert "29 variants match" in page.text
    csrf = csrf_of(page)
    base = f"/integrations/{shop}/products"
    done = await web_client.post(
        f"{base}/manage",
        data={"csrf_token": csrf, "variant_id": ["101", "102"], "scope": "checked"},
        headers={"Referer": f"http://hub{base}"},
    )
    assert done.status_code == 303
    page = await web_client.get(f"{base}?status=managed")
    assert "2 variant(s) now managed" in page.text
    assert page.text.count('class="badge ok">managed') == 2
    saved = await web_client.post(
        f"{base}/stock",
        data={"csrf_token": csrf, "sku": "SKU-001", "location": "default", "quantity": "8"},
        headers={"Referer": f"http://hub{base}"},
    )
    assert saved.status_code == 303
    page = await web_client.get(f"{base}?status=differs")
    assert "SKU-001" in page.text
    assert "SKU-002" not in page.text
    assert "hub-cell differs" in page.text
    preview = await web_client.post(
        f"{base}/import", data={"csrf_token": csrf, "text": "SKU-002,3\nSKU-001,x\n"}
    )
    assert preview.status_code == 200
    assert "nothing can be applied" in preview.text
    assert "confirm-import" not in preview.text
    preview = await web_client.post(
        f"{base}/import", data={"csrf_token": csrf, "text": "SKU-002,3\n"}
    )
    assert "confirm-import" in preview.text
    confirmed = await web_client.post(
        f"{base}/import/confirm", data={"csrf_token": csrf, "text": "SKU-002,3\n"}
    )
    assert confirmed.status_code == 303
    page = await web_client.get(f"{base}?status=managed")
    assert "Imported 1 stock level" in page.text
    assert 'value="3"' in page.text
