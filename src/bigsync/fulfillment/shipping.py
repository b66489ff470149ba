"""Shipping services, the rules that link the store's shipping methods to them, the default
service, and the order statuses a shipment leads to.

A service is the merchant's name for a way of shipping: a code (what rules and `ship
--carrier` name), a carrier and a label. The carrier is written into the shipment as
BigCommerce's `shipping_provider` when it is one of the providers BigCommerce knows
(`BIGCOMMERCE_PROVIDERS`, or `carrier_<id>` of a shipping app), else as `tracking_carrier`
(an AfterShip courier slug such as `dhl` or `gls`), so the store builds the tracking link.

Which service a store shipping method maps to: the most specific matching rule
(`shipping_rules`), else the default service when one is set (listed as unmatched by any
rule), else none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bigsync.errors import InputError
from bigsync.fulfillment import shipping_rules
from bigsync.fulfillment.hub import Hub
from bigsync.fulfillment.order_status import resolve_status
from bigsync.fulfillment.shipping_rules import Rule
from bigsync.store import hub_mirror, shipping_repository
from bigsync.store.shipping_repository import HubSettings, Service

if TYPE_CHECKING:
    from sqlalchemy import Connection

BIGCOMMERCE_PROVIDERS = frozenset(
    {
        "auspost",
        "canadapost",
        "endicia",
        "usps",
        "fedex",
        "royalmail",
        "ups",
        "upsready",
        "shipperhq",
    }
)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CARRIER = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
UNMATCHED = "unmatched"


class UnknownShippingError(InputError):
    """No shipping service or rule by that code or pattern."""


class ShippingConflictError(InputError):
    """The change contradicts what is saved: a code taken, a service still used by rules."""


def provider_and_carrier(carrier: str) -> tuple[str, str]:
    """(shipping_provider, tracking_carrier) of a shipment sent with `carrier`."""
    if carrier in BIGCOMMERCE_PROVIDERS or carrier.startswith("carrier_"):
        return carrier, ""
    return "", carrier


def check_carrier(carrier: str) -> str:
    """A carrier as stored (lower case), or InputError."""
    cleaned = carrier.strip().lower()
    if not _CARRIER.fullmatch(cleaned):
        raise InputError(
            f"{carrier!r} is not a carrier: a BigCommerce shipping provider (ups, usps, fedex, "
            "...) or an AfterShip courier slug (dhl, gls, ...)"
        )
    return cleaned


# --- services ---------------------------------------------------------------------------------


def list_services(hub: Hub) -> list[Service]:
    """The hub's services, by code."""
    with hub.db.read() as conn:
        return shipping_repository.list_services(conn, hub.connection_id)


def add_service(hub: Hub, code: str, *, carrier: str, name: str | None = None) -> Service:
    """Add a service."""
    if not _CODE.fullmatch(code):
        raise InputError(
            f"{code!r} is not a service code: letters, digits, '.', '_' or '-' (at most 64)"
        )
    carrier = check_carrier(carrier)
    label = " ".join((name or code).split()) or code
    if len(label) > 200:
        raise InputError("a service name is at most 200 characters")
    if any(ch < " " or ch == "\x7f" for ch in label):
        raise InputError("a service name cannot hold control characters")
    try:
        with hub.db.write() as conn:
            return shipping_repository.insert_service(
                conn,
                hub.connection_id,
                code=code,
                carrier=carrier,
                name=label,
                now=hub.now(),
            )
    except InputError as taken:
        raise ShippingConflictError(str(taken)) from None


def find_service(services: list[Service], code: str, *, hub: Hub) -> Service:
    """The service `code` (case-blind), or InputError naming the known codes."""
    for service in services:
        if service.code.casefold() == code.casefold():
            return service
    known = ", ".join(s.code for s in services) or "none yet"
    raise UnknownShippingError(
        f"no shipping service {code!r} (known: {known}; add one with "
        f"`bigsync shipping {hub.name} services add {code} --carrier CARRIER`)"
    )


def remove_service(hub: Hub, code: str) -> Service:
    """Remove a service that no rule uses (the default setting is cleared with it)."""
    with hub.db.write() as conn:
        service = find_service(
            shipping_repository.list_services(conn, hub.connection_id), code, hub=hub
        )
        using = [
            r.pattern
            for r in shipping_repository.list_rules(conn, hub.connection_id)
            if r.service_code == service.code
        ]
        if using:
            shown = ", ".join(repr(p) for p in using)
            raise ShippingConflictError(
                f"service {service.code!r} is used by the rules {shown}: unmap them first "
                f"(`bigsync shipping {hub.name} unmap PATTERN`)"
            )
        settings = shipping_repository.get_settings(conn, hub.connection_id)
        if settings.default_service_id == service.id:
            shipping_repository.save_settings(
                conn, hub.connection_id, replace(settings, default_service_id=None), now=hub.now()
            )
        shipping_repository.delete_service(conn, hub.connection_id, service.id)
    return service


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleView:
    """A rule as listed: its pattern, its service, whether it is exact."""

    pattern: str
    service: str
    exact: bool


def list_rules(hub: Hub) -> list[RuleView]:
    """The rules, most specific first (the order in which they win)."""
    with hub.db.read() as conn:
        rules = shipping_repository.list_rules(conn, hub.connection_id)
    ordered = sorted(rules, key=lambda r: shipping_rules.specificity(r.pattern))
    return [
        RuleView(r.pattern, r.service_code, shipping_rules.is_exact(r.pattern)) for r in ordered
    ]


def map_pattern(hub: Hub, pattern: str, service_code: str) -> bool:
    """Link `pattern` to a service (replacing the rule of the same pattern, compared as
    rules are); returns whether a rule was replaced."""
    try:
        cleaned = shipping_rules.check_pattern(pattern)
    except ValueError as error:
        raise InputError(str(error)) from None
    with hub.db.write() as conn:
        service = find_service(
            shipping_repository.list_services(conn, hub.connection_id), service_code, hub=hub
        )
        return shipping_repository.put_rule(
            conn,
            hub.connection_id,
            pattern=cleaned,
            pattern_key=shipping_rules.normalise(cleaned),
            service_id=service.id,
            now=hub.now(),
        )


def unmap_pattern(hub: Hub, pattern: str) -> None:
    """Remove the rule of `pattern` (InputError when there is none)."""
    try:
        key = shipping_rules.normalise(shipping_rules.check_pattern(pattern))
    except ValueError as error:
        raise InputError(str(error)) from None
    with hub.db.write() as conn:
        if not shipping_repository.delete_rule(conn, hub.connection_id, key):
            raise UnknownShippingError(
                f"no shipping rule {pattern!r} (see `bigsync shipping {hub.name} rules`)"
            )


# --- default service and statuses -------------------------------------------------------------


@dataclass(frozen=True)
class ShippingSettings:
    """The default service (code) and the order statuses after a shipment, by id and name
    (None: the status is left as it is)."""

    default_service: str | None
    partial_status: tuple[int, str] | None
    shipped_status: tuple[int, str] | None


def get_settings(hub: Hub) -> ShippingSettings:
    """The connection's shipping settings."""
    with hub.db.read() as conn:
        settings = shipping_repository.get_settings(conn, hub.connection_id)
        services = shipping_repository.list_services(conn, hub.connection_id)
        statuses = {s.id: s for s in hub_mirror.store_order_statuses(conn, hub.connection_id)}
    return _settings_view(settings, services, statuses)


def _settings_view(
    settings: HubSettings,
    services: list[Service],
    statuses: dict[int, hub_mirror.OrderStatus],
) -> ShippingSettings:
    def named(status_id: int | None) -> tuple[int, str] | None:
        if status_id is None:
            return None
        status = statuses.get(status_id)
        return status_id, (status.custom_label or status.name) if status else f"status {status_id}"

    default = next((s.code for s in services if s.id == settings.default_service_id), None)
    return ShippingSettings(
        default, named(settings.partial_status_id), named(settings.shipped_status_id)
    )


def set_default_service(hub: Hub, code: str | None) -> ShippingSettings:
    """Set the service used for methods no rule matches (None: no default)."""
    with hub.db.write() as conn:
        services = shipping_repository.list_services(conn, hub.connection_id)
        service_id = find_service(services, code, hub=hub).id if code else None
        settings = shipping_repository.get_settings(conn, hub.connection_id)
        settings = replace(settings, default_service_id=service_id)
        shipping_repository.save_settings(conn, hub.connection_id, settings, now=hub.now())
        statuses = {s.id: s for s in hub_mirror.store_order_statuses(conn, hub.connection_id)}
    return _settings_view(settings, services, statuses)


KEEP_STATUS = "keep"


def set_statuses(
    hub: Hub, *, partial: str | None = None, shipped: str | None = None
) -> ShippingSettings:
    """Set the order status after a shipment that leaves items unshipped (`partial`) and after
    one that ships the rest (`shipped`): a status id or the store's name, or `keep` for no
    change. None leaves a setting as it is."""
    with hub.db.write() as conn:
        statuses = hub_mirror.store_order_statuses(conn, hub.connection_id)
        settings = shipping_repository.get_settings(conn, hub.connection_id)
        if partial is not None:
            settings = replace(settings, partial_status_id=_status_id(hub, statuses, partial))
        if shipped is not None:
            settings = replace(settings, shipped_status_id=_status_id(hub, statuses, shipped))
        shipping_repository.save_settings(conn, hub.connection_id, settings, now=hub.now())
        services = shipping_repository.list_services(conn, hub.connection_id)
    return _settings_view(settings, services, {s.id: s for s in statuses})


def _status_id(hub: Hub, statuses: list[hub_mirror.OrderStatus], text: str) -> int | None:
    if text.strip().casefold() == KEEP_STATUS:
        return None
    return resolve_status(statuses, text, hub=hub).id


# --- methods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodMapping:
    """A store shipping method and the service it maps to (`rule`: the pattern that chose it,
    or `UNMATCHED`; `service` None: no rule and no default)."""

    name: str
    zones: tuple[str, ...]
    orders: int
    service: str | None
    carrier: str | None
    rule: str


def map_method(
    name: str,
    rules: list[shipping_repository.StoredRule],
    services: list[Service],
    default: Service | None,
) -> tuple[Service | None, str]:
    """(service, rule pattern or `UNMATCHED`) for one method name."""
    by_code = {s.code: s for s in services}
    rule = shipping_rules.best_rule((Rule(r.pattern, r.service_code) for r in rules), name)
    if rule is not None:
        return by_code.get(rule.service), rule.pattern
    return default, UNMATCHED


def methods(hub: Hub) -> list[MethodMapping]:
    """Every shipping method the store has (zones' methods and orders' shipping addresses),
    with the service it maps to and the rule that chose it."""
    with hub.db.read() as conn:
        return _methods(conn, hub.connection_id)


def _methods(conn: Connection, connection_id: int) -> list[MethodMapping]:
    used = hub_mirror.store_shipping_methods(conn, connection_id)
    rules = shipping_repository.list_rules(conn, connection_id)
    services = shipping_repository.list_services(conn, connection_id)
    settings = shipping_repository.get_settings(conn, connection_id)
    default = next((s for s in services if s.id == settings.default_service_id), None)
    mapped = []
    for method in used:
        service, rule = map_method(method.name, rules, services, default)
        mapped.append(
            MethodMapping(
                name=method.name,
                zones=method.zones,
                orders=method.orders,
                service=service.code if service else None,
                carrier=service.carrier if service else None,
                rule=rule,
            )
        )
    return mapped


# --- a rule before it is saved ----------------------------------------------------------------


@dataclass(frozen=True)
class PreviewMatch:
    """A method a pattern matches: whether a rule of that pattern would choose it (`wins`),
    else the pattern of the rule that still would (`beaten_by`); and how it maps today."""

    name: str
    zones: tuple[str, ...]
    orders: int
    wins: bool
    beaten_by: str | None
    current_rule: str
    current_service: str | None


@dataclass(frozen=True)
class PatternPreview:
    """What a rule of `pattern` would match among the store's methods, before it is saved.
    `replaces`: the saved rule of the same normalised pattern (it would be replaced)."""

    pattern: str
    exact: bool
    replaces: str | None
    methods: int
    matches: tuple[PreviewMatch, ...]

    @property
    def wins(self) -> int:
        """How many of the matched methods the rule would choose."""
        return sum(1 for m in self.matches if m.wins)


def preview_pattern(hub: Hub, pattern: str) -> PatternPreview:
    """The store's methods `pattern` matches, and which of them a rule of it would win given
    the other rules (InputError when it cannot be a rule)."""
    try:
        cleaned = shipping_rules.check_pattern(pattern)
    except ValueError as error:
        raise InputError(str(error)) from None
    with hub.db.read() as conn:
        stored = shipping_repository.list_rules(conn, hub.connection_id)
        mapped = _methods(conn, hub.connection_id)
    rules = [Rule(r.pattern, r.service_code) for r in stored]
    key = shipping_rules.normalise(cleaned)
    found = []
    for method in mapped:
        if not shipping_rules.matches(cleaned, method.name):
            continue
        beaten_by = shipping_rules.contest(cleaned, rules, method.name)
        found.append(
            PreviewMatch(
                name=method.name,
                zones=method.zones,
                orders=method.orders,
                wins=beaten_by is None,
                beaten_by=beaten_by.pattern if beaten_by else None,
                current_rule=method.rule,
                current_service=method.service,
            )
        )
    return PatternPreview(
        pattern=cleaned,
        exact=shipping_rules.is_exact(cleaned),
        replaces=next((r.pattern for r in stored if r.pattern_key == key), None),
        methods=len(mapped),
        matches=tuple(found),
    )


def order_statuses(hub: Hub) -> list[hub_mirror.OrderStatus]:
    """The store's order statuses (mirrored), by id: what the statuses after a shipment can be."""
    with hub.db.read() as conn:
        return hub_mirror.store_order_statuses(conn, hub.connection_id)
