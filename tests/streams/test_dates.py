"""Timestamps as BigCommerce sends them, and filter values as bigsync sends them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bigsync.streams.dates import _parse_bigcommerce_rfc2822, format_filter, parse_timestamp

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


# --- the fast paths read exactly what email.utils and fromisoformat read -----------------------

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
moments = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=0))
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def rfc2822(moment: datetime) -> str:
    """`moment` the way BigCommerce's v2 API writes it (what `email.utils.format_datetime`
    writes, with the offset of `moment`)."""
    return format_datetime(moment)


def before(value: object) -> datetime | None:
    """The parser as it was: `email.utils` for RFC 2822, `fromisoformat` for ISO 8601."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if text[:4].isdigit():
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    else:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError) as error:
            raise ValueError(f"not an RFC 2822 or ISO 8601 timestamp: {text!r}") from error
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def outcome(parse: Callable[[object], datetime | None], value: object) -> object:
    """What `parse` makes of `value`: the UTC datetime (with its tzinfo), or the error."""
    try:
        parsed = parse(value)
    except ValueError as error:
        return ("error", str(error))
    return parsed if parsed is None else (parsed, parsed.tzinfo)


@given(moments, offsets)
def test_rfc2822_round_trips_at_every_offset(moment: datetime, offset: timezone) -> None:
    text = rfc2822(moment.astimezone(offset))
    assert _parse_bigcommerce_rfc2822(text) is not None  # the fast path read it
    assert parse_timestamp(text) == moment
    assert outcome(parse_timestamp, text) == outcome(before, text)


@given(moments, offsets, st.booleans())
def test_iso8601_round_trips_at_every_offset(moment: datetime, offset: timezone, z: bool) -> None:
    text = moment.astimezone(offset).isoformat()
    if z and offset.utcoffset(None) == timedelta(0):
        text = text.replace("+00:00", "Z")
    parsed = parse_timestamp(text)
    assert parsed == moment
    assert parsed is not None
    assert parsed.tzinfo is UTC


# Values near BigCommerce's layout: each part drawn from valid, odd and broken spellings.
near_layout = st.builds(
    "{}, {} {} {} {}:{}:{} {}{}{}".format,
    st.sampled_from([*DAYS, "tue", "Xyz", "T1e", ""]),
    st.sampled_from(["05", "31", "30", "29", "00", "1", "5 ", "ab", "99"]),
    st.sampled_from([*MONTHS, "mar", "MAR", "Foo", "Ma1"]),
    st.sampled_from(["2019", "2000", "1969", "0019", "0099", "0100", "9999", "20x9", "19"]),
    st.sampled_from(["21", "00", "23", "24", "2a"]),
    st.sampled_from(["40", "00", "59", "60"]),
    st.sampled_from(["11", "00", "59", "60", "61"]),
    st.sampled_from(["+", "-", " ", "*"]),
    st.sampled_from(["00", "05", "23", "24", "99", "1a"]),
    st.sampled_from(["00", "30", "59", "60", "99"]),
)


@given(near_layout)
def test_values_near_the_layout_read_as_before_or_fail_with_the_same_error(text: str) -> None:
    assert outcome(parse_timestamp, text) == outcome(before, text)


@given(st.text(max_size=40))
def test_any_text_reads_as_before_or_fails_with_the_same_error(text: str) -> None:
    try:
        expected = outcome(before, text)
    except Exception as error:  # the old parser's other errors stay the same
        with pytest.raises(type(error)):
            parse_timestamp(text)
        return
    assert outcome(parse_timestamp, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Tue, 05 Mar 2019 21:40:11 -0000",
        "Tue, 30 Feb 2019 21:40:11 +0000",
        "Tue, 05 Mar 0019 21:40:11 +0000",
    ],
)
def test_odd_rfc2822_values_still_go_through_email_utils(text: str) -> None:
    assert outcome(parse_timestamp, text) == outcome(before, text)
