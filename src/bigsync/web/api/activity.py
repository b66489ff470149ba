"""`/api/v1/connections/{id}/outbox...`, `.../push`, `.../audit` and `/api/v1/audit`: the
writes bigsync intends to make to a store and what became of each (retry, drop, push now),
and the audit log. Thin over `bigsync.writeback.service` and the connection service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from bigsync.errors import InputError
from bigsync.jobs.tasks import DISPATCH_OUTBOX
from bigsync.store.connection_repository import AuditEntry
from bigsync.web.api.shipping import MAX_ID, ConnectionId
from bigsync.web.auth import ApiUser, actor_of, visible_connection
from bigsync.web.deps import HubDep
from bigsync.web.pagination import CursorPage, PageParams, PageRequest, encode_cursor
from bigsync.web.problems import Problem
from bigsync.writeback import service as writeback
from bigsync.writeback.outbox import IntentNotFoundError

router = APIRouter(prefix="/api/v1", tags=["activity"])

CONNECTION = "/connections/{connection_id}"
EntryId = Annotated[int, Path(ge=1, le=MAX_ID, description="The outbox entry's id")]
OutboxFilter = Literal[
    "all",
    "pending",
    "failed",
    "done",
    "held",
    "sending",
    "sent",
    "confirmed",
    "mismatched",
    "dropped",
    "superseded",
]
StateFilter = Annotated[
    OutboxFilter | None,
    Query(
        description="pending (pending, held, sending, sent), failed (failed, mismatched), "
        "done (confirmed, dropped, superseded), all, or one state",
    ),
]


class OutboxEntryOut(BaseModel):
    """An intended write to the store and where it stands."""

    id: int
    kind: str = Field(description="stock, shipment or order_status")
    state: str = Field(
        description="pending, held (its write feature is off), sending, sent, confirmed, "
        "mismatched, failed, dropped, superseded"
    )
    what: str = Field(description="One line saying what it writes")
    attempts: int
    last_error: str | None
    payload: dict[str, Any]
    after_id: int | None = Field(description="The entry it waits for (a shipment's status)")
    can_retry: bool
    can_drop: bool
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    confirmed_at: datetime | None


class PushOut(BaseModel):
    """Whether a push was asked of this server's scheduler."""

    nudged: bool
    detail: str


class AuditEntryOut(BaseModel):
    """One audit-log line: who did what to which connection, with what outcome."""

    id: int
    at: datetime
    actor: str
    action: str
    outcome: str
    detail: str
    connection_id: ConnectionId | None
    connection_name: str | None


def entry_out(entry: writeback.OutboxEntry) -> OutboxEntryOut:
    """An outbox entry as the API shows it."""
    row = entry.row
    return OutboxEntryOut(
        id=row.id,
        kind=row.kind,
        state=row.state,
        what=entry.what,
        attempts=row.attempts,
        last_error=row.last_error,
        payload=dict(row.payload),
        after_id=row.after_id,
        can_retry=entry.can_retry,
        can_drop=entry.can_drop,
        created_at=row.created_at,
        updated_at=row.updated_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        confirmed_at=row.confirmed_at,
    )


def audit_out(entry: AuditEntry) -> AuditEntryOut:
    """An audit line as the API shows it."""
    assert entry.id is not None  # read from the table: both are set
    assert entry.at is not None
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        outcome=entry.outcome,
        detail=entry.detail,
        connection_id=entry.connection_id,
        connection_name=entry.connection_name,
    )


def _before(page: PageRequest) -> int | None:
    """The id a page's cursor says the page starts below (None: the first page)."""
    if page.after is None:
        return None
    before = page.after.get("before")
    if not isinstance(before, int) or isinstance(before, bool):
        raise Problem(400, "Invalid cursor", detail="use the next_cursor of a previous page")
    return before


def _audit_page(entries: list[AuditEntry], limit: int) -> CursorPage[AuditEntryOut]:
    return CursorPage[AuditEntryOut].from_rows(
        entries, limit, lambda e: {"before": e.id}, audit_out
    )


@router.get(f"{CONNECTION}/outbox", response_model=CursorPage[OutboxEntryOut])
def list_outbox(
    hub: HubDep,
    principal: ApiUser,
    connection_id: ConnectionId,
    page: PageParams,
    state: StateFilter = None,
) -> CursorPage[OutboxEntryOut]:
    """The connection's outbox, newest first."""
    view = visible_connection(hub, principal, connection_id)
    found = writeback.outbox_page(
        hub.connections(actor_of(principal)),
        view.name,
        states=writeback.outbox_states(state),
        before_id=_before(page),
        limit=page.limit,
    )
    following = found.next_before_id
    return CursorPage[OutboxEntryOut](
        items=[entry_out(e) for e in found.entries],
        next_cursor=encode_cursor({"before": following}) if following is not None else None,
    )


def _change(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, entry_id: EntryId, *, retry: bool
) -> OutboxEntryOut:
    view = visible_connection(hub, principal, connection_id)
    service = hub.connections(actor_of(principal))
    change = writeback.retry_entry if retry else writeback.drop_entry
    try:
        row = change(service, view.name, entry_id)
    except IntentNotFoundError as error:
        raise Problem(404, "No such outbox entry", detail=str(error)) from None
    except InputError as error:
        raise Problem(409, "Not possible in this state", detail=str(error)) from None
    if retry:
        hub.nudge(DISPATCH_OUTBOX, view.id)
    return entry_out(writeback.outbox_entry(service, view.name, row.id))


@router.post(f"{CONNECTION}/outbox/{{entry_id}}/retry", response_model=OutboxEntryOut)
def retry(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, entry_id: EntryId
) -> OutboxEntryOut:
    """Send a failed or mismatched entry again (now, when this server runs jobs)."""
    return _change(hub, principal, connection_id, entry_id, retry=True)


@router.post(f"{CONNECTION}/outbox/{{entry_id}}/drop", response_model=OutboxEntryOut)
def drop(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, entry_id: EntryId
) -> OutboxEntryOut:
    """Give an entry up; it stays listed as dropped (a status waiting for it goes too)."""
    return _change(hub, principal, connection_id, entry_id, retry=False)


def push_now(hub: HubDep, connection_id: ConnectionId, name: str) -> PushOut:
    """Ask the scheduler to dispatch the outbox now (what Push now does)."""
    if not hub.runs_jobs:
        return PushOut(
            nudged=False,
            detail=f"this server runs no jobs: run `bigsync push {name}` where they run",
        )
    hub.nudge(DISPATCH_OUTBOX, connection_id)
    return PushOut(nudged=True, detail="the outbox will be sent in a moment")


@router.post(f"{CONNECTION}/push", response_model=PushOut, status_code=202)
def push(hub: HubDep, principal: ApiUser, connection_id: ConnectionId) -> PushOut:
    """Send the connection's outbox now (the scheduler runs it; answers at once)."""
    view = visible_connection(hub, principal, connection_id)
    return push_now(hub, view.id, view.name)


@router.get(f"{CONNECTION}/audit", response_model=CursorPage[AuditEntryOut])
def connection_audit(
    hub: HubDep, principal: ApiUser, connection_id: ConnectionId, page: PageParams
) -> CursorPage[AuditEntryOut]:
    """The connection's audit log, newest first."""
    view = visible_connection(hub, principal, connection_id)
    service = hub.connections(actor_of(principal))
    found = service.audit(view.name, limit=page.limit + 1, before_id=_before(page))
    return _audit_page(found, page.limit)


@router.get("/audit", response_model=CursorPage[AuditEntryOut])
def audit(hub: HubDep, principal: ApiUser, page: PageParams) -> CursorPage[AuditEntryOut]:
    """The whole audit log, newest first (not for a session limited to one connection)."""
    if principal.connection_id is not None:
        raise Problem(403, "Not allowed", detail="this session sees one connection only")
    service = hub.connections(actor_of(principal))
    found = service.audit(limit=page.limit + 1, before_id=_before(page))
    return _audit_page(found, page.limit)
