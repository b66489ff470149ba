"""Plausible product names, shared by the generator and the random mutations."""

from __future__ import annotations

import random

ADJECTIVES = [
    "Classic", "Modern", "Rustic", "Compact", "Deluxe", "Everyday", "Heritage", "Nordic",
    "Urban", "Vintage", "Coastal", "Alpine", "Studio", "Field", "Harbor", "Summit",
]  # fmt: skip
MATERIALS = [
    "Cotton", "Linen", "Oak", "Walnut", "Steel", "Copper", "Wool", "Bamboo", "Ceramic",
    "Leather", "Canvas", "Glass", "Cork", "Marble",
]  # fmt: skip
NOUNS = [
    "Journal", "Mug", "Jacket", "Lamp", "Backpack", "Towel", "Planter", "Notebook",
    "Blanket", "Bottle", "Shirt", "Tote", "Candle", "Scarf", "Puzzle", "Trowel", "Pen",
    "Bowl", "Cap", "Apron",
]  # fmt: skip


def product_name(rng: random.Random, index: int) -> str:
    """A plausible, unique product name (`index` makes it unique)."""
    return f"{rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(NOUNS)} {index + 1}"
