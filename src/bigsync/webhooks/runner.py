"""`RefreshRunner`: runs the queued refreshes soon after the receiver queues one.

The receiver calls `nudge()` (from any thread) after it recorded a delivery with a target; the
runner waits for deliveries to pause (`debounce`, at most `max_delay`) so that a burst for one
record coalesces into one refresh, then calls `run_pending_refreshes`. Without nudges it still
runs every `interval` (refreshes postponed after failures, nudges lost to a restart: the queue
is durable). A scheduler that prefers to own the timing calls `run_pending_refreshes` itself
and uses `nudge` only to be woken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from bigsync.bigcommerce import ClientOptions
from bigsync.connections import ConnectionService
from bigsync.webhooks.refresh import RefreshReport, run_pending_refreshes

log = logging.getLogger(__name__)


class RefreshRunner:
    """Background refreshes on one event loop (start it inside that loop)."""

    def __init__(
        self,
        service: ConnectionService,
        *,
        debounce: float = 0.05,
        max_delay: float = 0.25,
        interval: float = 30.0,
        client_options: ClientOptions | None = None,
    ) -> None:
        self.service = service
        self.debounce = debounce
        self.max_delay = max_delay
        self.interval = interval
        self.client_options = client_options
        self.total = RefreshReport()
        self.runs = 0
        self.paused = False  # True: nudges are noted, refreshes wait (tests, maintenance)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._last_nudge = 0.0
        self._task: asyncio.Task[None] | None = None

    def nudge(self, connection_id: int | None = None) -> None:
        """A refresh was queued (for `connection_id`): run soon. Safe from any thread."""
        self._last_nudge = time.monotonic()
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        """Start the background loop on the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run_forever(), name="bigsync-refreshes")

    async def stop(self) -> None:
        """Stop after the refresh in progress (its page of writes is one transaction)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> RefreshReport:
        """Refresh everything due now."""
        report = await run_pending_refreshes(self.service, client_options=self.client_options)
        self.total += report
        self.runs += 1
        return report

    async def _run_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            if self.paused:
                continue
            await self._settle()
            try:
                await self.run_once()
            except Exception:  # the loop must outlive one failed run; the queue keeps the work
                log.exception("targeted refreshes failed; they stay queued")

    async def _settle(self) -> None:
        """Wait until nudges pause for `debounce`, or `max_delay` has passed."""
        started = time.monotonic()
        while time.monotonic() - started < self.max_delay:
            quiet = time.monotonic() - self._last_nudge
            if quiet >= self.debounce:
                return
            await asyncio.sleep(self.debounce - quiet)
