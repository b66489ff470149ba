"""Timestamps as BigCommerce sends them, and filter values as bigsync sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bigsync.streams.dates import format_filter, parse_timestamp

MOMENT = datetime(2019, 3, 5, 21, 40, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2019-03-05T21:40:11+00:00",
        "2019-03-05T21:40:11Z",
        "2019-03-05T23:40:11+02:00",
        "Tue, 05 Mar 2019 21:40:11 +0000",
        "Tue, 05 Mar 2019 17:40:11 -0400",
    ],
)
def test_parse_timestamp_reads_v3_iso_and_v2_rfc2822_to_utc(text: str) -> None:
    parsed = parse_timestamp(text)
    assert parsed == MOMENT
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("empty", [None, ""])
def test_parse_timestamp_treats_empty_as_none(empty: object) -> None:
    assert parse_timestamp(empty) is None


@pytest.mark.parametrize("bad", ["2019-03-05T21:40:11", "yesterday", "Tue, 99 Foo 2019"])
def test_parse_timestamp_refuses_values_without_zone_or_format(bad: str) -> None:
    with pytest.raises(ValueError, match="time"):
        parse_timestamp(bad)


def test_format_filter_has_explicit_offset_and_truncates_seconds() -> None:
    moment = datetime(2026, 3, 1, 2, 3, 4, 999_999, tzinfo=timezone(timedelta(hours=2)))
    assert format_filter(moment) == "2026-03-01T00:03:04+00:00"


def test_format_filter_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_filter(datetime(2026, 3, 1))
