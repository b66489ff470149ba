"""The connection test: host, token, store information, and the scope report.

How a failure is attributed (the API gives no direct way to tell a wrong store hash from a
wrong token, so this is a heuristic, documented here and in the report's messages):

* no HTTP answer at all                    → the host (API URL, network, proxy) is the problem;
* 404 on `GET /v2/store`                   → no store with that hash behind this host;
* 401                                       → the token is not valid *for this store*: either the
  token is wrong or it belongs to another store (BigCommerce answers a token of store A used on
  store B with 401 too), so the message names both and says where to check each;
* 403 on `GET /v2/store`                   → the token is valid but lacks "Information &
  settings: read-only"; the test goes on without the store's name and plan.

Read scopes are then probed with `limit=1` GETs in parallel; modify scopes are checked
against the OAuth grant when one exists, else reported as unverified until the first write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, Protocol

from bigsync.bigcommerce import BigCommerceClient, ClientOptions, RetryPolicy, StoreCredentials
from bigsync.bigcommerce.scopes import (
    FAMILIES,
    STORE_INFO_NEED,
    Access,
    ProbeOutcome,
    ScopeNeed,
    ScopeStatus,
    control_panel_steps,
    need_status,
)
from bigsync.connections.features import (
    FEATURE_NEEDS,
    FEATURE_TITLES,
    READ_FEATURES,
    REQUIRES,
    Feature,
    enable_command,
    families_to_probe,
)
from bigsync.connections.report import (
    Check,
    CheckReport,
    FeatureResult,
    FeatureState,
    ScopeResult,
    StoreInfo,
)
from bigsync.errors import (
    ApiError,
    AuthenticationError,
    HttpStatusError,
    NotFoundError,
    PermissionDeniedError,
    TransportError,
)


class StoreApi(Protocol):
    """The part of `BigCommerceClient` the test uses."""

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET a store path and return the decoded body."""
        ...


ClientFactory = Callable[[StoreCredentials, str], AbstractAsyncContextManager[StoreApi]]


# A test is interactive: one quick retry, then report what happened.
TEST_RETRY = RetryPolicy(max_attempts=2, max_elapsed_s=5.0, backoff_base_s=0.2)


def default_client_factory(credentials: StoreCredentials, base_url: str) -> BigCommerceClient:
    """A real client for `base_url` (the API host, e.g. https://api.bigcommerce.com)."""
    options = ClientOptions(retry=TEST_RETRY, connect_timeout_s=5.0, timeout_s=20.0)
    return BigCommerceClient(credentials, base_url=base_url, options=options)


UNVERIFIED_NOTE = (
    "unverified until the first write: store-level API accounts do not report their scopes, "
    "and bigsync does not write to your store just to find out"
)


async def run_check(
    credentials: StoreCredentials,
    *,
    api_url: str,
    features: Sequence[Feature],
    granted: frozenset[str] | None,
    connection: str = "NAME",
    switched_off: Sequence[Feature] = (),
    client_factory: ClientFactory = default_client_factory,
) -> CheckReport:
    """Test a connection's credentials and report on every feature of the catalogue.

    `features` are the ones on; each read feature whose scopes are all granted is turned on
    too, unless it is in `switched_off` (the user turned it off). Write features stay as they
    are: the report names them available, with the command that turns each on.
    """
    tested_at = datetime.now(UTC).isoformat(timespec="seconds")
    store_hash = credentials.store_hash
    async with client_factory(credentials, api_url) as api:
        try:
            body = await api.get("/v2/store")
        except PermissionDeniedError:
            body = None
        except ApiError as error:
            return CheckReport(
                ok=False, tested_at=tested_at, checks=_failed_checks(error, api_url, store_hash)
            )
        probes = await _probe(
            api, [f for f in families_to_probe(tuple(Feature)) if f != STORE_INFO_NEED.family]
        )
    probes[STORE_INFO_NEED.family] = (
        ProbeOutcome.ALLOWED if body is not None else ProbeOutcome.FORBIDDEN
    )
    store = _store_info(body, store_hash) if isinstance(body, Mapping) else None
    checks = (
        Check("host", True, f"{api_url} answered"),
        Check("token", True, f"the access token is valid for store {store_hash}"),
        _store_check(store),
    )
    features = _turned_on(features, switched_off, granted=granted, probes=probes)
    results = tuple(
        _feature_result(
            f, granted=granted, probes=probes, on=features, off=switched_off, connection=connection
        )
        for f in Feature
    )
    wanted = [f for f in Feature if f in features or (f in READ_FEATURES and f not in switched_off)]
    missing = [
        need for need in _all_needs(wanted) if _status(need, granted, probes) is ScopeStatus.MISSING
    ]
    if store is None:
        missing.insert(0, STORE_INFO_NEED)
    notes = _notes(features, granted=granted, probes=probes)
    return CheckReport(
        ok=True,
        tested_at=tested_at,
        checks=checks,
        store=store,
        features=results,
        instructions=tuple(control_panel_steps(missing)),
        notes=notes,
    )


async def _probe(api: StoreApi, families: Iterable[str]) -> dict[str, ProbeOutcome]:
    names = list(families)
    outcomes = await asyncio.gather(*(_probe_one(api, name) for name in names))
    return dict(zip(names, outcomes, strict=True))


async def _probe_one(api: StoreApi, family: str) -> ProbeOutcome:
    spec = FAMILIES[family]
    assert spec.probe_path is not None
    try:
        await api.get(spec.probe_path, params=dict(spec.probe_params) or None)
    except PermissionDeniedError:
        return ProbeOutcome.FORBIDDEN
    except NotFoundError:
        return ProbeOutcome.ALLOWED  # the scope check passed; the made-up id does not exist
    except ApiError:
        return ProbeOutcome.FAILED
    return ProbeOutcome.ALLOWED


def _failed_checks(error: ApiError, api_url: str, store_hash: str) -> tuple[Check, ...]:
    if isinstance(error, TransportError):
        return (Check("host", False, f"could not reach {api_url}: {error}"),)
    host = Check("host", True, f"{api_url} answered")
    if isinstance(error, NotFoundError):
        message = (
            f"no store with hash {store_hash} at {api_url}: check the store hash (the part "
            f"after /stores/ in the API path of the API account)"
        )
        return (host, Check("store_hash", False, message))
    if isinstance(error, AuthenticationError):
        message = (
            f"the access token is not valid for store {store_hash}: either the token is wrong "
            f"(copy the ACCESS TOKEN value again, not the client id or secret; the API account "
            f"may have been deleted) or it belongs to another store (compare the store hash "
            f"with the API path shown with the token)"
        )
        return (host, Check("token", False, message))
    status = error.status if isinstance(error, HttpStatusError) else "an error"
    return (host, Check("token", None, f"BigCommerce answered {status}; try again later"))


def _store_info(body: Mapping[str, Any], store_hash: str) -> StoreInfo:
    # Any field may be missing or null: an absent value reads as "", never as "None".
    timezone = body.get("timezone")
    return StoreInfo(
        store_hash=_text(body.get("id")) or store_hash,
        name=_text(body.get("name")),
        plan=_text(body.get("plan_name")),
        currency=_text(body.get("currency")),
        timezone=_text(timezone.get("name")) if isinstance(timezone, Mapping) else "",
        domain=_text(body.get("domain")),
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _store_check(store: StoreInfo | None) -> Check:
    if store is None:
        need = STORE_INFO_NEED.control_panel_name
        return Check("store_info", False, f"cannot read the store's name and plan: grant {need}")
    details = ", ".join(v for v in (store.plan, store.currency, store.timezone) if v)
    title = store.name or f"store {store.store_hash}"
    return Check("store_info", True, f"{title} ({details})" if details else title)


def _status(
    need: ScopeNeed, granted: frozenset[str] | None, probes: Mapping[str, ProbeOutcome]
) -> ScopeStatus:
    return need_status(need, granted=granted, probes=probes)


def _all_needs(features: Sequence[Feature]) -> list[ScopeNeed]:
    needs: list[ScopeNeed] = []
    for feature in features:
        needs.extend(n for n in FEATURE_NEEDS[feature] if n not in needs)
    return needs


def _turned_on(
    features: Sequence[Feature],
    switched_off: Sequence[Feature],
    *,
    granted: frozenset[str] | None,
    probes: Mapping[str, ProbeOutcome],
) -> tuple[Feature, ...]:
    """`features` plus each read feature the scopes allow, the user did not turn off, and
    whose required feature is on (catalogue order, so orders are decided before transactions)."""
    on = list(features)
    for feature in Feature:
        if feature in on or feature in switched_off or feature not in READ_FEATURES:
            continue
        required = REQUIRES.get(feature)
        if required is not None and required not in on:
            continue
        needs = FEATURE_NEEDS[feature]
        if all(_status(n, granted, probes) is ScopeStatus.GRANTED for n in needs):
            on.append(feature)
    return tuple(f for f in Feature if f in on)


def _feature_result(
    feature: Feature,
    *,
    granted: frozenset[str] | None,
    probes: Mapping[str, ProbeOutcome],
    on: Sequence[Feature],
    off: Sequence[Feature],
    connection: str,
) -> FeatureResult:
    scopes = []
    for need in FEATURE_NEEDS[feature]:
        status = _status(need, granted, probes)
        note = {
            ScopeStatus.UNVERIFIED: UNVERIFIED_NOTE,
            ScopeStatus.UNKNOWN: "could not be checked (the probe request failed); test again",
            ScopeStatus.MISSING: f"grant {need.control_panel_name}",
        }.get(status, "")
        scopes.append(
            ScopeResult(need.scope, need.control_panel_name, need.access.value, status.value, note)
        )
    missing = [s.control_panel_name for s in scopes if s.status == ScopeStatus.MISSING]
    reason = f"missing scope: {', '.join(missing)}" if missing else None
    if reason:
        state = FeatureState.BLOCKED
    elif feature in on:
        state = FeatureState.ON
    else:
        state = FeatureState.OFF if feature in off else FeatureState.AVAILABLE
    return FeatureResult(
        feature.value,
        FEATURE_TITLES[feature],
        tuple(scopes),
        reason,
        state=state,
        enable_command=None if feature in on else enable_command(connection, feature),
        wanted=feature in on,
    )


def _notes(
    features: Sequence[Feature],
    *,
    granted: frozenset[str] | None,
    probes: Mapping[str, ProbeOutcome],
) -> tuple[str, ...]:
    unverified = [
        n.control_panel_name
        for n in _all_needs(features)
        if n.access is Access.MODIFY and _status(n, granted, probes) is ScopeStatus.UNVERIFIED
    ]
    if not unverified:
        return ()
    return (
        f"{', '.join(unverified)}: {UNVERIFIED_NOTE}. If a write is refused, set that scope "
        f"in the control panel and test again.",
    )
