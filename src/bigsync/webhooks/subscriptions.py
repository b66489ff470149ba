"""Keeping a connection's webhooks registered (`keep_hooks`, the upkeep job) and removing
them with the connection (`disconnect`, what `bigsync disconnect` calls).

Every hook of the hub for connection N posts to `{BIGSYNC_PUBLIC_URL}/webhooks/N` and sends
the connection's webhook secret (generated on first use, sealed in the vault like a token)
in the `X-Bigsync-Webhook-Secret` header. The scopes follow the connection's active read
features (`SCOPES_BY_FEATURE`; the family wildcards include the inventory events,
`store/product/*` hearing `store/product/inventory/updated`, per the webhooks spec: "Fires
for all `store/product` events").

Upkeep compares the store's hooks with what the connection needs (`plan_hooks`, pure):
missing scopes are created; a hook BigCommerce deactivated after failed deliveries is
switched back on; a hook whose destination (the public URL changed) or secret header is
stale is updated; hooks for scopes no longer wanted, and duplicates, are deleted. Hooks
other code created with the same API account (other destinations) are never touched.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bigsync.bigcommerce import BigCommerceClient, ClientOptions
from bigsync.connections import ConnectionService
from bigsync.connections.features import Feature
from bigsync.connections.model import ConnectionChanges, ConnectionView, RemoveResult, SecretPurpose
from bigsync.errors import ApiError, ConfigError
from bigsync.store import webhook_repository
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.webhooks.signature import SECRET_HEADER

log = logging.getLogger(__name__)

SCOPES_BY_FEATURE: Mapping[Feature, tuple[str, ...]] = {
    Feature.READ_CATALOG: ("store/product/*", "store/sku/*", "store/category/*"),
    Feature.READ_ORDERS: ("store/order/*", "store/shipment/*"),
    Feature.READ_CUSTOMERS: ("store/customer/*",),
}
"""The hooks each read feature needs (transactions arrive as store/order/transaction/*)."""

EVENTS_KEPT = timedelta(days=3)
"""How long a delivery is remembered for dedupe: BigCommerce redelivers for about 48 hours."""

HOOKS_PATH = "/webhooks"
HEADER_NAME = "X-Bigsync-Webhook-Secret"
assert HEADER_NAME.lower() == SECRET_HEADER


def wanted_scopes(active_features: Iterable[str]) -> tuple[str, ...]:
    """The hook scopes a connection with these active features needs (none without the
    webhooks feature)."""
    active = set(active_features)
    if Feature.WEBHOOKS not in active:
        return ()
    return tuple(s for f, scopes in SCOPES_BY_FEATURE.items() if f in active for s in scopes)


def destination_for(public_url: str, connection_id: int) -> str:
    """Where the hooks of a connection deliver."""
    return f"{public_url.rstrip('/')}{HOOKS_PATH}/{connection_id}"


@dataclass(frozen=True)
class HookAction:
    """One change to the store's hooks: create (no id), update (id and fields), delete."""

    verb: str  # "create", "update", "delete"
    scope: str
    hook_id: int | None = None
    body: Mapping[str, Any] = field(default_factory=dict, repr=False)
    reactivates: bool = False


def plan_hooks(
    existing: Sequence[Mapping[str, Any]],
    *,
    wanted: Sequence[str],
    destination: str,
    secret: str,
    connection_id: int,
) -> list[HookAction]:
    """What turns the store's hooks into exactly one active, current hook per wanted scope.

    A hook is the connection's when its destination is `destination`, or ends with the
    connection's path (the public URL changed since it was made).
    """
    headers = {HEADER_NAME: secret}
    suffix = f"{HOOKS_PATH}/{connection_id}"
    ours = [
        h
        for h in existing
        if h.get("destination") == destination or str(h.get("destination", "")).endswith(suffix)
    ]
    actions: list[HookAction] = []
    kept: set[str] = set()
    for hook in sorted(ours, key=lambda h: (h.get("destination") != destination, h["id"])):
        scope = hook["scope"]
        if scope not in wanted or scope in kept:
            actions.append(HookAction("delete", scope, hook["id"]))
            continue
        kept.add(scope)
        changes: dict[str, Any] = {}
        if hook.get("destination") != destination:
            changes["destination"] = destination
        if not hook.get("is_active"):
            changes["is_active"] = True
        if (hook.get("headers") or {}) != headers:
            changes["headers"] = headers
        if changes:
            reactivates = "is_active" in changes
            actions.append(HookAction("update", scope, hook["id"], changes, reactivates))
    for scope in wanted:
        if scope not in kept:
            body = {
                "scope": scope,
                "destination": destination,
                "is_active": True,
                "headers": headers,
            }
            actions.append(HookAction("create", scope, body=body))
    return actions


@dataclass(frozen=True)
class HookReport:
    """What upkeep did to one connection's hooks (scopes)."""

    connection: str
    created: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.reactivated or self.updated or self.deleted)


async def keep_hooks(
    service: ConnectionService,
    name: str,
    *,
    public_url: str | None,
    client_options: ClientOptions | None = None,
) -> HookReport:
    """Make the store's hooks for `name` what its active features need (none when the
    webhooks feature is off)."""
    if not public_url:
        raise ConfigError("webhooks need the hub's public URL: set BIGSYNC_PUBLIC_URL")
    view = service.get(name)
    wanted = wanted_scopes(view.active_features)
    secret = ensure_secret(service, view) if wanted else ""
    destination = destination_for(public_url, view.id)
    async with _client(service, view, client_options) as client:
        existing = await list_hooks(client)
        actions = plan_hooks(
            existing, wanted=wanted, destination=destination, secret=secret, connection_id=view.id
        )
        for action in actions:
            await _apply(client, action)
    done = {verb: tuple(a.scope for a in actions if _label(a) == verb) for verb in _VERBS}
    untouched = {a.scope for a in actions}
    report = HookReport(view.name, **done, kept=tuple(s for s in wanted if s not in untouched))
    if report.reactivated:
        service.note(view.name, "webhooks", "re-activated: " + ", ".join(report.reactivated))
    if report.changed:
        log.info("hooks of %s: %s", view.name, report)
    return report


async def keep_connection_hooks(
    service: ConnectionService,
    connection_id: int,
    *,
    public_url: str | None,
    client_options: ClientOptions | None = None,
) -> HookReport:
    """`keep_hooks` by connection id (what the scheduler's upkeep job calls); also forgets
    the connection's deliveries older than `EVENTS_KEPT` (their redeliveries are over)."""
    view = service.get_by_id(connection_id)
    report = await keep_hooks(
        service, view.name, public_url=public_url, client_options=client_options
    )
    with UnitOfWork(service.engine).write() as conn:
        webhook_repository.prune_events(
            conn, received_before=datetime.now(UTC) - EVENTS_KEPT, connection_id=view.id
        )
    return report


async def keep_all_hooks(
    service: ConnectionService,
    *,
    public_url: str | None,
    client_options: ClientOptions | None = None,
) -> dict[str, HookReport | str]:
    """Upkeep of every connection with webhooks on: a report, or why it failed (one
    connection's failure does not stop the others)."""
    results: dict[str, HookReport | str] = {}
    for view in service.list():
        if Feature.WEBHOOKS not in view.active_features or view.is_failing:
            continue
        try:
            results[view.name] = await keep_hooks(
                service, view.name, public_url=public_url, client_options=client_options
            )
        except (ApiError, ConfigError) as error:
            log.warning("webhook upkeep of %s failed: %s", view.name, error)
            results[view.name] = str(error)
    return results


async def remove_hooks(
    service: ConnectionService, name: str, *, client_options: ClientOptions | None = None
) -> int:
    """Delete every hook of the hub for `name` from its store; how many went."""
    view = service.get(name)
    suffix = f"{HOOKS_PATH}/{view.id}"
    async with _client(service, view, client_options) as client:
        ours = [
            h for h in await list_hooks(client) if str(h.get("destination", "")).endswith(suffix)
        ]
        for hook in ours:
            await client.request("DELETE", f"/v3/hooks/{hook['id']}", idempotent=True)
    return len(ours)


@dataclass(frozen=True)
class DisconnectResult:
    """A removed connection, and what became of its hooks."""

    removed: RemoveResult
    hooks_removed: int
    hooks_error: str | None = None  # the store refused: its hooks fail until it drops them


async def disconnect(
    service: ConnectionService,
    name: str,
    *,
    purge_data: bool = False,
    client_options: ClientOptions | None = None,
) -> DisconnectResult:
    """Remove a connection after deleting its hooks from the store. A store that refuses
    (token revoked, app uninstalled: BigCommerce drops an app's hooks itself) does not stop
    the removal; deliveries that still arrive are refused with 401."""
    view = service.get(name)
    removed, error = 0, None
    if view.secret_hints.get(SecretPurpose.WEBHOOK_SECRET) is not None:
        try:
            removed = await remove_hooks(service, name, client_options=client_options)
        except ApiError as failure:
            error = str(failure)
            log.warning("could not remove the hooks of %s: %s", view.name, error)
    return DisconnectResult(service.remove(name, purge_data=purge_data), removed, error)


def ensure_secret(service: ConnectionService, view: ConnectionView) -> str:
    """The connection's webhook secret, generated and sealed on first use."""
    secret = service.open_secret(view.id, SecretPurpose.WEBHOOK_SECRET)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        service.update(view.name, ConnectionChanges(webhook_secret=secret))
    return secret


async def list_hooks(client: BigCommerceClient) -> list[dict[str, Any]]:
    """Every hook the connection's API account can see."""
    hooks: list[dict[str, Any]] = []
    async for page in client.paginate_v3("/v3/hooks", params={"limit": 250}):
        hooks.extend(page.items)
    return hooks


_VERBS = ("created", "reactivated", "updated", "deleted")


def _label(action: HookAction) -> str:
    if action.verb == "update":
        return "reactivated" if action.reactivates else "updated"
    return action.verb + "d"


async def _apply(client: BigCommerceClient, action: HookAction) -> None:
    if action.verb == "create":
        await client.request("POST", "/v3/hooks", json=dict(action.body))
    elif action.verb == "update":
        path = f"/v3/hooks/{action.hook_id}"
        await client.request("PUT", path, json=dict(action.body), idempotent=True)
    else:
        await client.request("DELETE", f"/v3/hooks/{action.hook_id}", idempotent=True)


def _client(
    service: ConnectionService, view: ConnectionView, options: ClientOptions | None
) -> BigCommerceClient:
    credentials = service.credentials(view.name)
    return BigCommerceClient(credentials, base_url=view.api_url, options=options)
