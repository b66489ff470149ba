"""The startup printout of `bigsync sandbox`."""

from __future__ import annotations

from rich.console import Console

from bigsync.sandbox.backend import Sandbox
from bigsync.sandbox.server import describe_stores


def test_printout_names_every_account_and_summarises_broad_scope_sets(sandbox: Sandbox) -> None:
    console = Console(record=True, width=200)
    describe_stores(sandbox, "http://127.0.0.1:5780", console)
    text = console.export_text()
    for store in sandbox.stores.values():
        assert store.hash in text
        for account in store.accounts.values():
            assert account.access_token in text
    assert "every scope, modify" in text
    assert "every scope, read-only" in text
    assert "store_v2_products_read_only" in text  # the catalog-only account, listed in full
    assert "curl -H 'X-Auth-Token: " in text
