"""The secret-leak scan: every secret sealed during the suite must never show up in plain text.

`LeakRecorder` learns each secret when the vault seals it (the one door every token,
client secret and webhook secret goes through) and collects what users and operators could
see: log records, CLI output (typer's CliRunner), bigsync exception messages, API responses
fed to `record_output`, and the database files the tests wrote. `find_leaks` reports where a
secret appeared, naming it only by its last 4 characters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

MAX_SCANNED_FILE = 64 * 1024 * 1024
DB_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db-wal", ".sqlite-wal")


@dataclass
class LeakRecorder:
    """Secrets seen sealed, and the texts they must not appear in."""

    secrets: set[str] = field(default_factory=set)
    texts: list[tuple[str, str]] = field(default_factory=list)
    db_dirs: list[Path] = field(default_factory=list)

    def record_secret(self, value: str) -> None:
        """Remember a secret the suite created."""
        if value:
            self.secrets.add(value)

    def record_output(self, where: str, text: str | bytes | None) -> None:
        """Remember something a user or operator could read."""
        if text:
            self.texts.append(
                (where, text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
            )

    def find_leaks(self) -> list[str]:
        """Where each recorded secret appeared, e.g. "log: ••••wxyz"."""
        by_place: dict[str, dict[str, None]] = {}
        for where, text in self.texts:
            by_place.setdefault(where, {})[text] = None  # a text logged many times, once
        joined = {where: "\n".join(parts) for where, parts in by_place.items()}
        in_files = self._files_containing(self.secrets)
        leaks = []
        for secret in sorted(self.secrets):
            leaks += [
                f"{where}: ••••{secret[-4:]}" for where, text in joined.items() if secret in text
            ]
            leaks += [
                f"database file {path}: ••••{secret[-4:]}" for path in in_files.get(secret, [])
            ]
        return leaks

    def _files_containing(self, secrets: Iterable[str]) -> dict[str, list[Path]]:
        """The database files each secret appears in, each file read once for all secrets.

        A secret's bytes in a file lie in one run of bytes that each occur in some secret,
        a run at least as long as the shortest secret: only those runs are searched (each
        distinct one once), which skips the pages of binary and ordinary text around them.
        """
        needles = {secret.encode(): secret for secret in secrets}
        if not needles:
            return {}
        alphabet = set(b"".join(needles))
        outside = next((bytes([b]) for b in range(256) if b not in alphabet), b"")
        char_class = b"".join(re.escape(bytes([b])) for b in sorted(alphabet))
        runs = re.compile(b"[%s]{%d,}" % (char_class, min(map(len, needles))))
        found: dict[str, list[Path]] = {}
        for directory in self.db_dirs:
            for path in directory.rglob("*"):
                if not (
                    path.is_file()
                    and path.name.endswith(DB_SUFFIXES)
                    and path.stat().st_size <= MAX_SCANNED_FILE
                ):
                    continue
                candidates = outside.join(set(runs.findall(path.read_bytes())))
                for needle, secret in needles.items():
                    if needle in candidates:
                        found.setdefault(secret, []).append(path)
        return found


class _RecordingHandler(logging.Handler):
    def __init__(self, recorder: LeakRecorder) -> None:
        super().__init__(level=logging.DEBUG)
        self.recorder = recorder

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is not the scan's business
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += f"\n{record.exc_info[1]!r}"
        self.recorder.record_output("log", text)


def install(recorder: LeakRecorder, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Start recording; returns the function that stops logging capture."""
    from typer.testing import CliRunner

    from bigsync.errors import BigsyncError
    from bigsync.vault.vault import Vault

    seal = Vault.seal

    def recording_seal(self: Vault, plaintext: str, *, context: bytes) -> Any:
        recorder.record_secret(plaintext)
        return seal(self, plaintext, context=context)

    monkeypatch.setattr(Vault, "seal", recording_seal)

    init = BigsyncError.__init__

    def recording_init(self: BigsyncError, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        recorder.record_output("exception", " ".join(map(str, args)))

    monkeypatch.setattr(BigsyncError, "__init__", recording_init)

    invoke = CliRunner.invoke

    def recording_invoke(self: CliRunner, *args: Any, **kwargs: Any) -> Any:
        result = invoke(self, *args, **kwargs)
        recorder.record_output("cli output", result.output)
        if result.exception is not None:
            recorder.record_output("cli output", repr(result.exception))
        return result

    monkeypatch.setattr(CliRunner, "invoke", recording_invoke)

    handler = _RecordingHandler(recorder)
    root = logging.getLogger()
    bigsync_logger = logging.getLogger("bigsync")
    previous_level = bigsync_logger.level
    root.addHandler(handler)
    bigsync_logger.setLevel(logging.DEBUG)

    def uninstall() -> None:
        root.removeHandler(handler)
        bigsync_logger.setLevel(previous_level)

    return uninstall
