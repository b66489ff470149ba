from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bigsync.config import Settings
from bigsync.errors import VaultKeyError, VaultTamperedError
from bigsync.vault import (
    KeyFile,
    Keyring,
    SealedSecret,
    Vault,
    generate_key,
    key_id_of,
    secret_context,
)
from bigsync.vault.keys import decode_key

TOKEN = "fake0token0for0vault0tests00001"


def file_vault(tmp_path: Path) -> Vault:
    return Vault.from_settings(Settings(data_dir=tmp_path / "data", secret_key=None))


def test_round_trip_creates_a_0600_key_file(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    sealed = vault.seal(TOKEN, context=secret_context(1, "access_token"))
    assert vault.open(sealed, context=secret_context(1, "access_token")) == TOKEN
    key_file = tmp_path / "data" / "vault-keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert TOKEN.encode() not in sealed.ciphertext
    assert TOKEN not in repr(sealed)
    # A second vault over the same data directory reads the same key.
    assert file_vault(tmp_path).open(sealed, context=secret_context(1, "access_token")) == TOKEN


def test_the_key_file_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o277)  # would leave the owner unable to write
    try:
        key_file = KeyFile.in_dir(tmp_path / "data")
        key_file.load_or_create()
        assert stat.S_IMODE(key_file.path.stat().st_mode) == 0o600
        key_file.save(key_file.load().with_primary(generate_key()))  # a rotation's rewrite
        assert stat.S_IMODE(key_file.path.stat().st_mode) == 0o600
    finally:
        os.umask(previous)


def test_every_seal_uses_a_fresh_96_bit_nonce(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    first = vault.seal(TOKEN, context=b"c")
    second = vault.seal(TOKEN, context=b"c")
    assert len(first.nonce) == 12
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


@pytest.mark.parametrize("part", ["ciphertext", "nonce"])
def test_tampered_secret_is_refused(tmp_path: Path, part: str) -> None:
    vault = file_vault(tmp_path)
    sealed = vault.seal(TOKEN, context=b"ctx")
    data = bytearray(getattr(sealed, part))
    data[0] ^= 0x01
    tampered = SealedSecret(
        key_id=sealed.key_id,
        nonce=bytes(data) if part == "nonce" else sealed.nonce,
        ciphertext=bytes(data) if part == "ciphertext" else sealed.ciphertext,
    )
    with pytest.raises(VaultTamperedError, match="altered"):
        vault.open(tampered, context=b"ctx")


def test_secret_is_bound_to_its_connection_and_purpose(tmp_path: Path) -> None:
    vault = file_vault(tmp_path)
    sealed = vault.seal(TOKEN, context=secret_context(7, "access_token"))
    with pytest.raises(VaultTamperedError):
        vault.open(sealed, context=secret_context(8, "access_token"))
    with pytest.raises(VaultTamperedError):
        vault.open(sealed, context=secret_context(7, "client_secret"))


def test_wrong_key_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    sealed = file_vault(tmp_path / "a").seal(TOKEN, context=b"ctx")
    other = Vault(key_file=None, env_keyring=Keyring.of(generate_key()))
    with pytest.raises(VaultKeyError) as caught:
        other.open(sealed, context=b"ctx")
    message = str(caught.value)
    assert sealed.key_id in message
    assert "BIGSYNC_SECRET_KEY" in message
    assert "not in the keyring" in message


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_env_key_accepts_both_base64_alphabets_with_or_without_padding(encode: object) -> None:
    key = bytes(range(256))[-32:]  # contains bytes that differ between the alphabets
    text = encode(key).decode()  # type: ignore[operator]
    for variant in (text, text.rstrip("="), f"  {text}\n"):
        vault = Vault.from_settings(Settings(secret_key=variant))
        assert vault.keyring().primary_id == key_id_of(key)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (base64.b64encode(b"x" * 16).decode(), "decodes to 16 bytes; expected 32"),
        ("not base64 at all!", "is not base64"),
    ],
)
def test_malformed_env_key_is_refused_without_echoing_it(text: str, message: str) -> None:
    with pytest.raises(VaultKeyError, match=message) as caught:
        Vault.from_settings(Settings(secret_key=text)).keyring()
    assert text not in str(caught.value)


def test_env_key_seals_and_old_keys_still_open(tmp_path: Path) -> None:
    old, new = generate_key(), generate_key()
    enc = base64.urlsafe_b64encode
    before = Vault.from_settings(Settings(data_dir=tmp_path, secret_key=enc(old).decode()))
    sealed = before.seal(TOKEN, context=b"ctx")
    both = f"{enc(new).decode()},{enc(old).decode()}"
    after = Vault.from_settings(Settings(data_dir=tmp_path, secret_key=both))
    assert after.open(sealed, context=b"ctx") == TOKEN
    assert after.seal(TOKEN, context=b"ctx").key_id == key_id_of(new)
    assert not (tmp_path / "vault-keys.json").exists()  # env mode never writes a key file


def test_running_vault_follows_key_file_changes(tmp_path: Path) -> None:
    running = file_vault(tmp_path)
    running.seal(TOKEN, context=b"ctx")
    key_file = KeyFile.in_dir(tmp_path / "data")
    # Another process adds a key (as `keys rotate` does) and seals with it.
    key_file.save(key_file.load().with_primary(generate_key()))
    sealed_elsewhere = file_vault(tmp_path).seal(TOKEN, context=b"ctx")
    assert running.open(sealed_elsewhere, context=b"ctx") == TOKEN
    assert running.seal(TOKEN, context=b"ctx").key_id == sealed_elsewhere.key_id


@dataclass(frozen=True)
class KeyFileRotatedDuringRead(KeyFile):
    """A key file that another process rotates right after this one has read it, once."""

    rotated: list[bytes] = field(default_factory=list)

    def load(self) -> Keyring:
        keyring = super().load()
        if not self.rotated:
            self.rotated.append(generate_key())
            self.save(keyring.with_primary(self.rotated[0]))
        return keyring


def test_a_rotation_while_the_key_file_is_read_is_seen_on_the_next_use(tmp_path: Path) -> None:
    KeyFile.in_dir(tmp_path).load_or_create()
    key_file = KeyFileRotatedDuringRead(tmp_path / "vault-keys.json")
    running = Vault(key_file=key_file)
    running.keyring()  # reads the old keyring while the file changes under it
    assert running.keyring().primary_id == key_id_of(key_file.rotated[0])


def test_key_file_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "vault-keys.json").write_text("{}")
    with pytest.raises(VaultKeyError, match="not a bigsync key file"):
        file_vault(tmp_path).keyring()


def test_decode_key_round_trips_generated_keys() -> None:
    key = generate_key()
    assert decode_key(base64.urlsafe_b64encode(key).decode(), origin="test") == key


def test_a_key_file_readable_by_others_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file_vault(tmp_path).keyring()
    key_file = tmp_path / "data" / "vault-keys.json"
    key_file.chmod(0o644)
    with caplog.at_level("WARNING", logger="bigsync.vault"):
        file_vault(tmp_path).keyring()
    assert f"key file {key_file} has mode 644; it should be 0600" in caplog.text


def test_processes_starting_together_on_first_run_agree_on_one_key(tmp_path: Path) -> None:
    start_at = time.time() + 1.5  # every process is up and waiting by then
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from bigsync.vault import KeyFile\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "print(KeyFile.in_dir(Path(sys.argv[1])).load_or_create().primary_id)\n"
    )
    runs = [
        subprocess.Popen(  # noqa: S603 -- this interpreter, our own script
            [sys.executable, "-c", script, str(tmp_path / "data"), str(start_at)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    ids = {run.communicate(timeout=30)[0].strip() for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert ids == {KeyFile.in_dir(tmp_path / "data").load().primary_id}
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.endswith(".tmp")]
