"""`bigsync serve`: the hub as a service. One process: uvicorn serving the web app, whose
lifespan runs the scheduler (initial and scheduled syncs, and the other jobs) on the same
event loop.

SIGTERM or Ctrl-C: no new work starts, running syncs stop between pages (what they committed
stays; the next start resumes there), and the process exits within `--shutdown-timeout`
seconds (a watchdog ends it if something hangs).

uvicorn, the web app and the jobs are imported inside the command (see `bigsync.cli.service`)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from bigsync.cli.service import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, fail

if TYPE_CHECKING:
    from rich.console import Console

    from bigsync.web.app import ServeInfo

NOT_LISTENING = "the port is in use or the address is not this machine's"
WATCHDOG_SLACK_S = 5.0  # past the shutdown timeout, the process is ended whatever it does


def serve(
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    shutdown_timeout: Annotated[
        float,
        typer.Option(
            min=1.0, help="Seconds a stop (SIGTERM, Ctrl-C) may take before the process exits."
        ),
    ] = 20.0,
    migrate: Annotated[
        bool,
        typer.Option(
            "--migrate/--no-migrate", help="Bring the database schema up to date at start."
        ),
    ] = True,
) -> None:
    """Run the hub: the web endpoints and the scheduler that syncs every connection by itself.

    The public URL BigCommerce calls (webhooks, app install) is BIGSYNC_PUBLIC_URL."""
    import uvicorn  # noqa: PLC0415 -- lazy: see the module doc

    from bigsync.config import get_settings  # noqa: PLC0415
    from bigsync.errors import BigsyncError  # noqa: PLC0415
    from bigsync.jobs.context import JobContext  # noqa: PLC0415
    from bigsync.web.app import create_app  # noqa: PLC0415

    settings = get_settings()
    try:
        context = JobContext.open(settings, migrate_schema=migrate)
    except BigsyncError as error:
        fail(str(error))
    console = _console()
    url = f"http://{host}:{port}"
    # The bound, shared: open HTTP requests first, then the running jobs, then the exit.
    http_grace = max(1, int(shutdown_timeout / 4))
    jobs_grace = max(0.5, shutdown_timeout - http_grace - 1.0)
    from bigsync.web import oauth, webhooks  # noqa: PLC0415 -- lazy: see the module doc

    oauth.protect_access_log()  # the app callbacks' query strings are credentials
    app = create_app(
        context=context,
        routers=[webhooks.router, oauth.router],
        shutdown_grace_s=jobs_grace,
        on_ready=lambda info: print_started(console, url, info, shutdown_timeout),
        on_stopping=lambda: _stopping(console, shutdown_timeout, jobs_grace),
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        access_log=False,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=http_grace,
    )
    server = uvicorn.Server(config)
    received: list[int] = []
    previous = {sig: signal.signal(sig, _remember(received)) for sig in _STOP_SIGNALS}
    try:
        server.run()
    except SystemExit:  # uvicorn's way of saying it could not listen (it logged why)
        fail(f"could not serve on {host}:{port}: {NOT_LISTENING}")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        context.close()
    if not server.started and not received:
        fail(f"could not serve on {host}:{port}: {NOT_LISTENING}")
    raise typer.Exit(EXIT_INTERRUPTED if signal.SIGINT in received else EXIT_OK)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _remember(received: list[int]) -> Callable[[int, FrameType | None], None]:
    def handler(sig: int, _frame: FrameType | None) -> None:
        received.append(sig)

    return handler


def _stopping(console: Console, timeout: float, jobs_grace: float) -> None:
    """The server begins to stop: say so, and end the process if it overruns the bound."""
    console.print(f"Stopping: running syncs stop between pages (at most {timeout:.0f} s).")
    watchdog = threading.Timer(jobs_grace + WATCHDOG_SLACK_S, os._exit, args=(EXIT_FAILED,))
    watchdog.daemon = True
    watchdog.start()


def print_started(console: Console, url: str, info: ServeInfo, timeout: float) -> None:
    """The start-up printout: where it listens, the database, what is scheduled (80 columns)."""
    console.print(f"bigsync serve on [bold]{url}[/bold]", highlight=False)
    public = info.public_url or "not set (BIGSYNC_PUBLIC_URL: needed for webhooks)"
    console.print(f"  public URL: {public}", highlight=False, markup=False)
    console.print(f"  database:   {info.database}", highlight=False, markup=False, overflow="fold")
    if info.needs_setup:
        console.print(f"  first run:  open {url}/setup to create the admin", highlight=False)
    elif info.needs_setup is False:
        console.print(f"  web app:    {url}/login", highlight=False)
    syncs = [job for job in info.jobs if job.kind == "sync"]
    noun = "connection" if len(syncs) == 1 else "connections"
    console.print(f"  scheduled:  {len(syncs)} {noun}", highlight=False)
    now = datetime.now(UTC)
    for job in syncs[:20]:
        when = "running" if job.running else _until(job.next_run_at, now)
        name = job.connection if len(job.connection) <= 40 else job.connection[:39] + "…"
        console.print(f"    {name:<40} next sync {when}", highlight=False, markup=False)
    if len(syncs) > 20:
        console.print(f"    … and {len(syncs) - 20} more (bigsync status)", highlight=False)
    console.print(f"Stop with Ctrl-C or SIGTERM (at most {timeout:.0f} s).", highlight=False)


def _until(moment: datetime, now: datetime) -> str:
    seconds = (moment - now).total_seconds()
    if seconds < 1:
        return "now"
    if seconds < 60:
        return f"in {int(seconds)} s"
    if seconds < 3600:
        return f"in {int(seconds // 60)} min"
    return f"in {seconds / 3600:.1f} h"


def _console() -> Console:
    from rich.console import Console  # noqa: PLC0415 -- lazy: see the module doc

    return Console()  # long paths fold at the terminal's width


def register(app: typer.Typer) -> None:
    """Add this command to the main `bigsync` app."""
    app.command()(serve)
