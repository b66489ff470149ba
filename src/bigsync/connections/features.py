"""Connection features: what a user can turn on for a connection, and the scopes each needs."""

from __future__ import annotations

import enum
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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


# Read features a test turns on when their scopes are granted; write features are opt-in.
READ_FEATURES: frozenset[Feature] = frozenset(f for f in Feature if f.value.startswith("read_"))

# A feature that only works with another one on (transactions are read per order).
REQUIRES: Mapping[Feature, Feature] = {Feature.READ_TRANSACTIONS: Feature.READ_ORDERS}


def enable_command(connection: str, feature: Feature | str) -> str:
    """The command that turns `feature` on for `connection` (its name quoted when it must be)."""
    return f"bigsync connect {shlex.quote(connection)} --update --enable {feature}"


@dataclass(frozen=True)
class Switches:
    """Which features are on, and which the user turned off explicitly."""

    on: tuple[Feature, ...]
    off: tuple[Feature, ...] = ()
    notices: tuple[str, ...] = ()

    def set_list(self, wanted: Sequence[Feature]) -> Switches:
        """Exactly `wanted` on (what `-f` does); the rest counts as turned off by the user."""
        dropped = [f for f in self.on if f not in wanted]
        off = {f for f in Feature if f not in wanted and (f in READ_FEATURES or f in dropped)}
        result = Switches(_ordered(wanted), _ordered(off), self.notices)
        if dropped:
            names = ", ".join(dropped)
            result = result._note(f"turned off: {names} (turn one back on with --enable FEATURE)")
        return result._with_requirements()

    def enable(self, features: Sequence[Feature]) -> Switches:
        """Turn `features` on, and what they require (said in a notice)."""
        on = {*self.on, *features}
        off = set(self.off) - set(features)
        return Switches(_ordered(on), _ordered(off), self.notices)._with_requirements()

    def disable(self, features: Sequence[Feature]) -> Switches:
        """Turn `features` off, and what requires them (said in a notice)."""
        off = set(self.off) | set(features)
        result = Switches(_ordered(set(self.on) - off), _ordered(off), self.notices)
        for feature, required in REQUIRES.items():
            if required in features and feature in result.on:
                result = Switches(
                    tuple(f for f in result.on if f is not feature),
                    _ordered({*result.off, feature}),
                    result.notices,
                )._note(f"{feature} needs {required}: {feature} is off too")
        return result

    def _with_requirements(self) -> Switches:
        result = self
        for feature, required in REQUIRES.items():
            if feature in result.on and required not in result.on:
                result = Switches(
                    _ordered({*result.on, required}),
                    tuple(f for f in result.off if f is not required),
                    result.notices,
                )._note(f"{feature} needs {required}: turned {required} on too")
        return result

    def _note(self, notice: str) -> Switches:
        return Switches(self.on, self.off, (*self.notices, notice))


def _ordered(features: Iterable[Feature]) -> tuple[Feature, ...]:
    wanted = set(features)
    return tuple(f for f in Feature if f in wanted)


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
