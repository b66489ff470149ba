"""The connection use-cases: add, get, list, update, remove, credentials, audit, key rotation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bigsync.config import Settings
from bigsync.connections import (
    ConnectionChanges,
    ConnectionKind,
    ConnectionService,
    NewConnection,
)
from bigsync.errors import ConnectionExistsError, ConnectionNotFoundError, InputError, VaultKeyError
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.mirror_schema import store_info
from bigsync.store.schema import connection_secrets
from bigsync.vault import Vault

TOKEN = "svc0test0token0000000000000wxyz"
OTHER_TOKEN = "svc0test0token0000000000000abcd"
CLIENT_SECRET = "svc0test0client0secret0000009876"


def new(name: str = "shop", token: str = TOKEN, **kw: Any) -> NewConnection:
    return NewConnection(
        name=name, store="https://api.bigcommerce.com/stores/abc123/v3/", access_token=token, **kw
    )


@pytest.fixture
def plain_service(database_url: str, tmp_path: Path) -> Iterator[ConnectionService]:
    engine = create_engine_for(database_url)
    migrate(engine)
    vault = Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))
    yield ConnectionService(engine, vault, actor="cli:tester")
    engine.dispose()


def test_add_shows_secrets_only_masked(plain_service: ConnectionService) -> None:
    result = plain_service.add(
        new(token=f"{TOKEN}  \n", client_id="cid0000000000000000001", client_secret=CLIENT_SECRET)
    )
    assert result.notices == (
        "removed spaces or line breaks around the access token",
        "using store hash abc123 from what was pasted",
    )
    view = result.connection
    assert view.store_hash == "abc123"
    assert view.kind is ConnectionKind.API_ACCOUNT
    assert view.token_hint == "••••wxyz"
    assert view.secret_hints == {"access_token": "••••wxyz", "client_secret": "••••9876"}
    assert view.features == ("read_catalog", "read_orders", "read_inventory")
    for shown in (repr(view), str(view.to_json()), repr(result), repr(plain_service.list())):
        assert TOKEN not in shown
        assert CLIENT_SECRET not in shown
    assert plain_service.get("shop") == view
    assert plain_service.get_by_id(view.id) == view
    assert [v.name for v in plain_service.list()] == ["shop"]
    # The one way out: credentials for the code that builds a client.
    credentials = plain_service.credentials("shop")
    assert credentials.access_token == TOKEN
    assert credentials.store_hash == "abc123"
    assert TOKEN not in repr(credentials)


def test_database_holds_only_ciphertext(plain_service: ConnectionService) -> None:
    plain_service.add(new(client_secret=CLIENT_SECRET))
    with plain_service.engine.connect() as conn:
        rows = conn.execute(connection_secrets.select()).all()
        everything = "\n".join(str(tuple(row)) for row in rows)
    assert len(rows) == 2
    for row in rows:
        assert TOKEN.encode() not in bytes(row.ciphertext)
        assert CLIENT_SECRET.encode() not in bytes(row.ciphertext)
    assert TOKEN not in everything
    assert CLIENT_SECRET not in everything


def test_names_are_unique(plain_service: ConnectionService) -> None:
    plain_service.add(new())
    with pytest.raises(ConnectionExistsError, match="'shop' already exists"):
        plain_service.add(new(name=" shop "))


def test_names_differing_only_in_case_or_normal_form_are_one_name(
    plain_service: ConnectionService,
) -> None:
    decomposed, composed = "Cafe\u0301 Shop", "Caf\u00e9 shop"
    plain_service.add(new(name=decomposed))
    for clash in (composed, "CAFÉ SHOP"):
        with pytest.raises(ConnectionExistsError, match="already exists"):
            plain_service.add(new(name=clash))
    assert [v.name for v in plain_service.list()] == ["Caf\u00e9 Shop"]
    assert plain_service.get(composed).name == "Caf\u00e9 Shop"
    plain_service.add(new(name="other"))
    with pytest.raises(ConnectionExistsError, match="already exists"):
        plain_service.update("other", ConnectionChanges(name="café SHOP"))
    renamed = plain_service.update(composed, ConnectionChanges(name="CAFÉ SHOP")).connection
    assert renamed.name == "CAFÉ SHOP"  # a change of case is a rename of the same connection


def test_a_name_cannot_take_the_one_a_removed_connection_will_keep(
    plain_service: ConnectionService,
) -> None:
    shop = plain_service.add(new()).connection
    with pytest.raises(InputError, match="kept for removed connections"):
        plain_service.add(new(name=f"shop~removed-{shop.id}"))
    assert plain_service.remove("shop").data_kept
    assert plain_service.add(new(name="shop~removed")).connection.name == "shop~removed"


def test_an_api_path_pasted_as_the_api_url_is_refused(plain_service: ConnectionService) -> None:
    with pytest.raises(InputError, match="store field"):
        plain_service.add(new(api_url="https://api.bigcommerce.com/stores/abc123/v3/"))
    plain_service.add(new())
    with pytest.raises(InputError, match="store field"):
        plain_service.update(
            "shop", ConnectionChanges(api_url="https://x.test/stores/abc123", access_token=TOKEN)
        )


def test_basic_form_needs_the_client_id_as_username(plain_service: ConnectionService) -> None:
    with pytest.raises(InputError, match="username"):
        plain_service.add(new(kind=ConnectionKind.BASIC))
    view = plain_service.add(
        new(kind=ConnectionKind.BASIC, client_id="user0name0as0client0id1")
    ).connection
    assert view.kind is ConnectionKind.BASIC
    assert plain_service.credentials("shop").client_id == "user0name0as0client0id1"


def test_editing_credentials_requires_the_token_again(plain_service: ConnectionService) -> None:
    plain_service.add(new())
    view = plain_service.update(
        "shop", ConnectionChanges(features=["read_catalog", "webhooks"])
    ).connection
    assert view.features == ("read_catalog", "webhooks")
    with pytest.raises(InputError, match="access token entered again"):
        plain_service.update("shop", ConnectionChanges(store="xyz789"))
    view = plain_service.update(
        "shop", ConnectionChanges(store="store-xyz789", access_token=OTHER_TOKEN, name="renamed")
    ).connection
    assert (view.name, view.store_hash, view.token_hint) == ("renamed", "xyz789", "••••abcd")
    assert plain_service.credentials("renamed").access_token == OTHER_TOKEN
    with pytest.raises(ConnectionNotFoundError):
        plain_service.get("shop")
    edited = plain_service.audit("renamed")[0]
    assert edited.action == "edited"
    assert edited.detail == "changed: name, store hash, access token"
    assert OTHER_TOKEN not in edited.detail


def mirror_row(service: ConnectionService, connection_id: int) -> None:
    with service.engine.begin() as conn:
        conn.execute(
            store_info.insert().values(
                connection_id=connection_id,
                store_hash="abc123",
                raw={"id": "abc123"},
                synced_at=datetime.now(UTC),
            )
        )


def mirrored(service: ConnectionService, connection_id: int) -> int:
    with service.engine.connect() as conn:
        query = sa.select(sa.func.count()).where(store_info.c.connection_id == connection_id)
        return int(conn.execute(query).scalar_one())


def test_remove_keeps_mirrored_data_by_default_and_frees_the_name(
    plain_service: ConnectionService,
) -> None:
    first = plain_service.add(new()).connection
    mirror_row(plain_service, first.id)
    result = plain_service.remove("shop")
    assert (result.secrets_deleted, result.data_kept, result.data_deleted) == (1, True, {})
    assert mirrored(plain_service, first.id) == 1
    with pytest.raises(ConnectionNotFoundError):
        plain_service.credentials("shop")
    with plain_service.engine.connect() as conn:
        count = sa.select(sa.func.count()).select_from(connection_secrets)
        assert conn.execute(count).scalar() == 0
    second = plain_service.add(new()).connection  # the name is free again
    assert second.id != first.id
    mirror_row(plain_service, second.id)
    removed = plain_service.remove("shop", purge_data=True)
    assert removed.secrets_deleted == 1
    assert removed.data_deleted == {"store_info": 1}
    assert not removed.data_kept
    assert mirrored(plain_service, second.id) == 0
    actions = [(e.action, e.connection_name) for e in plain_service.audit()]
    assert actions == [
        ("removed", "shop"),
        ("created", "shop"),
        ("removed", "shop"),
        ("created", "shop"),
    ]
    assert "mirrored data deleted (store_info: 1)" in plain_service.audit()[0].detail
    assert plain_service.list() == []


def test_unknown_connection(plain_service: ConnectionService) -> None:
    with pytest.raises(ConnectionNotFoundError, match="no connection named 'nope'"):
        plain_service.get("nope")
    with pytest.raises(ConnectionNotFoundError, match="no connection with id 42"):
        plain_service.get_by_id(42)


async def test_lost_master_key_is_a_clear_error(
    plain_service: ConnectionService, tmp_path: Path
) -> None:
    plain_service.add(new())
    plain_service.vault = Vault.from_settings(
        Settings(data_dir=tmp_path / "other", secret_key=None)
    )
    with pytest.raises(VaultKeyError, match="not in the keyring"):
        await plain_service.test("shop")
    last = plain_service.audit("shop")[0]
    assert (last.action, last.outcome) == ("tested", "failed")


def test_rotate_keys_is_audited_and_keeps_credentials(plain_service: ConnectionService) -> None:
    plain_service.add(new(client_secret=CLIENT_SECRET))
    result = plain_service.rotate_keys()
    assert result.resealed == 2
    assert plain_service.credentials("shop").access_token == TOKEN
    entry = plain_service.audit()[0]
    assert (entry.action, entry.connection_id) == ("rotated", None)
    assert f"re-sealed 2 secrets under key {result.key_id}" == entry.detail
