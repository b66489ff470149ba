"""Master keys: parsing, fingerprints, and the key file.

A master key is 32 random bytes written in base64 (standard or URL-safe alphabet). Its id is a
fingerprint of the key itself, so a secret sealed under one key can never be confused with
another key: "this key is not in the keyring" and "this ciphertext was altered" stay distinct.

Keys come from `BIGSYNC_SECRET_KEY` (one key, or several separated by commas: the first seals,
the others only open — the way to rotate an environment key) or, when that is unset, from the
key file `<data_dir>/vault-keys.json` (mode 0600), created with one fresh key on first use.
The key file holds every key still in use during a rotation, and names the one that seals.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import secrets
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bigsync.errors import VaultKeyError

KEY_BYTES = 32
KEY_FILE_NAME = "vault-keys.json"
KEY_FILE_FORMAT = 1

log = logging.getLogger(__name__)


def key_id_of(key: bytes) -> str:
    """The fingerprint that names `key` beside every secret it seals."""
    return hashlib.sha256(b"bigsync-vault-key-id\0" + key).hexdigest()[:16]


def generate_key() -> bytes:
    """A fresh random master key."""
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """`key` in URL-safe base64, the form the key file and `BIGSYNC_SECRET_KEY` use."""
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str, *, origin: str) -> bytes:
    """A master key from its base64 text (either alphabet, padding optional)."""
    cleaned = "".join(text.split())
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        key = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        message = f"{origin} is not base64; expected {KEY_BYTES} bytes in base64"
        raise VaultKeyError(message) from None
    if len(key) != KEY_BYTES:
        raise VaultKeyError(
            f"{origin} decodes to {len(key)} bytes; expected {KEY_BYTES} bytes in base64"
        )
    return key


@dataclass(frozen=True)
class Keyring:
    """The keys a vault may open with, and the one it seals with."""

    primary_id: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.primary_id not in self.keys:
            raise VaultKeyError(f"keyring names primary key {self.primary_id} but does not hold it")

    @classmethod
    def of(cls, primary: bytes, *others: bytes) -> Keyring:
        """A keyring sealing with `primary` and opening with every key given."""
        keys = {key_id_of(k): k for k in (primary, *others)}
        return cls(primary_id=key_id_of(primary), keys=keys)

    @property
    def primary_key(self) -> bytes:
        """The key new secrets are sealed with."""
        return self.keys[self.primary_id]

    @property
    def retired_ids(self) -> list[str]:
        """Ids of the keys kept only to open secrets not yet re-sealed."""
        return [kid for kid in self.keys if kid != self.primary_id]

    def with_primary(self, key: bytes) -> Keyring:
        """This keyring plus `key`, which becomes the sealing key."""
        return Keyring(primary_id=key_id_of(key), keys={**self.keys, key_id_of(key): key})

    def only_primary(self) -> Keyring:
        """This keyring without its retired keys."""
        return Keyring(primary_id=self.primary_id, keys={self.primary_id: self.primary_key})


def keyring_from_env(value: str) -> Keyring:
    """The keyring `BIGSYNC_SECRET_KEY` describes: `new[,old...]`."""
    parts = [p for p in value.split(",") if p.strip()]
    if not parts:
        raise VaultKeyError("BIGSYNC_SECRET_KEY is empty")
    keys = [decode_key(p, origin=f"BIGSYNC_SECRET_KEY (key {i + 1})") for i, p in enumerate(parts)]
    return Keyring.of(*keys)


@dataclass(frozen=True)
class KeyFile:
    """The 0600 JSON file holding the keyring when `BIGSYNC_SECRET_KEY` is unset."""

    path: Path

    @classmethod
    def in_dir(cls, data_dir: Path) -> KeyFile:
        """The key file of a data directory."""
        return cls(data_dir / KEY_FILE_NAME)

    def exists(self) -> bool:
        """Whether the file is there."""
        return self.path.exists()

    def stamp(self) -> tuple[int, int, int] | None:
        """A cheap change marker (inode, size, mtime); None when the file is missing."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def load(self) -> Keyring:
        """Read the keyring; a missing or unreadable file is a `VaultKeyError`."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise VaultKeyError(f"key file {self.path} does not exist") from None
        self._warn_if_readable_by_others()
        try:
            doc = json.loads(raw)
            keys = {
                kid: decode_key(text, origin=f"key {kid} in {self.path}")
                for kid, text in doc["keys"].items()
            }
            keyring = Keyring(primary_id=doc["primary"], keys=keys)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise VaultKeyError(f"key file {self.path} is not a bigsync key file") from None
        for kid, key in keyring.keys.items():
            if key_id_of(key) != kid:
                raise VaultKeyError(f"key file {self.path}: key {kid} does not match its id")
        return keyring

    def load_or_create(self) -> Keyring:
        """Read the keyring, first creating the file with one fresh key if it is missing."""
        if not self.exists():
            self.save(Keyring.of(generate_key()), create=True)
            log.info("created vault key file %s", self.path)
        return self.load()

    def save(self, keyring: Keyring, *, create: bool = False) -> None:
        """Replace the file atomically: a crash leaves either the old or the new keyring."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        doc = {
            "format": KEY_FILE_FORMAT,
            "primary": keyring.primary_id,
            "keys": {kid: encode_key(key) for kid, key in keyring.keys.items()},
        }
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # exactly 0600, whatever the umask took away
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            if create:
                # Never overwrite a key file another process created meanwhile.
                os.link(tmp, self.path)
            else:
                os.replace(tmp, self.path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(self.path.parent)

    def _warn_if_readable_by_others(self) -> None:
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            log.warning("key file %s has mode %o; it should be 0600", self.path, mode)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def merge(first: Keyring, others: Sequence[Keyring]) -> Keyring:
    """`first` (which seals) plus every key of `others` for opening."""
    keys = dict(first.keys)
    for ring in others:
        for kid, key in ring.keys.items():
            keys.setdefault(kid, key)
    return Keyring(primary_id=first.primary_id, keys=keys)
