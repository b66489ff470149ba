"""Catalog records as the sandbox stores them.

Each record keeps its stored fields in `doc`, a dict already in the API's JSON form, so a
response is a shallow copy plus the few fields computed at read time (inventory levels,
calculated prices, sub-resources). Records are mutable; ids never change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bigsync.sandbox.dates import iso8601

DEFAULT_LOCATION_ID = 1
"""Location 1: the default location, whose stock the catalog's `inventory_level` shows."""


@dataclass(slots=True)
class Stock:
    """One inventory item's stock and settings at one location."""

    on_hand: int = 0
    safety_stock: int = 0
    warning_level: int = 0
    is_in_stock: bool = True
    bin_picking_number: str = ""

    @property
    def available_to_sell(self) -> int:
        """On-hand minus safety stock, never below zero."""
        return max(0, self.on_hand - self.safety_stock)

    def settings(self) -> dict[str, Any]:
        return {
            "safety_stock": self.safety_stock,
            "is_in_stock": self.is_in_stock,
            "warning_level": self.warning_level,
            "bin_picking_number": self.bin_picking_number,
        }


StockByLocation = dict[int, Stock]


@dataclass(slots=True)
class OptionValue:
    id: int
    label: str
    sort_order: int = 0
    is_default: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "sort_order": self.sort_order,
            "is_default": self.is_default,
            "value_data": None,
        }


@dataclass(slots=True)
class Option:
    """A variant option of one product (Color, Size, ...) with its values."""

    id: int
    product_id: int
    display_name: str
    type: str = "dropdown"
    sort_order: int = 0
    values: list[OptionValue] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "product_id": self.product_id,
            "name": f"{self.display_name}{self.product_id}",
            "display_name": self.display_name,
            "type": self.type,
            "sort_order": self.sort_order,
            "option_values": [value.as_json() for value in self.values],
            "config": {},
        }


@dataclass(slots=True)
class Variant:
    """A sellable SKU; a simple product's only variant is its base variant."""

    id: int
    product_id: int
    doc: dict[str, Any]  # productVariant_Full fields except the computed ones
    stock: StockByLocation = field(default_factory=dict)

    @property
    def sku(self) -> str:
        return str(self.doc["sku"])

    @property
    def is_base(self) -> bool:
        return not self.doc["option_values"]


@dataclass(slots=True)
class Product:
    """A product with its variants (ids, in creation order), options, images, custom fields."""

    id: int
    doc: dict[str, Any]  # product_Full fields except the computed ones
    date_created: datetime
    date_modified: datetime
    variant_ids: list[int] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    # Product-level stock (inventory tracked by product). For a simple product this is the
    # very same dict as its base variant's, so both always show the same numbers.
    stock: StockByLocation = field(default_factory=dict)

    @property
    def sku(self) -> str:
        return str(self.doc["sku"])

    @property
    def tracking(self) -> str:
        return str(self.doc["inventory_tracking"])

    def touch(self, moment: datetime) -> None:
        """Record a change at `moment` (`date_modified` moves on every change)."""
        self.date_modified = moment
        self.doc["date_modified"] = iso8601(moment)


@dataclass(slots=True)
class Category:
    """A category in a category tree (tree 1 is the default channel's tree)."""

    id: int
    uuid: str
    tree_id: int
    doc: dict[str, Any]  # name, parent_id, description, ... ; url path under "url"


@dataclass(slots=True)
class Brand:
    id: int
    doc: dict[str, Any]


@dataclass(slots=True)
class Location:
    id: int
    doc: dict[str, Any]  # LocationResponse fields except id
