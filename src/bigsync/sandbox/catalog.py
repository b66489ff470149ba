"""Catalog state and operations: products, variants, options, categories and trees, brands,
locations and inventory per location."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CatalogState:
    """One store's catalog."""
