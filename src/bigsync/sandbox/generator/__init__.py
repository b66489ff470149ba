"""Deterministic store data: the same seed and sizes always give the same store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreSizes:
    """How much data to generate for one store."""

    products: int = 200
    orders: int = 500
    customers: int = 200
