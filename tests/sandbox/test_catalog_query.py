"""Product filters and sorting against a brute-force reading of the same records."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.catalog.models import Product
from bigsync.sandbox.catalog.query import PRODUCT_SORTS, products_matching
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.generator.catalog import generate_catalog

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STORE = StoreState(hash="query", store_id=1, name="Query", plan="unlimited")
generate_catalog(STORE, random.Random(21), StoreSizes(products=120), NOW)
CATALOG = STORE.catalog
IDS = sorted(CATALOG.products)

sorts = st.sampled_from(sorted(PRODUCT_SORTS))
bounds = st.none() | st.sampled_from(IDS)
flags = st.none() | st.booleans()
days_back = st.none() | st.integers(min_value=0, max_value=800)


@settings(max_examples=150, deadline=None)
@given(
    sort=sorts,
    descending=st.booleans(),
    id_min=bounds,
    id_max=bounds,
    visible=flags,
    modified_since=days_back,
    brand=st.none() | st.sampled_from(sorted(CATALOG.brands)),
)
def test_filters_and_sort_match_brute_force(
    *,
    sort: str,
    descending: bool,
    id_min: int | None,
    id_max: int | None,
    visible: bool | None,
    modified_since: int | None,
    brand: int | None,
) -> None:
    params = {"sort": sort, "direction": "desc" if descending else "asc"}
    since = NOW - timedelta(days=modified_since) if modified_since is not None else None
    if id_min is not None:
        params["id:min"] = str(id_min)
    if id_max is not None:
        params["id:max"] = str(id_max)
    if visible is not None:
        params["is_visible"] = str(visible).lower()
    if since is not None:
        params["date_modified:min"] = since.isoformat()
    if brand is not None:
        params["brand_id"] = str(brand)

    def wanted(p: Product) -> bool:
        return (
            (id_min is None or p.id >= id_min)
            and (id_max is None or p.id <= id_max)
            and (visible is None or p.doc["is_visible"] is visible)
            and (since is None or p.date_modified >= since)
            and (brand is None or p.doc["brand_id"] == brand)
        )

    key = PRODUCT_SORTS[sort]
    expected = sorted(
        (p for p in CATALOG.products.values() if wanted(p)), key=lambda p: (key(CATALOG, p), p.id)
    )
    if descending:
        expected.reverse()
    found = products_matching(CATALOG, params, now=NOW)
    assert [p.id for p in found] == [p.id for p in expected]
