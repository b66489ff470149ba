"""Tables of webhook deliveries: what arrived (`webhook_events`) and what it asks to refresh
(`webhook_refreshes`, the durable, coalescing queue of targeted refreshes).

- `webhook_events`: one row per distinct delivery, unique per connection by `event_key`
  (the Standard Webhooks `webhook-id` when the store signs, else the payload `hash` and its
  `created_at`: BigCommerce's `hash` digests the thin `data` alone, so every update of one
  product has the same hash, and only the time tells a redelivery from the next update).
  A redelivery hits the unique key and is recorded no second time.
- `webhook_refreshes`: one row per record still to refresh, keyed by (connection, kind,
  id). Each event for the record bumps `requested`; a refresh removes the row only when
  `requested` is still what it read before fetching, so an event arriving during a refresh
  is never lost, and a thousand events before a refresh cause one.
"""

from __future__ import annotations

import sqlalchemy as sa

from bigsync.store.schema import UtcDateTime, metadata


def _connection_id(*, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "connection_id",
        sa.Integer,
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _connection_id(),
    sa.Column("event_key", sa.String(128), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("scope", sa.String(128), nullable=False),
    sa.Column("target_kind", sa.String(16)),
    sa.Column("target_id", sa.BigInteger),
    sa.Column("created_at", sa.BigInteger, nullable=False),  # the payload's Unix seconds
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("connection_id", "event_key", name="uq_webhook_events_key"),
    sa.Index("ix_webhook_events_received", "connection_id", "received_at"),
)

webhook_refreshes = sa.Table(
    "webhook_refreshes",
    metadata,
    _connection_id(primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("record_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("requested", sa.Integer, nullable=False),
    sa.Column("first_requested_at", UtcDateTime, nullable=False),
    sa.Column("last_requested_at", UtcDateTime, nullable=False),
    sa.Column("not_before", UtcDateTime),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
)
