"""The Integrations pages: every connection with its state (`/integrations`), the Add
integration wizard (`/integrations/new`), and one connection's page (`/integrations/{id}`)
with its sync history, live progress, actions, schedule, features, credentials and removal.

Routes parse the form, call a use-case, and render or redirect (POST, then a 303 to a page
that shows the outcome). A token is never put back into a page: forms that take one always
render its field empty, and a saved token shows only as `••••` and its last 4 characters."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bigsync.bigcommerce.credentials import WHERE_TO_FIND
from bigsync.connections import ConnectionChanges, ConnectionView, NewConnection
from bigsync.connections.features import FEATURE_TITLES, Feature
from bigsync.connections.inputs import clean_store_hash, format_every
from bigsync.errors import BigsyncError, InputError
from bigsync.jobs.overview import IntegrationState, integration_state
from bigsync.jobs.tasks import SYNC
from bigsync.sync.history import live_progress, request_sync, run_history
from bigsync.web.auth import (
    CsrfForm,
    PageUser,
    actor_of,
    visible_connection,
    visible_connections,
)
from bigsync.web.charts import history_chart
from bigsync.web.deps import Hub, HubDep
from bigsync.web.flash import flash
from bigsync.web.orders_hub import send_soon
from bigsync.web.templating import environment, render
from bigsync.webhooks.subscriptions import disconnect

router = APIRouter(include_in_schema=False)

ConnectionId = Annotated[int, Path(ge=1, le=2**31 - 1)]

HISTORY_RUNS = 30  # runs in the connection page's history (table and chart)
EVERY_CHOICES = ("5m", "15m", "30m", "1h", "6h", "1d")


def _states(hub: Hub, views: list[ConnectionView]) -> list[IntegrationState]:
    return [integration_state(hub.engine, v, default_every=default_every(hub)) for v in views]


def default_every(hub: Hub) -> timedelta | None:
    """The interval of connections that have none of their own, as this server runs them."""
    return hub.scheduler.options.sync_every if hub.scheduler is not None else None


def fragment(template: str, **context: Any) -> str:
    """A piece of a page for the pages' scripts (no layout; the flashes are left for the
    next page)."""
    return environment().get_template(template).render(context)


# --- the list -------------------------------------------------------------------------------


@router.get("/integrations", response_class=HTMLResponse)
def integrations(request: Request, *, hub: HubDep, principal: PageUser) -> Response:
    states = _states(hub, visible_connections(hub, principal))
    return render(
        request,
        "integrations/list.html",
        active="integrations",
        states=states,
        runs_jobs=hub.runs_jobs,
        format_every=format_every,
    )


# --- the Add integration wizard ---------------------------------------------------------------


@router.get("/integrations/new", response_class=HTMLResponse)
def choose_platform(request: Request, *, principal: PageUser) -> Response:
    return render(request, "integrations/new.html", active="integrations")


def _wizard(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    report: Any = None,
    status: int = 200,
) -> Response:
    # `values` never holds the token: its field is always rendered empty.
    return render(
        request,
        "integrations/new_bigcommerce.html",
        status=status,
        active="integrations",
        values=values or {},
        error=error,
        report=report,
        where_to_find=WHERE_TO_FIND,
        every_choices=EVERY_CHOICES,
    )


@router.get("/integrations/new/bigcommerce", response_class=HTMLResponse)
def wizard(request: Request, *, principal: PageUser) -> Response:
    return _wizard(request, values={"name": "", "store": "", "client_id": "", "every": "15m"})


@router.get("/integrations/new/store-hash")
def store_hash_check(principal: PageUser, *, value: str = "") -> JSONResponse:
    """Live validation of the pasted store (hash, API path, store URL): the hash it gives."""
    if not value.strip():
        return JSONResponse({"ok": False, "store_hash": None, "message": ""})
    try:
        cleaned = clean_store_hash(value)
    except InputError as error:
        return JSONResponse({"ok": False, "store_hash": None, "message": str(error)})
    return JSONResponse({"ok": True, "store_hash": cleaned.value, "message": ""})


def _new(name: str, store: str, token: str, client_id: str, every: str) -> NewConnection:
    return NewConnection(
        name=name,
        store=store,
        access_token=token,
        client_id=client_id.strip() or None,
        sync_every=every.strip() or None,
    )


@router.post("/integrations/new/bigcommerce", response_class=HTMLResponse)
async def connect(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    name: Annotated[str, Form()] = "",
    store: Annotated[str, Form()] = "",
    access_token: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
    every: Annotated[str, Form()] = "15m",
    action: Annotated[str, Form()] = "connect",
) -> Response:
    """Test (report only, nothing saved) or Connect (saved only when the store accepts the
    credentials; then the first sync starts)."""
    values = {"name": name, "store": store, "client_id": client_id, "every": every}
    service = hub.connections(actor_of(principal))
    new = _new(name, store, access_token, client_id, every)
    try:
        if action == "test":
            report = await service.check_new(new)
            return _wizard(request, values=values, report=report, status=200)
        result = await service.connect(new)
    except BigsyncError as error:
        return _wizard(request, values=values, error=str(error), status=400)
    if result.added is None:
        return _wizard(
            request,
            values=values,
            error=_refusal(result.report),
            report=result.report,
            status=400,
        )
    view = result.added.connection
    await run_in_threadpool(
        partial(request_sync, hub.engine, connection_id=view.id, by=actor_of(principal))
    )
    hub.nudge(SYNC, view.id)
    flash(request, f"Connected {view.name}: the first sync has started.", kind="ok")
    return RedirectResponse(f"/integrations/{view.id}", status_code=303)


def _refusal(report: Any) -> str:
    failed = [c.message for c in report.checks if c.ok is False]
    reason = "; ".join(failed) or "the test did not pass"
    return f"Not connected, nothing was saved: {reason}."


@router.post("/integrations/new/check")
async def check_new(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    name: Annotated[str, Form()] = "",
    store: Annotated[str, Form()] = "",
    access_token: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
) -> JSONResponse:
    """The wizard's Test button (script): the scope report as an HTML fragment, so that the
    token stays in the browser's field and the server never sends it back."""
    service = hub.connections(actor_of(principal))
    try:
        report = await service.check_new(_new(name, store, access_token, client_id, ""))
    except BigsyncError as error:
        html = fragment("integrations/_check_error.html", error=str(error))
        return JSONResponse({"ok": False, "html": html})
    html = fragment("integrations/_scope_report.html", report=report)
    return JSONResponse({"ok": report.ok, "html": html})


# --- one connection -----------------------------------------------------------------------------


def _features(view: ConnectionView) -> list[dict[str, Any]]:
    return [
        {
            "name": f.value,
            "title": FEATURE_TITLES[f],
            "on": f.value in view.features,
            "blocked": view.disabled_features.get(f.value),
        }
        for f in Feature
    ]


@router.get("/integrations/{connection_id}", response_class=HTMLResponse)
def connection_page(
    request: Request, connection_id: ConnectionId, hub: HubDep, principal: PageUser
) -> Response:
    view = visible_connection(hub, principal, connection_id)
    state = integration_state(hub.engine, view, default_every=default_every(hub))
    runs = run_history(hub.engine, connection_id=view.id, limit=HISTORY_RUNS)
    return render(
        request,
        "integrations/connection.html",
        connection=view,
        tab="overview",
        state=state,
        runs=runs,
        chart=history_chart(runs),
        features=_features(view),
        every_choices=EVERY_CHOICES,
        every=format_every(state.sync_every),
        runs_jobs=hub.runs_jobs,
    )


@router.get("/integrations/{connection_id}/progress")
def progress_fragment(
    request: Request, *, connection_id: ConnectionId, hub: HubDep, principal: PageUser
) -> JSONResponse:
    """The live progress box of the connection page (polled by its script while a sync runs
    or is asked for): an HTML fragment and whether it is done."""
    view = visible_connection(hub, principal, connection_id)
    progress = live_progress(hub.engine, connection_id=view.id)
    html = fragment("integrations/_progress.html", progress=progress)
    return JSONResponse({"done": progress.done, "html": html})


@router.post("/integrations/{connection_id}/sync")
def sync_now(
    request: Request,
    *,
    connection_id: ConnectionId,
    hub: HubDep,
    principal: CsrfForm,
    full: Annotated[str, Form()] = "",
) -> Response:
    view = visible_connection(hub, principal, connection_id)
    wanted = full in ("1", "true", "on")
    request_sync(hub.engine, connection_id=view.id, full=wanted, by=actor_of(principal))
    hub.nudge(SYNC, view.id)
    what = "A full resync" if wanted else "A sync"
    where = "" if hub.runs_jobs else " (it runs when bigsync serve runs the connection's jobs)"
    flash(request, f"{what} of {view.name} was asked for{where}.", kind="ok")
    return RedirectResponse(f"/integrations/{view.id}", status_code=303)


@router.post("/integrations/{connection_id}/test")
async def test_connection(
    request: Request,
    *,
    connection_id: ConnectionId,
    hub: HubDep,
    principal: CsrfForm,
) -> Response:
    view = await run_in_threadpool(visible_connection, hub, principal, connection_id)
    report = await hub.connections(actor_of(principal)).test(view.name)
    if report.ok:
        flash(request, f"{view.name}: the test passed.", kind="ok")
    else:
        flash(request, f"{view.name}: the test failed; see the report.", kind="fail")
    return RedirectResponse(f"/integrations/{view.id}#report", status_code=303)


@router.post("/integrations/{connection_id}/schedule")
def set_schedule(
    request: Request,
    *,
    connection_id: ConnectionId,
    hub: HubDep,
    principal: CsrfForm,
    every: Annotated[str, Form()] = "",
) -> Response:
    view = visible_connection(hub, principal, connection_id)
    try:
        result = hub.connections(actor_of(principal)).update(
            view.name, ConnectionChanges(sync_every=every)
        )
    except BigsyncError as error:
        flash(request, str(error), kind="fail")
    else:
        shown = (
            format_every(result.connection.sync_every) if result.connection.sync_every else every
        )
        flash(request, f"{view.name} now syncs the latest changes every {shown}.", kind="ok")
    return RedirectResponse(f"/integrations/{view.id}", status_code=303)


@router.post("/integrations/{connection_id}/features")
def set_features(
    request: Request,
    *,
    connection_id: ConnectionId,
    hub: HubDep,
    principal: CsrfForm,
    feature: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The whole list of features (unchecked boxes are not sent: those are turned off)."""
    view = visible_connection(hub, principal, connection_id)
    wanted = feature or []
    try:
        result = hub.connections(actor_of(principal)).update(
            view.name, ConnectionChanges(features=wanted)
        )
    except BigsyncError as error:
        flash(request, str(error), kind="fail")
    else:
        for notice in result.notices:
            flash(request, notice, kind="warn")
        flash(request, f"Features of {view.name} saved.", kind="ok")
        send_soon(hub, view.id)  # writes held while a write feature was off go now
    return RedirectResponse(f"/integrations/{view.id}", status_code=303)


def _edit_page(
    request: Request,
    view: ConnectionView,
    *,
    error: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    values = values or {
        "name": view.name,
        "store": view.store_hash,
        "client_id": view.client_id or "",
    }
    return render(
        request,
        "integrations/edit.html",
        status=status,
        connection=view,
        tab="overview",
        values=values,
        error=error,
        where_to_find=WHERE_TO_FIND,
    )


@router.get("/integrations/{connection_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, *, connection_id: ConnectionId, hub: HubDep, principal: PageUser
) -> Response:
    return _edit_page(request, visible_connection(hub, principal, connection_id))


@router.post("/integrations/{connection_id}/edit", response_class=HTMLResponse)
async def edit(
    request: Request,
    *,
    connection_id: ConnectionId,
    hub: HubDep,
    principal: CsrfForm,
    name: Annotated[str, Form()] = "",
    store: Annotated[str, Form()] = "",
    access_token: Annotated[str, Form()] = "",
    client_id: Annotated[str, Form()] = "",
) -> Response:
    """New credentials: the token must be entered again; the connection is tested after."""
    view = await run_in_threadpool(visible_connection, hub, principal, connection_id)
    values = {"name": name, "store": store, "client_id": client_id}
    if not access_token.strip():
        error = "enter the access token again: it is needed with any change of credentials"
        return _edit_page(request, view, error=error, status=400, values=values)
    service = hub.connections(actor_of(principal))
    changes = ConnectionChanges(
        name=name or None,
        store=store or None,
        access_token=access_token,
        client_id=client_id.strip() or None,
    )
    try:
        result = await run_in_threadpool(service.update, view.name, changes)
        report = await service.test(result.connection.name)
    except BigsyncError as error:
        return _edit_page(request, view, error=str(error), status=400, values=values)
    if report.ok:
        flash(request, f"Credentials of {result.connection.name} saved; the test passed.")
        hub.nudge(SYNC, view.id)
    else:
        flash(
            request,
            f"Credentials of {result.connection.name} saved, but the test failed.",
            kind="fail",
        )
    return RedirectResponse(f"/integrations/{view.id}#report", status_code=303)


@router.get("/integrations/{connection_id}/remove", response_class=HTMLResponse)
def remove_form(
    request: Request, *, connection_id: ConnectionId, hub: HubDep, principal: PageUser
) -> Response:
    view = visible_connection(hub, principal, connection_id)
    return render(request, "integrations/remove.html", connection=view, tab="overview")


@router.post("/integrations/{connection_id}/remove")
async def remove(
    request: Request,
    *,
    connection_id: ConnectionId,
    hub: HubDep,
    principal: CsrfForm,
    data: Annotated[str, Form()] = "keep",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    view = await run_in_threadpool(visible_connection, hub, principal, connection_id)
    if confirm.strip() != view.name:
        flash(request, f"Type the connection's name ({view.name}) to remove it.", kind="fail")
        return RedirectResponse(f"/integrations/{view.id}/remove", status_code=303)
    outcome = await disconnect(
        hub.connections(actor_of(principal)), view.name, purge_data=data == "purge"
    )
    kept = "mirrored data kept" if outcome.removed.data_kept else "mirrored data deleted"
    flash(request, f"Removed {view.name} ({kept}).", kind="ok")
    if outcome.hooks_error:
        flash(
            request,
            f"Its webhooks could not be removed from the store: {outcome.hooks_error}",
            kind="warn",
        )
    return RedirectResponse("/integrations", status_code=303)
