"""Sync use-cases over a database and the connection service: run a sync of a named
connection with a real client, and report the mirror's state."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bigsync.bigcommerce import BigCommerceClient, ClientOptions
from bigsync.connections import ConnectionService
from bigsync.store import mirror_repository as repo
from bigsync.store.mirror_schema import MIRROR_TABLES
from bigsync.streams.catalog import STREAMS_BY_NAME
from bigsync.sync.engine import ProgressCallback, SyncEngine, SyncOptions, SyncResult
from bigsync.sync.model import FeatureGate, scan_cost, scan_every_sync

if TYPE_CHECKING:
    from sqlalchemy import Engine


async def sync_connection(
    service: ConnectionService,
    name: str,
    *,
    options: SyncOptions | None = None,
    on_progress: ProgressCallback | None = None,
    client_options: ClientOptions | None = None,
    on_client: Any = None,
) -> SyncResult:
    """Sync the connection called `name` (raises SyncLockedError when one is running).

    Only the streams of the connection's active features run; the others are skipped with
    their reason (a feature its last Test disabled is a warning of the run).

    `on_client(client)` is called once the client exists (progress displays read its stats).
    """
    view = service.get(name)
    gate = FeatureGate(
        connection=view.name,
        enabled=frozenset(view.features),
        disabled=dict(view.disabled_features),
    )
    options = replace(options or SyncOptions(), features=gate)
    credentials = service.credentials(name)
    async with BigCommerceClient(
        credentials, base_url=view.api_url, options=client_options
    ) as client:
        if on_client is not None:
            on_client(client)
        engine = SyncEngine(
            service.engine,
            client,
            connection_id=view.id,
            options=options,
            on_progress=on_progress,
        )
        return await engine.run()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _table_of(stream: str) -> str | None:
    spec = STREAMS_BY_NAME.get(stream)
    return spec.table if spec else None


def mirror_status(
    db: Engine, *, connection_id: int, name: str, options: SyncOptions | None = None
) -> dict[str, Any]:
    """The state of one connection's mirror as plain JSON-able data."""
    with db.connect() as conn:
        lease = repo.current_lease(conn, connection_id=connection_id)
        states = repo.load_states(conn, connection_id=connection_id)
        runs = repo.recent_runs(conn, connection_id=connection_id, limit=5)
        counts = {
            table: repo.count_rows(conn, table, connection_id=connection_id)
            for table in MIRROR_TABLES
        }
    return {
        "connection": name,
        "running": lease.owner is not None,
        "lease": {"owner": lease.owner, "expires_at": _iso(lease.expires_at)},
        "streams": [
            {
                "stream": s.stream,
                "status": s.status,
                "cursor": _iso(s.cursor),
                "resumable": bool(s.checkpoint) and s.status != "ok",
                # API records read (re-reads included), all time and in the last run ...
                "records_total": s.records_total,
                "last_run_records": s.last_run_records,
                "records_read_total": s.records_total,
                "last_run_records_read": s.last_run_records,
                # ... and the rows of its table in the mirror now.
                "table": _table_of(s.stream),
                "rows": counts.get(_table_of(s.stream) or ""),
                "last_success_at": _iso(s.last_success_at),
                "last_scan_at": _iso(s.last_scan_at),
                "last_error": s.last_error,
            }
            for s in sorted(states.values(), key=lambda s: s.stream)
        ],
        "runs": [
            {
                "id": run["id"],
                "number": run["number"],  # per connection: #1 is its first sync
                "mode": run["mode"],
                "status": run["status"],
                "records": run["records"],  # rows new or changed
                "records_changed": run["records"],
                "requests": run["requests"],
                "started_at": _iso(run["started_at"]),
                "finished_at": _iso(run["finished_at"]),
                "error": run["error"],
            }
            for run in runs
        ],
        "tables": counts,
        "variants": _variant_policy(states, counts, options or SyncOptions()),
    }


def _variant_policy(
    states: dict[str, repo.StreamState], counts: dict[str, int], options: SyncOptions
) -> dict[str, Any]:
    """When every variant was last read (a products scan, or a full read of products), what
    re-reading them costs, and how often a sync does it (`SyncOptions` explains the rule)."""
    scan = STREAMS_BY_NAME["products_scan"]
    cost = scan_cost(counts.get(scan.table, 0), scan.page_size)
    quota = options.quota_per_window
    every_sync = scan_every_sync(cost, quota=quota, share=options.scan_share)
    state = states.get(scan.name)
    return {
        "last_read_at": _iso(state.last_scan_at if state else None),
        "scan_requests": cost,
        "scan_runs": "every sync" if every_sync else f"every {options.scan_every}",
        "rule": f"every sync while it costs at most {options.scan_share:.0%} of a "
        f"{quota}-request window (more when the store's quota is larger)",
    }
