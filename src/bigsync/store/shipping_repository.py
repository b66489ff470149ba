"""SQL of shipping services, shipping-method rules and the hub's settings (default service,
order statuses after a shipment). The caller owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from bigsync.errors import InputError
from bigsync.store.hub_schema import hub_settings, shipping_rules, shipping_services

# Order statuses after a shipment when the merchant has set none: Partially Shipped and
# Shipped (BigCommerce's fixed status ids).
DEFAULT_PARTIAL_STATUS_ID = 3
DEFAULT_SHIPPED_STATUS_ID = 2


@dataclass(frozen=True)
class Service:
    """A carrier service of the hub."""

    id: int
    code: str
    carrier: str
    name: str


def list_services(conn: sa.Connection, connection_id: int) -> list[Service]:
    """The hub's services, by code."""
    query = (
        sa.select(shipping_services)
        .where(shipping_services.c.connection_id == connection_id)
        .order_by(shipping_services.c.code)
    )
    return [Service(r.id, r.code, r.carrier, r.name) for r in conn.execute(query)]


def insert_service(
    conn: sa.Connection, connection_id: int, *, code: str, carrier: str, name: str, now: datetime
) -> Service:
    """Add a service (a taken code raises InputError)."""
    statement = shipping_services.insert().values(
        connection_id=connection_id, code=code, carrier=carrier, name=name, created_at=now
    )
    try:
        key = conn.execute(statement).inserted_primary_key
    except sa.exc.IntegrityError:
        raise InputError(f"the hub already has a shipping service {code!r}") from None
    assert key is not None
    return Service(int(key[0]), code, carrier, name)


def delete_service(conn: sa.Connection, connection_id: int, service_id: int) -> None:
    """Remove a service (the caller checks first that no rule uses it)."""
    conn.execute(
        shipping_services.delete().where(
            shipping_services.c.connection_id == connection_id,
            shipping_services.c.id == service_id,
        )
    )


@dataclass(frozen=True)
class StoredRule:
    """A shipping-method rule: a pattern and the code of its service."""

    id: int
    pattern: str
    pattern_key: str
    service_code: str


def list_rules(conn: sa.Connection, connection_id: int) -> list[StoredRule]:
    """Every rule, by normalised pattern."""
    query = (
        sa.select(
            shipping_rules.c.id,
            shipping_rules.c.pattern,
            shipping_rules.c.pattern_key,
            shipping_services.c.code,
        )
        .join(shipping_services, shipping_services.c.id == shipping_rules.c.service_id)
        .where(shipping_rules.c.connection_id == connection_id)
        .order_by(shipping_rules.c.pattern_key)
    )
    return [StoredRule(r.id, r.pattern, r.pattern_key, r.code) for r in conn.execute(query)]


def put_rule(
    conn: sa.Connection,
    connection_id: int,
    *,
    pattern: str,
    pattern_key: str,
    service_id: int,
    now: datetime,
) -> bool:
    """Link `pattern` to a service, replacing the rule with the same normalised pattern;
    returns whether a rule was replaced."""
    existing = conn.execute(
        sa.select(shipping_rules.c.id).where(
            shipping_rules.c.connection_id == connection_id,
            shipping_rules.c.pattern_key == pattern_key,
        )
    ).scalar_one_or_none()
    if existing is not None:
        conn.execute(
            shipping_rules.update()
            .where(shipping_rules.c.id == existing)
            .values(pattern=pattern, service_id=service_id, created_at=now)
        )
        return True
    conn.execute(
        shipping_rules.insert().values(
            connection_id=connection_id,
            pattern=pattern,
            pattern_key=pattern_key,
            service_id=service_id,
            created_at=now,
        )
    )
    return False


def delete_rule(conn: sa.Connection, connection_id: int, pattern_key: str) -> bool:
    """Remove the rule with this normalised pattern; returns whether there was one."""
    result = conn.execute(
        shipping_rules.delete().where(
            shipping_rules.c.connection_id == connection_id,
            shipping_rules.c.pattern_key == pattern_key,
        )
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class HubSettings:
    """Per connection: the default service, the order statuses after a shipment (None: the
    status is left as it is)."""

    default_service_id: int | None = None
    partial_status_id: int | None = DEFAULT_PARTIAL_STATUS_ID
    shipped_status_id: int | None = DEFAULT_SHIPPED_STATUS_ID


def get_settings(conn: sa.Connection, connection_id: int) -> HubSettings:
    """The connection's settings (the defaults when none are stored)."""
    row = conn.execute(
        sa.select(hub_settings).where(hub_settings.c.connection_id == connection_id)
    ).first()
    if row is None:
        return HubSettings()
    return HubSettings(row.default_service_id, row.partial_status_id, row.shipped_status_id)


def save_settings(
    conn: sa.Connection, connection_id: int, settings: HubSettings, *, now: datetime
) -> None:
    """Store the connection's settings (all of them)."""
    values = {
        "default_service_id": settings.default_service_id,
        "partial_status_id": settings.partial_status_id,
        "shipped_status_id": settings.shipped_status_id,
        "updated_at": now,
    }
    updated = conn.execute(
        hub_settings.update().where(hub_settings.c.connection_id == connection_id).values(**values)
    )
    if not updated.rowcount:
        conn.execute(hub_settings.insert().values(connection_id=connection_id, **values))
