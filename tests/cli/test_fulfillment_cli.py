"""The hub's commands as a user runs them (a sandbox on a socket, a real SQLite file): tables
whole at 80 columns, `--json` on each, errors one line on stderr with the fix."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bigsync.cli.main import app
from bigsync.sandbox.server import SandboxServer
from tests.cli.conftest import token_of

HUB_COMMANDS = (
    ["products"],
    ["manage"],
    ["unmanage"],
    ["stock", "x", "set"],
    ["stock", "x", "import"],
    ["stock", "x", "show"],
    ["locations", "x", "list"],
    ["locations", "x", "add"],
    ["locations", "x", "map"],
    ["ship"],
    ["order-status"],
    ["shipping", "x", "services", "add"],
    ["shipping", "x", "map"],
    ["shipping", "x", "methods"],
    ["shipping", "x", "statuses"],
)


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})


def ok(*args: str, cut: bool = False) -> Any:
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    assert [line for line in result.stdout.splitlines() if len(line) > 80] == [], args
    if not cut:  # only where the command shortens on purpose (`products`: long names)
        assert "…" not in result.stdout, args  # nothing cut short
    return result


def table_rows(output: str) -> list[list[str]]:
    """The body rows of the table in `output` (indented lines under its rule, up to the first
    line that is not), split on runs of 2+ spaces."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("───"))
    rows = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        rows.append([cell for cell in line.strip().split("  ") if cell.strip()])
    return rows


def check_products_table(output: str, listed: list[dict[str, Any]]) -> None:
    """One line per variant (SKU, ids, quantities whole), the store's quantity on managed and
    unmanaged lines alike, and the hub's only on managed ones."""
    rows = table_rows(output)
    assert len(rows) == len(listed), output  # nothing folded onto a second line
    for row, line in zip(rows, listed, strict=True):
        cells = [cell.strip() for cell in row]
        assert cells[0] == line["sku"], (cells, line)
        assert f"{line['product_id']}/{line['variant_id']}" in cells, (cells, line)
        name = cells[1]
        full = line["name"] + (f" ({line['options']})" if line["options"] else "")
        assert name == full or (name.count("…") == 1 and full.startswith(name.split("…")[0]))
        if line["options"]:  # the options stay whole: they tell the variants apart
            assert name.endswith(f"({line['options']})"), (name, line)
        numbers = [cell for cell in cells[2:] if cell.lstrip("-").isdigit()]
        expected = [line["hub_quantity"], line["store_quantity"]]
        assert numbers == [str(n) for n in expected if n is not None], (cells, line)


def data(*args: str) -> Any:
    return json.loads(ok(*args, "--json").stdout)


def refused(*args: str, says: str) -> str:
    result = run(*args)
    assert result.exit_code == 1, (args, result.output)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr, result.stderr
    return str(result.stderr)


@pytest.mark.parametrize("command", HUB_COMMANDS, ids=" ".join)
def test_help_fits_80_columns_and_offers_json(command: list[str]) -> None:
    shown = run(*command, "--help")
    assert shown.exit_code == 0, shown.output
    assert [line for line in shown.output.splitlines() if len(line) > 80] == []
    assert "--json" in shown.output


def _open_order(database: Path) -> tuple[int, int, int]:
    """(order id, order product id, quantity) of an open order with one address, from the
    mirror (sqlite3 of the standard library: what a user might run)."""
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT o.id, p.id, p.quantity FROM orders o JOIN order_products p "
            "ON p.connection_id = o.connection_id AND p.order_id = o.id "
            "WHERE o.is_deleted = 0 AND p.quantity_shipped = 0 AND p.quantity >= 2 "
            "AND (SELECT count(*) FROM order_shipping_addresses a WHERE a.order_id = o.id) = 1 "
            "AND NOT EXISTS (SELECT 1 FROM order_products q WHERE q.order_id = o.id "
            "AND q.quantity_shipped > 0) ORDER BY o.id LIMIT 1"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_the_hub_commands_end_to_end(cli_env: Path, live_sandbox: SandboxServer) -> None:
    store_hash, token = token_of(live_sandbox, "full")
    args = ("--store", store_hash, "--token", token, "--api-url", live_sandbox.url)
    assert run("connect", "shop", *args, "--enable", "write_fulfillment").exit_code == 0
    assert run("sync", "shop").exit_code == 0

    listed = data("products", "shop")
    sku = next(line["sku"] for line in listed if line["sku"])
    assert {"sku", "product_id", "variant_id", "managed", "differs"} <= set(listed[0])
    assert all(line["store_quantity"] is not None for line in listed if line["options"])
    table = ok("products", "shop", cut=True).stdout
    check_products_table(table, listed)
    assert "…" in table  # the sandbox's longer names are shortened to fit, whole in --json
    shown = ok("products", "shop", "--search", sku, cut=True)
    assert sku in shown.stdout
    refused("manage", "shop", "--sku", "NOPE-1", says="no variant with SKU 'NOPE-1'")
    assert data("manage", "shop", "--sku", sku)["changed"] == [sku]
    assert [line["sku"] for line in data("products", "shop", "--managed")] == [sku]
    listed = data("products", "shop")
    assert [line["managed"] for line in listed].count(True) == 1
    check_products_table(ok("products", "shop", cut=True).stdout, listed)
    refreshed = ok("products", "shop", "--managed", "--refresh", cut=True)
    assert "Refreshed the catalog and stock of shop" in refreshed.stdout

    ok("locations", "shop", "add", "wh2", "--name", "Warehouse 2")
    ok("locations", "shop", "map", "wh2", "2")
    refused("locations", "shop", "map", "wh2", "99", says="the store has no location 99")
    views = {v["code"]: v for v in data("locations", "shop", "list")}
    assert views["wh2"]["store_location_id"] == 2
    assert views["default"]["store_location_id"] == 1
    assert "mapped" in ok("locations", "shop").stdout

    held = " ".join(ok("stock", "shop", "set", sku, "6").stdout.split())
    assert "held: Write stock is off for this connection" in held, held
    assert "bigsync connect shop --update --enable write_stock`)" in held, held
    assert run("connect", "shop", "--update", "--enable", "write_stock").exit_code == 0
    change = data("stock", "shop", "set", sku, "7")
    assert (change["quantity"], change["location"]) == (7, "default")
    assert change["intent_id"] is not None
    managed = data("products", "shop", "--managed")
    assert (managed[0]["hub_quantity"], managed[0]["differs"]) == (7, True)
    shown = ok("products", "shop", "--managed", cut=True).stdout
    check_products_table(shown, managed)
    assert "Products of shop (1 variant)\n" in shown
    assert "≠: hub and store differ (`" in shown
    assert "bigsync stock shop show --differs`)." in shown
    refused("stock", "shop", "set", sku, "1", "--location", "attic", says="no hub location")
    bad = cli_env / "bad.csv"
    bad.write_bytes(f"sku,quantity\r\n{sku},3\r\n{sku},x\r\nNOPE-1,2\r\n".encode())
    error = refused("stock", "shop", "import", str(bad), says="nothing was applied")
    assert "line 3: quantity 'x'" in error
    assert "line 4: SKU NOPE-1 is not managed" in error
    good = cli_env / "good.csv"
    good.write_bytes(f"\ufeffsku,quantity,location\r\n{sku},9,wh2\r\n".encode())
    imported = " ".join(ok("stock", "shop", "import", str(good)).stdout.split())
    assert "1 rows applied" in imported
    assert "bigsync push shop` sends them." in imported, imported
    report = data("stock", "shop", "show")
    levels = {(line["sku"], line["location"]): line for line in report["lines"]}
    assert levels[(sku, "default")]["hub_quantity"] == 7
    assert levels[(sku, "wh2")]["hub_quantity"] == 9
    assert levels[(sku, "wh2")]["push_state"] == "pending"
    assert report["store_synced_at"] is not None
    table = ok("stock", "shop", "show", "--differs")
    assert "inventory synced just now" in table.stdout

    ok("shipping", "shop", "services", "add", "dhl", "--carrier", "dhl", "--name", "DHL")
    ok("shipping", "shop", "map", "*", "dhl")
    methods = data("shipping", "shop", "methods")
    assert methods
    assert all((m["service"], m["rule"]) == ("dhl", "*") for m in methods)
    assert "DHL" in ok("shipping", "shop", "services").stdout
    assert "wildcard" in ok("shipping", "shop", "rules").stdout
    assert "default service: none" in ok("shipping", "shop", "statuses").stdout

    order_id, line_id, quantity = _open_order(cli_env / "cli.db")
    refused(
        "ship", "shop", str(order_id), "--tracking", "T-1", "--item", f"{line_id}:{quantity + 1}",
        says=f"{quantity + 1} asked, {quantity} left to ship",
    )  # fmt: skip
    shipped = data("ship", "shop", str(order_id), "--tracking", "T-1")
    assert (shipped["carrier"], shipped["service"], shipped["status_id"]) == ("dhl", "dhl", 2)
    refused("ship", "shop", "999999", "--tracking", "T", says="run `")
    status = data("order-status", "shop", str(order_id), "completed")
    assert status["status"]["id"] == 10
    refused("order-status", "shop", str(order_id), "Sent", says="valid: Incomplete (0)")

    # `bigsync push`: the store has them all afterwards.
    pushed = run("push", "shop", "--json")
    assert pushed.exit_code == 0, pushed.output
    assert json.loads(pushed.stdout)["left"] == {}
    store = next(iter(live_sandbox.sandbox.stores.values()))
    order = store.sales.orders[order_id]
    assert [s.tracking_number for s in order.shipments] == ["T-1"]
    assert all(p.quantity_shipped == p.quantity for p in order.products if p.order_address_id)
    assert order.status_id == 10  # Shipped (2) after the shipment, then Completed
    # The push read the order back: the mirror shows it before any sync (no webhooks here).
    with sqlite3.connect(cli_env / "cli.db") as conn:
        mirrored = conn.execute(
            "SELECT o.status_id, min(p.quantity_shipped = p.quantity) FROM orders o "
            "JOIN order_products p ON p.connection_id = o.connection_id AND p.order_id = o.id "
            "WHERE o.id = ?",
            (order_id,),
        ).fetchone()
    assert mirrored == (10, 1)
    assert run("sync", "shop").exit_code == 0
    levels = {(x["sku"], x["location"]): x for x in data("stock", "shop", "show")["lines"]}
    assert (levels[(sku, "default")]["store_quantity"], levels[(sku, "wh2")]["store_quantity"]) == (
        7,
        9,
    )
    assert levels[(sku, "default")]["push_state"] == "confirmed"
    assert data("stock", "shop", "show", "--differs")["lines"] == []
    refused("ship", "shop", str(order_id), "--tracking", "T-2", says="nothing left to ship")


@pytest.mark.parametrize("width", [50, 80, 160])
def test_cut_columns_keep_each_row_on_one_line(
    width: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.cells import cell_len

    from bigsync.cli.hub import print_table

    monkeypatch.setenv("COLUMNS", str(width))
    names = [
        ("Extraordinarily Long Handmade [Walnut] Writing Desk Organiser", "(Dark Oak, XXL)"),
        ("長い名前の商品です、とても長い名前の商品です", "(赤)"),
        ("Pen", ""),
    ]
    rows = [(f"SKU-{i}", name, i, "") for i, name in enumerate(names)]
    print_table("T", ("SKU", "product", "n", "x"), rows, right=("n",), cut=("product",))
    out = capsys.readouterr().out
    body = table_rows(out)
    assert len(body) == len(names), out
    assert all(cell_len(line) <= width for line in out.splitlines()), out
    assert ("[Walnut]" in out) == (width >= 80), out  # markup in names is text, not style
    assert "(Dark Oak, XXL)" in out
    assert "(赤)" in out
    assert " Pen " in out
    assert ("…" in out) == (width < 100), out
