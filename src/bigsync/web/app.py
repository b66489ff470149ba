"""The ASGI app of `bigsync serve`: health routes, the pages and the `/api/v1` API (their
routers are listed in `web/pages/__init__.py` and `web/api/__init__.py`), `/static`, the
routers it is given (webhooks, app install), and a lifespan that opens the database and
vault and runs the scheduler on the server's event loop.

    app = create_app(routers=[webhooks.router, oauth.router])

Only the health checks, the routers given (which authenticate by their own means: webhook
secrets, signed payloads), `/static`, `/login` and `/setup` (before the first user) answer
without a session or API token; `tests/web/test_route_access.py` walks every route.

Stopping (the server's SIGTERM/SIGINT): the lifespan's exit stops the scheduler, which takes
no new work and cancels running jobs between pages, within `shutdown_grace_s`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from bigsync.accounts import AccountService
from bigsync.config import Settings, get_settings
from bigsync.jobs.context import JobContext
from bigsync.jobs.model import JobSpec
from bigsync.jobs.queue import QueueNudge, build_queue
from bigsync.jobs.scheduler import JobView, Scheduler, SchedulerOptions
from bigsync.jobs.source import DatabaseScheduleStore, connection_store
from bigsync.jobs.tasks import DEFAULT_JOBS
from bigsync.store.db import describe_database, libpq_conninfo
from bigsync.web import api, health, openapi, pages
from bigsync.web.auth import LoginRequired
from bigsync.web.cookies import CookieMiddleware
from bigsync.web.deps import Hub
from bigsync.web.problems import install_handlers
from bigsync.web.templating import STATIC

log = logging.getLogger(__name__)

STARTUP_LOOK_S = 10.0  # at most this long for the scheduler's first look at the connections


@dataclass(frozen=True)
class ServeInfo:
    """What a started app tells its runner (the `bigsync serve` printout)."""

    database: str
    public_url: str | None
    runs_jobs: bool
    jobs: tuple[JobView, ...]
    # No user yet: the first visit creates the admin on /setup (None: unknown, the
    # database is not at this bigsync's schema; /readyz says so).
    needs_setup: bool | None = False


def _report_crash(task: asyncio.Task[None]) -> None:
    """Log a scheduler loop that ended by an error (`/readyz` says it is not running)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the scheduler stopped", exc_info=task.exception())


async def _open_queue(ctx: JobContext) -> tuple[Any, QueueNudge]:
    """The job queue of worker mode, open, and the nudge that queues jobs on it."""
    queue = build_queue(libpq_conninfo(ctx.settings.resolved_database_url))
    await queue.open_async()
    store_of = partial(connection_store, ctx.engine)
    return queue, QueueNudge(queue, asyncio.get_running_loop(), store_of=store_of)


def create_app(
    *,
    settings: Settings | None = None,
    routers: Sequence[APIRouter] = (),
    jobs: Mapping[str, JobSpec] | None = None,
    run_jobs: bool = True,
    migrate: bool = True,
    scheduler_options: SchedulerOptions | None = None,
    shutdown_grace_s: float = 20.0,
    context: JobContext | None = None,
    on_ready: Callable[[ServeInfo], None] | None = None,
    on_stopping: Callable[[], None] | None = None,
    queue_jobs: bool = False,
) -> FastAPI:
    """The app. `context` (tests) replaces the database and vault of `settings`; `on_ready`
    is called once the scheduler has looked at the connections, `on_stopping` when the
    server begins to stop. `queue_jobs` (with `run_jobs=False`, on PostgreSQL): nudges
    queue jobs for `bigsync worker` processes."""
    table = DEFAULT_JOBS if jobs is None else jobs

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = context or JobContext.open(settings or get_settings(), migrate_schema=migrate)
        scheduler = None
        if run_jobs:
            store = DatabaseScheduleStore(ctx.engine)
            scheduler = Scheduler(ctx, jobs=table, store=store, options=scheduler_options)
        queue = await _open_queue(ctx) if queue_jobs and not run_jobs else None
        enqueue = queue[1] if queue else None
        app.state.hub = Hub(jobs=ctx, scheduler=scheduler, runs_jobs=run_jobs, enqueue=enqueue)
        loop_task = asyncio.create_task(scheduler.run()) if scheduler else None
        if loop_task is not None:
            loop_task.add_done_callback(_report_crash)
        try:
            if scheduler is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(scheduler.wait_started(), STARTUP_LOOK_S)
            if on_ready is not None:
                views = tuple(scheduler.snapshot()) if scheduler else ()
                on_ready(
                    ServeInfo(
                        describe_database(ctx.engine),
                        ctx.settings.public_url,
                        run_jobs,
                        views,
                        needs_setup=_needs_setup(app, ctx),
                    )
                )
            yield
        finally:
            if on_stopping is not None:
                on_stopping()
            if scheduler is not None and loop_task is not None:
                await scheduler.stop(grace_s=shutdown_grace_s)
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(loop_task, timeout=1.0)
            if queue is not None:
                await queue[1].drain()
                await queue[0].close_async()
            if context is None:
                ctx.close()

    app = FastAPI(
        title="bigsync",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by `web.openapi`, authenticated, for /api/v1 only
    )
    app.include_router(health.router, include_in_schema=False)
    for router in routers:
        app.include_router(router, include_in_schema=False)
    for router in pages.ROUTERS:
        app.include_router(router)
    for router in api.ROUTERS:
        app.include_router(router, dependencies=[Depends(openapi.reject_unknown_query)])
    app.include_router(openapi.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_handlers(app)
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_middleware(CookieMiddleware, headers=SECURITY_HEADERS)
    return app


# Pages load nothing from elsewhere and run no inline script; the control panel of
# BigCommerce may frame them (the app's page opens there).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'; frame-ancestors 'self' https://*.bigcommerce.com "
        "https://*.mybigcommerce.com"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def _to_login(request: Request, exc: Exception) -> Response:
    """A page without a session: to the login (back to the page afterwards), or to the
    first-run setup while the hub has no user."""
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    from bigsync.web.auth import get_accounts, login_url  # noqa: PLC0415
    from bigsync.web.flash import redirect  # noqa: PLC0415

    assert isinstance(exc, LoginRequired)
    if await run_in_threadpool(get_accounts(request).needs_setup):
        return redirect("/setup")
    return redirect(login_url(exc.next_url))


def _needs_setup(app: FastAPI, ctx: JobContext) -> bool | None:
    accounts = getattr(app.state, "accounts", None) or AccountService(ctx.engine)
    try:
        return bool(accounts.needs_setup())
    except Exception:  # a schema behind or a database away: /readyz reports it
        return None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("bigsync")
    except PackageNotFoundError:  # pragma: no cover -- a checkout that was never installed
        return "0"
