"""The credential vault: AES-256-GCM sealing under a rotatable master keyring."""

from bigsync.vault.keys import KeyFile, Keyring, generate_key, key_id_of
from bigsync.vault.rotation import RotationResult, RotationStep, rotate, rotation_steps
from bigsync.vault.vault import SealedSecret, Vault, secret_context

__all__ = [
    "KeyFile",
    "Keyring",
    "RotationResult",
    "RotationStep",
    "SealedSecret",
    "Vault",
    "generate_key",
    "key_id_of",
    "rotate",
    "rotation_steps",
    "secret_context",
]
