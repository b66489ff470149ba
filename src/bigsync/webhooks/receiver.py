"""Receiving a webhook delivery: authenticate, parse, dedupe, record, queue, nudge.

Nothing slow happens here: one read of the connection and its secret, one small write
transaction (the event row and its refresh target), then a nudge to whoever runs the
refreshes. A delivery that does not authenticate raises WebhookAuthError and writes nothing;
the web edge answers 401, 400 (WebhookPayloadError) or 413 (WebhookTooLargeError).

Order of checks (verify before parsing): size, connection, secret header, Standard Webhooks
signature (when signed and the app's client secret is known), then the payload, whose
`producer` must be the connection's store.

Duplicates. A delivery is known by its Standard Webhooks `webhook-id`, else by its payload
`hash` and `created_at` (`WebhookEvent.dedupe_key`). BigCommerce's hash digests the thin
`data` only, so two changes of one product in the same second look exactly alike. A copy of
an event first received within `SAME_SECOND_S` therefore asks for its record's refresh
again (it coalesces with a refresh still queued; one already done runs once more, which
is harmless), while a copy arriving later is a redelivery (BigCommerce retries after 60 s
at the earliest) and changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bigsync.connections import ConnectionService
from bigsync.connections.features import Feature
from bigsync.connections.model import ConnectionKind, ConnectionView, SecretPurpose
from bigsync.errors import (
    ConnectionNotFoundError,
    WebhookAuthError,
    WebhookTooLargeError,
)
from bigsync.store import connection_repository as connections_repo
from bigsync.store import webhook_repository as repo
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.webhooks.payload import MAX_BODY_BYTES, Target, TargetKind, parse_event
from bigsync.webhooks.signature import check_secret, check_signature, is_signed

log = logging.getLogger(__name__)

SAME_SECOND_S = 2.0
"""A copy of an event first received this recently may be another change in the same second."""

FEATURE_OF: Mapping[TargetKind, Feature] = {
    TargetKind.PRODUCT: Feature.READ_CATALOG,
    TargetKind.CATEGORY: Feature.READ_CATALOG,
    TargetKind.ORDER: Feature.READ_ORDERS,
    TargetKind.CUSTOMER: Feature.READ_CUSTOMERS,
}
"""The read feature a refresh of each kind needs (off: the event is recorded, not acted on)."""


@dataclass(frozen=True)
class _Known:
    view: ConnectionView
    secret: str = field(repr=False)
    own_signing_secret: str | None = field(repr=False)  # the connection's own client secret
    version: datetime  # the connection's `updated_at` when this was read


@dataclass(frozen=True)
class Receipt:
    """What became of an authenticated delivery."""

    connection_id: int
    scope: str
    # "queued", "recorded" (no target), "again" (a recent copy: its refresh asked again),
    # "duplicate" (a redelivery: nothing changed), "ignored" (the webhooks feature is off)
    outcome: str
    target: Target | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebhookReceiver:
    """Receives deliveries for every connection of one database.

    `app_client_secret` verifies Standard Webhooks signatures of app connections;
    `on_queued(connection_id)` is called (from the receiving thread, after the commit) when a
    refresh was queued; `also_record(conn, connection_id, at=, scope=)` runs inside the
    transaction that records an accepted delivery (e.g. the scheduler's "last webhook event").
    """

    service: ConnectionService
    app_client_secret: str | None = field(default=None, repr=False)
    on_queued: Callable[[int], None] | None = None
    also_record: Callable[..., None] | None = None
    clock: Callable[[], datetime] = utcnow
    unix_time: Callable[[], float] = time.time
    _known: dict[int, _Known] = field(default_factory=dict, init=False, repr=False)
    # One write at a time from this process: threads queue here instead of spinning in
    # SQLite's busy handler (the transaction is a few hundred microseconds).
    _writing: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def receive(self, connection_id: int, headers: Mapping[str, str], body: bytes) -> Receipt:
        """Handle one delivery (`headers` with lower-case names, `body` as received)."""
        if len(body) > MAX_BODY_BYTES:
            raise WebhookTooLargeError(f"the body is larger than {MAX_BODY_BYTES // 1024} KiB")
        known = self._lookup(connection_id)
        view = known.view
        check_secret(headers, known.secret)
        signed = is_signed(headers)
        signing_secret = known.own_signing_secret
        if signing_secret is None and view.kind is ConnectionKind.OAUTH_APP:
            signing_secret = self.app_client_secret
        if signed and signing_secret is not None:
            check_signature(headers, body, secret=signing_secret, now=self.unix_time())
        event = parse_event(body)
        if event.store_hash != view.store_hash:
            raise WebhookAuthError("the payload comes from another store")
        if Feature.WEBHOOKS not in view.active_features:
            return Receipt(view.id, event.scope, "ignored")
        target = event.target
        if target is not None and FEATURE_OF[target.kind] not in view.active_features:
            target = None
        key = headers["webhook-id"] if signed and headers.get("webhook-id") else event.dedupe_key
        now = self.clock()
        outcome = "queued" if target else "recorded"
        with self._writing, UnitOfWork(self.service.engine).write() as conn:
            first = repo.record_event(
                conn,
                connection_id=view.id,
                event_key=key[:128],
                hash=event.hash,
                scope=event.scope,
                target=(target.kind.value, target.id) if target else None,
                created_at=event.created_at,
                now=now,
            )
            if first is None and self.also_record is not None:
                self.also_record(conn, view.id, at=now, scope=event.scope)
            if first is not None:
                outcome = "duplicate"
                if target and (now - first).total_seconds() < SAME_SECOND_S:
                    outcome = "again"
                    kind, record_id = target.kind.value, target.id
                    repo.request_refresh(
                        conn, connection_id=view.id, kind=kind, record_id=record_id, now=now
                    )
        if outcome in ("queued", "again") and self.on_queued is not None:
            self.on_queued(view.id)
        return Receipt(view.id, event.scope, outcome, target if outcome != "recorded" else None)

    def _lookup(self, connection_id: int) -> _Known:
        """The connection and its opened secrets, read again only when the connection
        changed (one small query per delivery tells: every edit moves `updated_at`)."""
        with UnitOfWork(self.service.engine).read() as conn:
            version = connections_repo.connection_version(conn, connection_id)
        if version is None:
            self._known.pop(connection_id, None)
            raise WebhookAuthError(f"no connection with id {connection_id}")
        known = self._known.get(connection_id)
        if known is not None and known.version == version:
            return known
        try:
            view = self.service.get_by_id(connection_id)
        except ConnectionNotFoundError:
            raise WebhookAuthError(f"no connection with id {connection_id}") from None
        secret = self.service.open_secret(view.id, SecretPurpose.WEBHOOK_SECRET)
        if secret is None:
            raise WebhookAuthError(f"connection {connection_id} has no webhook secret")
        own = self.service.open_secret(view.id, SecretPurpose.CLIENT_SECRET)
        known = _Known(view, secret, own, view.updated_at)
        self._known[connection_id] = known
        return known
