"""A cheap argon2id for tests that create many users (the default costs ~50 ms a hash)."""

from __future__ import annotations

from argon2 import PasswordHasher

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
