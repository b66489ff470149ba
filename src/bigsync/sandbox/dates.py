"""Date formats as BigCommerce writes and reads them (v2 RFC 2822, v3 ISO 8601, Unix seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from email.utils import parsedate_to_datetime

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(moment: datetime) -> str:
    """`Tue, 05 Mar 2019 21:40:11 +0000`: how v2 renders dates (always UTC; what
    `email.utils.format_datetime` writes, in one format string: an order page has 500)."""
    utc = moment.astimezone(UTC)
    return (
        f"{_DAYS[utc.weekday()]}, {utc.day:02d} {_MONTHS[utc.month - 1]} {utc.year:04d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} +0000"
    )


def iso8601(moment: datetime) -> str:
    """`2018-08-24T14:41:00+00:00`: how v3 catalog renders dates."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def iso8601_z(moment: datetime) -> str:
    """`2022-05-30T12:18:02Z`: how customers and locations render dates."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def unix(moment: datetime) -> int:
    """Unix seconds: webhooks and `/v2/time`."""
    return int(moment.timestamp())


def parse_filter_date(value: str, *, now: datetime) -> datetime:
    """Parse a date filter value as the API does: ISO 8601 or RFC 2822, or a Unix timestamp.

    A bare date (`2025-01-15`) takes the time of day of `now`, as the catalog API does.
    A value without an offset is read as UTC. Raises ValueError when nothing fits.
    """
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"not a date: {value!r}") from exc
    else:
        if len(text) == 10:  # a date without a time: the API fills in the current time of day
            parsed = datetime.combine(parsed.date(), time(0), UTC).replace(
                hour=now.hour, minute=now.minute, second=now.second
            )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
