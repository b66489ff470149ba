"""The sandbox's date formats."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from bigsync.sandbox.dates import rfc2822


def test_rfc2822_writes_what_email_utils_writes() -> None:
    rng = random.Random(5)
    zones = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
    start = datetime(1, 1, 2, tzinfo=UTC)
    for _ in range(5000):
        moment = start + timedelta(seconds=rng.randrange(10**11), microseconds=rng.randrange(10**6))
        moment = moment.astimezone(rng.choice(zones))
        expected = format_datetime(moment.astimezone(UTC).replace(microsecond=0))
        assert rfc2822(moment) == expected


def test_rfc2822_of_a_known_moment() -> None:
    assert rfc2822(datetime(2019, 3, 5, 21, 40, 11, 999, tzinfo=UTC)) == (
        "Tue, 05 Mar 2019 21:40:11 +0000"
    )
