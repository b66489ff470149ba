"""Key rotation: complete, resumable after a crash at any step, never losing a secret."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from bigsync.config import Settings
from bigsync.errors import VaultTamperedError
from bigsync.store import connection_repository as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.store.schema import connection_secrets
from bigsync.vault import (
    KeyFile,
    SealedSecret,
    Vault,
    generate_key,
    key_id_of,
    rotate,
    rotation_steps,
    secret_context,
)

PURPOSES = ("access_token", "client_secret")


def seed(engine: Engine, vault: Vault, connections: int) -> dict[tuple[int, str], str]:
    """`connections` connections with two secrets each; returns the plaintexts."""
    plaintexts = {}
    with engine.begin() as conn:
        for n in range(connections):
            cid = repo.insert_connection(
                conn,
                name=f"shop-{n}",
                name_key=f"shop-{n}",
                kind="api_account",
                store_hash=f"hash{n}",
                api_url="http://sandbox",
                client_id=None,
                granted_scopes=None,
                features=[],
            )
            for purpose in PURPOSES:
                value = f"rotation0test0secret0{n:04d}0{purpose}"
                sealed = vault.seal(value, context=secret_context(cid, purpose))
                repo.put_secret(
                    conn,
                    cid,
                    purpose,
                    key_id=sealed.key_id,
                    nonce=sealed.nonce,
                    ciphertext=sealed.ciphertext,
                    last4=value[-4:],
                )
                plaintexts[(cid, purpose)] = value
    return plaintexts


def open_all(engine: Engine, vault: Vault) -> dict[tuple[int, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(connection_secrets.c.id)).all()
        opened = {}
        for (secret_id,) in rows:
            row = conn.execute(
                connection_secrets.select().where(connection_secrets.c.id == secret_id)
            ).one()
            sealed = SealedSecret(key_id=row.key_id, nonce=row.nonce, ciphertext=row.ciphertext)
            opened[(row.connection_id, row.purpose)] = vault.open(
                sealed, context=secret_context(row.connection_id, row.purpose)
            )
    return opened


def key_ids_in_use(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(repo.count_secrets_by_key(conn))


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    engine = create_engine_for(sqlite_url)
    migrate(engine)
    return engine


def new_vault(data_dir: Path) -> Vault:
    """A vault as a freshly started process would build it."""
    return Vault.from_settings(Settings(data_dir=data_dir, secret_key=None))


def test_rotation_reseals_everything_and_drops_the_old_key(engine: Engine, tmp_path: Path) -> None:
    vault = new_vault(tmp_path)
    plaintexts = seed(engine, vault, 7)
    old_id = vault.keyring().primary_id
    result = rotate(vault, engine, batch_size=3)
    assert result.resealed == 14
    assert result.key_id != old_id
    assert result.unused_key_ids == (old_id,)
    assert key_ids_in_use(engine) == {result.key_id}
    assert list(KeyFile.in_dir(tmp_path).load().keys) == [result.key_id]
    assert open_all(engine, new_vault(tmp_path)) == plaintexts


def step_kinds(tmp_path: Path, sqlite_dir: Path) -> list[str]:
    engine = create_engine_for(f"sqlite:///{sqlite_dir / 'count.db'}")
    migrate(engine)
    vault = new_vault(tmp_path / "count")
    seed(engine, vault, 5)
    kinds: list[str] = [step.kind for step in rotation_steps(vault, engine, batch_size=3)]
    engine.dispose()
    return kinds


def test_rotation_interrupted_after_any_step_loses_nothing_and_resumes(tmp_path: Path) -> None:
    kinds = step_kinds(tmp_path, tmp_path)
    # 10 secrets in batches of 3; the last sweep after the prune finds nothing.
    assert kinds == ["key_added", "resealed", "resealed", "resealed", "resealed", "pruned", "done"]
    for crash_after in range(len(kinds)):
        data_dir = tmp_path / f"crash{crash_after}"
        engine = create_engine_for(f"sqlite:///{data_dir}/db.sqlite")
        migrate(engine)
        vault = new_vault(data_dir)
        plaintexts = seed(engine, vault, 5)
        # The process dies after `crash_after` durable steps.
        list(itertools.islice(rotation_steps(vault, engine, batch_size=3), crash_after))
        # A restarted process can still open every secret...
        assert open_all(engine, new_vault(data_dir)) == plaintexts
        # ...and running the rotation again finishes it instead of starting over (once
        # the old key is pruned the rotation is complete, and a new run starts afresh).
        result = rotate(new_vault(data_dir), engine, batch_size=3)
        assert result.resumed == (1 <= crash_after < kinds.index("pruned") + 1), crash_after
        assert key_ids_in_use(engine) == {result.key_id}
        assert len(KeyFile.in_dir(data_dir).load().keys) == 1
        assert open_all(engine, new_vault(data_dir)) == plaintexts
        engine.dispose()


def test_rotation_failing_inside_a_batch_rolls_that_batch_back(
    engine: Engine, tmp_path: Path
) -> None:
    vault = new_vault(tmp_path)
    plaintexts = seed(engine, vault, 4)
    # Corrupt one secret in the middle: the batch holding it fails mid-transaction.
    with engine.begin() as conn:
        victim = conn.execute(
            sa.select(connection_secrets.c.id).order_by(connection_secrets.c.id).offset(4).limit(1)
        ).scalar_one()
        conn.execute(
            connection_secrets.update()
            .where(connection_secrets.c.id == victim)
            .values(ciphertext=b"\0" * 40)
        )
    with pytest.raises(VaultTamperedError):
        rotate(vault, engine, batch_size=3)
    keyring = KeyFile.in_dir(tmp_path).load()
    assert len(keyring.keys) == 2  # the old key is kept: secrets still need it
    with engine.begin() as conn:
        victim_row = conn.execute(
            connection_secrets.select().where(connection_secrets.c.id == victim)
        ).one()
        conn.execute(connection_secrets.delete().where(connection_secrets.c.id == victim))
    del plaintexts[(victim_row.connection_id, victim_row.purpose)]
    assert open_all(engine, new_vault(tmp_path)) == plaintexts
    result = rotate(new_vault(tmp_path), engine, batch_size=3)
    assert result.resumed
    assert open_all(engine, new_vault(tmp_path)) == plaintexts
    assert key_ids_in_use(engine) == {result.key_id}


def test_stray_temp_file_from_a_crashed_key_file_write_is_ignored(
    engine: Engine, tmp_path: Path
) -> None:
    vault = new_vault(tmp_path)
    plaintexts = seed(engine, vault, 2)
    (tmp_path / ".vault-keys.json.dead.tmp").write_text('{"half": ')
    rotate(new_vault(tmp_path), engine)
    assert open_all(engine, new_vault(tmp_path)) == plaintexts


def test_env_key_rotation_reseals_under_the_first_key(engine: Engine, tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    enc = lambda k: base64.urlsafe_b64encode(k).decode()  # noqa: E731
    before = Vault.from_settings(Settings(data_dir=tmp_path, secret_key=enc(old)))
    plaintexts = seed(engine, before, 3)
    after = Vault.from_settings(Settings(data_dir=tmp_path, secret_key=f"{enc(new)},{enc(old)}"))
    result = rotate(after, engine)
    assert result.resealed == 6
    assert result.unused_key_ids == (key_id_of(old),)
    only_new = Vault.from_settings(Settings(data_dir=tmp_path, secret_key=enc(new)))
    assert open_all(engine, only_new) == plaintexts


def test_secrets_under_an_unknown_key_are_reported_not_lost(engine: Engine, tmp_path: Path) -> None:
    lost = Vault.from_settings(Settings(data_dir=tmp_path / "lost", secret_key=None))
    seed(engine, lost, 1)
    result = rotate(new_vault(tmp_path), engine)
    assert result.unreadable == 2
    assert result.resealed == 0


def test_a_secret_sealed_with_the_old_key_after_the_prune_is_swept(
    engine: Engine, tmp_path: Path
) -> None:
    vault = new_vault(tmp_path)
    plaintexts = seed(engine, vault, 2)
    stale = Vault(key_file=None, env_keyring=vault.keyring())  # loaded before the rotation
    steps = rotation_steps(vault, engine)
    kinds = []
    for step in steps:
        kinds.append(step.kind)
        if step.kind == "pruned":
            break
    assert kinds == ["key_added", "resealed", "pruned"]
    # A process still holding the old key writes a secret right after the prune.
    with engine.begin() as conn:
        cid = repo.get_connection(conn, name="shop-0")
        assert cid is not None
        sealed = stale.seal(
            "late0writer0secret0value0000001", context=secret_context(cid.id, "webhook_secret")
        )
        repo.put_secret(
            conn,
            cid.id,
            "webhook_secret",
            key_id=sealed.key_id,
            nonce=sealed.nonce,
            ciphertext=sealed.ciphertext,
            last4="0001",
        )
    plaintexts[(cid.id, "webhook_secret")] = "late0writer0secret0value0000001"
    rest = [step.kind for step in steps]
    assert rest == ["resealed", "done"]
    assert open_all(engine, new_vault(tmp_path)) == plaintexts
