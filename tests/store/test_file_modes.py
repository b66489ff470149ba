"""The mirror holds customer data: a new data directory is 0700 and its database files 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bigsync.store.db import create_engine_for, migrate


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive usual umask: files 0644, folders 0755 unless bigsync says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_a_fresh_data_directory_and_its_database_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "home" / "bigsync"
    database = data_dir / "bigsync.db"
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        migrate(engine)
        with engine.begin() as conn:  # a write, so that the -wal and -shm files exist
            conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
        assert _mode(data_dir) == 0o700
        assert _mode(data_dir.parent) == 0o700  # every folder bigsync created
        written = [p for p in data_dir.iterdir() if p.name.startswith("bigsync.db")]
        assert {p.name for p in written} >= {"bigsync.db", "bigsync.db-wal", "bigsync.db-shm"}
        assert {p.name: _mode(p) for p in written} == {p.name: 0o600 for p in written}
    finally:
        engine.dispose()


@pytest.mark.usefixtures("open_umask")
def test_an_existing_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    chosen = tmp_path / "shared"
    chosen.mkdir()
    chosen.chmod(0o755)
    database = chosen / "old.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    create_engine_for(f"sqlite:///{database}").dispose()
    assert _mode(database) == 0o600
    assert _mode(chosen) == 0o755  # a folder the user chose is left as it was
