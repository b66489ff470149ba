"""The retry decision: a pure function of (error, attempt, headers, elapsed time)."""

from __future__ import annotations

import pytest

from bigsync.bigcommerce.retry import RetryPolicy, backoff_s, retry_wait
from bigsync.errors import (
    AuthenticationError,
    BadRequestError,
    ConnectTimeoutError,
    MalformedResponseError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnprocessableError,
)

POLICY = RetryPolicy(max_attempts=5, max_elapsed_s=60.0, backoff_base_s=0.5, backoff_max_s=8.0)


def top(cap: float) -> float:
    """A jitter that always draws the maximum, so waits are predictable."""
    return cap


def decide(error: BaseException, attempt: int = 1, **kw: object) -> float | None:
    return retry_wait(error, attempt=attempt, policy=POLICY, jitter=top, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("bad token", status=401),
        PermissionDeniedError("no scope", status=403),
        NotFoundError("gone", status=404),
        UnprocessableError("bad body", status=422),
        BadRequestError("bad", status=400),
        ServerError("not implemented", status=501),
        ServerError("version", status=505),
        ValueError("not an API error"),
    ],
)
def test_never_retries_what_repeating_cannot_fix(error: BaseException) -> None:
    assert decide(error) is None


@pytest.mark.parametrize(
    "error",
    [
        ServerError("boom", status=500),
        ServerError("bad gateway", status=502),
        ServerError("unavailable", status=503),
        NetworkError("reset"),
        ConnectTimeoutError("slow"),
        MalformedResponseError("cut"),
    ],
)
def test_transport_errors_and_5xx_back_off_exponentially(error: BaseException) -> None:
    assert [decide(error, attempt) for attempt in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, None]


def test_backoff_is_capped_and_jittered() -> None:
    assert backoff_s(20, POLICY, jitter=top) == 8.0
    draws = {backoff_s(3, POLICY) for _ in range(50)}
    assert all(0.0 <= d <= 2.0 for d in draws)
    assert len(draws) > 1


def test_writes_are_repeated_only_when_marked_safe() -> None:
    error = ServerError("boom", status=503)
    assert decide(error, repeatable=False) is None
    assert decide(error, repeatable=True) == 0.5


def test_429_waits_exactly_the_reset_even_for_writes() -> None:
    error = RateLimitedError("slow down", status=429)
    headers = {"X-Rate-Limit-Time-Reset-Ms": "12345", "X-Rate-Limit-Requests-Left": "0"}
    assert decide(error, headers=headers) == 12.345
    assert decide(error, attempt=3, headers=headers, repeatable=False) == 12.345


def test_429_honours_the_longer_of_reset_and_retry_after() -> None:
    error = RateLimitedError("slow down", status=429)
    assert decide(error, headers={"x-rate-limit-time-reset-ms": "800", "x-retry-after": "3"}) == 3
    assert decide(error, headers={"X-RATE-LIMIT-TIME-RESET-MS": "4000", "X-Retry-After": "1"}) == 4


def test_429_without_headers_backs_off_with_jitter() -> None:
    error = RateLimitedError("platform busy", status=429)
    assert [decide(error, attempt) for attempt in (1, 2, 3)] == [0.5, 1.0, 2.0]
    draws = {retry_wait(error, attempt=4, policy=POLICY) for _ in range(30)}
    assert len(draws) > 1
    assert all(d is not None and 0 <= d <= 4.0 for d in draws)


def test_policies_are_checked() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(backoff_base_s=-1)


def test_retries_are_bounded_in_time() -> None:
    error = RateLimitedError("slow down", status=429)
    headers = {"X-Rate-Limit-Time-Reset-Ms": "30000"}
    assert decide(error, headers=headers, elapsed_s=29.0) == 30.0
    assert decide(error, headers=headers, elapsed_s=31.0) is None
    assert decide(ServerError("boom", status=500), attempt=4, elapsed_s=56.5) is None
