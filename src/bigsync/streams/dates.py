"""BigCommerce timestamps: parsing what the API returns, formatting what a filter sends.

v3 answers ISO 8601 with an explicit offset (`2018-08-24T14:41:00+00:00`, or `Z`); v2 orders
answer RFC 2822 (`Tue, 05 Mar 2019 21:40:11 +0000`) and `""` for "never". Filters are sent
as ISO 8601 with an explicit `+00:00` offset and a time part (a date alone makes BigCommerce
fill in the current time); the client's URL encoding turns `+` into `%2B`.

Both formats are fixed, so each has a fast path: ISO 8601 through `datetime.fromisoformat`
(C), RFC 2822 in BigCommerce's exact layout (`Ddd, DD Mon YYYY HH:MM:SS +HHMM`) read by
position. Anything else in RFC 2822 goes to `email.utils`, as before, so every value reads
as it did and a bad value fails with the same error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_MONTHS = {
    name: f"{number:02d}"
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_RFC2822 = re.compile(
    r"[A-Za-z]{3}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}"
)
"""BigCommerce's RFC 2822 layout, and only it (the fast path)."""


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
    fast = _parse_bigcommerce_rfc2822(text)
    if fast is not None:
        return fast
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError) as error:
        raise ValueError(f"not an RFC 2822 or ISO 8601 timestamp: {text!r}") from error


def _parse_bigcommerce_rfc2822(text: str) -> datetime | None:
    """`Tue, 05 Mar 2019 21:40:11 +0000` rewritten as ISO 8601 and read in C; None for any
    other layout or value, which `email.utils` then reads (or refuses) as it always did."""
    month = _MONTHS.get(text[8:11])
    if (
        month is None
        or _RFC2822.fullmatch(text) is None
        or text.startswith("00", 12)  # email.utils reads years below 100 as 19xx / 20xx
        or text.endswith("-0000")  # "zone unknown" in RFC 2822: email.utils answers naive
    ):
        return None
    iso = f"{text[12:16]}-{month}-{text[5:7]}T{text[17:25]}{text[26:29]}:{text[29:31]}"
    try:
        return datetime.fromisoformat(iso)
    except ValueError:  # day, hour or offset out of range: email.utils words the error
        return None


def format_filter(moment: datetime) -> str:
    """`moment` as a filter value: ISO 8601, whole seconds, explicit `+00:00` offset.

    Seconds are truncated (never rounded up), so an inclusive lower bound stays inclusive.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where a UTC timestamp is expected")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
