"""Check sandbox answers against BigCommerce's official OpenAPI specs (openapi-core).

Usage, in any sandbox test::

    from tests.sandbox.schema import assert_matches_spec

    response = await client.get(f"/stores/{store_hash}/v3/catalog/products", params={"limit": 5})
    assert_matches_spec(response)   # status, headers and body against products_catalog.v3.yml

`assert_matches_spec(response)` takes the `httpx.Response` (its `.request` is validated too:
path, query and body must be valid for the operation). The spec file is found from the path:
`/stores/{hash}/v3/...` and `/stores/{hash}/v2/...` are matched against the `paths` of every
spec of that version (the most specific template wins); each spec is loaded once per session.
`spec_file_for(method, path)` and `operation_id_for(method, path)` answer which file and
operation a path maps to.

When the spec itself is wrong (an upstream bug), never edit the spec files: in the test, call
`spec_errors(response)` and assert that it returns exactly the known error(s), with a comment
naming the spec, the schema and why the sandbox is right, e.g.::

    # orders.v2.oas2.yml declares `foo` as integer, but the API and the spec's own example
    # send a string; the sandbox follows the API.
    assert spec_errors(response) == ["...: '12' is not of type 'integer'"]

so the test fails the day the spec is fixed or the sandbox drifts. `assert_matches_spec` also
accepts `body=` to validate a corrected copy of the body instead of the one received (again
with a comment saying why).

Two things openapi-core gets wrong are handled here, so tests need no workaround for them:
`application/problem+json` bodies are parsed as JSON and validated against their declared
schema, and a 204 with no body passes when the spec declares that 204 without content
(`content: {}` or no `content`), which openapi-core would report as "Missing response data".

The specs live outside the repository (`../shared/bigcommerce/openapi/` beside the checkout,
or the folder named by `BIGSYNC_OPENAPI_DIR`); tests that need them are skipped when absent,
and fail instead when `CI=true` (CI checks out `../shared/` beside the repository).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.response.exceptions import MissingData
from werkzeug.datastructures import Headers, ImmutableMultiDict

REPO = Path(__file__).resolve().parents[2]
HOST = "https://api.bigcommerce.com"
_PATH_LINE = re.compile(r"^  '?(/[^':]*)'?:\s*$", re.MULTILINE)
_SERVER_VERSION = re.compile(r"url: '?https://api\.bigcommerce\.com/stores/\{store_hash\}/(v[23])")
_STORE_PATH = re.compile(r"^/stores/(?P<hash>[^/]+)/(?P<version>v[23])(?P<rest>/.*)$")


def spec_dir() -> Path | None:
    """Where the official specs are, if anywhere."""
    candidates = [
        os.environ.get("BIGSYNC_OPENAPI_DIR"),
        REPO.parent / "shared" / "bigcommerce" / "openapi",
        REPO / "specs" / "bigcommerce" / "openapi",
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "orders.v2.oas2.yml").is_file():
            return Path(candidate)
    return None


def require_specs() -> Path:
    """The specs folder; skips the test when it is absent (fails instead when `CI=true`)."""
    folder = spec_dir()
    if folder is None:
        reason = "the official OpenAPI specs are not available (see tests/sandbox/schema.py)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return folder


@dataclass(frozen=True)
class SpecPath:
    """One `paths` entry of one spec file."""

    file: Path
    version: str
    template: str
    pattern: re.Pattern[str]
    literal_segments: int


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


@functools.cache
def _index() -> tuple[SpecPath, ...]:
    folder = spec_dir()
    if folder is None:
        return ()
    entries: list[SpecPath] = []
    for file in sorted(folder.glob("**/*.yml")):
        text = file.read_text(encoding="utf-8")
        version = _SERVER_VERSION.search(text)
        if version is None or "\npaths:" not in text:
            continue
        paths_block = text.split("\npaths:", 1)[1]
        for template in _PATH_LINE.findall(paths_block.split("\ncomponents:", 1)[0]):
            literal = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            entries.append(
                SpecPath(file, version.group(1), template, _template_pattern(template), literal)
            )
    return tuple(entries)


def find_spec_path(path: str) -> SpecPath | None:
    """The spec entry for a request path `/stores/{hash}/v3/...` (most specific template)."""
    match = _STORE_PATH.match(path)
    if match is None:
        return None
    version, rest = match["version"], match["rest"]
    found = [e for e in _index() if e.version == version and e.pattern.fullmatch(rest)]
    if not found:
        return None
    return max(found, key=lambda e: (e.literal_segments, -len(e.template)))


def _drop_dangling_exclusive(node: Any) -> None:
    """`exclusiveMaximum: false` without `maximum` (customers.v2, shipping.v2) breaks the
    schema validator; drop such flags in the loaded copy (the files stay untouched)."""
    if isinstance(node, dict):
        for flag, bound in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
            if node.get(flag) is False and bound not in node:
                del node[flag]
        for value in node.values():
            _drop_dangling_exclusive(value)
    elif isinstance(node, list):
        for value in node:
            _drop_dangling_exclusive(value)


@functools.cache
def _load(file: Path) -> tuple[OpenAPI, dict[str, Any]]:
    with file.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 -- safe loaders only
    _drop_dangling_exclusive(document)
    config = Config(
        spec_validator_cls=None,
        extra_media_type_deserializers={"application/problem+json": orjson.loads},
    )
    return OpenAPI.from_dict(document, config=config), document


def spec_file_for(path: str) -> Path | None:
    """The spec file that documents `path` (`/stores/{hash}/v3/...`), if any."""
    entry = find_spec_path(path)
    return entry.file if entry else None


def operation_id_for(method: str, path: str) -> str | None:
    """The spec's operationId for `method` on `path`, if the spec has one."""
    entry = find_spec_path(path)
    if entry is None:
        return None
    _, document = _load(entry.file)
    operation = document.get("paths", {}).get(entry.template, {}).get(method.lower(), {})
    return operation.get("operationId") if isinstance(operation, dict) else None


class _Request:
    """An httpx request as openapi-core reads it."""

    def __init__(self, request: httpx.Request) -> None:
        self.host_url = HOST
        self.path = request.url.path
        self.method = request.method.lower()
        body = request.content
        self.body = body or None
        self.content_type = request.headers.get("content-type", "application/json")
        query = ImmutableMultiDict(list(request.url.params.multi_items()))
        self.parameters = RequestParameters(query=query, header=Headers(dict(request.headers)))


class _Response:
    """An httpx response as openapi-core reads it."""

    def __init__(self, response: httpx.Response, body: Any = None) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))
        self.data = orjson.dumps(body) if body is not None else (response.content or None)


def _messages(errors: Iterator[Exception]) -> list[str]:
    out: list[str] = []
    for error in errors:
        details = getattr(error, "schema_errors", None) or getattr(
            getattr(error, "__cause__", None), "schema_errors", None
        )
        if details:
            for detail in details:
                where = "/".join(str(p) for p in detail.absolute_path)
                out.append(f"{type(error).__name__} at {where or '<root>'}: {detail.message}")
        else:
            cause = error.__cause__
            out.append(f"{type(error).__name__}: {error}" + (f" ({cause})" if cause else ""))
    return out


def spec_errors(
    response: httpx.Response, *, body: Any = None, validate_request: bool = True
) -> list[str]:
    """Every way `response` (and its request) departs from the spec; [] when it conforms."""
    require_specs()
    entry = find_spec_path(response.request.url.path)
    if entry is None:
        return [f"no spec documents {response.request.method} {response.request.url.path}"]
    openapi, document = _load(entry.file)
    request = _Request(response.request)
    errors: list[str] = []
    if validate_request:
        errors += _messages(openapi.iter_request_errors(request))
    response_errors = openapi.iter_response_errors(request, _Response(response, body))
    if response.status_code == 204 and not response.content:
        operation = document["paths"][entry.template].get(request.method, {})
        if not _declared_content(document, operation, "204"):
            response_errors = (e for e in response_errors if not isinstance(e, MissingData))
    errors += _messages(response_errors)
    return errors


def declares_status(response: httpx.Response) -> bool:
    """Whether the spec documents `response`'s status (or a `default`) for its operation."""
    request = response.request
    entry = find_spec_path(request.url.path)
    if entry is None:
        return False
    _, document = _load(entry.file)
    operation = document["paths"][entry.template].get(request.method.lower(), {})
    responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
    return str(response.status_code) in responses or "default" in responses


def _declared_content(document: dict[str, Any], operation: Any, status: str) -> dict[str, Any]:
    """The media types `operation` declares for `status` ({} when none, or undeclared)."""
    declared = operation.get("responses", {}).get(status) if isinstance(operation, dict) else None
    while isinstance(declared, dict) and "$ref" in declared:
        node: Any = document
        for key in declared["$ref"].removeprefix("#/").split("/"):
            node = node.get(key, {}) if isinstance(node, dict) else {}
        declared = node
    content = declared.get("content") if isinstance(declared, dict) else None
    return content if isinstance(content, dict) else {}


def assert_matches_spec(
    response: httpx.Response, *, body: Any = None, validate_request: bool = True
) -> None:
    """Fail the test unless status, headers and body match the official spec of the path."""
    errors = spec_errors(response, body=body, validate_request=validate_request)
    request = response.request
    assert not errors, (
        f"{request.method} {request.url} -> {response.status_code} does not match "
        f"{spec_file_for(request.url.path)}:\n  " + "\n  ".join(errors)
    )
