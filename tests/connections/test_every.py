"""Sync intervals as typed: `parse_every` and its inverse `format_every` (pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bigsync.connections.inputs import format_every, parse_every
from bigsync.errors import InputError


@pytest.mark.parametrize(
    ("typed", "every"),
    [
        ("1m", timedelta(minutes=1)),
        ("5m", timedelta(minutes=5)),
        (" 90S ", timedelta(seconds=90)),
        ("1h", timedelta(hours=1)),
        ("1d", timedelta(days=1)),
        ("7d", timedelta(days=7)),
    ],
)
def test_intervals_people_type(typed: str, every: timedelta) -> None:
    assert parse_every(typed) == every
    assert parse_every(format_every(every)) == every


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("30s", "syncs run at most every minute: give 1m or more (not 30s)"),
        ("0m", "at most every minute"),
        ("8d", "syncs run at least every 7 days: give 7d or less (not 8d)"),
        ("5", "'5' is not an interval: give a number and a unit, such as 30s, 5m, 1h or 1d"),
        ("5 minutes", "is not an interval"),
        ("-5m", "is not an interval"),
        ("1.5h", "is not an interval"),
        ("", "is not an interval"),
    ],
)
def test_intervals_refused_with_what_to_type(typed: str, message: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_every(typed)
    assert message in str(refused.value)


def test_intervals_are_shown_in_their_largest_whole_unit() -> None:
    assert [format_every(timedelta(seconds=s)) for s in (90, 120, 5400, 7200, 86400)] == [
        "90s", "2m", "90m", "2h", "1d",
    ]  # fmt: skip
