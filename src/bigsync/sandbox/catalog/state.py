"""`CatalogState`: one store's catalog records, their indexes, and read-side queries.

Records live in dicts keyed by id. Ids only grow, so a dict's insertion order is id order
and listing by id needs no sort. Other orderings and the inventory item list are derived
on demand and cached until the next change (`version` moves on every write), so paging
through a big catalog costs one sort, not one per page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from bigsync.sandbox.catalog.models import (
    DEFAULT_LOCATION_ID,
    Brand,
    Category,
    Location,
    Product,
    Stock,
    Variant,
)
from bigsync.sandbox.dates import iso8601_z

T = TypeVar("T")

DEFAULT_TREE_ID = 1
LOCATIONS_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)  # creation time of every store's location 1


@dataclass(frozen=True)
class SellableItem:
    """Something an order line can sell: a variant of a product (a simple product's base
    variant included), with the price a shopper pays."""

    product_id: int
    variant_id: int
    sku: str
    name: str
    price: float


@dataclass(frozen=True)
class InventoryItem:
    """An inventory item: a variant of a variant-tracked product, or a whole product."""

    product: Product
    variant: Variant | None  # None: the item is the product (tracked by product or not at all)

    @property
    def stock(self) -> dict[int, Stock]:
        return self.variant.stock if self.variant is not None else self.product.stock

    @property
    def sku(self) -> str:
        return self.variant.sku if self.variant is not None else self.product.sku

    def identity(self) -> dict[str, Any]:
        """`identity` as the Inventory API renders it."""
        product, variant = self.product, self.variant
        if variant is None:
            base = product.doc["base_variant_id"]
            ident: dict[str, Any] = {"sku": product.sku}
            if base is not None:
                ident["variant_id"] = base
            ident.update(product_id=product.id, sku_id=None)
            return ident
        return {
            "sku": variant.sku,
            "variant_id": variant.id,
            "product_id": product.id,
            "sku_id": variant.doc["sku_id"],
        }


def default_location(now: datetime = LOCATIONS_EPOCH) -> Location:
    """Every store's location 1."""
    stamp = iso8601_z(now)
    closed = {"open": False, "opening": "00:00", "closing": "00:00"}
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return Location(
        id=DEFAULT_LOCATION_ID,
        doc={
            "code": "BC-LOCATION-1",
            "label": "Default location",
            "description": "",
            "managed_by_external_source": False,
            "type_id": "PHYSICAL",
            "enabled": True,
            "operating_hours": {day: dict(closed) for day in days},
            "time_zone": "Etc/UTC",
            "created_at": stamp,
            "updated_at": stamp,
            "address": {
                "address1": "1 Main Street",
                "address2": "",
                "city": "Austin",
                "state": "TX",
                "zip": "78701",
                "email": "store@example.com",
                "phone": "",
                "geo_coordinates": {"latitude": 30.2672, "longitude": -97.7431},
                "country_code": "US",
            },
            "storefront_visibility": True,
            "special_hours": [],
        },
    )


@dataclass
class CatalogState:
    """One store's catalog: products, variants, categories (in trees), brands, locations and
    stock per location.

    Read API for other sandbox parts: `sellable_items()` lists what orders can sell,
    `product(id)`, `variant(id)` and `find_sku(sku)` look records up.
    """

    products: dict[int, Product] = field(default_factory=dict)
    variants: dict[int, Variant] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    trees: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            DEFAULT_TREE_ID: {"id": DEFAULT_TREE_ID, "name": "Default", "channels": [1]}
        }
    )
    brands: dict[int, Brand] = field(default_factory=dict)
    locations: dict[int, Location] = field(
        default_factory=lambda: {DEFAULT_LOCATION_ID: default_location()}
    )
    skus: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    """Lower-cased SKU -> (product id, variant id or None for a product-level SKU)."""
    product_names: dict[str, int] = field(default_factory=dict)
    version: int = 0
    _derived: dict[Any, Any] = field(default_factory=dict, repr=False)

    # -- lookups ---------------------------------------------------------------------------

    def product(self, product_id: int) -> Product | None:
        return self.products.get(product_id)

    def variant(self, variant_id: int) -> Variant | None:
        return self.variants.get(variant_id)

    def find_sku(self, sku: str) -> tuple[int, int | None] | None:
        """(product id, variant id or None) owning `sku`, matched case-insensitively."""
        return self.skus.get(sku.lower())

    def variants_of(self, product: Product) -> Iterator[Variant]:
        return (self.variants[vid] for vid in product.variant_ids)

    def sellable_items(self) -> list[SellableItem]:
        """Every variant of every product, in product then variant id order (cached).

        The price is the variant's calculated price (its own price or sale price, else the
        product's). Used by the order generator to build line items from real records.
        """
        return self.derived("sellable", self._build_sellable)

    def _build_sellable(self) -> list[SellableItem]:
        items = []
        for product in self.products.values():
            for variant in self.variants_of(product):
                items.append(
                    SellableItem(
                        product_id=product.id,
                        variant_id=variant.id,
                        sku=variant.sku,
                        name=str(product.doc["name"]),
                        price=variant_price(product, variant),
                    )
                )
        return items

    # -- derived, cached views -------------------------------------------------------------

    def changed(self) -> None:
        """Call after every write: drops the cached orderings."""
        self.version += 1
        self._derived.clear()

    def derived(self, key: Any, build: Callable[[], T]) -> T:
        """`build()`, cached until the next change."""
        try:
            return cast(T, self._derived[key])
        except KeyError:
            value = self._derived[key] = build()
            return value

    def inventory_items(self) -> list[InventoryItem]:
        """Every inventory item in product id order (cached)."""
        return self.derived("inventory_items", self._build_inventory_items)

    def _build_inventory_items(self) -> list[InventoryItem]:
        items: list[InventoryItem] = []
        for product in self.products.values():
            if product.tracking == "variant":
                items.extend(InventoryItem(product, v) for v in self.variants_of(product))
            else:
                items.append(InventoryItem(product, None))
        return items

    # -- computed fields -------------------------------------------------------------------

    def product_inventory_level(self, product: Product) -> int:
        """The catalog's `inventory_level`: on-hand stock at the default location, summed over
        the variants when inventory is tracked by variant."""
        if product.tracking == "variant":
            return sum(on_hand(v.stock) for v in self.variants_of(product))
        return on_hand(product.stock)

    def variant_inventory_level(self, product: Product, variant: Variant) -> int:
        if product.tracking == "variant" or variant.is_base:
            return on_hand(variant.stock)
        return 0

    # -- index maintenance -----------------------------------------------------------------

    def is_sku_taken(self, sku: str, *, product_id: int, variant_id: int | None) -> bool:
        """Whether `sku` belongs to a record other than the given product (or variant)."""
        owner = self.skus.get(sku.lower())
        if owner is None:
            return False
        if variant_id is None:
            return owner[0] != product_id
        return owner != (product_id, variant_id)

    def is_name_taken(self, name: str, *, product_id: int | None) -> bool:
        owner = self.product_names.get(name.lower())
        return owner is not None and owner != product_id


def on_hand(stock: dict[int, Stock]) -> int:
    """On-hand stock at the default location."""
    level = stock.get(DEFAULT_LOCATION_ID)
    return level.on_hand if level is not None else 0


def variant_price(product: Product, variant: Variant) -> float:
    """A variant's calculated price: its own sale/base price, else the product's."""
    doc, pdoc = variant.doc, product.doc
    sale = doc["sale_price"] if doc["sale_price"] is not None else pdoc["sale_price"]
    if sale:
        return float(sale)
    return float(doc["price"] if doc["price"] is not None else pdoc["price"])
