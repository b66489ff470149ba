"""Relative times in tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bigsync.cli.when import ago

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=3, seconds=59), "3 min ago"),
        (timedelta(hours=2, minutes=10), "2 h ago"),
        (timedelta(days=5), "5 d ago"),
        (timedelta(days=65), "2 mo ago"),
        (timedelta(days=800), "2 y ago"),
        (-timedelta(minutes=90), "in 1 h"),
    ],
)
def test_ago(delta: timedelta, shown: str) -> None:
    assert ago(NOW - delta, now=NOW) == shown


def test_ago_reads_iso_strings_and_naive_times_as_utc() -> None:
    assert ago("2026-05-04T11:57:00+00:00", now=NOW) == "3 min ago"
    assert ago("2026-05-04T11:57:00", now=NOW) == "3 min ago"
    assert ago(None, now=NOW) == ""
