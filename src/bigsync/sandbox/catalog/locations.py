"""Inventory locations: create, update and delete (location 1, the default, stays).

`POST` and `PUT` take arrays and answer only a transaction id, as the Locations API does;
deleting a location deletes the stock held there. Location writes emit
`store/inventory/location/created|updated`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.catalog.inventory import problem, transaction_id
from bigsync.sandbox.catalog.models import DEFAULT_LOCATION_ID, Location, Stock
from bigsync.sandbox.dates import iso8601_z

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState
    from bigsync.sandbox.catalog.state import CatalogState

LOCATION_TYPES = frozenset({"PHYSICAL", "VIRTUAL"})
ADDRESS_REQUIRED = ("address1", "city", "state", "zip", "email", "geo_coordinates", "country_code")
LOCATION_FIELDS = (
    "code",
    "label",
    "description",
    "managed_by_external_source",
    "type_id",
    "enabled",
    "operating_hours",
    "time_zone",
    "address",
    "storefront_visibility",
    "special_hours",
)


def _check_location(
    catalog: CatalogState, index: int, item: Mapping[str, Any], *, location: Location | None
) -> None:
    errors: dict[str, str] = {}
    if location is None:
        for name in ("code", "label"):
            if not isinstance(item.get(name), str) or not item[name]:
                errors[f"{index}.{name}"] = f"{name} is required."
    if "type_id" in item and item["type_id"] not in LOCATION_TYPES:
        errors[f"{index}.type_id"] = "type_id must be PHYSICAL or VIRTUAL."
    type_id = item.get("type_id", location.doc["type_id"] if location else "PHYSICAL")
    address = item.get("address")
    if type_id == "PHYSICAL" and (location is None or address is not None):
        if not isinstance(address, dict):
            errors[f"{index}.address"] = "address is required for a PHYSICAL location."
        else:
            for name in ADDRESS_REQUIRED:
                if name not in address:
                    errors[f"{index}.address.{name}"] = f"{name} is required."
    code = item.get("code")
    if isinstance(code, str) and any(
        other is not location and other.doc["code"] == code for other in catalog.locations.values()
    ):
        errors[f"{index}.code"] = f"Location code '{code}' is already in use."
    if errors:
        raise problem(422, "Location data is missing or invalid", errors)


def create_locations(sandbox: Sandbox, store: StoreState, body: Any) -> str:
    """`POST /v3/inventory/locations` (an array); emits `store/inventory/location/created`."""
    catalog = store.catalog
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise problem(
            422, "JSON data is missing or invalid", {"locations": "must be an array of objects"}
        )
    for index, item in enumerate(body):
        _check_location(catalog, index, item, location=None)
    stamp = iso8601_z(sandbox.now())
    closed = {"open": False, "opening": "00:00", "closing": "00:00"}
    created = []
    for item in body:
        doc = {
            "code": item["code"],
            "label": item["label"],
            "description": "",
            "managed_by_external_source": False,
            "type_id": "PHYSICAL",
            "enabled": True,
            "operating_hours": {
                day: dict(closed)
                for day in (
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                )
            },
            "time_zone": "Etc/UTC",
            "address": None,
            "storefront_visibility": True,
            "special_hours": [],
        }
        doc.update({k: item[k] for k in LOCATION_FIELDS if k in item})
        if doc["address"] is None:
            del doc["address"]
        doc["created_at"] = doc["updated_at"] = stamp
        location = Location(id=store.next_id("location", start=DEFAULT_LOCATION_ID + 1), doc=doc)
        catalog.locations[location.id] = location
        created.append(location.id)
    catalog.changed()
    for location_id in created:
        sandbox.emit(store, "store/inventory/location/created", {"location_id": location_id})
    return transaction_id()


def update_locations(sandbox: Sandbox, store: StoreState, body: Any) -> str:
    """`PUT /v3/inventory/locations` (an array, each with `id`)."""
    catalog = store.catalog
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise problem(
            422, "JSON data is missing or invalid", {"locations": "must be an array of objects"}
        )
    targets = []
    for index, item in enumerate(body):
        location = (
            catalog.locations.get(item.get("id")) if isinstance(item.get("id"), int) else None
        )
        if location is None:
            raise problem(
                422, "Location data is missing or invalid", {f"{index}.id": "Unknown location id."}
            )
        _check_location(catalog, index, item, location=location)
        targets.append((location, item))
    stamp = iso8601_z(sandbox.now())
    for location, item in targets:
        location.doc.update({k: item[k] for k in LOCATION_FIELDS if k in item})
        location.doc["updated_at"] = stamp
    catalog.changed()
    for location, _ in targets:
        sandbox.emit(store, "store/inventory/location/updated", {"location_id": location.id})
    return transaction_id()


def delete_locations(store: StoreState, location_ids: list[int]) -> str:
    """`DELETE /v3/inventory/locations?location_id:in=`: location 1 stays; stock there goes."""
    catalog = store.catalog
    for location_id in location_ids:
        location = catalog.locations.get(location_id)
        if location is None:
            raise problem(404, f"Location {location_id} not found.")
        if location_id == DEFAULT_LOCATION_ID:
            label = location.doc["label"]
            raise problem(
                422,
                f"Location can\u02bct be deleted. {label} is set as a shipping origin "
                "for this store "
                "and can\u02bct be deleted.",
            )
    doomed = set(location_ids)
    for location_id in doomed:
        del catalog.locations[location_id]
    for stock in _all_stock(catalog):
        for location_id in doomed:
            stock.pop(location_id, None)
    catalog.changed()
    return transaction_id()


def _all_stock(catalog: CatalogState) -> list[dict[int, Stock]]:
    seen: dict[int, dict[int, Stock]] = {}
    for product in catalog.products.values():
        seen[id(product.stock)] = product.stock
    for variant in catalog.variants.values():
        seen[id(variant.stock)] = variant.stock
    return list(seen.values())
