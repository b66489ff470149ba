"""Categories, category trees and brands: `/v3/catalog/categories`, `/v3/catalog/trees...`,
`/v3/catalog/brands`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.catalog import taxonomy
from bigsync.sandbox.catalog.models import Brand, Category
from bigsync.sandbox.catalog.query import (
    brands_matching,
    categories_matching,
    int_set,
    int_value,
)
from bigsync.sandbox.catalog.render import (
    brand_json,
    category_json,
    category_nodes,
    tree_category_json,
)
from bigsync.sandbox.context import sandbox_of, store_of
from bigsync.sandbox.responses import ApiProblem, json_response, no_content, v3_object
from bigsync.sandbox.routes.catalog import page_of, projector, read_json

CATEGORY_DELETE_FILTERS = (
    "id", "id:in", "name", "parent_id", "page_title", "keyword", "is_visible", "name:like",
    "parent_id:in",
)  # fmt: skip


def category_of(request: Request) -> Category:
    category = store_of(request).catalog.categories.get(request.path_params["category_id"])
    if category is None:
        raise ApiProblem(404, "The requested category was not found.")
    return category


def brand_of(request: Request) -> Brand:
    brand = store_of(request).catalog.brands.get(request.path_params["brand_id"])
    if brand is None:
        raise ApiProblem(404, "The requested brand was not found.")
    return brand


# -- categories (the deprecated but working v3 form) ---------------------------------------


async def list_categories(request: Request) -> Response:
    found = categories_matching(store_of(request).catalog, request.query_params, tree_form=False)
    shape = projector(request)
    return page_of(request, found, lambda c: shape(category_json(c)))


async def get_category(request: Request) -> Response:
    return v3_object(projector(request)(category_json(category_of(request))))


async def create_category(request: Request) -> Response:
    body = await read_json(request)
    category = taxonomy.create_category(sandbox_of(request), store_of(request), body)
    return v3_object(category_json(category))


async def update_category(request: Request) -> Response:
    category = category_of(request)
    body = await read_json(request)
    taxonomy.update_category(sandbox_of(request), store_of(request), category, body)
    return v3_object(category_json(category))


async def delete_category(request: Request) -> Response:
    category = category_of(request)
    taxonomy.delete_categories(sandbox_of(request), store_of(request), [category.id])
    return no_content()


async def delete_categories(request: Request) -> Response:
    params = request.query_params
    if not any(name in params for name in CATEGORY_DELETE_FILTERS):
        raise ApiProblem(422, "At least one filter is required to delete categories.")
    store = store_of(request)
    found = categories_matching(store.catalog, params, tree_form=False)
    taxonomy.delete_categories(sandbox_of(request), store, [c.id for c in found])
    return no_content()


# -- category trees ------------------------------------------------------------------------


async def list_trees(request: Request) -> Response:
    catalog = store_of(request).catalog
    ids = int_set(request.query_params, "id:in")
    channels = int_set(request.query_params, "channel_id:in")
    trees = [
        tree
        for tree in catalog.trees.values()
        if (ids is None or tree["id"] in ids)
        and (channels is None or channels & set(tree["channels"]))
    ]
    return page_of(request, trees, dict)


async def list_tree_categories(request: Request) -> Response:
    found = categories_matching(store_of(request).catalog, request.query_params, tree_form=True)
    shape = projector(request)
    return page_of(request, found, lambda c: shape(tree_category_json(c)))


async def get_tree_nodes(request: Request) -> Response:
    catalog = store_of(request).catalog
    tree_id = request.path_params["tree_id"]
    if tree_id not in catalog.trees:
        raise ApiProblem(404, "The requested category tree was not found.")
    depth = int_value(request.query_params, "depth")
    members = [c for c in catalog.categories.values() if c.tree_id == tree_id]
    return json_response({"data": category_nodes(members, max_depth=depth), "meta": {}})


async def create_tree_categories(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, list):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"body": "must be an array"}
        )
    store, sandbox = store_of(request), sandbox_of(request)
    created = []
    for item in body:
        tree_id = item.get("tree_id", 1) if isinstance(item, dict) else 1
        if tree_id not in store.catalog.trees:
            raise ApiProblem(
                422, f"Category tree {tree_id} does not exist.", errors={"tree_id": "not found"}
            )
        created.append(taxonomy.create_category(sandbox, store, item, tree_id=tree_id))
    return json_response({"data": [tree_category_json(c) for c in created], "meta": {}}, 201)


# -- brands --------------------------------------------------------------------------------


async def list_brands(request: Request) -> Response:
    found = brands_matching(store_of(request).catalog, request.query_params)
    shape = projector(request)
    return page_of(request, found, lambda b: shape(brand_json(b)))


async def get_brand(request: Request) -> Response:
    return v3_object(projector(request)(brand_json(brand_of(request))))


async def create_brand(request: Request) -> Response:
    body = await read_json(request)
    return v3_object(brand_json(taxonomy.create_brand(store_of(request), body)))


async def update_brand(request: Request) -> Response:
    brand = brand_of(request)
    body = await read_json(request)
    taxonomy.update_brand(store_of(request), brand, body)
    return v3_object(brand_json(brand))


async def delete_brand(request: Request) -> Response:
    brand = brand_of(request)
    taxonomy.delete_brands(store_of(request), [brand.id])
    return no_content()


async def delete_brands(request: Request) -> Response:
    """`DELETE /v3/catalog/brands?name=...` (the `name` filter is required)."""
    params = request.query_params
    if not params.get("name"):
        raise ApiProblem(
            422, "The filter 'name' is required to delete brands.", errors={"name": "required"}
        )
    store = store_of(request)
    taxonomy.delete_brands(store, [b.id for b in brands_matching(store.catalog, params)])
    return no_content()


CATEGORY = "/v3/catalog/categories/{category_id:int}"
BRAND = "/v3/catalog/brands/{brand_id:int}"

routes = [
    Route("/v3/catalog/categories", list_categories, methods=["GET"]),
    Route("/v3/catalog/categories", create_category, methods=["POST"]),
    Route("/v3/catalog/categories", delete_categories, methods=["DELETE"]),
    Route(CATEGORY, get_category, methods=["GET"]),
    Route(CATEGORY, update_category, methods=["PUT"]),
    Route(CATEGORY, delete_category, methods=["DELETE"]),
    Route("/v3/catalog/trees", list_trees, methods=["GET"]),
    Route("/v3/catalog/trees/categories", list_tree_categories, methods=["GET"]),
    Route("/v3/catalog/trees/categories", create_tree_categories, methods=["POST"]),
    Route("/v3/catalog/trees/{tree_id:int}/categories", get_tree_nodes, methods=["GET"]),
    Route("/v3/catalog/brands", list_brands, methods=["GET"]),
    Route("/v3/catalog/brands", create_brand, methods=["POST"]),
    Route("/v3/catalog/brands", delete_brands, methods=["DELETE"]),
    Route(BRAND, get_brand, methods=["GET"]),
    Route(BRAND, update_brand, methods=["PUT"]),
    Route(BRAND, delete_brand, methods=["DELETE"]),
]
