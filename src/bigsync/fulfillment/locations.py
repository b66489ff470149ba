"""Hub locations (the merchant's warehouses) and their one-to-one map to the store's
inventory locations.

The hub always has a default location, the one stock goes to when no location is named: it
is created on first use as `default`, mapped to the store's default location (id 1, which
BigCommerce does not let anyone delete) unless the merchant maps it otherwise. A store
location with no hub location is never written. A mapped store location that a sync no
longer finds (deleted in BigCommerce) is flagged, and stock is not written there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bigsync.errors import InputError
from bigsync.fulfillment.hub import Hub
from bigsync.store import hub_mirror, hub_repository
from bigsync.store.hub_repository import HubLocation

if TYPE_CHECKING:
    from sqlalchemy import Connection

DEFAULT_CODE = "default"
STORE_DEFAULT_LOCATION_ID = 1
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class LocationState:
    """How a hub location stands against the store (the `state` of `LocationView`)."""

    MAPPED = "mapped"
    NOT_MAPPED = "not mapped"  # hub only: never written to the store
    GONE = "store location gone"  # mapped to a location a sync no longer finds
    NOT_SYNCED = "not synced"  # the mirror has no store locations yet


@dataclass(frozen=True)
class LocationView:
    """A hub location (or, with `code` None, a store location no hub location maps to)."""

    code: str | None
    name: str
    is_default: bool
    store_location_id: int | None
    store_label: str | None
    state: str


def check_code(code: str) -> str:
    """A location code as given, or InputError."""
    if not _CODE.fullmatch(code):
        raise InputError(
            f"{code!r} is not a location code: letters, digits, '.', '_' or '-' (at most 64)"
        )
    return code


def ensure_default(conn: Connection, hub: Hub, *, now: datetime) -> HubLocation:
    """The hub's default location, created (mapped to the store's default) if there is none."""
    found = hub_repository.list_locations(conn, hub.connection_id)
    for location in found:
        if location.is_default:
            return location
    taken = {loc.store_location_id for loc in found}
    store_id = None if STORE_DEFAULT_LOCATION_ID in taken else STORE_DEFAULT_LOCATION_ID
    code = DEFAULT_CODE if all(loc.code != DEFAULT_CODE for loc in found) else "default-1"
    return hub_repository.insert_location(
        conn,
        hub.connection_id,
        code=code,
        name="Default",
        store_location_id=store_id,
        is_default=True,
        now=now,
    )


def find(conn: Connection, hub: Hub, code: str | None, *, now: datetime) -> HubLocation:
    """The location `code` (the default when None); InputError naming the known codes."""
    if code is None:
        return ensure_default(conn, hub, now=now)
    ensure_default(conn, hub, now=now)
    found = hub_repository.list_locations(conn, hub.connection_id)
    for location in found:
        if location.code == code:
            return location
    known = ", ".join(loc.code for loc in found)
    raise InputError(
        f"no hub location {code!r} (known: {known}; add one with "
        f"`bigsync locations {hub.name} add {code}`)"
    )


def list_locations(hub: Hub) -> list[LocationView]:
    """The hub's locations with their store locations, then the store locations that no hub
    location maps to (never written)."""
    with hub.db.write() as conn:
        ensure_default(conn, hub, now=hub.now())
        found = hub_repository.list_locations(conn, hub.connection_id)
        store = hub_mirror.store_locations(conn, hub.connection_id)
    views = [_view(loc, store) for loc in found]
    mapped = {loc.store_location_id for loc in found}
    views += [
        LocationView(None, s.label or "", False, s.id, s.label, "not written (no hub location)")
        for s in store.values()
        if s.id not in mapped
    ]
    return views


def _view(location: HubLocation, store: dict[int, hub_mirror.StoreLocation]) -> LocationView:
    store_id = location.store_location_id
    if store_id is None:
        state = LocationState.NOT_MAPPED
    elif not store:
        state = LocationState.NOT_SYNCED
    else:
        state = LocationState.MAPPED if store_id in store else LocationState.GONE
    label = store[store_id].label if store_id in store else None
    return LocationView(location.code, location.name, location.is_default, store_id, label, state)


def add(hub: Hub, code: str, *, name: str | None = None) -> LocationView:
    """Add a hub location (not mapped: map it to write its stock to the store)."""
    check_code(code)
    now = hub.now()
    with hub.db.write() as conn:
        ensure_default(conn, hub, now=now)
        location = hub_repository.insert_location(
            conn,
            hub.connection_id,
            code=code,
            name=(name or code).strip() or code,
            store_location_id=None,
            is_default=False,
            now=now,
        )
    return _view(location, {})


def map_to_store(hub: Hub, code: str, store_location_id: int) -> LocationView:
    """Write the hub location `code` to the store's location `store_location_id` (which the
    mirror must have, and no other hub location may map to)."""
    now = hub.now()
    with hub.db.write() as conn:
        location = find(conn, hub, code, now=now)
        store = hub_mirror.store_locations(conn, hub.connection_id)
        if store_location_id not in store:
            known = ", ".join(f"{s.id} ({s.label})" for s in store.values()) or "none mirrored"
            raise InputError(
                f"the store has no location {store_location_id} in the mirror (known: {known}; "
                f"{hub.sync_hint('locations')} if it is new)"
            )
        for other in hub_repository.list_locations(conn, hub.connection_id):
            if other.store_location_id == store_location_id and other.id != location.id:
                raise InputError(
                    f"store location {store_location_id} is mapped to hub location "
                    f"{other.code!r} already: unmap it first "
                    f"(`bigsync locations {hub.name} unmap {other.code}`)"
                )
        hub_repository.map_location(
            conn, hub.connection_id, location.id, store_location_id=store_location_id, now=now
        )
        updated = find(conn, hub, code, now=now)
    return _view(updated, store)


def unmap(hub: Hub, code: str) -> LocationView:
    """Stop writing the hub location `code` to the store (its hub stock stays)."""
    now = hub.now()
    with hub.db.write() as conn:
        location = find(conn, hub, code, now=now)
        hub_repository.map_location(
            conn, hub.connection_id, location.id, store_location_id=None, now=now
        )
        updated = find(conn, hub, code, now=now)
    return _view(updated, {})


def remove(hub: Hub, code: str) -> int:
    """Remove the hub location `code` and its hub stock (not the default); returns how many
    stock levels went with it."""
    now = hub.now()
    with hub.db.write() as conn:
        location = find(conn, hub, code, now=now)
        if location.is_default:
            raise InputError(
                f"{code!r} is the default location: make another the default first "
                f"(`bigsync locations {hub.name} default CODE`)"
            )
        levels = hub_repository.stock_levels(conn, hub.connection_id)
        dropped = sum(1 for (_, location_id) in levels if location_id == location.id)
        hub_repository.delete_location(conn, hub.connection_id, location.id)
    return dropped


def make_default(hub: Hub, code: str) -> LocationView:
    """Make `code` the location used when none is named."""
    now = hub.now()
    with hub.db.write() as conn:
        location = find(conn, hub, code, now=now)
        hub_repository.set_default_location(conn, hub.connection_id, location.id, now=now)
        updated = find(conn, hub, code, now=now)
        store = hub_mirror.store_locations(conn, hub.connection_id)
    return _view(updated, store)
