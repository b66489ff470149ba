"""Master-key rotation over many secrets: wall time, and how long each batch holds a write lock.

    .venv/bin/python bench/vault_rotate.py [--secrets 10000] [--batch 50]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

Seeds one connection per secret in a fresh database (a SQLite file in a temporary directory,
or a throw-away schema in the PostgreSQL that `--postgres` names), seals the secrets with
a key-file vault, then runs `bigsync.vault.rotate` and reports the total time, secrets per
second, and the slowest batch transaction (the longest a concurrent writer could wait).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bigsync.config import Settings
from bigsync.store import connection_repository as repo
from bigsync.store.db import create_engine_for, migrate
from bigsync.vault import Vault, rotation_steps, secret_context


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--postgres", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.postgres, Path(tmp)) as url:
        engine = create_engine_for(url)
        migrate(engine)
        vault = Vault.from_settings(Settings(data_dir=Path(tmp) / "data", secret_key=None))
        seed(engine, vault, args.secrets)
        started = time.perf_counter()
        last = started
        slowest = 0.0
        resealed = 0
        for step in rotation_steps(vault, engine, batch_size=args.batch):
            now = time.perf_counter()
            if step.kind == "resealed":
                slowest = max(slowest, now - last)
                resealed += step.count
            last = now
        total = time.perf_counter() - started
        engine.dispose()
    print(f"database: {url.split(':', 1)[0]}, secrets: {resealed}, batch: {args.batch}")
    print(f"rotation: {total:.2f} s, {resealed / total:,.0f} secrets/s")
    print(f"slowest batch transaction: {slowest * 1000:.1f} ms")


@contextmanager
def database(postgres: str | None, tmp: Path) -> Iterator[str]:
    """A fresh SQLite file, or a PostgreSQL schema dropped afterwards."""
    if postgres is None:
        yield f"sqlite:///{tmp}/bench.db"
        return
    schema = f"bench_rotate_{os.getpid()}"
    admin = create_engine_for(postgres)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield admin.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seed(engine: sa.Engine, vault: Vault, count: int) -> None:
    with engine.begin() as conn:
        for n in range(count):
            cid = repo.insert_connection(
                conn,
                name=f"bench-{n}",
                name_key=f"bench-{n}",
                kind="api_account",
                store_hash=f"h{n}",
                api_url="http://127.0.0.1",
                client_id=None,
                granted_scopes=None,
                features=[],
            )
            value = f"bench0secret0value0{n:012d}"
            sealed = vault.seal(value, context=secret_context(cid, "access_token"))
            repo.put_secret(
                conn,
                cid,
                "access_token",
                key_id=sealed.key_id,
                nonce=sealed.nonce,
                ciphertext=sealed.ciphertext,
                last4=value[-4:],
            )


if __name__ == "__main__":
    main()
