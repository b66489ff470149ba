"""Whether a connection's writes of each kind may be sent: its write features and its scopes.

Features. A kind of write is sent only while its feature is on for the connection
(`write_stock` for stock, `write_fulfillment` for shipments and order statuses; both opt-in).
While it is off, its intents are held: recorded, kept, never sent; turning the feature on
sends them at the next dispatch. Turning it off does not recall a write already on its way
(`sending`), nor stop the read-back of a stock level sent before.

Scopes. What bigsync knows about a connection's scopes: the OAuth grant (app installs), and
the last connection test, which reports each write feature's modify scope as granted,
missing, or unverified (a store-level API account does not tell its scopes; a missing
read-only scope proves the modify scope missing). A write whose scope is known missing fails
at once, with the scope named and no request sent; an unverified one is sent, and a 403
answer fails it the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from bigsync.bigcommerce.scopes import ScopeNeed, ScopeStatus, is_in_grant
from bigsync.connections.features import FEATURE_NEEDS, FEATURE_TITLES, Feature, enable_command
from bigsync.connections.model import ConnectionView
from bigsync.writeback.intents import IntentKind

KIND_FEATURES: Mapping[IntentKind, Feature] = {
    IntentKind.STOCK: Feature.WRITE_STOCK,
    IntentKind.SHIPMENT: Feature.WRITE_FULFILLMENT,
    IntentKind.ORDER_STATUS: Feature.WRITE_FULFILLMENT,
}


def write_need(kind: IntentKind) -> ScopeNeed:
    """The modify scope a kind of write needs."""
    return next(n for n in FEATURE_NEEDS[KIND_FEATURES[kind]] if n.access.value == "modify")


def missing_scope_message(need: ScopeNeed, connection: str) -> str:
    """The error of a write refused for a missing scope: names the scope and the fix."""
    return (
        f"missing scope {need.scope} ({need.control_panel_name}): grant it to the API account, "
        f"run `bigsync test {connection}`, then `bigsync outbox {connection} retry ID`"
    )


def held_message(kind: IntentKind, connection: str) -> str:
    """Why writes of `kind` are held: the feature that is off, and how to turn it on."""
    feature = KIND_FEATURES[kind]
    return (
        f"held: {FEATURE_TITLES[feature]} is off for this connection; it is sent once you "
        f"turn it on (`{enable_command(connection, feature)}`)"
    )


def kinds_of(features: Collection[str]) -> frozenset[IntentKind]:
    """The kinds of write that `features` (feature names) let through."""
    return frozenset(kind for kind, feature in KIND_FEATURES.items() if feature in features)


@dataclass(frozen=True)
class WriteGate:
    """Kinds of write that are held (feature off) or fail at once (scope known missing),
    each with the text to record."""

    missing: Mapping[IntentKind, str]
    held: Mapping[IntentKind, str]

    def refusal(self, kind: IntentKind) -> str | None:
        """Why writes of `kind` fail at once, or None when they may be sent."""
        return self.missing.get(kind)

    def hold(self, kind: IntentKind) -> str | None:
        """Why writes of `kind` are kept unsent, or None when their feature is on."""
        return self.held.get(kind)

    @property
    def allowed(self) -> frozenset[IntentKind]:
        """The kinds whose feature is on."""
        return frozenset(kind for kind in IntentKind if kind not in self.held)


def write_gate(view: ConnectionView) -> WriteGate:
    """What the connection's features, OAuth grant and last test say about its writes. A
    feature turned on that the last test disabled (its scope missing) counts as on: its
    writes fail with the scope named, which says what to fix."""
    granted = frozenset(view.granted_scopes) if view.granted_scopes is not None else None
    allowed = kinds_of(view.features)
    missing: dict[IntentKind, str] = {}
    held: dict[IntentKind, str] = {}
    for kind in IntentKind:
        if kind not in allowed:
            held[kind] = held_message(kind, view.name)
            continue
        need = write_need(kind)
        if _is_missing(need, view, granted):
            missing[kind] = missing_scope_message(need, view.name)
    return WriteGate(missing, held)


def _is_missing(need: ScopeNeed, view: ConnectionView, granted: frozenset[str] | None) -> bool:
    if granted is not None:
        return not is_in_grant(need, granted)
    report = view.last_test
    if report is None:
        return False
    for feature in report.features:
        for scope in feature.scopes:
            if scope.scope == need.scope and scope.status == ScopeStatus.MISSING:
                return True
    return False


OPEN_GATE = WriteGate({}, {})
"""Every kind sent (tests that build a dispatcher by hand)."""
