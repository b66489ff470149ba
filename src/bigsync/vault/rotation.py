"""Master-key rotation: re-seal every secret under a new key, safely resumable.

The steps, each durable before the next begins:

1. Key file mode: write the key file with a new primary key, keeping the old keys
   (atomic replace). Environment mode: the new key is the first of `BIGSYNC_SECRET_KEY`.
2. Re-seal secrets still under a retired key, a small batch per transaction; each row is
   swapped only if unchanged since it was read.
3. Key file mode: once no secret uses them, drop the retired keys from the key file, then
   sweep once more with the retired keys still held in memory (a process that read the
   key file just before the prune may have sealed one more secret with an old key).

A crash anywhere leaves every secret openable (the keys it needs are still in the key file)
and running `rotate` again resumes instead of adding yet another key. Running processes
reread the key file when it changes, so nothing has to stop. What remains: a process that
seals with a retired key *after* the final sweep (it read the key file before the prune and
commits later than the sweep) leaves a secret no key opens; `rotate` reports such secrets
as `unreadable`, and their tokens must be entered again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bigsync.errors import VaultKeyError
from bigsync.store import connection_repository as repo
from bigsync.store.unit_of_work import UnitOfWork
from bigsync.vault.keys import Keyring, generate_key
from bigsync.vault.vault import SealedSecret, Vault, secret_context

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

StepKind = Literal["key_added", "resumed", "resealed", "pruned", "done"]


@dataclass(frozen=True)
class RotationStep:
    """One durable step of a rotation; `count` is the secrets it re-sealed."""

    kind: StepKind
    key_id: str
    count: int = 0
    detail: str = ""


@dataclass(frozen=True)
class RotationResult:
    """What a finished rotation did."""

    key_id: str
    resealed: int
    resumed: bool
    # Retired keys no secret needs any more (dropped from the key file; with
    # BIGSYNC_SECRET_KEY the user removes them from the variable).
    unused_key_ids: tuple[str, ...]
    # Secrets sealed with a key that is in no keyring: their tokens must be re-entered.
    unreadable: int


def rotation_steps(
    vault: Vault, database: Engine | UnitOfWork, *, batch_size: int = 50
) -> Iterator[RotationStep]:
    """Run a rotation, yielding after every durable step (stop iterating = crash there)."""
    db = _unit_of_work(database)
    key_file = None if vault.uses_env_key else vault.key_file
    if key_file is not None:
        keyring = vault.keyring()
        if keyring.retired_ids:
            yield RotationStep("resumed", keyring.primary_id, detail="finishing a rotation")
        else:
            key_file.save(keyring.with_primary(generate_key()))
            yield RotationStep("key_added", vault.keyring().primary_id)
    keyring = vault.keyring()
    # Re-seal with this keyring held in memory: it keeps the retired keys even once they have
    # left the key file.
    working = Vault(key_file=None, env_keyring=keyring)
    yield from _reseal_all(working, db, keyring, batch_size=batch_size)
    with db.read() as conn:
        in_use = repo.count_secrets_by_key(conn)
    unused = [kid for kid in keyring.retired_ids if not in_use.get(kid)]
    if key_file is not None and unused:
        current = key_file.load()
        if current.primary_id == keyring.primary_id:
            key_file.save(current.only_primary())
            yield RotationStep("pruned", keyring.primary_id, detail=",".join(unused))
            # A process that read the key file just before the prune may still seal a secret
            # with a retired key: sweep once more with the keys held in memory.
            yield from _reseal_all(working, db, keyring, batch_size=batch_size)
    yield RotationStep("done", keyring.primary_id, detail=",".join(unused))


def _reseal_all(
    working: Vault, db: UnitOfWork, keyring: Keyring, *, batch_size: int
) -> Iterator[RotationStep]:
    """Re-seal every secret under a retired key, one committed batch per step."""
    while keyring.retired_ids:
        with db.write() as conn:
            batch = repo.secrets_sealed_with(conn, keyring.retired_ids, limit=batch_size)
            resealed = sum(_reseal(working, conn, secret, keyring.primary_id) for secret in batch)
        if not batch:
            return
        yield RotationStep("resealed", keyring.primary_id, count=resealed)


def _reseal(vault: Vault, conn: Connection, secret: repo.SecretRow, primary_id: str) -> int:
    context = secret_context(secret.connection_id, secret.purpose)
    sealed = SealedSecret(key_id=secret.key_id, nonce=secret.nonce, ciphertext=secret.ciphertext)
    resealed = vault.seal(vault.open(sealed, context=context), context=context)
    if resealed.key_id != primary_id:
        raise VaultKeyError("the primary master key changed during the rotation; run it again")
    swapped = repo.replace_sealed(
        conn, secret, key_id=resealed.key_id, nonce=resealed.nonce, ciphertext=resealed.ciphertext
    )
    return int(swapped)


def rotate(vault: Vault, database: Engine | UnitOfWork, *, batch_size: int = 50) -> RotationResult:
    """Run (or resume) a rotation to the end."""
    db = _unit_of_work(database)
    steps = list(rotation_steps(vault, db, batch_size=batch_size))
    last = steps[-1]
    keyring = vault.keyring()
    with db.read() as conn:
        in_use = repo.count_secrets_by_key(conn)
    return RotationResult(
        key_id=last.key_id,
        resealed=sum(step.count for step in steps),
        resumed=steps[0].kind == "resumed",
        unused_key_ids=tuple(kid for kid in last.detail.split(",") if kid),
        unreadable=sum(n for kid, n in in_use.items() if kid not in keyring.keys),
    )


def _unit_of_work(database: Engine | UnitOfWork) -> UnitOfWork:
    return database if isinstance(database, UnitOfWork) else UnitOfWork(database)
