"""pytest fixtures for code that talks to the sandbox (a pytest plugin, `bigsync_sandbox`).

Installed with bigsync, the plugin registers itself through the `pytest11` entry point, so any
project's tests can ask for these fixtures:

    sandbox_spec    the BuildSpec the sandbox is built from; override it in a conftest.py to
                    change seed, store count, sizes or plan (default: seed 7, two small stores,
                    plan unlimited)
    make_sandbox    factory: `make_sandbox(products=..., stores=..., latency_ms=...,
                    inventory_delay_ms=...)` builds another sandbox from `sandbox_spec`
                    with those changes
    sandbox         the sandbox built from `sandbox_spec`
    sandbox_app     create_app(sandbox), to reach in process with httpx.ASGITransport
    store           the first store; `store_hash` its hash
    tokens          {"full": ..., "read-only": ..., "catalog-only": ...} of that store
    control         httpx.AsyncClient on the control API (/_sandbox/...), in process
    live_url        the sandbox served on a real 127.0.0.1 socket (SandboxServer, free port)

Imports nothing of bigsync outside `bigsync.sandbox`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bigsync.sandbox.app import create_app
from bigsync.sandbox.backend import BuildSpec, Sandbox, StoreState
from bigsync.sandbox.builder import build_sandbox
from bigsync.sandbox.generator import StoreSizes
from bigsync.sandbox.server import SandboxServer

IN_PROCESS_URL = "http://sandbox"
"""The base URL of in-process clients (any host works over httpx.ASGITransport)."""

DEFAULT_SPEC = BuildSpec(
    seed=7, stores=2, sizes=StoreSizes(products=30, orders=40, customers=20), plan="unlimited"
)

SandboxFactory = Callable[..., Sandbox]


@pytest.fixture
def sandbox_spec() -> BuildSpec:
    """What the `sandbox` fixture builds; override it per test folder or module."""
    return DEFAULT_SPEC


@pytest.fixture
def make_sandbox(sandbox_spec: BuildSpec) -> SandboxFactory:
    """`make_sandbox(latency_ms=0.0, inventory_delay_ms=0, **changes)`: a sandbox from
    `sandbox_spec` with `changes` (BuildSpec fields such as `seed`, `stores`, `plan`, or
    StoreSizes fields such as `orders`); `inventory_delay_ms` is set on every store (inventory
    adjustments apply that long after they are accepted, on the sandbox clock)."""

    def make(*, latency_ms: float = 0.0, inventory_delay_ms: int = 0, **changes: Any) -> Sandbox:
        size_names = {f.name for f in dataclasses.fields(StoreSizes)}
        sizes = {k: changes.pop(k) for k in list(changes) if k in size_names}
        spec = dataclasses.replace(sandbox_spec, **changes)
        if sizes:
            spec = dataclasses.replace(spec, sizes=dataclasses.replace(spec.sizes, **sizes))
        built = build_sandbox(spec, latency_ms=latency_ms)
        for each in built.stores.values():
            each.inventory_delay_ms = inventory_delay_ms
        return built

    return make


@pytest.fixture
def sandbox(make_sandbox: SandboxFactory) -> Sandbox:
    return make_sandbox()


@pytest.fixture
def sandbox_app(sandbox: Sandbox) -> Starlette:
    return create_app(sandbox)


@pytest.fixture
def store(sandbox: Sandbox) -> StoreState:
    return next(iter(sandbox.stores.values()))


@pytest.fixture
def store_hash(store: StoreState) -> str:
    return store.hash


@pytest.fixture
def tokens(store: StoreState) -> dict[str, str]:
    return {account.name: token for token, account in store.accounts.items()}


@pytest.fixture
async def control(sandbox_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_URL) as client:
        yield client


@pytest.fixture
def live_url(sandbox: Sandbox) -> Iterator[str]:
    """The sandbox served on a free 127.0.0.1 port from a thread, for the test's duration."""
    with SandboxServer(sandbox) as url:
        yield url
