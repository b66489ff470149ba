"""The job queue of worker mode (PostgreSQL only): procrastinate's tables, types and
functions, from the schema file of the installed procrastinate. SQLite keeps the embedded
scheduler of `bigsync serve` and gets nothing.

The queue's schema is data shipped with procrastinate (`procrastinate/sql/schema.sql`),
read here as a file: this migration imports nothing of procrastinate. pyproject pins
procrastinate to the minor version whose schema this revision applies; moving to a newer
one takes a new bigsync migration applying its `sql/migrations/` files.

Revision ID: 0010_worker
Revises: 0008_webhooks
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0010_worker"
down_revision = "0009_accounts"
branch_labels = None
depends_on = None

TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
          "procrastinate_workers")  # fmt: skip
TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type",
         "procrastinate_job_status")  # fmt: skip


def queue_schema_sql() -> str:
    """The installed procrastinate's schema file."""
    spec = importlib.util.find_spec("procrastinate")
    if spec is None or spec.origin is None:
        raise RuntimeError("procrastinate is not installed: pip install bigsync (it depends on it)")
    return (Path(spec.origin).parent / "sql" / "schema.sql").read_text(encoding="utf-8")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # The driver's own connection: the file is many statements and has no parameters.
    bind.connection.driver_connection.execute(queue_schema_sql())  # type: ignore[union-attr]


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute(
        """
        DO $$
        DECLARE f record;
        BEGIN
          FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                   WHERE p.proname LIKE 'procrastinate\\_%'
                     AND p.pronamespace = current_schema()::regnamespace
          LOOP EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE'; END LOOP;
        END $$;
        """
    )
    for name in TYPES:
        op.execute(f"DROP TYPE IF EXISTS {name} CASCADE")
