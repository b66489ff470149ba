"""Which OAuth scope each store API path needs, and whether an account's scopes grant it.

Every scope comes as a pair: the modify scope (any method) and its `_read_only` twin (GET and
HEAD only). A path listed with several scopes accepts any one of them (payment actions take
either the orders or the transactions scope). Paths not in the table, such as `/v3/hooks`,
need no scope beyond a valid token.
"""

from __future__ import annotations

import re

READ_ONLY_SUFFIX = "_read_only"
SAFE_METHODS = frozenset({"GET", "HEAD"})

MODIFY_SCOPES: tuple[str, ...] = (
    "store_v2_products",
    "store_v2_orders",
    "store_v2_transactions",
    "store_v2_customers",
    "store_stored_payment_instruments",
    "store_inventory",
    "store_locations",
    "store_v2_information",
    "store_channel_settings",
    "store_channel_listings",
    "store_sites",
)
"""The modify scopes the sandbox knows; a full-access account holds all of them."""

READ_ONLY_SCOPES: tuple[str, ...] = tuple(scope + READ_ONLY_SUFFIX for scope in MODIFY_SCOPES)

_ID = r"[^/]+"

# First match wins: specific paths before the families that contain them.
SCOPE_TABLE: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern), frozenset(scopes))
    for pattern, scopes in (
        (r"^/v3/hooks(/|$)", ()),
        (r"^/v3/catalog(/|$)", ("store_v2_products",)),
        (r"^/v2/(orders|order_statuses)(/|$)", ("store_v2_orders",)),
        (rf"^/v3/orders/{_ID}/transactions$", ("store_v2_transactions",)),
        (r"^/v3/orders(/|$)", ("store_v2_orders", "store_v2_transactions")),
        (rf"^/v3/customers/{_ID}/stored-instruments$", ("store_stored_payment_instruments",)),
        (r"^/v3/customers(/|$)", ("store_v2_customers",)),
        (r"^/v2/(customers|customer_groups)(/|$)", ("store_v2_customers",)),
        (
            rf"^/v3/inventory/locations(/metafields|/{_ID}/metafields(/{_ID})?)?$",
            ("store_locations",),
        ),
        (r"^/v3/inventory(/|$)", ("store_inventory",)),
        (r"^/v2/(store|time)$", ("store_v2_information",)),
        (r"^/v2/shipping(/|$)", ("store_v2_information",)),
        (rf"^/v3/channels/{_ID}/listings(/|$)", ("store_channel_listings",)),
        (rf"^/v3/channels/{_ID}/site(/|$)", ("store_sites",)),
        (r"^/v3/channels(/|$)", ("store_channel_settings",)),
    )
)


def required_scopes(path: str) -> frozenset[str]:
    """The modify scopes of which any one grants `path` (relative to `/stores/{hash}`).

    `path` may be a concrete path (`/v3/orders/7/transactions`) or a route template
    (`/v3/orders/{order_id}/transactions`). Empty: no scope needed.
    """
    for pattern, scopes in SCOPE_TABLE:
        if pattern.match(path):
            return scopes
    return frozenset()


def is_granted(granted: frozenset[str], required: frozenset[str], method: str) -> bool:
    """Whether `granted` holds a scope of `required`, or its read-only twin for GET/HEAD."""
    if not required:
        return True
    safe = method in SAFE_METHODS
    return any(
        scope in granted or (safe and scope + READ_ONLY_SUFFIX in granted) for scope in required
    )
