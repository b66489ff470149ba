"""Short relative times for tables ("3 min ago"); `--json` keeps the full ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime

_UNITS = ((86_400 * 365, "y"), (86_400 * 30, "mo"), (86_400, "d"), (3_600, "h"), (60, "min"))


def ago(moment: datetime | str | None, *, now: datetime | None = None) -> str:
    """`moment` relative to `now`: "just now", "3 min ago", "2 h ago", "5 d ago" ("" for None).
    Accepts a datetime or an ISO 8601 string; a naive time is taken as UTC."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    for size, unit in _UNITS:
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            return f"in {amount}" if future else f"{amount} ago"
    raise AssertionError("unreachable")  # pragma: no cover -- the last unit is 60 s
