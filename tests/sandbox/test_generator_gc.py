"""`generate_store` pauses the cyclic garbage collector for every step, and restores it."""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bigsync.sandbox import generator
from bigsync.sandbox.backend import StoreState
from bigsync.sandbox.generator import StoreSizes, generate_store

SEEN: list[bool] = []


def probe(_store: StoreState, _rng: random.Random, _sizes: Any, _now: datetime) -> None:
    """A generation step that records whether the collector runs meanwhile."""
    SEEN.append(gc.isenabled())


def failing_probe(_store: StoreState, _rng: random.Random, _sizes: Any, _now: datetime) -> None:
    raise RuntimeError("step failed")


@pytest.fixture
def gc_state() -> Iterator[None]:
    was_enabled = gc.isenabled()
    SEEN.clear()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


def _generate() -> None:
    store = StoreState(hash="gcprobe", store_id=1, name="Probe", plan="unlimited")
    generate_store(
        store, rng=random.Random(1), sizes=StoreSizes(), now=datetime(2026, 1, 1, tzinfo=UTC)
    )


@pytest.mark.usefixtures("gc_state")
def test_collector_is_paused_for_every_step_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator, "STEPS", ((__name__, "probe"), (__name__, "probe")))
    gc.enable()
    _generate()
    assert SEEN == [False, False]
    assert gc.isenabled()
    gc.disable()
    _generate()
    assert not gc.isenabled()  # left as the caller had it


@pytest.mark.usefixtures("gc_state")
def test_collector_is_restored_when_a_step_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator, "STEPS", ((__name__, "failing_probe"),))
    gc.enable()
    with pytest.raises(RuntimeError, match="step failed"):
        _generate()
    assert gc.isenabled()
