"""Seeded catalog data: categories in a tree, brands, products with options and variants,
images and custom fields, and stock over two locations.

The same `rng` state, sizes and `now` always give the same catalog. Records are built
directly (no request validation), so 10,000 products take well under a second.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bigsync.sandbox.catalog.fields import (
    BRAND_DEFAULTS,
    CATEGORY_DEFAULTS,
    PRODUCT_DEFAULTS,
    VARIANT_DEFAULTS,
    slug,
)
from bigsync.sandbox.catalog.models import (
    DEFAULT_LOCATION_ID,
    Brand,
    Category,
    Option,
    OptionValue,
    Product,
    Stock,
    Variant,
)
from bigsync.sandbox.catalog.names import product_name
from bigsync.sandbox.catalog.products import image_doc
from bigsync.sandbox.catalog.state import DEFAULT_TREE_ID, default_location
from bigsync.sandbox.catalog.taxonomy import category_uuid
from bigsync.sandbox.dates import iso8601

if TYPE_CHECKING:
    from bigsync.sandbox.backend import StoreState
    from bigsync.sandbox.generator import StoreSizes

HISTORY = timedelta(days=730)
WAREHOUSE_ID = 2

DEPARTMENTS = {
    "Apparel": ["Shirts", "Jackets", "Trousers", "Socks"],
    "Home": ["Kitchen", "Bath", "Bedding", "Lighting"],
    "Outdoor": ["Camping", "Cycling", "Climbing"],
    "Stationery": ["Notebooks", "Pens", "Desk"],
    "Garden": ["Tools", "Planters", "Seeds"],
    "Toys": ["Puzzles", "Board Games", "Plush"],
}
SUBGROUPS = ["Essentials", "Premium", "Sale"]
BRANDS = [
    "Northwind", "Bluepeak", "Oakline", "Fieldcraft", "Harborworks", "Lumen & Co",
    "Stonebridge", "Wildfern", "Copperleaf", "Meridian", "Tidewater", "Ironbark",
]  # fmt: skip
COLORS = ["Red", "Blue", "Green", "Black", "White", "Grey", "Navy", "Sand"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
IMAGE_HOST = "https://cdn11.bigcommerce.com/s-sandbox/images/stencil/original/products"


def generate_catalog(
    store: StoreState, rng: random.Random, sizes: StoreSizes, now: datetime
) -> None:
    """Fill `store.catalog` (expected empty) with a realistic, seeded catalog.

    Uses `sizes.products`; categories (a fixed three-level tree) and brands (one per 40
    products, 3 to 120) follow from it.
    """
    catalog = store.catalog
    _add_warehouse(store, now)
    categories = _add_categories(store, rng)
    brands = _add_brands(store, max(3, min(len(BRANDS) * 10, sizes.products // 40)))
    start = now - HISTORY
    span = HISTORY.total_seconds()
    created = sorted(rng.random() * span for _ in range(sizes.products))
    for index, offset in enumerate(created):
        _add_product(
            store,
            rng,
            index=index,
            created=start + timedelta(seconds=offset),
            now=now,
            categories=categories,
            brands=brands,
        )
    catalog.changed()


def _add_warehouse(store: StoreState, now: datetime) -> None:
    warehouse = default_location(now - HISTORY)
    warehouse.id = store.next_id("location", start=DEFAULT_LOCATION_ID + 1)
    warehouse.doc.update(
        code="WH-EAST",
        label="East warehouse",
        description="Bulk stock",
        storefront_visibility=False,
        address={
            **warehouse.doc["address"],
            "address1": "400 Dock Road",
            "city": "Newark",
            "state": "NJ",
            "zip": "07105",
        },
    )
    store.catalog.locations[warehouse.id] = warehouse


def _add_categories(store: StoreState, rng: random.Random) -> list[int]:
    """Departments (depth 1), their groups (depth 2) and some subgroups (depth 3): leaf ids."""
    catalog = store.catalog
    leaves: list[int] = []

    def add(name: str, parent: int, order: int, path: str) -> int:
        category_id = store.next_id("category")
        url = f"{path}{slug(name)[1:]}"
        doc = {
            **CATEGORY_DEFAULTS,
            "name": name,
            "parent_id": parent,
            "sort_order": order,
            "description": f"<p>{name}</p>",
            "page_title": name,
            "is_visible": rng.random() > 0.05,
            "url": {"path": url, "is_customized": False},
        }
        catalog.categories[category_id] = Category(
            id=category_id,
            uuid=category_uuid(store.hash, category_id),
            tree_id=DEFAULT_TREE_ID,
            doc=doc,
        )
        return category_id

    for order, (department, groups) in enumerate(DEPARTMENTS.items()):
        top = add(department, 0, order, "/")
        top_path = catalog.categories[top].doc["url"]["path"]
        for group_order, group in enumerate(groups):
            middle = add(group, top, group_order, top_path)
            if rng.random() < 0.4:
                middle_path = catalog.categories[middle].doc["url"]["path"]
                leaves.extend(add(sub, middle, i, middle_path) for i, sub in enumerate(SUBGROUPS))
            else:
                leaves.append(middle)
    return leaves


def _add_brands(store: StoreState, count: int) -> list[int]:
    ids = []
    for index in range(count):
        base = BRANDS[index % len(BRANDS)]
        name = base if index < len(BRANDS) else f"{base} {index // len(BRANDS) + 1}"
        brand_id = store.next_id("brand")
        store.catalog.brands[brand_id] = Brand(
            id=brand_id,
            doc={
                **BRAND_DEFAULTS,
                "name": name,
                "page_title": name,
                "custom_url": {"url": slug(name), "is_customized": False},
            },
        )
        ids.append(brand_id)
    return ids


def _stock(rng: random.Random, *, at_warehouse: bool) -> dict[int, Stock]:
    stock = {DEFAULT_LOCATION_ID: Stock(on_hand=rng.randrange(0, 120), warning_level=5)}
    if at_warehouse:
        stock[WAREHOUSE_ID] = Stock(
            on_hand=rng.randrange(0, 500), safety_stock=rng.choice((0, 0, 5, 10))
        )
    return stock


def _add_product(
    store: StoreState,
    rng: random.Random,
    *,
    index: int,
    created: datetime,
    now: datetime,
    categories: list[int],
    brands: list[int],
) -> None:
    catalog = store.catalog
    product_id = store.next_id("product")
    name = product_name(rng, index)
    sku = f"SKU-{product_id:06d}"
    price = round(rng.uniform(4, 400), 2)
    on_sale = rng.random() < 0.15
    modified = created + (now - created) * rng.random() ** 2
    kind = rng.random()  # < 0.45 simple, < 0.55 options tracked by product, else by variant
    tracking = "product" if kind < 0.55 else "variant"
    if kind < 0.45 and rng.random() < 0.1:
        tracking = "none"
    doc = {
        **PRODUCT_DEFAULTS,
        "name": name,
        "type": "digital" if rng.random() < 0.05 else "physical",
        "sku": sku,
        "description": f"<p>{name}, made to last.</p>",
        "weight": round(rng.uniform(0.1, 12), 2),
        "width": rng.randrange(1, 60),
        "height": rng.randrange(1, 60),
        "depth": rng.randrange(1, 60),
        "price": price,
        "cost_price": round(price * rng.uniform(0.3, 0.7), 2),
        "retail_price": round(price * 1.2, 2) if rng.random() < 0.3 else 0,
        "sale_price": round(price * 0.8, 2) if on_sale else 0,
        "categories": rng.sample(categories, k=1 if rng.random() < 0.8 else 2),
        "brand_id": rng.choice(brands) if rng.random() < 0.9 else 0,
        "inventory_tracking": tracking,
        "inventory_warning_level": 5,
        "is_visible": rng.random() > 0.08,
        "is_featured": rng.random() < 0.05,
        "custom_url": {"url": slug(name), "is_customized": False},
        "upc": f"{rng.randrange(10**11, 10**12)}" if rng.random() < 0.5 else "",
        "total_sold": rng.randrange(0, 500),
        "date_created": iso8601(created),
        "date_modified": iso8601(modified),
    }
    product = Product(id=product_id, doc=doc, date_created=created, date_modified=modified)
    catalog.products[product_id] = product
    catalog.product_names[name.lower()] = product_id
    at_warehouse = rng.random() < 0.7
    if kind < 0.45:
        product.stock = _stock(rng, at_warehouse=at_warehouse)
        variant = Variant(
            id=store.next_id("variant"),
            product_id=product_id,
            doc={**VARIANT_DEFAULTS, "sku": sku},
            stock=product.stock,
        )
        catalog.variants[variant.id] = variant
        product.variant_ids = [variant.id]
        doc["base_variant_id"] = variant.id
        catalog.skus[sku.lower()] = (product_id, variant.id)
    else:
        product.stock = _stock(rng, at_warehouse=at_warehouse) if tracking == "product" else {}
        catalog.skus[sku.lower()] = (product_id, None)
        _add_options_and_variants(store, rng, product, at_warehouse=at_warehouse)
    if rng.random() < 0.6:
        stamp = iso8601(created)
        product.images = [
            image_doc(
                store.next_id("image"),
                product_id,
                f"{IMAGE_HOST}/{product_id}/{n}.jpg",
                index=n,
                now=stamp,
            )
            for n in range(rng.randrange(1, 4))
        ]
    if rng.random() < 0.3:
        product.custom_fields = [
            {"id": store.next_id("custom_field"), "name": "Material", "value": name.split()[1]},
            {
                "id": store.next_id("custom_field"),
                "name": "Origin",
                "value": rng.choice(["PT", "VN", "US", "DE"]),
            },
        ][: rng.randrange(1, 3)]


def _add_options_and_variants(
    store: StoreState, rng: random.Random, product: Product, *, at_warehouse: bool
) -> None:
    catalog = store.catalog
    axes = [("Color", rng.sample(COLORS, rng.randrange(2, 4)))]
    if rng.random() < 0.5:
        axes.append(("Size", SIZES[rng.randrange(0, 3) :][: rng.randrange(2, 4)]))
    for order, (display_name, labels) in enumerate(axes):
        option = Option(
            id=store.next_id("option"),
            product_id=product.id,
            display_name=display_name,
            sort_order=order,
        )
        option.values = [
            OptionValue(id=store.next_id("option_value"), label=label, sort_order=i)
            for i, label in enumerate(labels)
        ]
        product.options.append(option)
    combos: list[list[tuple[Option, OptionValue]]] = [[]]
    for option in product.options:
        combos = [[*combo, (option, value)] for combo in combos for value in option.values]
    by_variant = product.tracking == "variant"
    for combo in combos:
        variant_id = store.next_id("variant")
        sku = f"{product.sku}-" + "-".join(value.label.upper() for _, value in combo)
        price = None
        if rng.random() < 0.2:
            price = round(float(product.doc["price"]) * rng.uniform(1.0, 1.3), 2)
        variant = Variant(
            id=variant_id,
            product_id=product.id,
            doc={
                **VARIANT_DEFAULTS,
                "sku": sku,
                "sku_id": store.next_id("sku"),
                "price": price,
                "option_values": [
                    {
                        "id": value.id,
                        "option_id": option.id,
                        "label": value.label,
                        "option_display_name": option.display_name,
                    }
                    for option, value in combo
                ],
            },
            stock=_stock(rng, at_warehouse=at_warehouse) if by_variant else {},
        )
        catalog.variants[variant_id] = variant
        product.variant_ids.append(variant_id)
        catalog.skus[sku.lower()] = (product.id, variant_id)
