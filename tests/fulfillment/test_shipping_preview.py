"""A rule's preview before it is saved: the store's methods a pattern matches, and which of
them it would win given the other rules (the sandbox store's zones and orders, SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest

from bigsync.errors import InputError
from bigsync.fulfillment import shipping
from tests.fulfillment.conftest import Shop


async def test_preview_lists_matches_and_which_the_rule_would_win(shop: Shop) -> None:
    shipping.add_service(shop.hub, "express", carrier="dhl")
    shipping.add_service(shop.hub, "other", carrier="gls")
    shipping.map_pattern(shop.hub, "DHL Express", "express")

    preview = shipping.preview_pattern(shop.hub, "  dhl*  ")
    found = {m.name: m for m in preview.matches}
    assert (preview.pattern, preview.exact, preview.replaces) == ("dhl*", False, None)
    assert {"DHL-1", "DHL Express"} <= set(found)
    assert all(name.casefold().startswith("dhl") for name in found)
    assert (found["DHL-1"].wins, found["DHL-1"].beaten_by) == (True, None)
    assert (found["DHL-1"].current_rule, found["DHL-1"].current_service) == ("unmatched", None)
    express = found["DHL Express"]
    assert (express.wins, express.beaten_by, express.current_service) == (
        False,
        "DHL Express",
        "express",
    )
    assert preview.wins == len(found) - 1
    assert preview.methods == len(shipping.methods(shop.hub)) > len(found)


async def test_preview_of_a_saved_pattern_says_it_replaces_it(shop: Shop) -> None:
    shipping.add_service(shop.hub, "other", carrier="gls")
    shipping.map_pattern(shop.hub, "*", "other")
    preview = shipping.preview_pattern(shop.hub, "**")
    assert preview.replaces == "*"
    assert len(preview.matches) == preview.methods == preview.wins


async def test_preview_of_nothing_matching_and_of_no_pattern(shop: Shop) -> None:
    assert shipping.preview_pattern(shop.hub, "Pigeon*").matches == ()
    with pytest.raises(InputError, match="needs a pattern"):
        shipping.preview_pattern(shop.hub, "   ")


async def test_order_statuses_are_the_store_statuses(shop: Shop) -> None:
    found = {s.id: s.name for s in shipping.order_statuses(shop.hub)}
    assert (found[2], found[3]) == ("Shipped", "Partially Shipped")


async def test_service_names_are_tidied_and_checked(shop: Shop) -> None:
    added = shipping.add_service(shop.hub, "dhl", carrier="dhl", name="  DHL \t Parcel\n")
    assert added.name == "DHL Parcel"
    assert shipping.add_service(shop.hub, "ups", carrier="ups", name="  ").name == "ups"
    with pytest.raises(InputError, match="cannot hold control characters"):
        shipping.add_service(shop.hub, "gls", carrier="gls", name="GLS\x00")
    with pytest.raises(InputError, match="at most 200"):
        shipping.add_service(shop.hub, "gls", carrier="gls", name="G" * 201)
    assert [s.code for s in shipping.list_services(shop.hub)] == ["dhl", "ups"]
