"""The REST API fuzzed with schemathesis from its own OpenAPI document (`/api/v1/openapi
.json`, fetched with an API token), in process over ASGI, on a real SQLite file with a
sandbox store connected and synced so that lists have data.

Every operation, for a bounded, derandomized number of generated requests: no 5xx, every
answer conforms to its documented status, content type, headers and schema, and the same
request without its token is a 401 (schemathesis's `ignored_auth`). A separate test sends
every operation once without any credential. Each case has a token of its own, so that a
generated DELETE of a token cannot take the fuzzer's credential away."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from bigsync.accounts import AccountService, Principal
from bigsync.connections import NewConnection
from bigsync.jobs.context import JobContext
from bigsync.sandbox.backend import Sandbox
from bigsync.sandbox.server import SandboxServer
from bigsync.sync.service import sync_connection
from bigsync.web.openapi import OPENAPI_PATH
from tests.leakscan import LeakRecorder
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, build_app, web_context

MAX_EXAMPLES = 25
# A cursor is any string to the schema, but only the server's own decode: a made-up one is
# a 400 problem (schema-valid, refused). Everything else keeps schemathesis's defaults.
CONFIG = {
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
        }
    }
}


@dataclass
class FuzzWorld:
    app: FastAPI
    context: JobContext
    accounts: AccountService
    principal: Principal

    def fresh_token(self) -> str:
        return self.accounts.create_token(self.principal, "fuzz").token


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorld]:
    """One app for the module (schemathesis keeps an app's lifespan running): an admin,
    a sandbox store connected and synced."""
    from bigsync.sandbox.backend import BuildSpec
    from bigsync.sandbox.builder import build_sandbox
    from bigsync.sandbox.generator import StoreSizes

    tmp_path: Path = tmp_path_factory.mktemp("fuzz")
    spec = BuildSpec(
        seed=5, stores=1, sizes=StoreSizes(products=8, orders=6, customers=4), plan="unlimited"
    )
    sandbox: Sandbox = build_sandbox(spec)
    store = next(iter(sandbox.stores.values()))
    full = next(t for t, a in store.accounts.items() if a.name == "full")
    with SandboxServer(sandbox) as sandbox_url:
        context = web_context(tmp_path, api_url=sandbox_url)
        service = context.connections(actor="test")
        service.add(NewConnection(name="fuzz-store", store=store.hash, access_token=full))
        asyncio.run(service.test("fuzz-store"))
        asyncio.run(sync_connection(service, "fuzz-store"))
        app = build_app(context)
        accounts: AccountService = app.state.accounts
        accounts.setup_admin(ADMIN, ADMIN_PASSWORD)
        principal = accounts.login(ADMIN, ADMIN_PASSWORD, client="fuzz").principal
        for name in ("first", "second", "third"):
            accounts.create_token(principal, name)
        try:
            yield FuzzWorld(app, context, accounts, principal)
        finally:
            context.close()


def _operations(world: FuzzWorld) -> list[Any]:
    token = world.fresh_token()
    schema = schemathesis.openapi.from_asgi(
        OPENAPI_PATH,
        world.app,
        config=schemathesis.Config.from_dict(CONFIG),
        headers={"Authorization": f"Bearer {token}"},
    )
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the document itself is valid
        operations.append(result.ok())
    return operations


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_the_api_answers_every_request_by_its_schema(
    fuzz_world: FuzzWorld, leak_recorder: LeakRecorder, mode: GenerationMode
) -> None:
    """(schemathesis's pytest plugin reads a node attribute pytest 9 no longer has, so the
    operations are driven here, each through hypothesis with the same bounded settings.)"""
    operations = _operations(fuzz_world)
    assert len(operations) >= 4
    calls: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            headers = {"Authorization": f"Bearer {fuzz_world.fresh_token()}"}
            # The answer is checked, not its speed: a loaded machine may pass the 10 s default.
            response = case.call_and_validate(headers=headers, timeout=120)
            calls.append(f"{case.method} {case.path}")
            leak_recorder.record_output("api", response.text)

        fuzz()
    assert len(calls) >= len(operations)


async def test_every_operation_wants_a_token(
    fuzz_world: FuzzWorld, leak_recorder: LeakRecorder
) -> None:
    transport = httpx.ASGITransport(app=fuzz_world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        auth = {"Authorization": f"Bearer {fuzz_world.fresh_token()}"}
        document = (await client.get(OPENAPI_PATH, headers=auth)).json()
        assert (await client.get(OPENAPI_PATH)).status_code == 401
        operations = 0
        for path, methods in document["paths"].items():
            url = re.sub(r"\{[^}]+\}", "1", path)
            for method in methods:
                answer = await client.request(method.upper(), url)
                assert answer.status_code == 401, (method, path, answer.status_code)
                assert answer.json()["status"] == 401
                leak_recorder.record_output("api", answer.text)
                operations += 1
    assert operations >= 4
