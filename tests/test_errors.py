from bigsync.errors import (
    AuthenticationError,
    NetworkError,
    RateLimitedError,
    ServerError,
    UnprocessableError,
    is_retriable,
)


def test_retriable_errors_are_exactly_transport_429_and_most_5xx() -> None:
    assert is_retriable(NetworkError("reset"))
    assert is_retriable(RateLimitedError("slow down", status=429))
    assert is_retriable(ServerError("boom", status=503))
    assert not is_retriable(ServerError("not implemented", status=501))
    assert not is_retriable(AuthenticationError("bad token", status=401))
    assert not is_retriable(UnprocessableError("bad body", status=422))
    assert not is_retriable(ValueError("not ours"))
