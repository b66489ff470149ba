"""The `bigsync_sandbox` pytest plugin: registered for integrators, fixtures sized by spec."""

from __future__ import annotations

from importlib.metadata import entry_points

import httpx

from bigsync.sandbox import Sandbox
from bigsync.sandbox.backend import BuildSpec
from bigsync.sandbox.testing import DEFAULT_SPEC, SandboxFactory


def test_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    [plugin] = [e for e in entry_points(group="pytest11") if e.name == "bigsync_sandbox"]
    assert plugin.value == "bigsync.sandbox.testing"


def test_sandbox_is_built_from_sandbox_spec(sandbox: Sandbox, sandbox_spec: BuildSpec) -> None:
    assert sandbox_spec == DEFAULT_SPEC
    assert len(sandbox.stores) == sandbox_spec.stores
    store = next(iter(sandbox.stores.values()))
    assert len(store.sales.customers) == sandbox_spec.sizes.customers


def test_make_sandbox_changes_sizes_and_spec_fields(make_sandbox: SandboxFactory) -> None:
    other = make_sandbox(stores=1, customers=4, latency_ms=2.0)
    assert len(other.stores) == 1
    assert len(next(iter(other.stores.values())).sales.customers) == 4
    assert other.latency_ms == 2.0


async def test_control_and_live_url_reach_the_same_sandbox(
    control: httpx.AsyncClient, live_url: str, store_hash: str
) -> None:
    in_process = (await control.get("/_sandbox/stores")).json()
    async with httpx.AsyncClient(base_url=live_url) as http:
        over_socket = (await http.get("/_sandbox/stores")).json()
    assert in_process == over_socket
    assert in_process["stores"][0]["hash"] == store_hash
