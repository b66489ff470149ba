"""Pages of API documents to mirror rows: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from bigsync.streams import rows
from bigsync.streams.catalog import STREAMS, select_streams
from bigsync.streams.spec import Owned


def test_products_batch_splits_variants_and_owns_each_products_variant_set() -> None:
    page = [
        {"id": 1, "name": "Lamp", "price": 25, "date_modified": "2026-01-02T03:04:05+00:00",
         "variants": [{"id": 10, "product_id": 1, "sku": "L-1", "price": None}]},
        {"id": 2, "name": "Bowl", "price": "9.5", "date_modified": "2026-01-02T03:04:06Z",
         "variants": []},
    ]  # fmt: skip
    batch = rows.products_batch(page, None)
    products = batch.rows["products"]
    assert [p["id"] for p in products] == [1, 2]
    assert "variants" not in products[0]["raw"]
    assert products[1]["price"] == 9.5
    assert products[0]["date_modified"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert [v["id"] for v in batch.rows["variants"]] == [10]
    assert batch.owned == (Owned("variants", "product_id", (1, 2)),)


def test_products_without_included_variants_do_not_touch_variants() -> None:
    batch = rows.products_batch([{"id": 1, "name": "Lamp"}], None)
    assert batch.owned == ()


def test_variant_content_hash_ignores_key_order_and_sees_changes() -> None:
    a = rows.variant_row({"id": 1, "product_id": 2, "price": 3})
    b = rows.variant_row({"price": 3, "product_id": 2, "id": 1})
    c = rows.variant_row({"id": 1, "product_id": 2, "price": 4})
    assert a["content_hash"] == b["content_hash"] != c["content_hash"]


def test_orders_batch_takes_lines_and_addresses_from_consignments() -> None:
    order = {
        "id": 100,
        "status_id": 0,
        "is_deleted": False,
        "total_inc_tax": "12.5000",
        "date_modified": "Tue, 05 Mar 2019 21:40:11 +0000",
        "consignments": {
            "shipping": [{"id": 7, "city": "Tallinn", "line_items": [{"id": 70, "order_id": 100}]}],
            "downloads": [{"line_items": [{"id": 71, "order_id": 100}]}],
            "pickups": [],
        },
    }
    batch = rows.orders_batch([order], None)
    (row,) = batch.rows["orders"]
    assert "consignments" not in row["raw"]
    assert (row["status_id"], row["total_inc_tax"]) == (0, 12.5)
    assert row["date_modified"] == datetime(2019, 3, 5, 21, 40, 11, tzinfo=UTC)
    assert [li["id"] for li in batch.rows["order_products"]] == [70, 71]
    (address,) = batch.rows["order_shipping_addresses"]
    assert address["order_id"] == 100
    assert "line_items" not in address["raw"]
    assert {o.table for o in batch.owned} == {"order_products", "order_shipping_addresses"}


def test_inventory_batch_has_one_row_per_item_and_location() -> None:
    item = {
        "identity": {"sku": "A", "product_id": 5, "sku_id": None},
        "locations": [
            {"location_id": 1, "available_to_sell": 3, "settings": {"safety_stock": 1}},
            {"location_id": 2, "available_to_sell": 0, "settings": {}},
        ],
    }
    levels = rows.inventory_batch([item], None).rows["inventory_levels"]
    assert [(r["location_id"], r["product_id"], r["variant_id"]) for r in levels] == [
        (1, 5, 0),
        (2, 5, 0),
    ]


def test_per_parent_batches_own_their_parents_children() -> None:
    methods = rows.shipping_methods_batch([{"id": 3, "name": "Flat"}], 9)
    assert methods.rows["shipping_methods"][0]["zone_id"] == 9
    assert methods.owned == (Owned("shipping_methods", "zone_id", (9,)),)
    empty = rows.transactions_batch([], 42)
    assert empty.owned == (Owned("transactions", "order_id", (42,)),)


def test_select_streams_adds_dependencies_in_run_order() -> None:
    assert [s.name for s in select_streams("transactions")] == ["orders", "transactions"]
    assert select_streams(None) == STREAMS


def test_order_billing_name_and_email_are_trimmed_and_empty_ones_are_none() -> None:
    def billing(first: object, last: object, email: object) -> tuple[object, object]:
        doc = {"id": 1, "status_id": 11, "billing_address": {
            "first_name": first, "last_name": last, "email": email}}  # fmt: skip
        row = rows.order_row(doc)
        return row["billing_name"], row["billing_email"]

    assert billing(" Ada ", "Lovelace ", " ada@example.com ") == ("Ada Lovelace", "ada@example.com")
    assert billing(None, "Solo", "") == ("Solo", None)
    assert billing("Ann", "  ", None) == ("Ann", None)
    assert billing("", None, None) == (None, None)
    assert billing(7, 0, 5) == ("7", "5")
    assert billing("x" * 300, "y", "e") == ("x" * 255, "e")
    assert rows.order_row({"id": 1, "status_id": 11})["billing_name"] is None


def test_ids_read_as_integers_whatever_their_json_type() -> None:
    line = {"id": 5, "order_id": "12", "product_id": 3, "variant_id": "", "order_address_id": None}
    consignments = {"shipping": [{"id": 1, "line_items": [line]}]}
    order = {"id": 12, "status_id": 1, "consignments": consignments}
    row = rows.orders_batch([order]).rows["order_products"][0]
    assert (row["order_id"], row["product_id"], row["variant_id"], row["order_address_id"]) == (
        12, 3, None, None)  # fmt: skip
