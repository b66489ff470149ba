"""Random catalog changes for `POST /_sandbox/mutate`: each runs through the same operations
as the API (same rules, same `date_modified` moves, same webhook events).

`MUTATIONS[kind](sandbox, store, action, count, rng)` returns the ids it touched. Kinds:
product, variant, category, brand, inventory; actions: create, update, delete. For
inventory, `create` adds stock (relative), `update` sets stock (absolute) and `delete`
sells an item out (absolute 0), all at the default location; ids are product ids for
product-level items and variant ids for variant-level ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.catalog import inventory, products, taxonomy, variants
from bigsync.sandbox.catalog.models import DEFAULT_LOCATION_ID, Stock
from bigsync.sandbox.catalog.names import product_name

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState

Mutation = Callable[["Sandbox", "StoreState", str, int, random.Random], list[int]]


def _pick(rng: random.Random, ids: list[int], count: int) -> list[int]:
    return rng.sample(ids, min(count, len(ids)))


def _unknown(kind: str, action: str) -> ValueError:
    return ValueError(f"unknown {kind} mutation: {action!r} (create, update or delete)")


def mutate_products(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    catalog = store.catalog
    if action == "create":
        created = []
        for _ in range(count):
            index = store.next_id("mutation_name")
            body: dict[str, Any] = {
                "name": product_name(rng, 1_000_000 + index),
                "type": "physical",
                "sku": f"MUT-{index:06d}",
                "price": round(rng.uniform(5, 200), 2),
                "weight": round(rng.uniform(0.1, 5), 2),
                "inventory_tracking": "product",
                "inventory_level": rng.randrange(0, 50),
            }
            created.append(products.create_product(sandbox, store, body).id)
        return created
    picked = _pick(rng, list(catalog.products), count)
    for product_id in picked:
        product = catalog.products[product_id]
        if action == "update":
            new_price = round(float(product.doc["price"]) * rng.uniform(0.8, 1.2), 2)
            products.update_product(sandbox, store, product, {"price": max(new_price, 0.5)})
        elif action == "delete":
            products.delete_product(sandbox, store, product)
        else:
            raise _unknown("product", action)
    return picked


def mutate_variants(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    catalog = store.catalog
    with_options = [p.id for p in catalog.products.values() if p.options]
    if action == "create":
        created = []
        for product_id in _pick(rng, with_options, count):
            product = catalog.products[product_id]
            serial = store.next_id("mutation_variant")
            values = [
                {"option_display_name": o.display_name, "label": o.values[0].label}
                for o in product.options
            ]
            values[0]["label"] = f"Edition {serial}"
            body = {
                "sku": f"{product.sku}-ED{serial}",
                "option_values": values,
                "inventory_level": rng.randrange(0, 30),
            }
            created.append(variants.create_variant(sandbox, store, product, body).id)
        return created
    if action == "delete":
        candidates = [v for p in with_options for v in catalog.products[p].variant_ids[1:]]
        picked = _pick(rng, candidates, count)
        for variant_id in picked:
            variant = catalog.variants[variant_id]
            variants.delete_variant(sandbox, store, catalog.products[variant.product_id], variant)
        return picked
    if action != "update":
        raise _unknown("variant", action)
    picked = _pick(rng, list(catalog.variants), count)
    for variant_id in picked:
        variant = catalog.variants[variant_id]
        product = catalog.products[variant.product_id]
        changes: dict[str, Any] = {
            "price": round(float(product.doc["price"]) * rng.uniform(0.9, 1.3), 2)
        }
        if rng.random() < 0.3 and not variant.is_base:
            changes["sku"] = f"{variant.sku}-R{store.next_id('mutation_sku')}"
        variants.update_variant(sandbox, store, product, variant, changes)
    return picked


def mutate_categories(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    catalog = store.catalog
    if action == "create":
        parents = [0, *catalog.categories]
        return [
            taxonomy.create_category(
                sandbox,
                store,
                {
                    "name": f"Collection {store.next_id('mutation_category')}",
                    "parent_id": rng.choice(parents),
                },
            ).id
            for _ in range(count)
        ]
    if action == "update":
        picked = _pick(rng, list(catalog.categories), count)
        for category_id in picked:
            category = catalog.categories[category_id]
            taxonomy.update_category(
                sandbox, store, category, {"is_visible": not category.doc["is_visible"]}
            )
        return picked
    if action != "delete":
        raise _unknown("category", action)
    has_children = {c.doc["parent_id"] for c in catalog.categories.values()}
    leaves = _pick(rng, [c for c in catalog.categories if c not in has_children], count)
    taxonomy.delete_categories(sandbox, store, leaves)
    return leaves


def mutate_brands(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    catalog = store.catalog
    if action == "create":
        return [
            taxonomy.create_brand(store, {"name": f"Maker {store.next_id('mutation_brand')}"}).id
            for _ in range(count)
        ]
    picked = _pick(rng, list(catalog.brands), count)
    if action == "update":
        for brand_id in picked:
            taxonomy.update_brand(
                store,
                catalog.brands[brand_id],
                {"page_title": f"Brand page {rng.randrange(10**6)}"},
            )
    elif action == "delete":
        taxonomy.delete_brands(store, picked)
    else:
        raise _unknown("brand", action)
    return picked


def mutate_inventory(
    sandbox: Sandbox, store: StoreState, action: str, count: int, rng: random.Random
) -> list[int]:
    if action not in ("create", "update", "delete"):
        raise _unknown("inventory", action)
    items = _pick_items(store, rng, count)
    body_items = []
    for item in items:
        identity = (
            {"variant_id": item.variant.id} if item.variant else {"product_id": item.product.id}
        )
        if action == "create":
            item.stock.setdefault(DEFAULT_LOCATION_ID, Stock())
            quantity = rng.randrange(1, 50)
        else:
            quantity = 0 if action == "delete" else rng.randrange(0, 200)
        body_items.append({"location_id": DEFAULT_LOCATION_ID, "quantity": quantity, **identity})
    if body_items:
        inventory.adjust(
            sandbox, store, {"items": body_items}, relative=action == "create", queued=False
        )
    return [item.variant.id if item.variant else item.product.id for item in items]


def _pick_items(store: StoreState, rng: random.Random, count: int) -> list[Any]:
    items = store.catalog.inventory_items()
    return [items[i] for i in sorted(rng.sample(range(len(items)), min(count, len(items))))]


MUTATIONS: dict[str, Mutation] = {
    "product": mutate_products,
    "variant": mutate_variants,
    "category": mutate_categories,
    "brand": mutate_brands,
    "inventory": mutate_inventory,
}
"""Random changes by record kind, for the control API's `/_sandbox/mutate`."""
