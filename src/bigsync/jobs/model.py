"""The values the scheduler and the job functions share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from bigsync.jobs.context import JobContext

OutcomeStatus = Literal["ok", "warning", "idle", "busy", "failed"]


@dataclass(frozen=True)
class JobOutcome:
    """How one run of a job went.

    `ok`, `warning` (done, with something for the user to fix) and `idle` (nothing to do) are
    successes: the job runs again at its next time. `busy`: another process is doing it (a
    `bigsync sync` from the terminal), try again soon. `failed`: back off, and show `message`.
    A job function that raises a `BigsyncError` failed with the error's message."""

    status: OutcomeStatus
    message: str = ""
    # What the run did, for metrics (a sync's `records` and `changed`); empty by default.
    figures: Mapping[str, int] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status in ("ok", "warning", "idle")


JobFunction = Callable[..., Awaitable[JobOutcome]]
"""`async def job(ctx: JobContext, connection_id: int, **arguments) -> JobOutcome`."""


@dataclass(frozen=True)
class JobSpec:
    """One kind of job in the scheduler's table: the function, how often it runs per
    connection (None: the connection's own sync interval), which connections it is for (any
    of `features` active; empty: every connection whose test passed) and the arguments it is
    called with besides the connection id.

    `with_work`, for a job that has nothing to do unless work waits (the outbox): the
    connections with work at a moment. Worker mode's tick queues the job only for those (a
    queued job costs a round trip through the queue; the in-process scheduler runs the
    function, which finds nothing to do in one query)."""

    function: JobFunction
    every: timedelta | None = None
    features: frozenset[str] = frozenset()
    arguments: Mapping[str, Any] = field(default_factory=dict)
    with_work: Callable[[JobContext, datetime], set[int]] | None = None

    def applies_to(self, connection: ScheduledConnection) -> bool:
        """Whether this job runs for `connection`."""
        return not self.features or bool(self.features & connection.features)


@dataclass(frozen=True)
class ScheduledConnection:
    """A connection as the scheduler sees it: `ready` once its test passed."""

    id: int
    name: str
    ready: bool
    features: frozenset[str] = frozenset()
    sync_every: timedelta | None = None  # None: the scheduler's default
    # Changes with every edit or test of the connection (its `updated_at`): an edit after
    # failures (a new token, say) is worth a try at once.
    version: Hashable = None
    # The store it talks to (`bigcommerce.store_key`): worker mode's fleet lock.
    store: str = ""


class Nudge(Protocol):
    """What the webhook receiver and the write paths call to have a job run soon."""

    def __call__(self, kind: str, connection_id: int, *, delay_s: float = 0.0) -> None: ...


class JobRunner(Protocol):
    """A job function as the scheduler calls it."""

    def __call__(
        self, ctx: JobContext, connection_id: int, /, **arguments: Any
    ) -> Awaitable[JobOutcome]: ...
