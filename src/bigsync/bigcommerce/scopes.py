"""The OAuth scope catalogue: BigCommerce's scope families, their read probes and how to
report them (what each bigsync feature needs is `bigsync.connections.features`).

BigCommerce scopes come in pairs: a modify scope (`store_v2_orders`) and its read-only twin
(`store_v2_orders_read_only`, GET and HEAD only). A store-level API account does not tell its
scopes to the API, so bigsync learns them two ways:

* read access: a `limit=1` GET on a path the scope gates (200, or 404 for a made-up id,
  means granted; 403 means missing);
* modify access: only from an OAuth grant (app installs list the granted scopes). Without
  one, modify access stays *unverified until the first write*: bigsync never writes to a
  store just to find out. A missing read scope does prove the modify scope missing too.

Labels are the names the BigCommerce control panel shows under Settings → Store-level API
accounts → OAuth scopes, with its levels "read-only" and "modify".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

READ_ONLY_SUFFIX = "_read_only"


class Access(enum.StrEnum):
    """The level a feature needs of a scope."""

    READ = "read-only"
    MODIFY = "modify"


@dataclass(frozen=True)
class ScopeFamily:
    """A modify/read-only scope pair, its control-panel label and its read probe."""

    name: str  # the modify scope, e.g. "store_v2_products"
    label: str  # as the control panel shows it, e.g. "Products"
    probe_path: str | None  # GET with limit=1 that the read-only scope gates
    probe_params: Mapping[str, str | int] = field(default_factory=lambda: {"limit": 1})

    @property
    def read_only(self) -> str:
        """The read-only scope name."""
        return self.name + READ_ONLY_SUFFIX

    def scope(self, access: Access) -> str:
        """The scope name for `access`."""
        return self.name if access is Access.MODIFY else self.read_only

    def control_panel_name(self, access: Access) -> str:
        """The setting as BigCommerce shows it, e.g. "Products: read-only"."""
        return f"{self.label}: {access.value}"


FAMILIES: Mapping[str, ScopeFamily] = {
    f.name: f
    for f in (
        ScopeFamily("store_v2_information", "Information & settings", "/v2/store", {}),
        ScopeFamily("store_v2_products", "Products", "/v3/catalog/products"),
        ScopeFamily("store_v2_orders", "Orders", "/v2/orders"),
        # No list endpoint is gated by this scope alone: ask for one order's transactions;
        # 404 (no such order) still proves the scope, as the scope check comes first.
        ScopeFamily("store_v2_transactions", "Order transactions", "/v3/orders/1/transactions", {}),
        ScopeFamily("store_v2_customers", "Customers", "/v3/customers"),
        ScopeFamily("store_inventory", "Store inventory", "/v3/inventory/items"),
        ScopeFamily("store_locations", "Store locations", "/v3/inventory/locations"),
    )
}


@dataclass(frozen=True)
class ScopeNeed:
    """One scope at one access level that a feature requires."""

    family: str
    access: Access

    @property
    def scope(self) -> str:
        """The scope name BigCommerce uses."""
        return FAMILIES[self.family].scope(self.access)

    @property
    def control_panel_name(self) -> str:
        """The setting as the control panel shows it."""
        return FAMILIES[self.family].control_panel_name(self.access)


# Needed by the connection test itself (store name, plan, currency, time zone).
STORE_INFO_NEED = ScopeNeed("store_v2_information", Access.READ)


class ScopeStatus(enum.StrEnum):
    """What bigsync knows about one scope need."""

    GRANTED = "granted"
    MISSING = "missing"
    UNVERIFIED = "unverified"  # modify access without an OAuth grant: known at the first write
    UNKNOWN = "unknown"  # the probe could not run (network, server error)


class ProbeOutcome(enum.StrEnum):
    """The result of one read probe."""

    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"
    FAILED = "failed"


def need_status(
    need: ScopeNeed,
    *,
    granted: frozenset[str] | None,
    probes: Mapping[str, ProbeOutcome],
) -> ScopeStatus:
    """The status of `need` from its family's read probe and the OAuth grant (when known).

    Read access: the probe decides; the grant is the fallback when the probe could not run.
    Modify access: a forbidden read proves it missing; otherwise only a grant can tell.
    """
    probe = probes.get(need.family)
    if probe is ProbeOutcome.FORBIDDEN:
        return ScopeStatus.MISSING
    if need.access is Access.READ and probe is ProbeOutcome.ALLOWED:
        return ScopeStatus.GRANTED
    if granted is not None:
        return ScopeStatus.GRANTED if is_in_grant(need, granted) else ScopeStatus.MISSING
    if need.access is Access.MODIFY and probe is ProbeOutcome.ALLOWED:
        return ScopeStatus.UNVERIFIED
    return ScopeStatus.UNKNOWN


def is_in_grant(need: ScopeNeed, granted: frozenset[str]) -> bool:
    """Whether an OAuth grant covers `need` (a modify scope covers its read-only twin)."""
    modify = FAMILIES[need.family].name
    return modify in granted or (need.access is Access.READ and need.scope in granted)


def parse_granted_scopes(value: str | Iterable[str] | None) -> frozenset[str] | None:
    """Granted scopes from an OAuth answer: a space- or `+`-separated string, or a list."""
    if value is None:
        return None
    parts = value.replace("+", " ").split() if isinstance(value, str) else list(value)
    return frozenset(p.strip() for p in parts if p.strip())


def control_panel_steps(needs: Iterable[ScopeNeed]) -> list[str]:
    """Exact steps in the BigCommerce control panel to grant `needs`."""
    settings: dict[str, Access] = {}
    for need in needs:
        if settings.get(need.family) is not Access.MODIFY:
            settings[need.family] = need.access
    if not settings:
        return []
    return [
        "In the BigCommerce control panel open Settings → Store-level API accounts, "
        "and edit the API account whose token this connection uses.",
        *(
            f"Under OAuth scopes set {FAMILIES[fam].label} to {access.value}."
            for fam, access in settings.items()
        ),
        "Save, then run the connection test again (if BigCommerce shows a new access token, "
        "enter it in this connection first).",
    ]
