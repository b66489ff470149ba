"""Read-only example queries over the mirror (what `bigsync demo` shows), and how to name a
database without its password."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class QueryResult:
    """The columns and rows of one query, as text ("" for NULL)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "Orders by status",
        "SELECT o.status, count(*) AS orders, round(sum(o.total_inc_tax), 2) AS revenue\n"
        "FROM orders o WHERE o.connection_id = :c GROUP BY o.status ORDER BY orders DESC",
    ),
    (
        "Best-selling variants",
        "SELECT p.sku, p.name, sum(p.quantity) AS units\n"
        "FROM order_products p WHERE p.connection_id = :c\n"
        "GROUP BY p.sku, p.name ORDER BY units DESC LIMIT 5",
    ),
    (
        "Stock per location",
        "SELECT l.label AS location, count(*) AS items, sum(i.available_to_sell) AS available\n"
        "FROM inventory_levels i JOIN locations l\n"
        "  ON l.connection_id = i.connection_id AND l.id = i.location_id\n"
        "WHERE i.connection_id = :c GROUP BY l.label",
    ),
)


def run_example_query(engine: sa.Engine, query: str, *, connection_id: int) -> QueryResult:
    """Run one of `EXAMPLE_QUERIES` for one connection (`:c` is its id)."""
    with engine.connect() as conn:
        result = conn.execute(sa.text(query), {"c": connection_id})
        columns = tuple(str(column) for column in result.keys())  # noqa: SIM118 -- a Result, not a dict
        rows = tuple(tuple("" if v is None else str(v) for v in row) for row in result)
    return QueryResult(columns=columns, rows=rows)


def database_without_password(database_url: str) -> str:
    """The database URL as it may be shown: the password hidden."""
    return sa.engine.make_url(database_url).render_as_string(hide_password=True)
