"""The login throttle's arithmetic, pure: after how many failures a key is locked, for how
long, and when its failures are forgotten.

A key is `user:<username>` or `addr:<client address>`; both are checked before a password is
verified. `free_failures` failures in a row lock the key for `first_lockout`; each further
failure locks it twice as long as the one before, up to `max_lockout`. Attempts during a
lockout are refused unheard and are not counted. A key with no failure for `forget_after`
starts again from zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bigsync.store.accounts_repository import FailureRow


@dataclass(frozen=True)
class ThrottlePolicy:
    """How hard repeated failed logins are slowed down."""

    free_failures: int = 5
    first_lockout: timedelta = timedelta(seconds=30)
    max_lockout: timedelta = timedelta(hours=1)
    forget_after: timedelta = timedelta(hours=24)


def lockout_after(policy: ThrottlePolicy, failures: int) -> timedelta | None:
    """How long a key with `failures` consecutive failures is locked (None: not at all)."""
    over = failures - policy.free_failures
    if over < 0:
        return None
    lockout: timedelta = policy.first_lockout * (2 ** min(over, 32))
    return min(policy.max_lockout, lockout)


def after_failure(
    policy: ThrottlePolicy, key: str, row: FailureRow | None, now: datetime
) -> FailureRow:
    """The counter of `key` after one more failure at `now`."""
    failures = 1
    if row is not None and now - row.last_failed_at < policy.forget_after:
        failures = row.failures + 1
    lockout = lockout_after(policy, failures)
    return FailureRow(
        key=key,
        failures=failures,
        last_failed_at=now,
        locked_until=now + lockout if lockout is not None else None,
    )


def seconds_locked(row: FailureRow | None, now: datetime) -> float:
    """How many seconds `row`'s key stays locked from `now` (0: it is not)."""
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0.0
    return (row.locked_until - now).total_seconds()
