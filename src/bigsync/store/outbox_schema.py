"""The outbox: every write bigsync intends to make to a store, one row per intent.

An intent is recorded in the same transaction as the local change that caused it (see
`bigsync.writeback.outbox`), and the dispatcher (`bigsync.writeback.dispatcher`) moves it
through its states:

    pending -> sending -> sent -> confirmed | mismatched      (stock: sent = accepted, read back)
    pending -> sending -> confirmed                            (shipments, order status)
    any open state -> failed (with last_error)   failed -> pending (retry)   * -> dropped
    pending -> held (its write feature is off)   held -> pending (the feature is on again)

`live_key` is the `dedupe_key` while the row may still absorb a new recording of the same
intent (a pending stock level, a shipment that was not dropped) and NULL otherwise: it is
unique per connection, so two transactions cannot both insert "the same" intent.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from bigsync.store.schema import UtcDateTime, metadata

JsonDocument = sa.JSON().with_variant(JSONB(), "postgresql")

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "connection_id",
        sa.Integer,
        sa.ForeignKey("connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("dedupe_key", sa.String(255), nullable=False),
    sa.Column("live_key", sa.String(255)),
    sa.Column("payload", JsonDocument, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    # Another intent that must be confirmed first (an order status after its shipment).
    sa.Column("after_id", sa.Integer),
    sa.Column("attempts", sa.Integer, nullable=False),
    # Read-backs of a sent stock level that did not yet show it.
    sa.Column("checks", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("result", JsonDocument),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("confirmed_at", UtcDateTime),
    sa.UniqueConstraint("connection_id", "live_key", name="uq_outbox_live_key"),
    sa.Index("ix_outbox_due", "connection_id", "state", "next_attempt_at"),
    sa.Index("ix_outbox_dedupe", "connection_id", "dedupe_key"),
    # Which connections have work now, across all of them (worker mode's tick).
    sa.Index("ix_outbox_open", "state", "next_attempt_at"),
)
