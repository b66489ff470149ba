"""Every exception bigsync raises, in one tree.

    BigsyncError
    ├── ConfigError                  settings or environment unusable
    ├── InputError                   something a user typed or pasted is wrong
    │   └── StoreHashError           not a store hash, API path or store URL
    ├── VaultError                   sealing or opening a secret failed
    │   ├── VaultKeyError            no master key, or the wrong one
    │   └── VaultTamperedError       ciphertext or its associated data was altered
    ├── ConnectionNotFoundError      no connection with that name or id
    ├── ConnectionExistsError        a connection with that name already exists
    ├── WebhookError                 a webhook delivery was refused (nothing recorded)
    │   ├── WebhookAuthError         no or wrong secret, bad signature, stale timestamp
    │   └── WebhookPayloadError      the body is not a webhook payload (malformed)
    │       └── WebhookTooLargeError .. the body is larger than a delivery can be
    ├── AccountError                 a login, session or API token was refused
    │   ├── LoginFailedError         wrong username or password (which one is not said)
    │   ├── LoginThrottledError      too many failed logins: wait `retry_after_s`
    │   ├── SetupDoneError           the first admin exists already
    │   └── AccountNotFoundError     no such user or API token
    ├── AppInstallError              an app callback was refused
    │   ├── SignedPayloadError       signed_payload_jwt invalid (signature, claims, shape)
    │   ├── ForeignStoreError        a valid payload for a store this hub does not serve
    │   └── TokenExchangeError       the login host refused the auth code
    ├── SyncError                    a sync could not run or finish
    │   ├── SyncLockedError          another sync of the same connection holds the lease
    │   ├── SyncLockLostError        the lease expired and another sync took it (retriable)
    │   ├── StoreAccessError         the store refused the token (401) or is not there (404)
    │   └── SkipStreamError          a stream cannot run now (feature off, dependency failed)
    ├── WritebackError               a write-back could not run
    │   └── DispatchLockedError      another dispatch of the same connection is running
    └── ApiError                     a BigCommerce request did not succeed
        ├── TransportError           no usable HTTP response (retriable)
        │   ├── ConnectTimeoutError  .. connect or read timed out
        │   ├── NetworkError         .. connection refused, reset or dropped
        │   └── MalformedResponseError  body is not the JSON it claims to be
        └── HttpStatusError          BigCommerce answered with an error status
            ├── BadRequestError         400
            ├── AuthenticationError     401  token invalid for this store
            ├── PermissionDeniedError   403  token lacks a scope
            ├── NotFoundError           404
            ├── ConflictError           409
            ├── PayloadTooLargeError    413
            ├── UnprocessableError      422  field errors parsed from v2/v3 bodies
            ├── RateLimitedError        429  (retriable)
            └── ServerError             5xx  (retriable except 501 and 505)

Each class says whether repeating the same request may succeed (`retriable`).
`is_retriable()` is the one predicate every retry loop in bigsync uses.
HTTP statuses and httpx exceptions become `ApiError`s in one place only:
`bigsync.bigcommerce.mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class BigsyncError(Exception):
    """Base of every error bigsync raises on purpose."""

    retriable: ClassVar[bool] = False


class ConfigError(BigsyncError):
    """Settings or the environment cannot be used as given."""


class InputError(BigsyncError):
    """A value a user typed or pasted is not acceptable; the message says what is expected."""


class StoreHashError(InputError):
    """Neither a store hash nor an API path or store URL that contains one."""


class VaultError(BigsyncError):
    """A secret could not be sealed or opened."""


class VaultKeyError(VaultError):
    """The master key is missing, malformed, or not the key the secret was sealed with."""


class VaultTamperedError(VaultError):
    """The sealed secret or its associated data was altered."""


class ConnectionNotFoundError(BigsyncError):
    """No connection with that name or id."""


class ConnectionExistsError(BigsyncError):
    """A connection with that name already exists."""


class WebhookError(BigsyncError):
    """A webhook delivery was refused; nothing of it was recorded."""


class WebhookAuthError(WebhookError):
    """The delivery did not prove it comes from the store: no or wrong secret header, a
    Standard Webhooks signature that does not verify, or a timestamp out of tolerance."""


class WebhookPayloadError(WebhookError):
    """The body is not a BigCommerce webhook payload (not JSON, missing fields)."""


class WebhookTooLargeError(WebhookPayloadError):
    """The body is larger than any webhook payload BigCommerce sends."""


class AccountError(BigsyncError):
    """A login, a session or an API token was refused."""


class LoginFailedError(AccountError):
    """The username or the password is wrong; the message never says which."""


class LoginThrottledError(AccountError):
    """Too many failed logins for this username or from this address; `retry_after_s` says
    when the next attempt will be heard."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SetupDoneError(AccountError):
    """The first-run setup was asked for after the first admin was created."""


class AccountNotFoundError(AccountError):
    """No user or API token with that name or id."""


class AppInstallError(BigsyncError):
    """An app callback (auth, load, uninstall, remove_user) was refused."""


class SignedPayloadError(AppInstallError):
    """`signed_payload_jwt` is not a valid payload for this app: bad signature or algorithm,
    wrong audience or subject, expired or not yet valid, malformed."""


class ForeignStoreError(AppInstallError):
    """A valid signed payload for a store this hub has no connection for."""


class TokenExchangeError(AppInstallError):
    """The login host refused to exchange the auth callback's code for a token."""


class SyncError(BigsyncError):
    """A sync could not run or could not finish."""


class SyncLockedError(SyncError):
    """Another sync of the same connection is running (it holds the connection's lease)."""


class SyncLockLostError(SyncError):
    """This sync's lease expired and another sync took it; the last page was not committed."""

    retriable = True


class StoreAccessError(SyncError):
    """The store refused the connection's token (401), or there is no such store (404 on
    `/v2/time` or `/v2/store`): the sync stopped at the first such answer. The message is one
    line that says what is wrong and the commands that fix it."""


class SkipStreamError(SyncError):
    """A stream cannot run in this run (its feature is off, a stream it needs failed).
    `warning`: the user asked for it and must fix something; otherwise they did not ask."""

    def __init__(self, message: str, *, warning: bool) -> None:
        super().__init__(message)
        self.warning = warning


class WritebackError(BigsyncError):
    """The outbox could not be dispatched."""


class DispatchLockedError(WritebackError):
    """Another dispatch of the same connection is running (it holds the connection's lock)."""


class ApiError(BigsyncError):
    """A request to BigCommerce did not succeed."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class TransportError(ApiError):
    """No usable HTTP response arrived."""

    retriable = True


class ConnectTimeoutError(TransportError):
    """Connecting or reading timed out."""


class NetworkError(TransportError):
    """The connection was refused, reset or dropped."""


class MalformedResponseError(TransportError):
    """The response body is not the JSON its status and content type promise."""


class HttpStatusError(ApiError):
    """BigCommerce answered with an error status; `status`, `headers` and `body` say how."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str = "",
        url: str = "",
        headers: Mapping[str, str] | None = None,
        body: object = None,
        field_errors: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.headers: Mapping[str, str] = dict(headers or {})
        self.body = body
        self.field_errors: Mapping[str, str] = dict(field_errors or {})


class BadRequestError(HttpStatusError):
    """400: the request is malformed."""


class AuthenticationError(HttpStatusError):
    """401: the access token is missing, wrong, revoked, or not valid for this store hash."""


class PermissionDeniedError(HttpStatusError):
    """403: the token is valid but lacks the scope the endpoint needs."""

    def __init__(self, message: str, *, required_scope: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.required_scope = required_scope


class NotFoundError(HttpStatusError):
    """404: no such resource, or no such store."""


class ConflictError(HttpStatusError):
    """409: duplicate name or SKU, or a reference that does not exist."""


class PayloadTooLargeError(HttpStatusError):
    """413: too many items in a batch, or a `limit` above the maximum."""


class UnprocessableError(HttpStatusError):
    """422: the body is missing fields or has invalid values; see `field_errors`."""


class RateLimitedError(HttpStatusError):
    """429: the store's request quota is spent, or the platform is shedding load."""

    retriable = True

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after_s = retry_after_s


class ServerError(HttpStatusError):
    """5xx: BigCommerce failed; worth repeating except for 501 and 505."""

    @property
    def retriable(self) -> bool:  # type: ignore[override]
        return self.status not in (501, 505)


def is_retriable(error: BaseException) -> bool:
    """Whether repeating the request that raised `error` may succeed."""
    return isinstance(error, BigsyncError) and bool(error.retriable)
