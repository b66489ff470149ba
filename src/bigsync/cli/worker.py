"""`bigsync worker`: run the queued jobs of worker mode (PostgreSQL). Start as many as the
stores need, on as many machines; `bigsync serve --no-jobs` is the web tier beside them.

SIGTERM or Ctrl-C: no new job starts, running jobs get `--shutdown-timeout` seconds, then stop
between pages and run again at once on another worker. A worker killed outright (SIGKILL, a
lost machine) loses nothing: its jobs go back to the queue once its heartbeat is
`--stalled-after` seconds old.

Everything heavy is imported inside the command (see `bigsync.cli.service`)."""

from __future__ import annotations

import asyncio
import os
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.service import EXIT_OK, fail

if TYPE_CHECKING:
    from bigsync.jobs.context import JobContext


def worker(
    *,
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Jobs at once (each of a different store).")
    ] = 8,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Serve Prometheus /metrics on this port (0: any)."),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Address of --metrics-port (keep it private).")
    ] = "127.0.0.1",
    shutdown_timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds running jobs get on SIGTERM or Ctrl-C.")
    ] = 20.0,
    stalled_after: Annotated[
        float,
        typer.Option(min=1.0, help="Seconds of silence after which a worker counts as dead."),
    ] = 30.0,
    tick_every: Annotated[
        int, typer.Option(min=1, max=60, help="Seconds between looks for due jobs (divides 60).")
    ] = 5,
    migrate: Annotated[
        bool,
        typer.Option(
            "--migrate/--no-migrate", help="Bring the database schema up to date at start."
        ),
    ] = True,
    log_format: Annotated[
        str | None,
        typer.Option(help="text or json (default: BIGSYNC_LOG_FORMAT, else text)."),
    ] = None,
) -> None:
    """Run queued jobs (syncs, outbox, webhooks) from the PostgreSQL database of
    BIGSYNC_DATABASE_URL."""
    from bigsync.cli.logs import configure_logging  # noqa: PLC0415 -- lazy: see the module doc
    from bigsync.config import get_settings  # noqa: PLC0415
    from bigsync.errors import BigsyncError  # noqa: PLC0415
    from bigsync.jobs.context import JobContext  # noqa: PLC0415
    from bigsync.jobs.queue import QueueOptions  # noqa: PLC0415
    from bigsync.jobs.worker import QueueWorker, WorkerOptions  # noqa: PLC0415
    from bigsync.store.db import describe_database, libpq_conninfo  # noqa: PLC0415

    settings = get_settings()
    chosen_format = log_format or settings.log_format
    if chosen_format not in ("text", "json"):
        fail("--log-format is text or json")
    if 60 % tick_every:
        fail("--tick-every must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)")
    configure_logging(settings.log_level, chosen_format)
    try:
        libpq_conninfo(settings.resolved_database_url)
        context = JobContext.open(settings, migrate_schema=migrate)
    except BigsyncError as error:
        fail(str(error))
    name = f"{socket.gethostname()}:{os.getpid()}"
    queue = QueueOptions(
        tick_every_s=tick_every,
        stalled_after_s=stalled_after,
        heartbeat_s=max(0.5, stalled_after / 4),
    )
    options = WorkerOptions(
        concurrency=concurrency, shutdown_grace_s=shutdown_timeout, name=name, queue=queue
    )
    try:
        runner = QueueWorker(with_metrics(context), options=options)
        where = _start_metrics(context, metrics_host, metrics_port)

        def started() -> None:
            typer.echo(f"bigsync worker {name} ({runner.version}) running", err=False)
            typer.echo(f"  database:    {describe_database(context.engine)}")
            typer.echo(f"  concurrency: {concurrency} jobs at once")
            typer.echo(f"  metrics:     {where or 'off (--metrics-port)'}")
            typer.echo("Stop with Ctrl-C or SIGTERM.")

        asyncio.run(runner.run(on_started=started))
    except BigsyncError as error:
        fail(str(error))
    finally:
        context.close()
    raise typer.Exit(EXIT_OK)


def with_metrics(context: JobContext) -> JobContext:
    """The context with the client's answers counted in the metrics."""
    from dataclasses import replace  # noqa: PLC0415

    from bigsync.bigcommerce import ClientOptions  # noqa: PLC0415
    from bigsync.jobs import metrics  # noqa: PLC0415

    options = context.client_options or ClientOptions()
    return replace(context, client_options=replace(options, on_answer=metrics.request_answered))


def _start_metrics(context: JobContext, host: str, port: int | None) -> str | None:
    if port is None:
        return None
    from bigsync.jobs import metrics  # noqa: PLC0415

    metrics.watch_database(context.engine)
    bound = metrics.serve_metrics(host, port)
    return f"http://{host}:{bound}/metrics"


def register(app: typer.Typer) -> None:
    """Add this command to the main `bigsync` app."""
    app.command()(worker)
