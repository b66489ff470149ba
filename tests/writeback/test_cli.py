"""`bigsync push` and `bigsync outbox` against a live sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bigsync.cli.main import app
from bigsync.config import get_settings
from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import StoreState
from bigsync.store.db import create_engine_for
from bigsync.writeback.outbox import record_shipment, record_stock
from tests.writeback.conftest import token_of, tracked_items, variant_of
from tests.writeback.helpers import ship_all, shipments_of, shippable_orders


@pytest.fixture
def cli_db(tmp_path: Path, live_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("BIGSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BIGSYNC_DATABASE_URL", url)
    monkeypatch.setenv("BIGSYNC_API_URL", live_url)
    monkeypatch.delenv("BIGSYNC_SECRET_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input)


def test_push_then_list_retry_and_drop(cli_db: str, sandbox: Sandbox, store: StoreState) -> None:
    writes = ("--enable", "write_stock", "--enable", "write_fulfillment")
    connected = run("connect", "shop", "--store", store.hash, *writes, input=f"{token_of(store)}\n")
    assert connected.exit_code == 0, connected.output
    item = tracked_items(store)[0]
    good, bad = shippable_orders(store, 2)
    engine = create_engine_for(cli_db)
    with engine.begin() as conn:
        record_stock(
            conn,
            1,
            product_id=item.product.id,
            variant_id=variant_of(item),
            sku=item.sku,
            location_id=1,
            quantity=77,
        )
        record_shipment(conn, 1, ship_all(good, "CLI-1"))
        request = ship_all(bad, "CLI-2")
        line = request.items[0]
        too_many = (type(line)(line.order_product_id, line.quantity + 9),)
        failed_id = record_shipment(
            conn, 1, type(request)(**{**request.__dict__, "items": too_many})
        )
    engine.dispose()

    pushed = run("push", "shop")
    assert pushed.exit_code == 1, pushed.output  # one entry failed
    assert "2 confirmed, 1 failed" in pushed.output
    assert "exceeds what is left to ship" in pushed.output
    assert max(len(line) for line in pushed.output.splitlines()) <= 80
    sandbox.settle()
    assert item.stock[1].on_hand == 77
    assert shipments_of(store, good.id) == 1

    listed = run("outbox", "shop", "--json")
    assert listed.exit_code == 0, listed.output
    entries = {e["id"]: e for e in json.loads(listed.output)}
    assert entries[failed_id]["state"] == "failed"
    assert "exceeds" in entries[failed_id]["last_error"]
    table = run("outbox", "shop", "--state", "failed")
    assert table.exit_code == 0, table.output
    assert "CLI-2" in table.output
    assert "CLI-1" not in table.output

    retried = run("outbox", "shop", "retry", str(failed_id))
    assert retried.exit_code == 0, retried.output
    assert f"entry {failed_id} is now pending" in retried.output
    dropped = run("outbox", "shop", "drop", str(failed_id))
    assert f"entry {failed_id} is now dropped" in dropped.output
    again = run("push", "shop", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["requests"] == 0

    missing = run("outbox", "shop", "retry")
    assert missing.exit_code == 2
    unknown = run("outbox", "shop", "drop", "999")
    assert unknown.exit_code == 1
    assert "no outbox entry 999" in unknown.output
