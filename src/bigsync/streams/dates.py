"""BigCommerce timestamps: parsing what the API returns, formatting what a filter sends.

v3 answers ISO 8601 with an explicit offset (`2018-08-24T14:41:00+00:00`, or `Z`); v2 orders
answer RFC 2822 (`Tue, 05 Mar 2019 21:40:11 +0000`) and `""` for "never". Filters are sent
as ISO 8601 with an explicit `+00:00` offset and a time part (a date alone makes BigCommerce
fill in the current time); the client's URL encoding turns `+` into `%2B`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 or RFC 2822 value; None for empty or null.

    ValueError when the value is a non-empty string in neither format (or has no offset).
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    parsed = _parse_iso(text) if text[:4].isdigit() else _parse_rfc2822(text)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)


def _parse_rfc2822(text: str) -> datetime:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError) as error:
        raise ValueError(f"not an RFC 2822 or ISO 8601 timestamp: {text!r}") from error


def format_filter(moment: datetime) -> str:
    """`moment` as a filter value: ISO 8601, whole seconds, explicit `+00:00` offset.

    Seconds are truncated (never rounded up), so an inclusive lower bound stays inclusive.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where a UTC timestamp is expected")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
