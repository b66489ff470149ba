"""Every bigsync process paces the cyclic garbage collector the same way."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bigsync.cli.main import main
from bigsync.runtime import GC_THRESHOLDS, pace_garbage_collector


@pytest.fixture(autouse=True)
def default_pacing() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_pacing_sets_the_thresholds() -> None:
    pace_garbage_collector()
    assert gc.get_threshold() == GC_THRESHOLDS
    assert GC_THRESHOLDS[0] > 700  # collects the youngest generation less often


def test_every_cli_command_paces_the_collector() -> None:
    main()  # the callback Typer runs before any command
    assert gc.get_threshold() == GC_THRESHOLDS
