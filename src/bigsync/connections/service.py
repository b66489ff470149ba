"""The connection use-cases: add, get, list, update, test, remove; every one audited.

Connection names are compared without regard to case or Unicode normal form (`Shop` and
`shop` name the same connection); a name is shown as it was typed.

The CLI, the web UI and the REST API all call these. Secrets go in sealed and come out only
through `credentials()`, which the code building a BigCommerce client calls.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bigsync.bigcommerce import StoreCredentials
from bigsync.bigcommerce.scopes import parse_granted_scopes
from bigsync.connections import inputs
from bigsync.connections.check import ClientFactory, default_client_factory, run_check
from bigsync.connections.features import DEFAULT_FEATURES, Feature, Switches, parse_features
from bigsync.connections.model import (
    UNSET,
    AddResult,
    ConnectionChanges,
    ConnectionKind,
    ConnectionView,
    ConnectResult,
    NewConnection,
    RemoveResult,
    SecretPurpose,
    mask,
)
from bigsync.connections.report import CheckReport, failing_reason
from bigsync.errors import (
    BigsyncError,
    ConnectionExistsError,
    ConnectionNotFoundError,
    InputError,
)
from bigsync.store import connection_repository as repo
from bigsync.store.purge import delete_connection_data
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.vault import RotationResult, SealedSecret, Vault, rotate, secret_context

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.bigcommerce.com"
CHANGED_DURING_TEST = (
    "the connection was edited or removed while the test ran, so this result was not saved; "
    "test it again"
)


@dataclass(frozen=True)
class _Secrets:
    """Cleaned secrets to seal, by purpose (never logged or shown)."""

    values: Mapping[SecretPurpose, str]

    def __repr__(self) -> str:
        return f"_Secrets({sorted(self.values)})"


class ConnectionService:
    """Connection use-cases over one database and one vault, acting as `actor`."""

    def __init__(
        self,
        engine: Engine,
        vault: Vault,
        *,
        actor: str = "system",
        default_api_url: str = DEFAULT_API_URL,
        client_factory: ClientFactory = default_client_factory,
    ) -> None:
        self.engine = engine
        self.db = UnitOfWork(engine)
        self.vault = vault
        self.actor = actor
        self.default_api_url = default_api_url.rstrip("/")
        self.client_factory = client_factory

    # --- reading ---------------------------------------------------------------------------

    def get(self, name: str) -> ConnectionView:
        """The connection called `name`."""
        with self.db.read() as conn:
            return self._view(conn, self._row(conn, name))

    def get_by_id(self, connection_id: int) -> ConnectionView:
        """The connection with this id (what mirrored rows reference)."""
        with self.db.read() as conn:
            row = repo.get_connection(conn, connection_id=connection_id)
            if row is None:
                raise ConnectionNotFoundError(f"no connection with id {connection_id}")
            return self._view(conn, row)

    def list(self) -> builtins.list[ConnectionView]:
        """Every connection, by name."""
        with self.db.read() as conn:
            return [self._view(conn, row) for row in repo.list_connections(conn)]

    def audit(
        self, name: str | None = None, *, limit: int = 100, before_id: int | None = None
    ) -> builtins.list[repo.AuditEntry]:
        """The newest audit-log entries, for one connection or all (`before_id`: older than
        that entry, the next page)."""
        with self.db.read() as conn:
            connection_id = self._row(conn, name).id if name else None
            return repo.list_audit(
                conn, connection_id=connection_id, limit=limit, before_id=before_id
            )

    def credentials(self, name: str) -> StoreCredentials:
        """The opened credentials of `name`, for the code that builds a BigCommerce client."""
        with self.db.read() as conn:
            row = self._row(conn, name)
            return self._credentials(conn, row)

    def open_secret(self, connection_id: int, purpose: SecretPurpose) -> str | None:
        """One opened secret of a connection (None when it has none), for the code that
        checks what the secret protects (a webhook receiver comparing its header)."""
        with self.db.read() as conn:
            secret = repo.get_secrets(conn, connection_id).get(purpose)
        if secret is None:
            return None
        sealed = SealedSecret(
            key_id=secret.key_id, nonce=secret.nonce, ciphertext=secret.ciphertext
        )
        return self.vault.open(sealed, context=secret_context(connection_id, purpose))

    def note(self, name: str, action: str, detail: str) -> None:
        """Add an audit entry about `name` for something that happened outside these
        use-cases (a user removed from the store's app, a webhook repaired)."""
        with self.db.write() as conn:
            row = self._row(conn, name)
            self._audit(conn, action, row.id, row.name, detail=detail)

    # --- writing ---------------------------------------------------------------------------

    def add(self, new: NewConnection) -> AddResult:
        """Check, seal and store a new connection."""
        name = inputs.clean_name(new.name)
        kind = ConnectionKind(new.kind)
        client_id = inputs.clean_client_id(new.client_id)
        if kind is ConnectionKind.BASIC and client_id is None:
            raise InputError("the basic form needs the client id as the username")
        token = inputs.clean_secret(new.access_token, client_id=client_id)
        store = inputs.clean_store_hash(new.store, token=token.value)
        secrets = self._clean_secrets(token.value, new.client_secret, new.webhook_secret)
        switches = Switches(DEFAULT_FEATURES)
        if new.features is not None:
            switches = Switches(()).set_list(_features(new.features))
        granted = parse_granted_scopes(new.granted_scopes)
        api_url = inputs.chosen_api_url(new.store, new.api_url, default=self.default_api_url)
        every = _every_seconds(new.sync_every)
        with self.db.write() as conn:
            same = _find(conn, name)
            if same is not None:
                raise ConnectionExistsError(f"a connection named {same.name!r} already exists")
            connection_id = repo.insert_connection(
                conn,
                name=name,
                name_key=inputs.name_key(name),
                kind=kind.value,
                store_hash=store.value,
                api_url=api_url.value,
                client_id=client_id,
                granted_scopes=sorted(granted) if granted is not None else None,
                features=[f.value for f in switches.on],
                features_off=[f.value for f in switches.off],
            )
            if every is not None:
                repo.update_connection(conn, connection_id, sync_every_s=every)
            self._seal_all(conn, connection_id, secrets)
            self._audit(
                conn, "created", connection_id, name, detail=f"{kind.value} for store {store.value}"
            )
            view = self._view(conn, self._row(conn, name))
        log.info("connection %s added (store %s)", name, store.value)
        notices = token.notices + store.notices + api_url.notices + switches.notices
        return AddResult(view, notices)

    def update(self, name: str, changes: ConnectionChanges) -> AddResult:
        """Edit a connection; credential changes need the access token re-entered."""
        if changes.touches_credentials and changes.access_token is None:
            raise InputError(
                "changing the store, kind, client id, API URL or scopes needs the access token "
                "entered again"
            )
        with self.db.write() as conn:
            row = self._row(conn, name)
            edit = _plan_edit(row, changes)
            new_name = str(edit.values.get("name", row.name))
            same = _find(conn, new_name)
            if same is not None and same.id != row.id:
                raise ConnectionExistsError(f"a connection named {same.name!r} already exists")
            secrets = self._clean_secrets(edit.token, changes.client_secret, changes.webhook_secret)
            if edit.values or secrets.values:  # a new secret is an edit too (see `test`)
                repo.update_connection(conn, row.id, **edit.values)
            self._seal_all(conn, row.id, secrets)
            changed = [*edit.changed, *(p.replace("_", " ") for p in secrets.values)]
            detail = "changed: " + (", ".join(changed) or "nothing")
            self._audit(conn, "edited", row.id, new_name, detail=detail)
            view = self._view(conn, self._row(conn, new_name))
        return AddResult(view, edit.notices)

    def remove(self, name: str, *, purge_data: bool = False) -> RemoveResult:
        """Remove a connection and its secrets; its mirrored data too when `purge_data`.

        Kept data stays attached to an archived connection row (renamed so that the name is
        free again), because mirrored rows reference it.
        """
        with self.db.write() as conn:
            row = self._row(conn, name)
            secrets = repo.delete_secrets(conn, row.id)
            if purge_data:
                deleted = delete_connection_data(conn, row.id)
                repo.delete_connection(conn, row.id)
                detail = f"secrets deleted; mirrored data deleted ({_counts(deleted)})"
            else:
                deleted = {}
                now = datetime.now(UTC)
                archived = inputs.archived_name(row.name, row.id)
                repo.update_connection(
                    conn,
                    row.id,
                    name=archived,
                    name_key=inputs.name_key(archived),
                    removed_at=now,
                    features=[],
                    disabled_features={},
                )
                detail = "secrets deleted; mirrored data kept"
            self._audit(conn, "removed", row.id, row.name, detail=detail)
        log.info("connection %s removed (%s)", row.name, detail)
        return RemoveResult(row.name, secrets, deleted, data_kept=not purge_data)

    async def test(self, name: str) -> CheckReport:
        """Test `name`: host, token, store info, scopes; disable features whose scopes are
        missing and re-enable the others. The CLI, the UI's Test button and the API share it."""
        with self.db.read() as conn:
            row = self._row(conn, name)
            try:
                credentials = self._credentials(conn, row)
            except BigsyncError as error:
                self._audit_now("tested", row.id, row.name, outcome="failed", detail=str(error))
                raise
        granted = frozenset(row.granted_scopes) if row.granted_scopes is not None else None
        report = await run_check(
            credentials,
            api_url=row.api_url,
            features=_features(row.features),
            granted=granted,
            connection=row.name,
            switched_off=_features(row.features_off),
            client_factory=self.client_factory,
        )
        values: dict[str, object] = {
            "last_test": report.to_json(),
            "last_tested_at": datetime.now(UTC),
        }
        disabled = {
            f.feature: f.disabled_reason for f in report.features if f.wanted and f.disabled_reason
        }
        wanted = [f.feature for f in report.features if f.wanted]
        turned_on = [f for f in wanted if f not in row.features]
        if report.ok:
            values["disabled_features"] = disabled
            values["features"] = wanted
        outcome = "ok" if report.ok else "failed"
        with self.db.write() as conn:
            # The result describes the connection as it was read: an edit or removal made
            # while the test ran wins, and the result is reported but not saved.
            saved = repo.update_connection_if_unchanged(conn, row.id, row.updated_at, **values)
            if not saved:
                report = replace(report, notes=(*report.notes, CHANGED_DURING_TEST))
                detail = f"{_summary(report)}; not saved: {CHANGED_DURING_TEST}"
                self._audit(conn, "tested", row.id, row.name, outcome=outcome, detail=detail)
                return report
            if report.ok and turned_on:
                detail = "its scopes are granted: " + ", ".join(turned_on)
                self._audit(conn, "enabled", row.id, row.name, detail=detail)
            newly = sorted(set(disabled) - set(row.disabled_features)) if report.ok else []
            if newly:
                reasons = "; ".join(f"{f}: {disabled[f]}" for f in newly)
                self._audit(conn, "disabled", row.id, row.name, detail=reasons)
            self._audit(conn, "tested", row.id, row.name, outcome=outcome, detail=_summary(report))
        return report

    async def check_new(self, new: NewConnection) -> CheckReport:
        """Test what a user typed for a new connection without saving anything (the web
        wizard's Test button): the inputs are cleaned as `add` cleans them, then checked."""
        client_id = inputs.clean_client_id(new.client_id)
        token = inputs.clean_secret(new.access_token, client_id=client_id)
        store = inputs.clean_store_hash(new.store, token=token.value)
        api_url = inputs.chosen_api_url(new.store, new.api_url, default=self.default_api_url)
        features = _features(new.features) if new.features is not None else DEFAULT_FEATURES
        credentials = StoreCredentials(
            store_hash=store.value, access_token=token.value, client_id=client_id
        )
        return await run_check(
            credentials,
            api_url=api_url.value,
            features=tuple(features),
            granted=parse_granted_scopes(new.granted_scopes),
            connection=inputs.clean_name(new.name) if new.name.strip() else "NAME",
            client_factory=self.client_factory,
        )

    async def connect(self, new: NewConnection) -> ConnectResult:
        """Check `new` first and save it only when the store accepted its credentials; then
        test the saved connection (which turns its features on and lets `bigsync serve`
        start the first sync). A refusal saves nothing: `added` is None and `report` says
        what is wrong."""
        inputs.clean_name(new.name)
        with self.db.read() as conn:
            same = _find(conn, new.name)
        if same is not None:
            raise ConnectionExistsError(f"a connection named {same.name!r} already exists")
        report = await self.check_new(new)
        if not report.ok:
            return ConnectResult(None, report)
        added = self.add(new)
        saved = await self.test(added.connection.name)
        return ConnectResult(added, saved)

    def rotate_keys(self, *, batch_size: int = 50) -> RotationResult:
        """Re-seal every secret under a new master key (or resume an interrupted rotation)."""
        try:
            result = rotate(self.vault, self.db, batch_size=batch_size)
        except BigsyncError as error:
            self._audit_now("rotated", None, None, outcome="failed", detail=str(error))
            raise
        detail = f"re-sealed {result.resealed} secrets under key {result.key_id}"
        if result.resumed:
            detail += " (resumed an interrupted rotation)"
        self._audit_now("rotated", None, None, detail=detail)
        return result

    # --- internals -------------------------------------------------------------------------

    def _row(self, conn: Connection, name: str | None) -> repo.ConnectionRow:
        row = _find(conn, name) if name else None
        if row is None:
            raise ConnectionNotFoundError(f"no connection named {name!r}")
        return row

    def _view(self, conn: Connection, row: repo.ConnectionRow) -> ConnectionView:
        hints = {p: mask(s.last4) for p, s in repo.get_secrets(conn, row.id).items()}
        last_test = CheckReport.from_json(row.last_test) if row.last_test else None
        return ConnectionView(
            id=row.id,
            name=row.name,
            kind=ConnectionKind(row.kind),
            store_hash=row.store_hash,
            api_url=row.api_url,
            client_id=row.client_id,
            granted_scopes=row.granted_scopes,
            features=row.features,
            disabled_features=row.disabled_features,
            features_off=row.features_off,
            secret_hints=hints,
            last_test=last_test,
            failing_reason=failing_reason(row.name, last_test),
            last_tested_at=row.last_tested_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            sync_every=timedelta(seconds=row.sync_every_s) if row.sync_every_s else None,
        )

    def _credentials(self, conn: Connection, row: repo.ConnectionRow) -> StoreCredentials:
        secret = repo.get_secrets(conn, row.id).get(SecretPurpose.ACCESS_TOKEN)
        if secret is None:
            raise ConnectionNotFoundError(f"connection {row.name!r} has no access token")
        sealed = SealedSecret(
            key_id=secret.key_id, nonce=secret.nonce, ciphertext=secret.ciphertext
        )
        token = self.vault.open(sealed, context=secret_context(row.id, SecretPurpose.ACCESS_TOKEN))
        return StoreCredentials(
            store_hash=row.store_hash, access_token=token, client_id=row.client_id
        )

    def _clean_secrets(
        self, token: str | None, client_secret: str | None, webhook_secret: str | None
    ) -> _Secrets:
        values: dict[SecretPurpose, str] = {}
        if token is not None:
            values[SecretPurpose.ACCESS_TOKEN] = token
        if client_secret:
            values[SecretPurpose.CLIENT_SECRET] = inputs.clean_secret(
                client_secret, what="client secret"
            ).value
        if webhook_secret:
            values[SecretPurpose.WEBHOOK_SECRET] = inputs.clean_secret(
                webhook_secret, what="webhook secret"
            ).value
        return _Secrets(values)

    def _seal_all(self, conn: Connection, connection_id: int, secrets: _Secrets) -> None:
        for purpose, value in secrets.values.items():
            sealed = self.vault.seal(value, context=secret_context(connection_id, purpose))
            repo.put_secret(
                conn,
                connection_id,
                purpose,
                key_id=sealed.key_id,
                nonce=sealed.nonce,
                ciphertext=sealed.ciphertext,
                last4=value[-4:],
            )

    def _audit(
        self,
        conn: Connection,
        action: str,
        connection_id: int | None,
        name: str | None,
        *,
        outcome: str = "ok",
        detail: str = "",
    ) -> None:
        entry = repo.AuditEntry(
            actor=self.actor,
            action=action,
            outcome=outcome,
            detail=detail,
            connection_id=connection_id,
            connection_name=name,
        )
        repo.append_audit(conn, entry)

    def _audit_now(
        self,
        action: str,
        connection_id: int | None,
        name: str | None,
        *,
        outcome: str = "ok",
        detail: str = "",
    ) -> None:
        with self.db.write() as conn:
            self._audit(conn, action, connection_id, name, outcome=outcome, detail=detail)


@dataclass(frozen=True)
class _Edit:
    """Column values and the new token an edit amounts to."""

    values: Mapping[str, object]
    changed: tuple[str, ...]
    token: str | None = field(default=None, repr=False)
    notices: tuple[str, ...] = ()


def _plan_edit(row: repo.ConnectionRow, changes: ConnectionChanges) -> _Edit:
    values: dict[str, object] = {}
    changed: list[str] = []
    if changes.name is not None and inputs.clean_name(changes.name) != row.name:
        values["name"] = inputs.clean_name(changes.name)
        values["name_key"] = inputs.name_key(changes.name)
        changed.append("name")
    kind = ConnectionKind(changes.kind or row.kind)
    client_id = row.client_id
    if changes.client_id is not UNSET:
        client_id = inputs.clean_client_id(changes.client_id)
        values["client_id"] = client_id
        changed.append("client id")
    if kind is ConnectionKind.BASIC and client_id is None:
        raise InputError("the basic form needs the client id as the username")
    if changes.kind is not None:
        values["kind"] = kind.value
        changed.append("kind")
    api_url = inputs.chosen_api_url(changes.store or "", changes.api_url, default=row.api_url)
    if api_url.value != row.api_url:
        values["api_url"] = api_url.value
        changed.append("API URL")
    if changes.granted_scopes is not UNSET:
        granted = parse_granted_scopes(changes.granted_scopes)
        values["granted_scopes"] = sorted(granted) if granted is not None else None
        changed.append("granted scopes")
    every = _every_seconds(changes.sync_every)
    if every is not None and every != row.sync_every_s:
        values["sync_every_s"] = every
        changed.append("sync interval")
    switches = _switch(row, changes)
    if switches.on != _features(row.features) or switches.off != _features(row.features_off):
        on = [f.value for f in switches.on]
        values["features"] = on
        values["features_off"] = [f.value for f in switches.off]
        values["disabled_features"] = {f: r for f, r in row.disabled_features.items() if f in on}
        changed.append("features")
    if changes.access_token is None:
        return _Edit(values, tuple(changed), notices=switches.notices)
    token = inputs.clean_secret(changes.access_token, client_id=client_id)
    notices = switches.notices + token.notices
    if "api_url" in values:
        notices += api_url.notices
    if changes.store is not None:
        store = inputs.clean_store_hash(changes.store, token=token.value)
        values["store_hash"] = store.value
        notices += store.notices
        changed.append("store hash")
    return _Edit(values, tuple(changed), token.value, notices)


def _switch(row: repo.ConnectionRow, changes: ConnectionChanges) -> Switches:
    """The feature switches after `changes`: the list first (`-f`), then enable, disable."""
    switches = Switches(_features(row.features), _features(row.features_off))
    if changes.features is not None:
        switches = switches.set_list(_features(changes.features))
    if changes.enable:
        switches = switches.enable(_features(changes.enable))
    if changes.disable:
        switches = switches.disable(_features(changes.disable))
    return switches


def _every_seconds(every: str | timedelta | None) -> int | None:
    """A sync interval as typed (`5m`) or given, in whole seconds, checked."""
    if every is None:
        return None
    if isinstance(every, timedelta):
        every = f"{int(every.total_seconds())}s"
    return int(inputs.parse_every(every).total_seconds())


def _find(conn: Connection, name: str) -> repo.ConnectionRow | None:
    """The active connection whose name matches `name` by `inputs.name_key`, if any."""
    return repo.get_connection(conn, name_key=inputs.name_key(name))


def _features(names: Sequence[Feature | str]) -> tuple[Feature, ...]:
    try:
        return parse_features(str(n) for n in names)
    except ValueError as error:
        raise InputError(str(error)) from None


def _counts(deleted: Mapping[str, int]) -> str:
    return ", ".join(f"{table}: {n}" for table, n in sorted(deleted.items())) or "none"


def _summary(report: CheckReport) -> str:
    failed = [c for c in report.checks if c.ok is not True]
    if failed:
        return "; ".join(f"{c.name}: {c.message}" for c in failed)
    disabled = [f.feature for f in report.features if f.disabled_reason]
    enabled = [f.feature for f in report.features if not f.disabled_reason]
    return f"enabled: {', '.join(enabled) or 'none'}; disabled: {', '.join(disabled) or 'none'}"
