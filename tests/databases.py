"""A connection row for tests that need one in the database, without the connection service
(no vault, no check against a store)."""

from __future__ import annotations

import sqlalchemy as sa

from bigsync.store import connection_repository


def add_connection(
    engine: sa.Engine,
    name: str = "shop",
    *,
    store_hash: str = "abc123",
    api_url: str = "http://sandbox",
) -> int:
    """Insert an API-account connection called `name`; return its id."""
    with engine.begin() as conn:
        return connection_repository.insert_connection(
            conn,
            name=name,
            name_key=name,
            kind="api_account",
            store_hash=store_hash,
            api_url=api_url,
            client_id=None,
            granted_scopes=None,
            features=[],
        )
