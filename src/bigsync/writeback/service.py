"""Write-back use-cases over the connection service: dispatch a connection's outbox with a
real client (what `bigsync push` and the scheduler run), list it, retry or drop an entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bigsync.bigcommerce import BigCommerceClient, ClientOptions
from bigsync.store import outbox_repository as repo
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.writeback import outbox
from bigsync.writeback.dispatcher import DispatchOptions, DispatchResult, OutboxDispatcher
from bigsync.writeback.intents import OPEN_STATES, IntentState
from bigsync.writeback.scopes import scope_gate

if TYPE_CHECKING:
    from bigsync.connections import ConnectionService


async def push_connection(
    service: ConnectionService,
    name: str,
    *,
    options: DispatchOptions | None = None,
    client_options: ClientOptions | None = None,
) -> DispatchResult:
    """Dispatch the outbox of the connection called `name` and wait for the outcome (raises
    DispatchLockedError when another dispatch of it runs). Writes whose scope the last
    connection test found missing fail at once, with the scope named."""
    view = service.get(name)
    with UnitOfWork(service.engine).read() as conn:
        counts = repo.count_by_state(conn, view.id)
    if not any(state in OPEN_STATES for state in counts):
        return DispatchResult()  # nothing to send: no client, no lock (the scheduler's case)
    credentials = service.credentials(name)
    async with BigCommerceClient(
        credentials, base_url=view.api_url, options=client_options
    ) as client:
        dispatcher = OutboxDispatcher(
            service.engine,
            client,
            connection_id=view.id,
            connection_name=view.name,
            scopes=scope_gate(view),
            options=options,
        )
        return await dispatcher.run()


def list_outbox(
    service: ConnectionService,
    name: str,
    *,
    states: tuple[IntentState, ...] | None = None,
    limit: int | None = 200,
) -> list[repo.OutboxRow]:
    """The connection's outbox entries, newest first."""
    view = service.get(name)
    with service.db.read() as conn:
        return outbox.list_intents(conn, view.id, states=states, limit=limit)


def retry_entry(service: ConnectionService, name: str, intent_id: int) -> repo.OutboxRow:
    """Send a failed or mismatched entry again at the next push."""
    view = service.get(name)
    with service.db.write() as conn:
        return outbox.retry_intent(conn, view.id, intent_id)


def drop_entry(service: ConnectionService, name: str, intent_id: int) -> repo.OutboxRow:
    """Give an entry up; it stays listed as dropped."""
    view = service.get(name)
    with service.db.write() as conn:
        return outbox.drop_intent(conn, view.id, intent_id)
