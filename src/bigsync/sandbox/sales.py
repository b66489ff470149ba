"""Sales state and operations: orders with line items, shipping addresses, shipments and
transactions; customers and groups; shipping zones and methods."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SalesState:
    """One store's orders, customers and shipping setup."""
