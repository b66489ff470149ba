"""The keyset bookmark: pure functions, tested without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bigsync.sync import bookmark
from bigsync.sync.bookmark import Checkpoint

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_start_reads_everything_on_a_full_or_first_sync() -> None:
    assert bookmark.start(None, started_at=at(100), full=False).full
    assert bookmark.start(at(50), started_at=at(100), full=True).bound is None


def test_start_is_the_cursor_minus_the_overlap_inclusive() -> None:
    cp = bookmark.start(at(500), started_at=at(900), full=False, overlap=timedelta(seconds=60))
    assert (cp.bound, cp.page, cp.full) == (at(440), 1, False)


def test_advance_moves_the_bound_to_the_newest_record_of_a_full_page() -> None:
    cp = Checkpoint(started_at=at(1000), bound=at(0))
    nxt, done = bookmark.advance(cp, [at(1), at(2), at(5)], page_size=3)
    assert not done
    assert (nxt.bound, nxt.page, nxt.max_seen) == (at(5), 1, at(5))


def test_advance_pages_through_a_tie_group_that_fills_a_page() -> None:
    cp = Checkpoint(started_at=at(1000), bound=at(7))
    nxt, done = bookmark.advance(cp, [at(7)] * 3, page_size=3)
    assert not done
    assert (nxt.bound, nxt.page) == (at(7), 2)
    after, _ = bookmark.advance(nxt, [at(7), at(7), at(9)], page_size=3)
    assert (after.bound, after.page) == (at(9), 1)


def test_advance_is_done_on_a_short_or_empty_page() -> None:
    cp = Checkpoint(started_at=at(1000), bound=at(0), max_seen=at(3))
    nxt, done = bookmark.advance(cp, [at(4)], page_size=3)
    assert done
    assert nxt.max_seen == at(4)
    nxt, done = bookmark.advance(cp, [], page_size=3)
    assert done
    assert nxt.max_seen == at(3)


def test_final_cursor_is_capped_at_the_start_of_the_run() -> None:
    cp = Checkpoint(started_at=at(100), bound=at(0), max_seen=at(150))
    assert bookmark.final_cursor(cp, at(10)) == at(100)


def test_final_cursor_never_moves_back_in_an_incremental_run() -> None:
    cp = Checkpoint(started_at=at(100), bound=at(0), max_seen=at(20))
    assert bookmark.final_cursor(cp, at(50)) == at(50)
    assert bookmark.final_cursor(Checkpoint(started_at=at(100)), at(50)) == at(50)


def test_final_cursor_of_a_full_run_is_what_it_saw() -> None:
    cp = Checkpoint(started_at=at(100), full=True, max_seen=at(20))
    assert bookmark.final_cursor(cp, at(50)) == at(20)


def test_checkpoint_round_trips_through_json() -> None:
    cp = Checkpoint(
        started_at=at(100), bound=at(5), page=3, max_seen=at(9), full=True, wall_started_at=at(1)
    )
    assert Checkpoint.from_json(cp.to_json()) == cp


def test_is_due() -> None:
    assert bookmark.is_due(None, every=timedelta(hours=1), now=at(0))
    assert bookmark.is_due(at(0), every=timedelta(0), now=at(0))
    assert not bookmark.is_due(at(0), every=timedelta(hours=1), now=at(60))
    assert bookmark.is_due(at(0), every=timedelta(hours=1), now=at(3600))


@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=0, max_size=120),
    st.integers(min_value=1, max_value=7),
)
def test_keyset_reading_sees_every_record_exactly_as_a_sorted_listing(
    stamps: list[int], page_size: int
) -> None:
    """Simulate the API (inclusive `date_modified:min`, ascending, stable by id) and check
    that following `advance` reads every record and terminates."""
    records = sorted(enumerate(stamps), key=lambda r: (r[1], r[0]))
    cp = Checkpoint(started_at=at(10_000), full=True)
    seen: set[int] = set()
    for _ in range(10 * len(records) + 5):
        low = cp.bound
        matching = [r for r in records if low is None or at(r[1]) >= low]
        page = matching[(cp.page - 1) * page_size : cp.page * page_size]
        seen.update(i for i, _ in page)
        cp, done = bookmark.advance(cp, [at(s) for _, s in page], page_size=page_size)
        if done:
            break
    else:
        raise AssertionError("the keyset read did not terminate")
    assert seen == {i for i, _ in records}
    assert cp.max_seen == (at(max(stamps)) if stamps else None)
