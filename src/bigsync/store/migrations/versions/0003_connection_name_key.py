"""Connection names unique in the database the way bigsync compares them (`name_key`).

Revision ID: 0003_connection_name_key
Revises: 0002_mirror
"""

from __future__ import annotations

import logging
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0003_connection_name_key"
down_revision = "0002_mirror"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)


def _name_key(name: str) -> str:
    # bigsync.connections.inputs.name_key as of this revision (kept here: revisions are frozen).
    return unicodedata.normalize("NFC", name.strip()).casefold()


def upgrade() -> None:
    op.add_column("connections", sa.Column("name_key", sa.String(100), nullable=True))
    connections = sa.table("connections", sa.column("id", sa.Integer), sa.column("name", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(connections.c.id, connections.c.name).order_by("id")).all()
    taken: set[str] = set()
    for connection_id, old_name in rows:
        name, key = old_name, _name_key(old_name)
        if key in taken:
            # Two connections added at once before this revision: the newer one is renamed.
            name = f"{old_name[:60]} ({connection_id})"
            key = _name_key(name)
            log.warning("connection %d renamed to %r: its name was taken", connection_id, name)
        taken.add(key)
        bind.execute(
            sa.text("UPDATE connections SET name = :name, name_key = :key WHERE id = :id"),
            {"name": name, "key": key, "id": connection_id},
        )
    with op.batch_alter_table("connections") as batch:
        batch.alter_column("name_key", existing_type=sa.String(100), nullable=False)
        batch.create_unique_constraint("uq_connections_name_key", ["name_key"])


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_constraint("uq_connections_name_key", type_="unique")
        batch.drop_column("name_key")
