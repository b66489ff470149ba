"""The scheduler with a clock the test moves: intervals on deterministic per-connection slots,
back-off, one run per connection, isolation of a failing connection, nudges, restarts."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bigsync.jobs.model import JobOutcome, JobSpec, ScheduledConnection
from bigsync.jobs.scheduler import INTERRUPTED, Scheduler, SchedulerOptions
from bigsync.jobs.timing import MIN_GAP, backoff_delay, next_run_after, next_slot, phase_fraction
from bigsync.store.schedule_repository import ScheduleRow
from tests.jobs.fakes import T0, ManualTime, MemoryStore, Recorder, inline, ready, settle

MIN = timedelta(minutes=1)
OPTIONS = SchedulerOptions(
    poll_every=timedelta(seconds=2),
    sync_every=timedelta(minutes=15),
    backoff_base=MIN,
    backoff_cap=timedelta(minutes=8),
    busy_retry=timedelta(seconds=30),
    max_running=8,
)


class Harness:
    def __init__(self, *, options: SchedulerOptions = OPTIONS, store: MemoryStore | None = None):
        self.time = ManualTime()
        self.store = store or MemoryStore()
        self.job = Recorder(self.time)
        self.options = options
        self.scheduler = self.make()
        self.task: asyncio.Task[None] | None = None

    def make(self, **jobs: JobSpec) -> Scheduler:
        return Scheduler(
            None,
            jobs=jobs or {"sync": JobSpec(self.job)},
            store=self.store,
            options=self.options,
            clock=self.time.clock,
            sleep=self.time.sleep,
            run_blocking=inline,
        )

    async def start(self) -> None:
        self.task = asyncio.create_task(self.scheduler.run())
        await settle()

    async def stop(self) -> None:
        await self.scheduler.stop(grace_s=1)
        await settle()
        if self.task is not None:
            self.task.cancel()


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    yield h
    await h.stop()


def slots(
    connection_id: int, every: timedelta, start: Any, until: Any, kind: str = "sync"
) -> list[Any]:
    """The runs after one at `start` (jobs that take no time), up to `until`."""
    times: list[Any] = []
    moment = start
    while True:
        moment = next_run_after(connection_id, every, finished=moment, kind=kind)
        if moment > until:
            return times
        times.append(moment)


# --- pure timing ------------------------------------------------------------------------------


def test_phase_is_fixed_per_connection_and_spreads_over_the_interval() -> None:
    digest = hashlib.blake2b(b"sync:42", digest_size=8).digest()
    assert phase_fraction(42) == int.from_bytes(digest, "big") / 2**64  # no process state
    assert phase_fraction(42) != phase_fraction(42, "webhook_upkeep")
    deciles = {int(phase_fraction(i) * 10) for i in range(1, 201)}
    assert deciles == set(range(10))  # 200 stores start in every tenth of the interval


def test_next_slot_is_on_the_connections_grid() -> None:
    every = timedelta(minutes=15)
    first = next_slot(7, every, after=T0)
    assert T0 < first <= T0 + every
    assert next_slot(7, every, after=first) == first + every
    assert next_slot(7, every, after=first - timedelta(microseconds=1)) == first
    assert next_slot(7, every, after=first + timedelta(minutes=3)) == first + every
    assert next_slot(7, timedelta(0), after=T0) == T0


def test_the_next_run_is_at_least_half_an_interval_after_the_last() -> None:
    every = timedelta(minutes=15)
    for connection_id in range(1, 201):
        finished = T0 + timedelta(seconds=connection_id * 7)
        after = next_run_after(connection_id, every, finished=finished)
        assert finished + every * MIN_GAP < after <= finished + every * (1 + MIN_GAP)
        grid = next_slot(connection_id, every, after=after - timedelta(microseconds=1))
        assert grid == after  # still on the connection's own slots
    # A run that ended on its slot keeps to its grid: the next slot, one interval on.
    slot = next_slot(9, every, after=T0)
    assert next_run_after(9, every, finished=slot + timedelta(minutes=2)) == slot + every


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [backoff_delay(n, base=MIN, cap=timedelta(minutes=8)) for n in range(7)]
    assert delays == [timedelta(0), MIN, 2 * MIN, 4 * MIN, 8 * MIN, 8 * MIN, 8 * MIN]
    assert backoff_delay(10_000, base=MIN, cap=timedelta(hours=1)) == timedelta(hours=1)


# --- intervals --------------------------------------------------------------------------------


async def test_first_run_at_once_then_on_its_slots(harness: Harness) -> None:
    harness.store.put(ready(1))
    harness.store.put(ready(2, every=timedelta(minutes=5)))
    await harness.start()
    assert sorted(harness.job.calls) == [(1, T0), (2, T0)]  # initial syncs start by themselves
    await harness.time.advance(timedelta(hours=1))
    fifteen, five = timedelta(minutes=15), timedelta(minutes=5)
    end = T0 + timedelta(hours=1)
    assert harness.job.times(1) == [T0, *slots(1, fifteen, T0, end)]
    assert harness.job.times(2) == [T0, *slots(2, five, T0, end)]
    assert len(harness.job.times(1)) >= 4


async def test_a_first_sync_is_not_followed_by_another_seconds_later(harness: Harness) -> None:
    every = timedelta(minutes=15)
    slot = next_slot(18, every, after=T0)
    assert slot - T0 < timedelta(seconds=5)  # connection 18's grid has a slot just after T0
    harness.store.put(ready(18))
    await harness.start()
    await harness.time.advance(every * MIN_GAP)
    assert harness.job.times(18) == [T0]
    await harness.time.advance(every)
    assert harness.job.times(18) == [T0, slot + every]


async def test_the_same_connections_get_the_same_times_in_another_process() -> None:
    runs = []
    for _ in range(2):
        h = Harness()
        for i in range(1, 6):
            h.store.put(ready(i))
        await h.start()
        await h.time.advance(timedelta(minutes=40))
        runs.append(sorted(h.job.calls))
        await h.stop()
    assert runs[0] == runs[1]
    second_runs = sorted(t for c, t in runs[0] if t != T0)
    assert len(set(second_runs)) == len(second_runs)  # no two stores at the same moment


async def test_a_connection_added_later_starts_within_a_poll(harness: Harness) -> None:
    await harness.start()
    await harness.time.advance(timedelta(minutes=3))
    assert harness.job.calls == []
    harness.store.put(ready(5))
    await harness.time.advance(timedelta(seconds=2))
    assert harness.job.times(5) == [T0 + timedelta(minutes=3, seconds=2)]


async def test_only_connections_whose_test_passed_and_only_while_they_exist(
    harness: Harness,
) -> None:
    harness.store.put(ready(1))
    harness.store.put(ScheduledConnection(id=2, name="untested", ready=False))
    await harness.start()
    assert harness.job.times(2) == []
    harness.store.remove(1)
    await harness.time.advance(timedelta(hours=1))
    assert harness.job.times(1) == [T0]


async def test_a_new_interval_takes_effect_without_a_restart(harness: Harness) -> None:
    harness.store.put(ready(1))
    await harness.start()
    harness.store.put(ready(1, every=timedelta(minutes=2)))
    await harness.time.advance(timedelta(minutes=10))
    assert len(harness.job.times(1)) >= 5


async def test_jobs_with_their_own_cadence_and_features(harness: Harness) -> None:
    upkeep = Recorder(harness.time)
    harness.scheduler = harness.make(
        sync=JobSpec(harness.job),
        webhook_upkeep=JobSpec(upkeep, every=timedelta(hours=1), features=frozenset({"webhooks"})),
    )
    harness.store.put(ready(1, features=frozenset({"webhooks"})))
    harness.store.put(ready(2))
    await harness.start()
    await harness.time.advance(timedelta(hours=2))
    end = T0 + timedelta(hours=2)
    upkeeps = slots(1, timedelta(hours=1), T0, end, kind="webhook_upkeep")
    assert upkeep.calls == [(1, t) for t in [T0, *upkeeps]]
    assert harness.job.times(2) == [T0, *slots(2, timedelta(minutes=15), T0, end)]


# --- failures ---------------------------------------------------------------------------------


async def test_failing_connection_backs_off_and_the_others_go_on(harness: Harness) -> None:
    harness.job.outcomes[1] = [JobOutcome("failed", "the store refused the token")] * 6
    harness.store.put(ready(1))
    harness.store.put(ready(2))
    await harness.start()
    await harness.time.advance(timedelta(minutes=45))
    times = harness.job.times(1)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[:6] == [MIN, 2 * MIN, 4 * MIN, 8 * MIN, 8 * MIN, 8 * MIN]
    end = T0 + timedelta(minutes=45)
    assert harness.job.times(2) == [T0, *slots(2, timedelta(minutes=15), T0, end)]
    row = harness.store.state[(1, "sync")]
    assert (row.last_outcome, row.last_error, row.failures) == ("ok", None, 0)
    [view] = [v for v in harness.scheduler.snapshot() if v.connection_id == 1]
    assert view.failures == 0


async def test_the_reason_of_a_failure_is_saved(harness: Harness) -> None:
    harness.job.outcomes[1] = [JobOutcome("failed", "the store refused the token")] * 3
    harness.store.put(ready(1))
    await harness.start()
    await harness.time.advance(timedelta(minutes=2))
    row = harness.store.state[(1, "sync")]
    assert row.failures == 2
    assert row.last_error == "the store refused the token"
    assert row.last_finished_at is not None
    assert row.next_run_at == row.last_finished_at + 2 * MIN


async def test_an_edit_after_failures_is_tried_at_once(harness: Harness) -> None:
    harness.job.outcomes[1] = [JobOutcome("failed", "the store refused the token")] * 4
    harness.store.put(ready(1, version=1))
    await harness.start()
    await harness.time.advance(timedelta(minutes=4))  # failed at 0, 1 and 3 min: next at 7
    assert len(harness.job.times(1)) == 3
    harness.store.put(ready(1, version=1, every=timedelta(minutes=30)))  # no edit of note
    await harness.time.advance(timedelta(seconds=2))
    assert len(harness.job.times(1)) == 3
    harness.store.put(ready(1, version=2))  # `connect --update --token -`, then a test
    await harness.time.advance(timedelta(seconds=2))
    assert harness.job.times(1)[-1] == T0 + timedelta(minutes=4, seconds=4)


async def test_a_crashing_job_is_a_failure_not_the_end_of_the_scheduler(harness: Harness) -> None:
    calls: list[int] = []

    async def broken(_ctx: Any, connection_id: int) -> JobOutcome:
        calls.append(connection_id)
        if connection_id == 1:
            raise RuntimeError("a bug")
        return JobOutcome("ok")

    harness.scheduler = harness.make(sync=JobSpec(broken))
    harness.store.put(ready(1))
    harness.store.put(ready(2))
    await harness.start()
    await harness.time.advance(timedelta(minutes=16))
    assert calls.count(2) == 2
    assert harness.store.state[(1, "sync")].last_error == "RuntimeError: a bug"
    assert harness.scheduler.is_running


async def test_busy_elsewhere_is_retried_soon_without_back_off(harness: Harness) -> None:
    harness.job.outcomes[1] = [JobOutcome("busy", "another sync is running")] * 2
    harness.store.put(ready(1))
    await harness.start()
    await harness.time.advance(timedelta(minutes=1))
    assert harness.job.times(1) == [T0, T0 + timedelta(seconds=30), T0 + timedelta(seconds=60)]
    assert harness.store.state[(1, "sync")].failures == 0


async def test_database_down_keeps_the_loop_alive(harness: Harness) -> None:
    harness.store.fail_reads = True
    await harness.start()
    assert harness.scheduler.last_poll_error == "OSError: database is down"
    harness.store.fail_reads = False
    harness.store.put(ready(1))
    await harness.time.advance(timedelta(seconds=2))
    assert harness.scheduler.last_poll_error is None
    assert harness.job.times(1) == [T0 + timedelta(seconds=2)]


# --- one run at a time, nudges ----------------------------------------------------------------


async def test_one_run_per_connection_and_nudges_while_running_make_one_more(
    harness: Harness,
) -> None:
    harness.job.hold = True
    harness.store.put(ready(1))
    await harness.start()
    for _ in range(50):
        harness.scheduler.nudge("sync", 1)
    await harness.time.advance(timedelta(hours=1))  # far past its interval: still running
    assert harness.job.times(1) == [T0]
    harness.job.gate.set()
    await settle()
    assert len(harness.job.times(1)) == 2  # one more run right after, for all 50 nudges
    assert harness.job.most_at_once[1] == 1


async def test_nudges_before_a_run_coalesce_into_one(harness: Harness) -> None:
    harness.store.put(ready(1))
    await harness.start()
    await harness.time.advance(timedelta(minutes=1))
    for _ in range(1000):
        harness.scheduler.nudge("sync", 1, delay_s=0.5)
        harness.scheduler.nudge("sync", 99)  # not scheduled: ignored
        harness.scheduler.nudge("unknown", 1)
    await harness.time.advance(timedelta(seconds=0.4))
    assert len(harness.job.times(1)) == 1
    await harness.time.advance(timedelta(seconds=0.2))
    assert harness.job.times(1)[1:] == [T0 + timedelta(minutes=1, seconds=0.5)]
    await harness.time.advance(timedelta(seconds=10))
    assert len(harness.job.times(1)) == 2


async def test_a_nudge_from_another_thread(harness: Harness) -> None:
    harness.store.put(ready(1))
    await harness.start()
    await asyncio.to_thread(harness.scheduler.nudge, "sync", 1)
    await settle()
    assert len(harness.job.times(1)) == 2


async def test_a_nudge_does_not_cut_a_back_off_short(harness: Harness) -> None:
    harness.job.outcomes[1] = [JobOutcome("failed", "down")] * 2
    harness.store.put(ready(1))
    await harness.start()
    harness.scheduler.nudge("sync", 1)
    await harness.time.advance(timedelta(seconds=59))
    assert harness.job.times(1) == [T0]
    await harness.time.advance(timedelta(seconds=1))
    assert harness.job.times(1) == [T0, T0 + MIN]


async def test_at_most_max_running_at_once() -> None:
    h = Harness(options=SchedulerOptions(max_running=3, poll_every=timedelta(seconds=2)))
    h.job.hold = True
    for i in range(1, 11):
        h.store.put(ready(i))
    await h.start()
    await h.time.advance(timedelta(seconds=10))
    assert len(h.job.calls) == 3
    h.job.gate.set()
    await settle(200)
    assert len(h.job.calls) == 10
    await h.stop()


# --- stop and restart -------------------------------------------------------------------------


async def test_stop_cancels_running_jobs_and_a_restart_runs_them_at_once() -> None:
    h = Harness()
    h.job.hold = True
    h.store.put(ready(1))
    await h.start()
    assert await h.scheduler.stop(grace_s=1)
    await settle()
    assert h.job.cancelled == [1]
    row = h.store.state[(1, "sync")]
    assert (row.last_outcome, row.last_error) == ("interrupted", INTERRUPTED)
    assert h.task is not None
    assert h.task.done()
    for _ in range(50):
        h.scheduler.nudge("sync", 1)  # a stopped scheduler starts nothing
    await settle()
    assert len(h.job.calls) == 1

    again = Harness(store=h.store)
    again.time.now = T0 + timedelta(minutes=3)
    await again.start()
    assert again.job.times(1) == [T0 + timedelta(minutes=3)]
    await again.stop()


async def test_a_restart_keeps_the_schedule_and_the_back_off() -> None:
    every = timedelta(minutes=15)
    store = MemoryStore()
    store.put(ready(1))
    store.put(ready(2))
    finished = T0 - timedelta(minutes=1)
    store.state[(1, "sync")] = ScheduleRow(
        1, "sync", next_run_at=T0 + timedelta(minutes=6), last_started_at=finished,
        last_finished_at=finished, last_outcome="ok",
    )  # fmt: skip
    store.state[(2, "sync")] = ScheduleRow(
        2, "sync", next_run_at=finished + 4 * MIN, last_started_at=finished,
        last_finished_at=finished, last_outcome="failed", last_error="down", failures=3,
    )  # fmt: skip
    h = Harness(store=store)
    await h.start()
    assert h.job.calls == []
    await h.time.advance(timedelta(minutes=10))
    assert h.job.times(1) == [T0 + timedelta(minutes=6)]
    assert h.job.times(2)[0] == finished + 4 * MIN  # 3 failures: 4 min after the last
    assert store.state[(1, "sync")].next_run_at == next_run_after(1, every, finished=T0 + 6 * MIN)
    await h.stop()


async def test_a_process_killed_mid_run_is_resumed_at_start() -> None:
    store = MemoryStore()
    store.put(ready(1))
    store.state[(1, "sync")] = ScheduleRow(
        1, "sync", next_run_at=T0 + timedelta(minutes=14), last_started_at=T0 - MIN,
        last_finished_at=T0 - timedelta(minutes=20), last_outcome=None,
    )  # fmt: skip
    h = Harness(store=store)
    await h.start()
    assert h.job.times(1) == [T0]
    await h.stop()
