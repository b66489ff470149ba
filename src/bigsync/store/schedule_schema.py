"""The scheduler's tables: when each job of each connection runs next and how it last went,
and the last webhook event each connection received (for `bigsync status`).

A connection's own interval (`connections.sync_every_s`) is part of the connection; these
tables hold what the running service learns. They are created by revision `0007_schedule`.
"""

from __future__ import annotations

import sqlalchemy as sa

from bigsync.store.schema import UtcDateTime, metadata


def _connection_id(*, primary_key: bool) -> sa.Column[int]:
    return sa.Column(
        "connection_id",
        sa.Integer,
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


schedule_state = sa.Table(
    "schedule_state",
    metadata,
    _connection_id(primary_key=True),
    # The job kind: sync, dispatch_outbox, webhook_upkeep, ...
    sa.Column("job", sa.String(32), primary_key=True),
    sa.Column("next_run_at", UtcDateTime),
    sa.Column("last_started_at", UtcDateTime),
    sa.Column("last_finished_at", UtcDateTime),
    # ok | warning | failed | busy | idle | interrupted; NULL while the first run runs.
    sa.Column("last_outcome", sa.String(16)),
    sa.Column("last_error", sa.Text),
    # Consecutive failed runs: the back-off grows with them; 0 after a success.
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
)

webhook_activity = sa.Table(
    "webhook_activity",
    metadata,
    _connection_id(primary_key=True),
    sa.Column("last_event_at", UtcDateTime, nullable=False),
    sa.Column("last_scope", sa.String(100), nullable=False),
    sa.Column("events", sa.Integer, nullable=False, server_default="0"),
)
