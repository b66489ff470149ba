"""Which scope each kind of write needs, and whether a connection is known to lack it.

What bigsync knows about a connection's scopes: the OAuth grant (app installs), and the last
connection test, which reports each write feature's modify scope as granted, missing, or
unverified (a store-level API account does not tell its scopes; a missing read-only scope
proves the modify scope missing). A write whose scope is known missing fails at once, with
the scope named and no request sent; an unverified one is sent, and a 403 answer fails it the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bigsync.bigcommerce.scopes import ScopeNeed, ScopeStatus, is_in_grant
from bigsync.connections.features import FEATURE_NEEDS, Feature
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


@dataclass(frozen=True)
class ScopeGate:
    """Kinds of write known to lack their scope, with the error to record."""

    missing: Mapping[IntentKind, str]

    def refusal(self, kind: IntentKind) -> str | None:
        """Why writes of `kind` fail at once, or None when they may be sent."""
        return self.missing.get(kind)


def scope_gate(view: ConnectionView) -> ScopeGate:
    """What the connection's OAuth grant and last test say about its write scopes."""
    granted = frozenset(view.granted_scopes) if view.granted_scopes is not None else None
    missing: dict[IntentKind, str] = {}
    for kind in IntentKind:
        need = write_need(kind)
        if _is_missing(need, view, granted):
            missing[kind] = missing_scope_message(need, view.name)
    return ScopeGate(missing)


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


NO_GATE = ScopeGate({})
"""Nothing known missing (tests that build a dispatcher by hand)."""
