"""Status and exception mapping, error bodies in every BigCommerce shape, scope hints."""

from __future__ import annotations

import httpx
import pytest

from bigsync.bigcommerce.mapping import (
    decode_body,
    error_for_status,
    error_for_transport,
    error_title,
    field_errors,
    required_scope,
)
from bigsync.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectTimeoutError,
    HttpStatusError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnprocessableError,
    is_retriable,
)
from bigsync.sandbox.scopes import required_scopes

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("status", "kind", "retriable"),
    [
        (400, BadRequestError, False),
        (401, AuthenticationError, False),
        (403, PermissionDeniedError, False),
        (404, NotFoundError, False),
        (405, HttpStatusError, False),
        (409, ConflictError, False),
        (413, PayloadTooLargeError, False),
        (415, HttpStatusError, False),
        (422, UnprocessableError, False),
        (429, RateLimitedError, True),
        (500, ServerError, True),
        (501, ServerError, False),
        (502, ServerError, True),
        (503, ServerError, True),
        (504, ServerError, True),
        (505, ServerError, False),
        (507, ServerError, True),
    ],
)
def test_one_table_maps_every_status(
    status: int, kind: type[HttpStatusError], retriable: bool
) -> None:
    error = error_for_status(status, method="GET", path="/v3/catalog/products", body=None)
    assert type(error) is kind
    assert error.status == status
    assert is_retriable(error) is retriable
    assert str(error).startswith(f"GET /v3/catalog/products answered {status}")


def test_a_redirect_points_at_the_base_url() -> None:
    error = error_for_status(
        301, method="GET", path="/v2/store", headers={"location": "https://x/v2/store"}, body=None
    )
    assert type(error) is HttpStatusError
    assert "redirected to https://x/v2/store" in str(error)
    assert "base URL" in str(error)
    assert not is_retriable(error)


def test_v3_422_carries_title_and_field_errors() -> None:
    body = {
        "status": 422,
        "title": "Missing Required Fields",
        "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
        "errors": {"name": "Please provide a name.", "price": "Please provide a price."},
    }
    error = error_for_status(422, method="PUT", path="/v3/catalog/products", body=body)
    assert isinstance(error, UnprocessableError)
    assert "Missing Required Fields" in str(error)
    assert error.field_errors == {
        "name": "Please provide a name.",
        "price": "Please provide a price.",
    }
    assert error.body == body


def test_v3_batch_errors_are_keyed_by_index() -> None:
    body = {
        "batch_errors": [
            {"status": 422, "title": "Bad variant", "errors": {"sku": "Duplicate SKU"}},
            {"status": 422, "title": "Price must be positive", "errors": {}},
        ]
    }
    assert field_errors(body) == {"[0].sku": "Duplicate SKU", "[1]": "Price must be positive"}
    assert error_title(body) == ""


def test_v2_customer_group_errors_object() -> None:
    body = {"errors": [{"status": 400, "message": "Required fields missing [name]"}]}
    assert field_errors(body) == {"name": "Required fields missing [name]"}


def test_unknown_paths_have_no_scope() -> None:
    assert required_scope("GET", "/v3/something/new") is None


def test_v2_messages_name_their_fields() -> None:
    body = [
        {"status": 400, "message": "The field 'id' cannot be written to. Please remove it."},
        {"status": 400, "message": "Required fields missing [status_id, billing_address]"},
        {"status": 400, "message": "Something else went wrong."},
    ]
    errors = field_errors(body)
    assert set(errors) == {"id", "status_id", "billing_address"}
    assert error_title(body).startswith("The field 'id' cannot be written to")
    assert "Something else went wrong." in error_title(body)


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ({"code": 403, "message": "Missing scope"}, "Missing scope"),
        ({"errors": [{"status": 400, "message": "bad group"}]}, "bad group"),
        ({"status": 400, "detail": "Syntax error"}, "Syntax error"),
        ("Unauthorized", "Unauthorized"),
        (None, ""),
        ({}, ""),
    ],
)
def test_titles_of_every_documented_error_shape(body: object, title: str) -> None:
    assert error_title(body) == title


def test_403_names_the_scope_and_where_to_grant_it() -> None:
    read = error_for_status(403, method="GET", path="/v3/catalog/products", body=None)
    assert isinstance(read, PermissionDeniedError)
    assert read.required_scope == "store_v2_products_read_only"
    assert "store_v2_products_read_only" in str(read)
    assert "Products: read-only" in str(read)
    write = error_for_status(403, method="PUT", path="/v2/orders/7", body=None)
    assert isinstance(write, PermissionDeniedError)
    assert write.required_scope == "store_v2_orders"
    assert "Orders: modify" in str(write)
    hooks = error_for_status(403, method="GET", path="/v3/hooks", body=None)
    assert isinstance(hooks, PermissionDeniedError)
    assert hooks.required_scope is None


@pytest.mark.parametrize(
    "path",
    [
        "/v3/catalog/products",
        "/v3/catalog/variants",
        "/v3/catalog/trees/categories",
        "/v2/orders",
        "/v2/orders/1/shipments",
        "/v2/order_statuses",
        "/v3/orders/1/transactions",
        "/v3/orders/1/payment_actions/refunds",
        "/v3/customers",
        "/v3/customers/1/stored-instruments",
        "/v2/customers",
        "/v2/customer_groups",
        "/v3/inventory/items",
        "/v3/inventory/locations",
        "/v3/inventory/locations/1/items",
        "/v3/inventory/adjustments/absolute",
        "/v2/store",
        "/v2/time",
        "/v2/shipping/zones",
        "/v3/channels",
        "/v3/channels/1/listings",
        "/v3/channels/1/site",
        "/v3/hooks",
    ],
)
def test_scope_table_agrees_with_the_sandbox(path: str) -> None:
    granting = required_scopes(path)
    for method in ("GET", "PUT"):
        scope = required_scope(method, path)
        if not granting:
            assert scope is None
            continue
        assert scope is not None
        assert scope.removesuffix("_read_only") in granting
        assert scope.endswith("_read_only") is (method == "GET")


def test_429_reads_how_long_to_wait() -> None:
    headers = {"X-Rate-Limit-Time-Reset-Ms": "1500", "X-Retry-After": "1"}
    error = error_for_status(429, method="GET", path="/v2/orders", headers=headers, body=None)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after_s == 1.5
    bare = error_for_status(429, method="GET", path="/v2/orders", headers={}, body=None)
    assert isinstance(bare, RateLimitedError)
    assert bare.retry_after_s is None


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectTimeout("slow"), ConnectTimeoutError),
        (httpx.ReadTimeout("slow"), ConnectTimeoutError),
        (httpx.PoolTimeout("full"), ConnectTimeoutError),
        (httpx.ConnectError("refused"), NetworkError),
        (httpx.ReadError("reset"), NetworkError),
        (httpx.RemoteProtocolError("peer closed connection"), NetworkError),
        (ConnectionResetError("reset"), NetworkError),
        (httpx.DecodingError("bad gzip"), MalformedResponseError),
        (httpx.UnsupportedProtocol("ftp"), TransportError),
    ],
)
def test_transport_exceptions_map_in_one_place(exc: Exception, kind: type[TransportError]) -> None:
    error = error_for_transport(
        exc, method="GET", path="/v2/store", url="http://x/stores/a/v2/store"
    )
    assert type(error) is kind
    assert is_retriable(error)
    assert error.method == "GET"
    assert "GET /v2/store" in str(error)


def test_bodies_decode_by_status_and_type() -> None:
    assert decode_body(204, {}, b"") is None
    assert decode_body(200, JSON, b"  ") is None
    assert decode_body(200, JSON, b'{"a": 1}') == {"a": 1}
    assert decode_body(200, {"content-type": "application/problem+json"}, b"[1]") == [1]
    assert decode_body(401, {"content-type": "plain/text"}, b"Unauthorized") == "Unauthorized"
    assert decode_body(502, {"content-type": "application/json"}, b"<html>") == "<html>"
    with pytest.raises(MalformedResponseError, match="not valid JSON"):
        decode_body(200, JSON, b'{"data": [{"id": 1}, {"id"')
    with pytest.raises(MalformedResponseError):
        decode_body(200, {"content-type": "text/html"}, b"<html>login</html>")
