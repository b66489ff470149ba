"""AES-256-GCM sealing of secrets under the master keyring."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bigsync.config import Settings
from bigsync.errors import VaultKeyError, VaultTamperedError
from bigsync.vault.keys import KeyFile, Keyring, keyring_from_env, merge

NONCE_BYTES = 12


@dataclass(frozen=True)
class SealedSecret:
    """A secret as stored: the id of the key that sealed it, a 96-bit nonce, the ciphertext."""

    key_id: str
    nonce: bytes = field(repr=False)
    ciphertext: bytes = field(repr=False)


def secret_context(connection_id: int, purpose: str) -> bytes:
    """The associated data binding a sealed secret to its connection and its purpose."""
    return f"bigsync/connection/{connection_id}/{purpose}".encode()


class Vault:
    """Seals and opens secrets; follows key-file changes so a rotation needs no restart.

    With `BIGSYNC_SECRET_KEY` set, its first key seals; its other keys and those of an
    existing key file only open. Otherwise the key file is the keyring (created on first use).
    """

    def __init__(self, *, key_file: KeyFile | None, env_keyring: Keyring | None = None) -> None:
        if key_file is None and env_keyring is None:
            raise VaultKeyError("no master key: set BIGSYNC_SECRET_KEY or give a key file")
        self.key_file = key_file
        self.env_keyring = env_keyring
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keyring: Keyring | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        """The vault of these settings: `BIGSYNC_SECRET_KEY`, else the data directory's key file."""
        env = settings.secret_key.get_secret_value() if settings.secret_key else None
        return cls(
            key_file=KeyFile.in_dir(Path(settings.data_dir)),
            env_keyring=keyring_from_env(env) if env else None,
        )

    @property
    def uses_env_key(self) -> bool:
        """Whether the sealing key comes from `BIGSYNC_SECRET_KEY`."""
        return self.env_keyring is not None

    def keyring(self) -> Keyring:
        """The current keyring, reread when the key file changed since the last call."""
        with self._lock:
            stamp = self.key_file.stamp() if self.key_file else None
            if self._keyring is None or stamp != self._stamp:
                self._keyring = self._load()
                # The stamp from before the read: a change made while reading is seen next time.
                self._stamp = stamp
            return self._keyring

    def _load(self) -> Keyring:
        if self.env_keyring is not None:
            file_rings = [self.key_file.load()] if self.key_file and self.key_file.exists() else []
            return merge(self.env_keyring, file_rings)
        assert self.key_file is not None
        return self.key_file.load_or_create()

    def seal(self, plaintext: str, *, context: bytes) -> SealedSecret:
        """Encrypt `plaintext` under the primary key, bound to `context`."""
        keyring = self.keyring()
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(keyring.primary_key).encrypt(nonce, plaintext.encode(), context)
        return SealedSecret(key_id=keyring.primary_id, nonce=nonce, ciphertext=ciphertext)

    def open(self, sealed: SealedSecret, *, context: bytes) -> str:
        """Decrypt `sealed`; refuse a missing key or any alteration with a clear error."""
        key = self.keyring().keys.get(sealed.key_id)
        if key is None:
            raise VaultKeyError(
                f"secret was sealed with master key {sealed.key_id}, which is not in the "
                f"keyring ({self.describe_source()}); restore that key or re-enter the secret"
            )
        try:
            plaintext = AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, context)
        except InvalidTag:
            raise VaultTamperedError(
                "sealed secret failed authentication: its ciphertext, nonce or the "
                "connection it is bound to was altered"
            ) from None
        return plaintext.decode()

    def describe_source(self) -> str:
        """Where the keys come from, for messages (never the keys themselves)."""
        if self.env_keyring is not None:
            return "BIGSYNC_SECRET_KEY"
        assert self.key_file is not None
        return f"key file {self.key_file.path}"
