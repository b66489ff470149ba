"""`bigsync jobs`: the job queue of worker mode (PostgreSQL) — list, retry, cancel.

    bigsync jobs [--status failed] [--kind sync] [--limit 50] [--json]
    bigsync jobs retry ID      run that job's work again, now
    bigsync jobs cancel ID     cancel a waiting job; ask a running one to stop

Everything heavy is imported inside the commands (see `bigsync.cli.service`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bigsync.cli.service import JSON_HELP, fail

if TYPE_CHECKING:
    from bigsync.jobs.queue import QueuedJob

jobs_app = typer.Typer(
    help="The job queue of worker mode (bigsync worker, PostgreSQL).",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _conninfo() -> tuple[str, dict[int, str]]:
    """The queue's database (libpq form) and the connections' names by id."""
    conninfo, views = _queue_and_connections()
    return conninfo, {view.id: view.name for view in views}


def _queue_and_connections() -> tuple[str, list[Any]]:
    """The queue's database (libpq form) and the connections (`ConnectionView`s)."""
    from bigsync.cli.service import open_service  # noqa: PLC0415
    from bigsync.config import get_settings  # noqa: PLC0415
    from bigsync.errors import ConfigError  # noqa: PLC0415
    from bigsync.store.db import libpq_conninfo  # noqa: PLC0415

    settings = get_settings()
    try:
        conninfo = libpq_conninfo(settings.resolved_database_url)
    except ConfigError as error:
        fail(str(error))
    with open_service(settings=settings) as service:
        views = service.list()
    return conninfo, views


def _run(coroutine: Any) -> Any:
    from bigsync.errors import BigsyncError  # noqa: PLC0415

    try:
        return asyncio.run(coroutine)
    except BigsyncError as error:
        fail(str(error))
    except OSError as error:  # the database went away
        fail(f"the job queue cannot be reached: {type(error).__name__}")


def _when(moment: str | None) -> str:
    """A scheduled time: "in 3 min" ahead, "3 min ago" past, "" for none (at once)."""
    from datetime import UTC, datetime  # noqa: PLC0415

    from bigsync.cli.when import ago  # noqa: PLC0415

    if moment is None:
        return ""
    now = datetime.now(UTC)
    ahead = (datetime.fromisoformat(moment) - now).total_seconds()
    if ahead <= 0:
        return ago(moment, now=now)
    return f"in {int(ahead)} s" if ahead < 60 else f"in {int(ahead // 60)} min"


def _row(job: QueuedJob, names: dict[int, str]) -> list[object]:
    connection = names.get(job.connection_id, f"#{job.connection_id}") if job.connection_id else "-"
    return [job.id, job.kind, connection, job.status, job.attempts, _when(job.scheduled_at)]


@jobs_app.callback()
def jobs(
    ctx: typer.Context,
    *,
    status: Annotated[
        str | None, typer.Option(help="Only jobs in this state (todo, doing, failed, ...).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind (sync, ...).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    json_output: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List the newest jobs of the queue."""
    if ctx.invoked_subcommand is not None:
        return
    from bigsync.cli.hub import echo_json, print_table  # noqa: PLC0415
    from bigsync.jobs.queue import JOB_STATES, list_jobs  # noqa: PLC0415

    if status is not None and status not in JOB_STATES:
        fail(f"--status is one of {', '.join(JOB_STATES)}")
    conninfo, names = _conninfo()
    found = _run(list_jobs(conninfo, status=status, kind=kind, limit=limit))
    if json_output:
        echo_json([{**job.to_json(), "connection": names.get(job.connection_id)} for job in found])
        return
    print_table(
        None,
        ["ID", "KIND", "CONNECTION", "STATUS", "TRIES", "SCHEDULED"],
        [_row(job, names) for job in found],
        right=["ID", "TRIES"],
        cut=["CONNECTION"],
        empty="no jobs in the queue (bigsync worker queues them)",
    )


@jobs_app.command("retry")
def retry(
    job_id: Annotated[int, typer.Argument(metavar="ID", help="The job's id (bigsync jobs).")],
    *,
    json_output: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Run a job's work again, now (a failed or cancelled job, say)."""
    from bigsync.bigcommerce import store_key  # noqa: PLC0415
    from bigsync.cli.hub import echo_json, say  # noqa: PLC0415
    from bigsync.jobs.queue import retry_job  # noqa: PLC0415

    conninfo, views = _queue_and_connections()
    names = {view.id: view.name for view in views}
    stores = {view.id: store_key(view.api_url, view.store_hash) for view in views}
    job = _run(retry_job(conninfo, job_id, stores=stores))
    if json_output:
        echo_json(job.to_json())
        return
    name = names.get(job.connection_id, f"#{job.connection_id}")
    say(f"{job.kind} of {name} queued as job {job.id}")


@jobs_app.command("cancel")
def cancel(
    job_id: Annotated[int, typer.Argument(metavar="ID", help="The job's id (bigsync jobs).")],
) -> None:
    """Cancel a waiting job, or ask a running one to stop between pages."""
    from bigsync.cli.hub import say  # noqa: PLC0415
    from bigsync.jobs.queue import cancel_job  # noqa: PLC0415

    conninfo, _names = _conninfo()
    if _run(cancel_job(conninfo, job_id)):
        say(f"job {job_id} cancelled (a running job stops between pages)")
    else:
        fail(f"job {job_id} has already ended; `bigsync jobs retry {job_id}` runs it again")


def register(app: typer.Typer) -> None:
    """Add these commands to the main `bigsync` app."""
    app.add_typer(jobs_app, name="jobs")
