"""`/integrations/{id}/activity`: the connection's outbox (the writes bigsync intends to make
to the store and what became of each), filtered by pending / failed / done, with Retry, Drop
and Push now; and the connection's audit log. `/audit`: the audit log of every connection.

Lists are newest first and paged by `?before=ID` (the `audit_before` of the audit log).
While entries are still on their way the page reloads itself (`static/activity.js`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from bigsync.errors import InputError
from bigsync.web.api.activity import EntryId, push_now
from bigsync.web.api.shipping import MAX_ID, ConnectionId
from bigsync.web.auth import CsrfForm, PageUser, actor_of, visible_connection
from bigsync.web.deps import HubDep
from bigsync.web.flash import flash
from bigsync.web.problems import Problem
from bigsync.web.templating import render
from bigsync.writeback import service as writeback
from bigsync.writeback.intents import OPEN_STATES, IntentState

router = APIRouter(include_in_schema=False)

PAGE = "/integrations/{connection_id}/activity"
FILTERS = ("pending", "failed", "done", "all")
PAGE_SIZE = 50
AUDIT_SIZE = 20
Before = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _url(connection_id: ConnectionId, **query: object) -> str:
    shown = {k: str(v) for k, v in query.items() if v not in (None, "")}
    url = PAGE.format(connection_id=connection_id)
    return url + ("?" + urlencode(shown) if shown else "")


@router.get(PAGE)
def page(
    request: Request,
    *,
    hub: HubDep,
    principal: PageUser,
    connection_id: ConnectionId,
    state: Annotated[str, Query(max_length=32)] = "all",
    before: Before = None,
    audit_before: Before = None,
) -> Response:
    """The activity page."""
    view = visible_connection(hub, principal, connection_id)
    if state not in FILTERS:
        raise Problem(400, "Unknown filter", detail=f"use one of {', '.join(FILTERS)}")
    service = hub.connections(actor_of(principal))
    outbox = writeback.outbox_page(
        service,
        view.name,
        states=writeback.outbox_states(state),
        before_id=before,
        limit=PAGE_SIZE,
    )
    audit = service.audit(view.name, limit=AUDIT_SIZE + 1, before_id=audit_before)
    counts = {
        name: sum(outbox.counts.get(s, 0) for s in states)
        for name, states in writeback.OUTBOX_FILTERS.items()
    }
    counts["all"] = sum(outbox.counts.values())
    next_outbox = outbox.next_before_id
    next_audit = audit[AUDIT_SIZE - 1].id if len(audit) > AUDIT_SIZE else None
    return render(
        request,
        "activity/page.html",
        connection=view,
        tab="activity",
        state=state,
        filters=FILTERS,
        counts=counts,
        entries=outbox.entries,
        open_states=OPEN_STATES,
        held=outbox.counts.get(IntentState.HELD, 0),
        is_moving=any(e.row.state in OPEN_STATES for e in outbox.entries),
        next_url=_url(view.id, state=state, before=next_outbox, audit_before=audit_before)
        if next_outbox is not None
        else None,
        audit=audit[:AUDIT_SIZE],
        audit_next_url=_url(view.id, state=state, before=before, audit_before=next_audit) + "#audit"
        if next_audit is not None
        else None,
        runs_jobs=hub.runs_jobs,
    )


def _change(
    request: Request,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    entry_id: EntryId,
    *,
    retry: bool,
    back: str,
) -> Response:
    view = visible_connection(hub, principal, connection_id)
    change = writeback.retry_entry if retry else writeback.drop_entry
    try:
        row = change(hub.connections(actor_of(principal)), view.name, entry_id)
    except InputError as error:
        flash(request, str(error), kind="fail")
    else:
        if retry:
            push_now(hub, view.id, view.name)
        flash(request, f"Entry {row.id} is now {row.state}.")
    return RedirectResponse(_safe_back(back, view.id), status_code=303)


def _safe_back(back: str, connection_id: ConnectionId) -> str:
    """Where a form returns: the activity page with its filter (never another site)."""
    own = PAGE.format(connection_id=connection_id)
    return back if back.startswith(own) and "//" not in back else own


@router.post(f"{PAGE}/outbox/{{entry_id}}/retry")
def retry(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    entry_id: EntryId,
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Send a failed or mismatched entry again."""
    return _change(request, hub, principal, connection_id, entry_id, retry=True, back=back)


@router.post(f"{PAGE}/outbox/{{entry_id}}/drop")
def drop(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    entry_id: EntryId,
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Give an entry up (it stays listed as dropped)."""
    return _change(request, hub, principal, connection_id, entry_id, retry=False, back=back)


@router.post(f"{PAGE}/push")
def push(
    request: Request,
    *,
    hub: HubDep,
    principal: CsrfForm,
    connection_id: ConnectionId,
    back: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Send the outbox now (the scheduler runs the dispatch)."""
    view = visible_connection(hub, principal, connection_id)
    outcome = push_now(hub, view.id, view.name)
    flash(
        request,
        "Pushing the outbox now." if outcome.nudged else outcome.detail,
        kind="ok" if outcome.nudged else "warn",
    )
    return RedirectResponse(_safe_back(back, view.id), status_code=303)


@router.get("/audit")
def audit_page(
    request: Request, hub: HubDep, principal: PageUser, before: Before = None
) -> Response:
    """The audit log of every connection (not for a session limited to one connection)."""
    if principal.connection_id is not None:
        raise Problem(403, "Not allowed", detail="this session sees one connection only")
    found = hub.connections(actor_of(principal)).audit(limit=PAGE_SIZE + 1, before_id=before)
    following = found[PAGE_SIZE - 1].id if len(found) > PAGE_SIZE else None
    return render(
        request,
        "activity/audit.html",
        active="audit",
        audit=found[:PAGE_SIZE],
        next_url=f"/audit?before={following}" if following is not None else None,
    )
