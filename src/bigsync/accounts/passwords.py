"""Password hashing (argon2id through argon2-cffi) and what a password must be."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bigsync.errors import InputError

MIN_PASSWORD = 10
MAX_PASSWORD = 1024


def default_hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile)."""
    return PasswordHasher()


def check_password_rules(password: str) -> None:
    """Refuse a password that is too short or too long (InputError, the message says)."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"the password may have at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise InputError("the password cannot be only spaces")


def verify_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    """Whether `password` matches the stored hash (False for any hash it cannot read)."""
    try:
        return bool(hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False
