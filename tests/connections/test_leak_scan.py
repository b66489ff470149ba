"""The leak scan itself: it sees secrets wherever they show, and it is wired in."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from typer.testing import CliRunner

from bigsync.config import Settings
from bigsync.errors import InputError
from bigsync.vault import Vault, secret_context
from tests.leakscan import LeakRecorder

PROBE = "leak0probe0secret0value0000wxyz"


def test_scan_reports_each_place_a_secret_appears(tmp_path: Path) -> None:
    recorder = LeakRecorder(db_dirs=[tmp_path])
    recorder.record_secret(PROBE)
    recorder.record_output("log", "connected with ••••wxyz")
    (tmp_path / "clean.db").write_bytes(b"SQLite format 3\0 nothing")
    assert recorder.find_leaks() == []
    recorder.record_output("log", f"token={PROBE}")
    recorder.record_output("cli output", f"Saved {PROBE}\n")
    recorder.record_output("exception", f"bad token {PROBE}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "leaky.db-wal").write_bytes(b"\0\0" + PROBE.encode() + b"\0")
    leaks = recorder.find_leaks()
    assert "log: ••••wxyz" in leaks
    assert "cli output: ••••wxyz" in leaks
    assert "exception: ••••wxyz" in leaks
    assert any(leak.startswith("database file") and "leaky.db-wal" in leak for leak in leaks)
    assert all(PROBE not in leak for leak in leaks)


def test_the_file_scan_finds_each_secret_exactly_where_it_lies(tmp_path: Path) -> None:
    recorder = LeakRecorder(db_dirs=[tmp_path])
    short, odd = "s3cr3t-9", "with space/and+sign=="
    for secret in (PROBE, short, odd):
        recorder.record_secret(secret)
    files = {
        # amid binary pages, glued to other characters a secret can hold
        "a.db": b"\x00page" * 5000 + b"abc" + PROBE.encode() + b"defg\x01",
        # a secret of other characters, in JSON; the short one cut
        "b.sqlite": b'{"k": "' + odd.encode() + b'"} s3cr3t-',
        "c.db": short.encode(),  # exactly the shortest secret, nothing around it
        "d.db": PROBE[:9].encode() + b"\x00" + PROBE[9:].encode(),  # split: not a leak
        "e.txt": PROBE.encode(),  # not a database file
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert sorted(recorder.find_leaks()) == sorted(
        [
            f"database file {tmp_path / 'a.db'}: ••••{PROBE[-4:]}",
            f"database file {tmp_path / 'b.sqlite'}: ••••{odd[-4:]}",
            f"database file {tmp_path / 'c.db'}: ••••{short[-4:]}",
        ]
    )


def test_the_session_recorder_sees_seals_logs_cli_and_exceptions(
    leak_recorder: LeakRecorder, tmp_path: Path
) -> None:
    vault = Vault.from_settings(Settings(data_dir=tmp_path, secret_key=None))
    vault.seal("wired0in0check0secret0value0001", context=secret_context(1, "access_token"))
    assert "wired0in0check0secret0value0001" in leak_recorder.secrets
    logging.getLogger("bigsync.test").debug("marker-for-log-capture")
    InputError("marker-for-exception-capture")
    app = typer.Typer()

    @app.command()
    def hello() -> None:
        typer.echo("marker-for-cli-capture")

    CliRunner().invoke(app, [])
    texts = "\n".join(text for _, text in leak_recorder.texts)
    for marker in ("log", "exception", "cli"):
        assert f"marker-for-{marker}-capture" in texts
