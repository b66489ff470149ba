"""`/api/v1/connections`: list (cursor-paginated), get, create (tested first; nothing is
saved when the store refuses the credentials), update, delete (`?purge=true` deletes the
mirrored data too), test, sync (`?full=true`: a full resync), runs (history, paginated) and
progress. Answers never hold a secret: a token shows only as `••••` and its last 4
characters. Errors are bigsync errors from the use-cases, answered as problem details."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field, SecretStr
from starlette.concurrency import run_in_threadpool

from bigsync.connections import CheckReport, ConnectionChanges, ConnectionView, NewConnection
from bigsync.errors import InputError
from bigsync.jobs.overview import IntegrationState, integration_state
from bigsync.jobs.tasks import SYNC
from bigsync.sync.history import RunView, SyncProgress, live_progress, request_sync, run_history
from bigsync.web.auth import ApiUser, actor_of, visible_connection, visible_connections
from bigsync.web.deps import Hub, HubDep
from bigsync.web.pages.integrations import default_every
from bigsync.web.pagination import CursorPage, decode_cursor, encode_cursor
from bigsync.web.problems import Problem
from bigsync.webhooks.subscriptions import disconnect

router = APIRouter(prefix="/api/v1", tags=["connections"])

Limit = Annotated[int, Query(ge=1, le=200)]
ConnectionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PLAIN = r"^[^\x00-\x1f\x7f]*$"  # no NUL or other control characters
Text = Annotated[str, Field(max_length=500, pattern=PLAIN)]


# --- models -----------------------------------------------------------------------------------


class CheckOut(BaseModel):
    name: str
    ok: bool | None
    message: str


class StoreOut(BaseModel):
    store_hash: str
    name: str
    plan: str
    currency: str
    timezone: str
    domain: str = ""


class ScopeOut(BaseModel):
    scope: str
    control_panel_name: str
    access: str
    status: str
    note: str = ""


class FeatureOut(BaseModel):
    feature: str
    title: str
    state: str
    disabled_reason: str | None
    enable_command: str | None
    wanted: bool
    scopes: list[ScopeOut]


class ReportOut(BaseModel):
    """A connection test: the checks, the store, each feature's scopes, and the steps in
    the BigCommerce control panel that fix what is missing."""

    ok: bool
    tested_at: str
    checks: list[CheckOut]
    store: StoreOut | None
    features: list[FeatureOut]
    instructions: list[str]
    notes: list[str]

    @classmethod
    def of(cls, report: CheckReport) -> ReportOut:
        doc = report.to_json()
        for feature in doc["features"]:
            feature["state"] = str(feature["state"])
        return cls.model_validate(doc)


class ConnectionOut(BaseModel):
    """A connection and its state. `token_hint` is `••••` and the token's last 4."""

    id: int
    name: str
    kind: str
    store_hash: str
    api_url: str
    client_id: str | None
    token_hint: str
    features: list[str]
    active_features: list[str]
    disabled_features: dict[str, str]
    features_off: list[str]
    state: Literal["connected", "syncing", "failed", "scope_problems", "untested"]
    state_reason: str | None
    syncing: bool
    sync_every_s: int
    sync_every_default: bool
    next_sync_at: datetime | None
    last_sync_at: datetime | None
    last_sync_outcome: str | None
    last_webhook_at: datetime | None
    last_tested_at: datetime | None
    last_test: ReportOut | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, state: IntegrationState) -> ConnectionOut:
        v = state.connection
        return cls(
            id=v.id,
            name=v.name,
            kind=v.kind.value,
            store_hash=v.store_hash,
            api_url=v.api_url,
            client_id=v.client_id,
            token_hint=v.token_hint,
            features=list(v.features),
            active_features=list(v.active_features),
            disabled_features=dict(v.disabled_features),
            features_off=list(v.features_off),
            state=state.state,
            state_reason=state.reason,
            syncing=state.progress.running,
            sync_every_s=int(state.sync_every.total_seconds()),
            sync_every_default=state.sync_every_default,
            next_sync_at=state.next_sync_at,
            last_sync_at=state.last_sync_at,
            last_sync_outcome=state.last_sync_outcome,
            last_webhook_at=state.last_webhook_at,
            last_tested_at=v.last_tested_at,
            last_test=ReportOut.of(v.last_test) if v.last_test else None,
            created_at=v.created_at,
            updated_at=v.updated_at,
        )


class ConnectionCreate(BaseModel):
    """A new store connection; `store` is the hash, the API path or the store's address."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=PLAIN)]
    store: Annotated[str, Field(min_length=1, max_length=500, pattern=PLAIN)]
    access_token: SecretStr
    client_id: Text | None = None
    sync_every: Text | None = Field(default=None, description="`5m`, `1h`, … (at least 1m)")
    features: list[Text] | None = None


class ConnectionUpdate(BaseModel):
    """An edit; changing the store or client id needs `access_token` again."""

    name: Annotated[str, Field(min_length=1, max_length=100, pattern=PLAIN)] | None = None
    store: Text | None = None
    access_token: Annotated[SecretStr, Field(min_length=1, max_length=500)] | None = None
    client_id: Text | None = None
    sync_every: Text | None = None
    features: list[Text] | None = None
    enable: list[Text] = []
    disable: list[Text] = []


def _plain_secret(value: SecretStr) -> str:
    """The token sent, when it is printable text (a 400 problem that never repeats it)."""
    text = value.get_secret_value()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise Problem(400, "Invalid input", detail="the access token holds control characters")
    return text


class CreatedOut(BaseModel):
    connection: ConnectionOut
    test: ReportOut
    notices: list[str]


class StreamOut(BaseModel):
    name: str
    status: str
    records: int
    changed: int
    requests: int
    expected: int | None
    error: str | None


class RunOut(BaseModel):
    """One sync run: `records` rows new or changed, `records_read` API records read."""

    id: int
    number: int
    mode: str
    status: str
    records: int
    records_read: int
    requests: int
    rate_limited: int
    waited_s: float
    duration_s: float | None
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    streams: list[StreamOut]

    @classmethod
    def of(cls, run: RunView) -> RunOut:
        return cls(
            id=run.id,
            number=run.number,
            mode=run.mode,
            status=run.status,
            records=run.records,
            records_read=run.records_read,
            requests=run.requests,
            rate_limited=run.rate_limited,
            waited_s=run.waited_s,
            duration_s=run.duration_s,
            error=run.error,
            started_at=run.started_at,
            finished_at=run.finished_at,
            streams=[StreamOut(**s.__dict__) for s in run.streams],
        )


class SyncRequestOut(BaseModel):
    full: bool
    requested_at: datetime


class ProgressOut(BaseModel):
    """Whether a sync runs now, the newest run (the running one), and a pending request."""

    running: bool
    done: bool
    run: RunOut | None
    request: SyncRequestOut | None

    @classmethod
    def of(cls, progress: SyncProgress) -> ProgressOut:
        request = progress.request
        return cls(
            running=progress.running,
            done=progress.done,
            run=RunOut.of(progress.run) if progress.run else None,
            request=SyncRequestOut(full=request.full, requested_at=request.requested_at)
            if request
            else None,
        )


@contextlib.contextmanager
def _input_is_400() -> Iterator[None]:
    """What the use-cases refuse in what was sent (a store that is no hash, an interval too
    short) is a 400 problem: 422 is for a body the schema itself refuses."""
    try:
        yield
    except InputError as error:
        raise Problem(400, "Invalid input", detail=str(error)) from None


# --- routes -----------------------------------------------------------------------------------


def _out(hub: Hub, view: ConnectionView) -> ConnectionOut:
    return ConnectionOut.of(integration_state(hub.engine, view, default_every=default_every(hub)))


@router.get("/connections", response_model=CursorPage[ConnectionOut])
def list_connections(
    hub: HubDep, principal: ApiUser, cursor: str | None = None, limit: Limit = 50
) -> CursorPage[ConnectionOut]:
    """Every connection the caller may see, by id."""
    after = int(decode_cursor(cursor).get("after", 0)) if cursor else 0
    views = sorted(visible_connections(hub, principal), key=lambda v: v.id)
    views = [v for v in views if v.id > after]
    page = views[:limit]
    more = len(views) > limit
    next_cursor = encode_cursor({"after": page[-1].id}) if more and page else None
    return CursorPage[ConnectionOut](items=[_out(hub, v) for v in page], next_cursor=next_cursor)


@router.post("/connections", response_model=CreatedOut, status_code=201)
async def create_connection(body: ConnectionCreate, hub: HubDep, principal: ApiUser) -> CreatedOut:
    """Test the credentials, save the connection when the store accepts them, and start
    its first sync. A refusal saves nothing and answers 400 with the test's reason."""
    if principal.connection_id is not None:
        raise Problem(403, "Forbidden", detail="this session may not add connections")
    new = NewConnection(
        name=body.name,
        store=body.store,
        access_token=_plain_secret(body.access_token),
        client_id=body.client_id,
        sync_every=body.sync_every,
        features=body.features,
    )
    with _input_is_400():
        result = await hub.connections(actor_of(principal)).connect(new)
    if result.added is None:
        failed = "; ".join(c.message for c in result.report.checks if c.ok is False)
        raise Problem(400, "The store refused the connection", detail=f"nothing saved: {failed}")
    view = result.added.connection
    await run_in_threadpool(
        partial(request_sync, hub.engine, connection_id=view.id, by=actor_of(principal))
    )
    hub.nudge(SYNC, view.id)
    saved = await run_in_threadpool(hub.connections().get_by_id, view.id)
    return CreatedOut(
        connection=await run_in_threadpool(_out, hub, saved),
        test=ReportOut.of(result.report),
        notices=list(result.added.notices),
    )


@router.get("/connections/{connection_id}", response_model=ConnectionOut)
def get_connection(connection_id: ConnectionId, hub: HubDep, principal: ApiUser) -> ConnectionOut:
    return _out(hub, visible_connection(hub, principal, connection_id))


@router.patch("/connections/{connection_id}", response_model=ConnectionOut)
def update_connection(
    connection_id: ConnectionId, body: ConnectionUpdate, hub: HubDep, principal: ApiUser
) -> ConnectionOut:
    """Edit a connection (test it afterwards with `POST …/test`)."""
    view = visible_connection(hub, principal, connection_id)
    fields = body.model_fields_set
    changes = ConnectionChanges(
        name=body.name,
        store=body.store,
        access_token=_plain_secret(body.access_token) if body.access_token else None,
        sync_every=body.sync_every,
        features=body.features,
        enable=body.enable,
        disable=body.disable,
    )
    if "client_id" in fields:
        changes = replace(changes, client_id=body.client_id)
    with _input_is_400():
        result = hub.connections(actor_of(principal)).update(view.name, changes)
    return _out(hub, result.connection)


class DeletedOut(BaseModel):
    name: str
    secrets_deleted: int
    data_kept: bool
    data_deleted: dict[str, int]
    hooks_removed: int
    hooks_error: str | None


@router.delete("/connections/{connection_id}", response_model=DeletedOut)
async def delete_connection(
    connection_id: ConnectionId, hub: HubDep, principal: ApiUser, purge: bool = False
) -> DeletedOut:
    """Remove the connection, its webhooks and secrets (its mirrored data with `purge`)."""
    view = await run_in_threadpool(visible_connection, hub, principal, connection_id)
    outcome = await disconnect(hub.connections(actor_of(principal)), view.name, purge_data=purge)
    removed = outcome.removed
    return DeletedOut(
        name=removed.name,
        secrets_deleted=removed.secrets_deleted,
        data_kept=removed.data_kept,
        data_deleted=dict(removed.data_deleted),
        hooks_removed=outcome.hooks_removed,
        hooks_error=outcome.hooks_error,
    )


@router.post("/connections/{connection_id}/test", response_model=ReportOut)
async def test_connection(
    connection_id: ConnectionId, hub: HubDep, principal: ApiUser
) -> ReportOut:
    """Test the saved connection: the scope report (features follow the granted scopes)."""
    view = await run_in_threadpool(visible_connection, hub, principal, connection_id)
    return ReportOut.of(await hub.connections(actor_of(principal)).test(view.name))


@router.post("/connections/{connection_id}/sync", response_model=ProgressOut, status_code=202)
def sync_connection(
    connection_id: ConnectionId, hub: HubDep, principal: ApiUser, full: bool = False
) -> ProgressOut:
    """Ask for a sync now (`full`: read everything again); stored, then the scheduler is
    nudged. Follow it with `GET …/progress`."""
    view = visible_connection(hub, principal, connection_id)
    request_sync(hub.engine, connection_id=view.id, full=full, by=actor_of(principal))
    hub.nudge(SYNC, view.id)
    return ProgressOut.of(live_progress(hub.engine, connection_id=view.id))


@router.get("/connections/{connection_id}/progress", response_model=ProgressOut)
def sync_progress(connection_id: ConnectionId, hub: HubDep, principal: ApiUser) -> ProgressOut:
    view = visible_connection(hub, principal, connection_id)
    return ProgressOut.of(live_progress(hub.engine, connection_id=view.id))


@router.get("/connections/{connection_id}/runs", response_model=CursorPage[RunOut])
def sync_runs(
    connection_id: ConnectionId,
    hub: HubDep,
    principal: ApiUser,
    cursor: str | None = None,
    limit: Limit = 50,
) -> CursorPage[RunOut]:
    """The connection's sync runs, newest first."""
    view = visible_connection(hub, principal, connection_id)
    before = _int(decode_cursor(cursor).get("before")) if cursor else None
    runs = run_history(hub.engine, connection_id=view.id, limit=limit + 1, before_id=before)
    page = runs[:limit]
    next_cursor = encode_cursor({"before": page[-1].id}) if len(runs) > limit else None
    return CursorPage[RunOut](items=[RunOut.of(r) for r in page], next_cursor=next_cursor)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Problem(400, "Bad cursor", detail="the cursor is not one this API gave") from None
