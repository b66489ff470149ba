"""Shipping zones and their methods (`/v2/shipping/zones`), kept in their wire shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bigsync.sandbox.responses import ApiProblem
from bigsync.sandbox.sales.records import Json

if TYPE_CHECKING:
    from bigsync.sandbox.backend import StoreState

ZONE_TYPES = frozenset({"zip", "country", "state", "global"})
METHOD_TYPES = frozenset(
    {
        "perorder",
        "peritem",
        "weight",
        "total",
        "auspost",
        "canadapost",
        "endicia",
        "usps",
        "fedex",
        "royalmail",
        "upsready",
        "freeshipping",
    }
)
NOT_FOUND = "The requested resource was not found."


def _object(body: Any) -> Json:
    if not isinstance(body, dict):
        raise ApiProblem(400, "The request body must be a JSON object.")
    return body


def _locations(store: StoreState, raw: Any) -> list[Json]:
    if not isinstance(raw, list):
        raise ApiProblem(400, "The field 'locations' must be an array.")
    locations = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApiProblem(400, "Each location must be an object.")
        location = {
            k: str(v) for k, v in item.items() if k in ("zip", "country_iso2", "state_iso2")
        }
        locations.append({"id": store.next_id("shipping_zone_location"), **location})
    return locations


def new_zone(store: StoreState, body: Any) -> Json:
    """A zone from a create body (validated), with fresh ids; not stored yet."""
    body = _object(body)
    if not body.get("name") or body.get("type") not in ZONE_TYPES:
        raise ApiProblem(400, "Required fields missing [name, type]")
    return {
        "id": store.next_id("shipping_zone"),
        "name": str(body["name"]),
        "type": body["type"],
        "locations": _locations(store, body.get("locations") or []),
        "free_shipping": {
            "enabled": False,
            "minimum_sub_total": "0.0000",
            "exclude_fixed_shipping_products": False,
            **(body.get("free_shipping") or {}),
        },
        "handling_fees": body.get("handling_fees")
        or {"fixed_surcharge": "0", "display_separately": True},
        "enabled": bool(body.get("enabled", True)),
    }


def add_zone(store: StoreState, body: Any) -> Json:
    """`POST /v2/shipping/zones`."""
    zone = new_zone(store, body)
    store.sales.shipping_zones[zone["id"]] = zone
    store.sales.shipping_methods[zone["id"]] = {}
    return zone


def get_zone(store: StoreState, zone_id: int) -> Json:
    """The zone `zone_id`; 404 when there is none."""
    zone = store.sales.shipping_zones.get(zone_id)
    if zone is None:
        raise ApiProblem(404, NOT_FOUND)
    return zone


def update_zone(store: StoreState, zone_id: int, body: Any) -> Json:
    """`PUT /v2/shipping/zones/{id}`: the given fields replace the stored ones."""
    zone = get_zone(store, zone_id)
    body = _object(body)
    if "type" in body and body["type"] not in ZONE_TYPES:
        raise ApiProblem(400, f"The zone type {body['type']!r} is not valid.")
    for name in ("name", "type", "free_shipping", "handling_fees", "enabled"):
        if name in body:
            zone[name] = body[name]
    if "locations" in body:
        zone["locations"] = _locations(store, body["locations"])
    return zone


def delete_zone(store: StoreState, zone_id: int) -> None:
    """`DELETE /v2/shipping/zones/{id}`, with its methods."""
    get_zone(store, zone_id)
    del store.sales.shipping_zones[zone_id]
    store.sales.shipping_methods.pop(zone_id, None)


def new_method(store: StoreState, body: Any) -> Json:
    """A method from a create body (validated), with a fresh id; not stored yet."""
    body = _object(body)
    if not body.get("name") or body.get("type") not in METHOD_TYPES:
        raise ApiProblem(400, "Required fields missing [name, type]")
    return {
        "id": store.next_id("shipping_method"),
        "name": str(body["name"]),
        "type": body["type"],
        "settings": body.get("settings") or {},
        "enabled": bool(body.get("enabled", True)),
        "handling_fees": body.get("handling_fees") or {"fixed_surcharge": 0},
        "is_fallback": bool(body.get("is_fallback", False)),
        "channel_ids": list(body.get("channel_ids") or [1]),
    }


def methods_of(store: StoreState, zone_id: int) -> dict[int, Json]:
    """The methods of zone `zone_id` by id; 404 when the zone does not exist."""
    get_zone(store, zone_id)
    return store.sales.shipping_methods.setdefault(zone_id, {})


def add_method(store: StoreState, zone_id: int, body: Any) -> Json:
    """`POST /v2/shipping/zones/{id}/methods`."""
    methods = methods_of(store, zone_id)
    method = new_method(store, body)
    methods[method["id"]] = method
    return method


def get_method(store: StoreState, zone_id: int, method_id: int) -> Json:
    """One method of a zone; 404 when either does not exist."""
    method = methods_of(store, zone_id).get(method_id)
    if method is None:
        raise ApiProblem(404, NOT_FOUND)
    return method


def update_method(store: StoreState, zone_id: int, method_id: int, body: Any) -> Json:
    """`PUT /v2/shipping/zones/{id}/methods/{id}`."""
    method = get_method(store, zone_id, method_id)
    body = _object(body)
    if "type" in body and body["type"] not in METHOD_TYPES:
        raise ApiProblem(400, f"The method type {body['type']!r} is not valid.")
    for name in (
        "name",
        "type",
        "settings",
        "enabled",
        "handling_fees",
        "is_fallback",
        "channel_ids",
    ):
        if name in body:
            method[name] = body[name]
    return method


def delete_method(store: StoreState, zone_id: int, method_id: int) -> None:
    """`DELETE /v2/shipping/zones/{id}/methods/{id}`."""
    get_method(store, zone_id, method_id)
    del store.sales.shipping_methods[zone_id][method_id]
