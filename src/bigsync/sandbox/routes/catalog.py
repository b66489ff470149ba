"""Products, variants and options: `/v3/catalog/products...` and `/v3/catalog/variants`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bigsync.sandbox.catalog import products as ops
from bigsync.sandbox.catalog import variants as variant_ops
from bigsync.sandbox.catalog.models import Product, Variant
from bigsync.sandbox.catalog.query import field_list, products_matching, variants_matching
from bigsync.sandbox.catalog.render import (
    PRODUCT_INCLUDES,
    product_fragment,
    product_json,
    project,
    variant_json,
)
from bigsync.sandbox.catalog.state import CatalogState
from bigsync.sandbox.context import sandbox_of, store_of
from bigsync.sandbox.responses import (
    STATUS_CODES_TYPE,
    ApiProblem,
    json_response,
    no_content,
    page_and_limit,
    pagination_meta,
    v3_object,
)

MAX_PRODUCT_BATCH = 10
MAX_VARIANT_BATCH = 50
TOO_LARGE = "The request payload is too large. The maximum items allowed in the array is "
SMALL_PAGE_INCLUDES = frozenset({"options", "modifiers"})  # "limited to 10 per page"
DELETE_FILTERS = (
    "id:in", "name", "sku", "price", "weight", "condition", "brand_id", "date_modified",
    "date_last_imported", "is_visible", "is_featured", "inventory_level", "total_sold", "type",
    "categories", "keyword",
)  # fmt: skip


async def read_json(request: Request) -> Any:
    """The request body as JSON; 422 when it is missing or not JSON."""
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiProblem(
            422,
            "JSON data is missing or invalid",
            errors={"body": "The request body is not valid JSON."},
        ) from None


async def read_batch(request: Request, *, max_items: int, too_large: str) -> list[Any]:
    """A batch body: a JSON array (else 422) of at most `max_items` (else 413 `too_large`)."""
    body = await read_json(request)
    if not isinstance(body, list):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"body": "must be an array"}
        )
    if len(body) > max_items:
        raise ApiProblem(413, too_large)
    return body


def page_of(
    request: Request,
    items: Sequence[Any],
    render: Callable[[Any], Any],
    *,
    page_cap: int | None = None,
    max_limit: int = 250,
) -> Response:
    """One v3 page of `items`; only the page's records are rendered. `page_cap` lowers the
    page size silently (as `include=options` does) after the usual 413 check."""
    page, limit = page_and_limit(request, max_limit=max_limit)
    if page_cap is not None:
        limit = min(limit, page_cap)
    window = items[(page - 1) * limit : page * limit]
    data = [render(item) for item in window]
    meta = pagination_meta(request, total=len(items), count=len(data), page=page, limit=limit)
    return json_response({"data": data, "meta": {"pagination": meta}})


def projector(request: Request) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """`include_fields` / `exclude_fields` of this request, as a function on a rendered doc."""
    include = field_list(request.query_params, "include_fields")
    exclude = field_list(request.query_params, "exclude_fields")
    if not include and not exclude:
        return lambda doc: doc
    return lambda doc: project(doc, include=include, exclude=exclude)


def product_of(request: Request) -> Product:
    product = store_of(request).catalog.product(request.path_params["product_id"])
    if product is None:
        raise ApiProblem(404, "The requested product was not found.")
    return product


def variant_of(request: Request, product: Product) -> Variant:
    variant = store_of(request).catalog.variant(request.path_params["variant_id"])
    if variant is None or variant.product_id != product.id:
        raise ApiProblem(404, "The requested variant was not found.")
    return variant


def render_product(request: Request, catalog: CatalogState, product: Product) -> dict[str, Any]:
    shape = projector(request)
    include = field_list(request.query_params, "include") & PRODUCT_INCLUDES
    return shape(product_json(catalog, product, include))


# -- products ------------------------------------------------------------------------------


async def list_products(request: Request) -> Response:
    store, params = store_of(request), request.query_params
    catalog = store.catalog
    found = products_matching(catalog, params, now=sandbox_of(request).now())
    include = field_list(params, "include") & PRODUCT_INCLUDES
    cap = 10 if include & SMALL_PAGE_INCLUDES else None
    if "include_fields" in params or "exclude_fields" in params:
        shape = projector(request)
        return page_of(
            request, found, lambda p: shape(product_json(catalog, p, include)), page_cap=cap
        )
    return page_of(request, found, lambda p: product_fragment(catalog, p, include), page_cap=cap)


async def get_product(request: Request) -> Response:
    product = product_of(request)
    return v3_object(render_product(request, store_of(request).catalog, product))


async def create_product(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"body": "must be an object"}
        )
    store = store_of(request)
    product = ops.create_product(sandbox_of(request), store, body)
    return v3_object(render_product(request, store.catalog, product))


async def update_product(request: Request) -> Response:
    product = product_of(request)
    body = await read_json(request)
    store = store_of(request)
    if not isinstance(body, dict):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"body": "must be an object"}
        )
    ops.check_product_update(store.catalog, {**body, "id": product.id})
    ops.update_product(sandbox_of(request), store, product, body)
    return v3_object(render_product(request, store.catalog, product))


async def update_products(request: Request) -> Response:
    # Each spec's own wording: a period after the products limit, none after the variants'.
    body = await read_batch(
        request, max_items=MAX_PRODUCT_BATCH, too_large=f"{TOO_LARGE}{MAX_PRODUCT_BATCH}."
    )
    store, sandbox = store_of(request), sandbox_of(request)
    catalog = store.catalog
    targets = [ops.check_product_update(catalog, item) for item in body]
    if len({p.id for p in targets}) != len(targets):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"id": "Duplicate product ids."}
        )
    _check_batch_uniques(body)
    for product, item in zip(targets, body, strict=True):
        ops.update_product(sandbox, store, product, item)
    return json_response(
        {"data": [render_product(request, catalog, p) for p in targets], "meta": {}}
    )


def _check_batch_uniques(items: list[dict[str, Any]]) -> None:
    """409 when two items of one batch ask for the same name or SKU."""
    for field in ("name", "sku"):
        values = [str(i[field]).lower() for i in items if i.get(field)]
        if len(values) != len(set(values)):
            raise ApiProblem(
                409, f"Duplicate {field} in the batch.", errors={field: f"{field} is a duplicate"}
            )


async def delete_products(request: Request) -> Response:
    params = request.query_params
    if not any(name in params for name in DELETE_FILTERS):
        raise ApiProblem(
            422, "At least one filter is required to delete products.", errors={"id:in": "required"}
        )
    store, sandbox = store_of(request), sandbox_of(request)
    for product in products_matching(store.catalog, params, now=sandbox.now()):
        ops.delete_product(sandbox, store, product)
    return no_content()


async def delete_product(request: Request) -> Response:
    product = product_of(request)
    ops.delete_product(sandbox_of(request), store_of(request), product)
    return no_content()


# -- variants ------------------------------------------------------------------------------


def variant_renderer(
    request: Request, catalog: CatalogState
) -> Callable[[Variant], dict[str, Any]]:
    shape = projector(request)
    return lambda v: shape(variant_json(catalog, catalog.products[v.product_id], v))


async def list_product_variants(request: Request) -> Response:
    product = product_of(request)
    catalog = store_of(request).catalog
    return page_of(request, list(catalog.variants_of(product)), variant_renderer(request, catalog))


async def create_product_variant(request: Request) -> Response:
    product = product_of(request)
    body = await read_json(request)
    store = store_of(request)
    variant = variant_ops.create_variant(sandbox_of(request), store, product, body)
    return v3_object(variant_json(store.catalog, product, variant))


async def get_product_variant(request: Request) -> Response:
    product = product_of(request)
    variant = variant_of(request, product)
    return v3_object(variant_renderer(request, store_of(request).catalog)(variant))


async def update_product_variant(request: Request) -> Response:
    product = product_of(request)
    variant = variant_of(request, product)
    body = await read_json(request)
    store = store_of(request)
    variant_ops.check_variant_update(store.catalog, product, variant, body)
    variant_ops.update_variant(sandbox_of(request), store, product, variant, body)
    return v3_object(variant_json(store.catalog, product, variant))


async def delete_product_variant(request: Request) -> Response:
    product = product_of(request)
    variant = variant_of(request, product)
    variant_ops.delete_variant(sandbox_of(request), store_of(request), product, variant)
    return no_content()


async def list_variants(request: Request) -> Response:
    catalog = store_of(request).catalog
    found = variants_matching(catalog, request.query_params)
    return page_of(request, found, variant_renderer(request, catalog))


async def update_variants(request: Request) -> Response:
    """`PUT /v3/catalog/variants`: update by `id`, or create with `product_id` + `sku` +
    `option_values`; all or nothing, errors as `batch_errors`."""
    body = await read_batch(
        request, max_items=MAX_VARIANT_BATCH, too_large=f"{TOO_LARGE}{MAX_VARIANT_BATCH}"
    )
    store, sandbox = store_of(request), sandbox_of(request)
    catalog = store.catalog
    plans: list[tuple[Product, Variant | None, dict[str, Any]]] = []
    errors = []
    for index, item in enumerate(body):
        try:
            plans.append(_plan_variant_write(catalog, item))
        except ApiProblem as problem:
            errors.append(
                {
                    "status": problem.status,
                    "title": problem.title,
                    "type": STATUS_CODES_TYPE,
                    "instance": f"/{index}",
                    "errors": problem.errors,
                }
            )
    skus = [str(item["sku"]).lower() for item in body if isinstance(item, dict) and item.get("sku")]
    if len(skus) != len(set(skus)):
        errors.append(
            {
                "status": 409,
                "title": "Duplicate SKU in the batch.",
                "type": STATUS_CODES_TYPE,
                "errors": {"sku": "Sku is not unique"},
            }
        )
    if errors:
        raise ApiProblem(422, "Batch failed", body={"batch_errors": errors})
    done = []
    for product, target, item in plans:
        if target is None:
            done.append(variant_ops.create_variant(sandbox, store, product, item))
        else:
            variant_ops.update_variant(sandbox, store, product, target, item)
            done.append(target)
    render = variant_renderer(request, catalog)
    return json_response({"data": [render(v) for v in done], "meta": {}})


def _plan_variant_write(
    catalog: CatalogState, item: Any
) -> tuple[Product, Variant | None, dict[str, Any]]:
    if not isinstance(item, dict):
        raise ApiProblem(
            422, "JSON data is missing or invalid", errors={"item": "must be an object"}
        )
    if "id" in item:
        variant = catalog.variant(item["id"]) if isinstance(item["id"], int) else None
        if variant is None:
            raise ApiProblem(
                422, f"Variant {item['id']} was not found.", errors={"id": "not found"}
            )
        product = catalog.products[variant.product_id]
        variant_ops.check_variant_update(catalog, product, variant, item)
        return product, variant, item
    owner = catalog.product(item["product_id"]) if isinstance(item.get("product_id"), int) else None
    if owner is None:
        raise ApiProblem(
            422,
            "Each item needs an id (update) or a product_id (create).",
            errors={"product_id": "not found"},
        )
    if not item.get("sku") or not item.get("option_values"):
        raise ApiProblem(
            422,
            "JSON data is missing or invalid",
            errors={"sku": "sku and option_values are required."},
        )
    if catalog.find_sku(str(item["sku"])):
        raise ApiProblem(
            409, f"Sku '{item['sku']}' is not unique.", errors={"sku": "Sku is not unique"}
        )
    return owner, None, item


# -- images and custom fields --------------------------------------------------------------


async def list_images(request: Request) -> Response:
    """A product's images; 204 with no body when it has none, as the spec declares."""
    product = product_of(request)
    if not product.images:
        return no_content()
    shape = projector(request)
    return page_of(request, product.images, shape)


async def list_custom_fields(request: Request) -> Response:
    product = product_of(request)
    shape = projector(request)
    return page_of(request, product.custom_fields, shape)


# -- options -------------------------------------------------------------------------------


async def list_options(request: Request) -> Response:
    product = product_of(request)
    shape = projector(request)
    return page_of(request, product.options, lambda o: shape(o.as_json()))


async def get_option(request: Request) -> Response:
    product = product_of(request)
    option_id = request.path_params["option_id"]
    option = next((o for o in product.options if o.id == option_id), None)
    if option is None:
        raise ApiProblem(404, "The requested option was not found.")
    return v3_object(projector(request)(option.as_json()))


PRODUCT = "/v3/catalog/products/{product_id:int}"
VARIANT = PRODUCT + "/variants/{variant_id:int}"

routes = [
    Route("/v3/catalog/products", list_products, methods=["GET"]),
    Route("/v3/catalog/products", create_product, methods=["POST"]),
    Route("/v3/catalog/products", update_products, methods=["PUT"]),
    Route("/v3/catalog/products", delete_products, methods=["DELETE"]),
    Route(PRODUCT, get_product, methods=["GET"]),
    Route(PRODUCT, update_product, methods=["PUT"]),
    Route(PRODUCT, delete_product, methods=["DELETE"]),
    Route(PRODUCT + "/variants", list_product_variants, methods=["GET"]),
    Route(PRODUCT + "/variants", create_product_variant, methods=["POST"]),
    Route(VARIANT, get_product_variant, methods=["GET"]),
    Route(VARIANT, update_product_variant, methods=["PUT"]),
    Route(VARIANT, delete_product_variant, methods=["DELETE"]),
    Route(PRODUCT + "/images", list_images, methods=["GET"]),
    Route(PRODUCT + "/custom-fields", list_custom_fields, methods=["GET"]),
    Route(PRODUCT + "/options", list_options, methods=["GET"]),
    Route(PRODUCT + "/options/{option_id:int}", get_option, methods=["GET"]),
    Route("/v3/catalog/variants", list_variants, methods=["GET"]),
    Route("/v3/catalog/variants", update_variants, methods=["PUT"]),
]
