"""What the orders pages and API share: bounded path ids, text patterns, the fulfillment hub
of a visible connection, the nudge that has the outbox send a recorded write within
seconds, and how a page tells of that write (sent now, or held while its feature is off)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Path

from bigsync.connections.features import FEATURE_TITLES
from bigsync.fulfillment.hub import Hub as ConnectionHub
from bigsync.jobs.tasks import DISPATCH_OUTBOX
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.web.auth import visible_connection
from bigsync.writeback.gate import KIND_FEATURES, kinds_of

MAX_ID = 2**31 - 1
ConnectionId = Annotated[int, Path(ge=1, le=MAX_ID, description="the integration's id")]
OrderId = Annotated[int, Path(ge=1, le=MAX_ID, description="the order's id")]
PLAIN_TEXT = r"^[^\x00-\x1f\x7f]*$"
"""Text without control characters (a NUL is refused by PostgreSQL)."""
MULTILINE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Text without control characters other than tabs and line breaks."""

if TYPE_CHECKING:
    from bigsync.accounts import Principal
    from bigsync.connections import ConnectionView
    from bigsync.web.deps import Hub
    from bigsync.web.flash import FlashKind
    from bigsync.writeback.intents import IntentKind


def connection_hub(
    hub: Hub, principal: Principal, connection_id: int
) -> tuple[ConnectionView, ConnectionHub]:
    """The connection `connection_id` and its fulfillment hub (a 404 problem when the
    principal may not see it)."""
    view = visible_connection(hub, principal, connection_id)
    return view, ConnectionHub(UnitOfWork(hub.engine), view.id, view.name)


def send_soon(hub: Hub, connection_id: int) -> None:
    """Wake the connection's outbox dispatch (nothing when this process runs no jobs; the
    minute-by-minute dispatch sends it then)."""
    hub.nudge(DISPATCH_OUTBOX, connection_id)


def write_fate(view: ConnectionView, kind: IntentKind) -> tuple[str, FlashKind]:
    """What becomes of a write of `kind` the page just recorded, and the flash's kind: sent
    now, or held while the connection's write feature for it is off."""
    if kind in kinds_of(view.features):
        return "sending to BigCommerce now", "ok"
    title = FEATURE_TITLES[KIND_FEATURES[kind]]
    return f"held: {title} is off for this integration; it is sent once you turn it on", "warn"
