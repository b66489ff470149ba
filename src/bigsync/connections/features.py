"""Connection features: what a user can turn on for a connection, and the scopes each needs."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence

from bigsync.bigcommerce.scopes import STORE_INFO_NEED, Access, ScopeNeed

_R, _M = Access.READ, Access.MODIFY


class Feature(enum.StrEnum):
    """What a user can enable on a connection."""

    READ_CATALOG = "read_catalog"
    READ_ORDERS = "read_orders"
    READ_TRANSACTIONS = "read_transactions"
    READ_CUSTOMERS = "read_customers"
    READ_INVENTORY = "read_inventory"
    WRITE_STOCK = "write_stock"
    WRITE_FULFILLMENT = "write_fulfillment"
    WEBHOOKS = "webhooks"


FEATURE_TITLES: Mapping[Feature, str] = {
    Feature.READ_CATALOG: "Read catalog",
    Feature.READ_ORDERS: "Read orders",
    Feature.READ_TRANSACTIONS: "Read transactions",
    Feature.READ_CUSTOMERS: "Read customers",
    Feature.READ_INVENTORY: "Read inventory",
    Feature.WRITE_STOCK: "Write stock",
    Feature.WRITE_FULFILLMENT: "Write shipments and order status",
    Feature.WEBHOOKS: "Webhooks",
}

_R, _M = Access.READ, Access.MODIFY

FEATURE_NEEDS: Mapping[Feature, tuple[ScopeNeed, ...]] = {
    Feature.READ_CATALOG: (ScopeNeed("store_v2_products", _R),),
    Feature.READ_ORDERS: (ScopeNeed("store_v2_orders", _R),),
    Feature.READ_TRANSACTIONS: (ScopeNeed("store_v2_transactions", _R),),
    Feature.READ_CUSTOMERS: (ScopeNeed("store_v2_customers", _R),),
    Feature.READ_INVENTORY: (
        ScopeNeed("store_inventory", _R),
        ScopeNeed("store_locations", _R),
    ),
    Feature.WRITE_STOCK: (
        ScopeNeed("store_inventory", _M),
        ScopeNeed("store_locations", _R),
    ),
    Feature.WRITE_FULFILLMENT: (ScopeNeed("store_v2_orders", _M),),
    # Webhooks (/v3/hooks) come with every API account; events carry only ids, and the
    # refresh they trigger uses the read features above.
    Feature.WEBHOOKS: (),
}

DEFAULT_FEATURES: tuple[Feature, ...] = (
    Feature.READ_CATALOG,
    Feature.READ_ORDERS,
    Feature.READ_INVENTORY,
)


def parse_features(names: Iterable[str]) -> tuple[Feature, ...]:
    """Feature names (as typed, comma lists allowed) in catalogue order, without duplicates."""
    wanted: set[Feature] = set()
    for raw in names:
        for name in raw.split(","):
            key = name.strip().lower().replace("-", "_")
            if not key:
                continue
            try:
                wanted.add(Feature(key))
            except ValueError:
                known = ", ".join(f.value for f in Feature)
                raise ValueError(f"unknown feature {name.strip()!r}; known: {known}") from None
    return tuple(f for f in Feature if f in wanted)


def families_to_probe(features: Sequence[Feature]) -> list[str]:
    """Scope families whose read probe the report for `features` needs, store info first."""
    families = [STORE_INFO_NEED.family]
    for feature in features:
        for need in FEATURE_NEEDS[feature]:
            if need.family not in families:
                families.append(need.family)
    return families
