"""When to repeat a failed request, and after how long: one pure decision.

`retry_wait(error, attempt=..., elapsed_s=..., repeatable=..., policy=...)` returns the seconds
to wait before the next attempt, or None to give up. It repeats only what
`bigsync.errors.is_retriable` calls retriable (transport errors, 429, 5xx except 501/505), never
401/403/404/422, and only requests that are safe to send twice (`repeatable`: GET, HEAD,
absolute PUTs) — except after a 429, which BigCommerce refuses before doing anything, so any
request may be repeated. Attempts and total time are bounded.

Waits: a 429 waits what it says (`X-Rate-Limit-Time-Reset-Ms`, or the longer `X-Retry-After`);
a 429 without those headers, a 5xx or a transport error backs off exponentially with full
jitter.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bigsync.bigcommerce.ratelimit import wait_after_429
from bigsync.errors import RateLimitedError, is_retriable

REPEATABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods safe to send twice without the caller saying so (PUTs are marked per request)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How persistent the client is."""

    max_attempts: int = 6
    """Attempts in all, the first included."""
    max_elapsed_s: float = 300.0
    """No retry starts later than this after the first attempt."""
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts counts the first attempt: at least 1")
        if min(self.max_elapsed_s, self.backoff_base_s, self.backoff_max_s) < 0:
            raise ValueError("retry times cannot be negative")


NO_RETRIES = RetryPolicy(max_attempts=1)

Jitter = Callable[[float], float]
"""Draws a wait in [0, cap]; `random.uniform(0, cap)` unless a test wants it fixed."""


def full_jitter(cap: float) -> float:
    """A wait drawn uniformly from [0, cap]."""
    return random.uniform(0.0, cap)  # noqa: S311 -- jitter, not cryptography


def backoff_s(attempt: int, policy: RetryPolicy, *, jitter: Jitter = full_jitter) -> float:
    """Exponential backoff with full jitter after failed attempt number `attempt` (1-based)."""
    cap = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** (attempt - 1))
    return jitter(cap)


def retry_wait(
    error: BaseException,
    *,
    attempt: int,
    headers: Mapping[str, str] | None = None,
    elapsed_s: float = 0.0,
    repeatable: bool = True,
    policy: RetryPolicy = RetryPolicy(),
    jitter: Jitter = full_jitter,
) -> float | None:
    """Seconds to wait before repeating the request that failed with `error` on attempt
    `attempt` (1-based), or None to give up."""
    if not is_retriable(error) or attempt >= policy.max_attempts:
        return None
    rate_limited = isinstance(error, RateLimitedError)
    if not (repeatable or rate_limited):
        return None
    wait = wait_after_429(headers or {}) if rate_limited else None
    if wait is None:
        wait = backoff_s(attempt, policy, jitter=jitter)
    if elapsed_s + wait > policy.max_elapsed_s:
        return None
    return wait
