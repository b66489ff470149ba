"""The Products page's use-cases on SQLite and PostgreSQL (`fulfillment.browse`, the stock
preview and multi-level set of `fulfillment.stock`, `store.catalog_browse`): keyset pages,
every filter with its count, managing by filter, and a preview that writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bigsync.errors import InputError
from bigsync.fulfillment import browse, locations, stock
from bigsync.fulfillment.browse import ProductFilter
from bigsync.fulfillment.hub import Hub
from bigsync.store import outbox_repository
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.unit_of_work import UnitOfWork
from tests.web.test_products import PRODUCTS, seed


@pytest.fixture
def hub(database_url: str) -> Iterator[Hub]:
    engine = create_engine_for(database_url)
    migrate(engine)
    yield Hub(UnitOfWork(engine), seed(engine), "shop")
    engine.dispose()


def _walk(hub: Hub, chosen: ProductFilter, limit: int) -> tuple[list[int], int | None]:
    page = browse.browse(hub, chosen, limit=limit)
    ids, total = [line.variant_id for line in page.lines], page.total
    while page.next_after is not None:
        page = browse.browse(hub, chosen, after=page.next_after, limit=limit)
        assert page.total is None  # later pages are not counted again
        ids += [line.variant_id for line in page.lines]
    return ids, total


def test_pages_follow_one_another_and_count_once(hub: Hub) -> None:
    live = [100 + i for i in range(1, PRODUCTS + 1) if i != 3]
    for limit in (1, 4, 50):
        assert _walk(hub, ProductFilter(), limit) == (live, len(live))
    page = browse.browse(hub, limit=5)
    assert [c.code for c in page.locations] == ["default"]
    assert page.lines[0].stock[0].store == 5
    assert not page.lines[0].stock[0].differs  # no hub level: nothing to differ


def test_every_filter_and_its_count(hub: Hub) -> None:
    browse.manage(hub, variant_ids=(101, 102, 103 + 1))
    locations.add(hub, "wh2")
    locations.map_to_store(hub, "wh2", 2)
    stock.set_levels(hub, [("SKU-001", None, 5), ("SKU-002", "wh2", 9), ("SKU-004", None, 0)])
    with hub.db.write() as conn:  # product 4 deleted in the store afterwards
        conn.execute(sa.text("UPDATE products SET deleted_at = synced_at WHERE id = 4"))
    expected = {
        "managed": [101, 102, 104],
        "differs": [102, 104],  # 9 vs 5 at wh2; 0 vs 5 at default
        "deleted": [104],
        "unmanaged": [100 + i for i in range(5, PRODUCTS + 1)],
        "all": [101, 102, *(100 + i for i in range(4, PRODUCTS + 1))],
    }
    for status, ids in expected.items():
        assert _walk(hub, ProductFilter(status), 2) == (ids, len(ids)), status
    line = browse.browse(hub, ProductFilter("differs")).lines[0]
    assert [(c.location, c.hub, c.store, c.differs) for c in line.stock] == [
        ("default", None, 5, False),
        ("wh2", 9, 5, True),
    ]
    assert browse.browse(hub, ProductFilter("deleted")).lines[0].deleted_in_store
    assert _walk(hub, ProductFilter("managed", "sku-00"), 10)[0] == [101, 102, 104]
    assert _walk(hub, ProductFilter("all", "_"), 10) == ([], 0)  # LIKE wildcards are literal
    with pytest.raises(InputError, match="unknown filter"):
        browse.browse(hub, ProductFilter("nope"))


def test_manage_by_filter_takes_every_page_and_skips_deleted(hub: Hub) -> None:
    result = browse.manage(hub, filter=ProductFilter("all", "shirt"))
    assert len(result.changed) == PRODUCTS - 1
    assert _walk(hub, ProductFilter("unmanaged"), 50) == ([], 0)
    again = browse.unmanage(hub, filter=ProductFilter("all", "Red"))
    assert len(again.changed) == len([i for i in range(1, PRODUCTS + 1) if i % 2 and i != 3])
    with pytest.raises(InputError):
        browse.manage(hub)


def test_a_preview_writes_nothing_and_matches_the_import(hub: Hub) -> None:
    browse.manage(hub, variant_ids=(101, 102))
    stock.set_levels(hub, [("SKU-001", None, 2)])
    data = "sku,quantity\nSKU-001,7\nsku-002,2\n"
    preview = stock.preview_import(hub, data)
    assert preview.ok
    assert [(p.line, p.sku, p.before, p.after, p.changes) for p in preview.lines] == [
        (2, "SKU-001", 2, 7, True),
        (3, "SKU-002", None, 2, True),
    ]
    with hub.db.read() as conn:
        assert sum(outbox_repository.count_by_state(conn, hub.connection_id).values()) == 1
    changes = stock.import_stock(hub, data)
    assert [(c.sku, c.before, c.quantity) for c in changes] == [
        (p.sku, p.before, p.after) for p in preview.lines
    ]
    bad = stock.preview_import(hub, "SKU-001,1\nSKU-001,2\nSKU-404,1\nSKU-002,-3\n")
    assert not bad.ok
    assert [line for line, _ in bad.problems] == [2, 3, 4]
    assert not stock.preview_import(hub, "").ok
    with pytest.raises(stock.StockFileError, match="2 bad rows"):
        stock.set_levels(hub, [("SKU-001", None, 1), ("SKU-404", None, 1), ("SKU-002", "x", 1)])
