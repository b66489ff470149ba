"""Deterministic store data: the same seed and sizes always give the same store.

`generate_store` fills a store's catalog (`generator.catalog.generate_catalog`) and then its
sales (`generator.sales.generate_sales`) from one seeded generator; either step is skipped
while its module does not exist.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import random
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bigsync.sandbox.backend import StoreState

STEPS = (
    ("bigsync.sandbox.generator.catalog", "generate_catalog"),
    ("bigsync.sandbox.generator.sales", "generate_sales"),
)


@dataclass(frozen=True)
class StoreSizes:
    """How much data to generate for one store."""

    products: int = 200
    orders: int = 500
    customers: int = 200


def generate_store(
    store: StoreState, *, rng: random.Random, sizes: StoreSizes, now: datetime
) -> None:
    """Fill `store` with generated records: catalog first, then sales (which refer to it).

    The cyclic garbage collector is paused meanwhile: the records hold no cycles, and its
    passes over hundreds of thousands of new long-lived objects would otherwise cost about
    as much as building them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for module_name, function_name in STEPS:
            if importlib.util.find_spec(module_name) is None:
                continue
            step = getattr(importlib.import_module(module_name), function_name)
            step(store, rng, sizes, now)
    finally:
        if was_enabled:
            gc.enable()
