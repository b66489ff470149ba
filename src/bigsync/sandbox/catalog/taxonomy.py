"""Writes to categories (in category trees) and brands.

Category names are unique among siblings and brand names are unique (409). Deleting a
category deletes its subtree and removes the deleted ids from products' `categories`.
Category writes emit `store/category/*`; brands have no webhook events.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bigsync.sandbox.catalog.fields import (
    BRAND_DEFAULTS,
    BRAND_FIELDS,
    CATEGORY_DEFAULTS,
    CATEGORY_FIELDS,
    invalid_fields,
    slug,
    writable,
)
from bigsync.sandbox.catalog.models import Brand, Category
from bigsync.sandbox.catalog.state import DEFAULT_TREE_ID
from bigsync.sandbox.responses import ApiProblem

if TYPE_CHECKING:
    from bigsync.sandbox.backend import Sandbox, StoreState
    from bigsync.sandbox.catalog.state import CatalogState


def category_event(category_id: int) -> dict[str, Any]:
    return {"type": "category", "id": category_id}


def _check_category(
    catalog: CatalogState, body: Any, *, category: Category | None, tree_id: int
) -> None:
    if not isinstance(body, dict):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"category": "must be an object"}
        )
    errors = invalid_fields(body, CATEGORY_FIELDS)
    if category is None and not body.get("name"):
        errors["name"] = "name is required."
    if isinstance(body.get("name"), str) and len(body["name"]) > 50:
        errors["name"] = "name must be at most 50 characters long."
    parent_id = body.get("parent_id", category.doc["parent_id"] if category else 0)
    if not errors and parent_id and parent_id not in catalog.categories:
        errors["parent_id"] = f"Parent category {parent_id} does not exist."
    if category is not None and parent_id in _subtree(catalog, category.id):
        errors["parent_id"] = "A category cannot be moved under itself."
    if errors:
        raise ApiProblem(422, "JSON data is missing or invalid", errors=errors)
    name = body.get("name", category.doc["name"] if category else "")
    for other in catalog.categories.values():
        if (
            other is not category
            and other.tree_id == tree_id
            and other.doc["parent_id"] == parent_id
            and str(other.doc["name"]).lower() == name.lower()
        ):
            raise ApiProblem(
                409,
                f"Category '{name}' already exists under parent {parent_id}.",
                errors={"name": "Category name is not unique among its siblings."},
            )


def create_category(
    sandbox: Sandbox, store: StoreState, body: Any, *, tree_id: int = DEFAULT_TREE_ID
) -> Category:
    catalog = store.catalog
    _check_category(catalog, body, category=None, tree_id=tree_id)
    doc = {**CATEGORY_DEFAULTS, **writable(body, CATEGORY_FIELDS)}
    doc["url"] = _category_url(body) or {"path": slug(doc["name"]), "is_customized": False}
    category = Category(
        id=store.next_id("category"),
        uuid="",
        tree_id=tree_id,
        doc=doc,
    )
    category.uuid = category_uuid(store.hash, category.id)
    catalog.categories[category.id] = category
    catalog.changed()
    sandbox.emit(store, "store/category/created", category_event(category.id))
    return category


def category_uuid(store_hash: str, category_id: int) -> str:
    """A category's `category_uuid`, stable for a store and id."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"bigcommerce-sandbox/{store_hash}/category/{category_id}")
    )


def _category_url(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """A `url` (trees form) or `custom_url` (categories form) from a request body."""
    if isinstance(body.get("url"), dict) and isinstance(body["url"].get("path"), str):
        return {
            "path": body["url"]["path"],
            "is_customized": bool(body["url"].get("is_customized", True)),
        }
    if isinstance(body.get("custom_url"), dict) and isinstance(body["custom_url"].get("url"), str):
        custom = body["custom_url"]
        return {"path": custom["url"], "is_customized": bool(custom.get("is_customized", True))}
    return None


def update_category(sandbox: Sandbox, store: StoreState, category: Category, body: Any) -> None:
    _check_category(store.catalog, body, category=category, tree_id=category.tree_id)
    category.doc.update(writable(body, CATEGORY_FIELDS))
    url = _category_url(body)
    if url is not None:
        category.doc["url"] = url
    store.catalog.changed()
    sandbox.emit(store, "store/category/updated", category_event(category.id))


def _subtree(catalog: CatalogState, category_id: int) -> set[int]:
    found = {category_id}
    grew = True
    while grew:
        grew = False
        for other in catalog.categories.values():
            if other.doc["parent_id"] in found and other.id not in found:
                found.add(other.id)
                grew = True
    return found


def delete_categories(sandbox: Sandbox, store: StoreState, category_ids: list[int]) -> None:
    """Delete categories with their subtrees; products lose the deleted ids."""
    catalog = store.catalog
    doomed: set[int] = set()
    for category_id in category_ids:
        if category_id in catalog.categories:
            doomed |= _subtree(catalog, category_id)
    if not doomed:
        return
    for category_id in sorted(doomed):
        del catalog.categories[category_id]
    for product in catalog.products.values():
        if doomed.intersection(product.doc["categories"]):
            product.doc["categories"] = [c for c in product.doc["categories"] if c not in doomed]
    catalog.changed()
    for category_id in sorted(doomed):
        sandbox.emit(store, "store/category/deleted", category_event(category_id))


def _check_brand(catalog: CatalogState, body: Any, *, brand: Brand | None) -> None:
    if not isinstance(body, dict):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"brand": "must be an object"}
        )
    errors = invalid_fields(body, BRAND_FIELDS)
    if brand is None and not body.get("name"):
        errors["name"] = "name is required."
    if errors:
        raise ApiProblem(422, "JSON data is missing or invalid", errors=errors)
    name = body.get("name")
    if name and any(
        other is not brand and str(other.doc["name"]).lower() == name.lower()
        for other in catalog.brands.values()
    ):
        raise ApiProblem(
            409,
            f"Brand name '{name}' is already in use.",
            errors={"name": "Brand name is a duplicate"},
        )


def create_brand(store: StoreState, body: Any) -> Brand:
    _check_brand(store.catalog, body, brand=None)
    doc = {**BRAND_DEFAULTS, **writable(body, BRAND_FIELDS)}
    if "custom_url" not in body:
        doc["custom_url"] = {"url": slug(doc["name"]), "is_customized": False}
    brand = Brand(id=store.next_id("brand"), doc=doc)
    store.catalog.brands[brand.id] = brand
    store.catalog.changed()
    return brand


def update_brand(store: StoreState, brand: Brand, body: Any) -> None:
    _check_brand(store.catalog, body, brand=brand)
    brand.doc.update(writable(body, BRAND_FIELDS))
    store.catalog.changed()


def delete_brands(store: StoreState, brand_ids: list[int]) -> None:
    """Delete brands; products of a deleted brand get `brand_id` 0."""
    catalog = store.catalog
    doomed = {b for b in brand_ids if catalog.brands.pop(b, None) is not None}
    if not doomed:
        return
    for product in catalog.products.values():
        if product.doc["brand_id"] in doomed:
            product.doc["brand_id"] = 0
    catalog.changed()
