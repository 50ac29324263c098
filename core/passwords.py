"""Password hashing (argon2) and the password policy (NIST SP 800-63B rev. 4)."""

from __future__ import annotations

import functools
import gzip
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 15
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")

# argon2-cffi's defaults (RFC 9106's low-memory profile); building the hasher costs nothing.
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Return a hash verified when the e-mail is unknown, so both paths cost one argon2 verification."""
    # Computed on first use, not at import: a hash takes a noticeable fraction of a second, and
    # every worker and CLI start would pay it.
    return hasher.hash("kundeportal-dummy-password-for-timing")


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords (loaded once per process, read-only)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def policy_errors(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Return the Danish reasons `password` is refused; empty when it is acceptable."""
    errors: list[str] = []
    if len(password) < MIN_LENGTH:
        errors.append(f"Adgangskoden skal være på mindst {MIN_LENGTH} tegn.")
    if len(password) > MAX_LENGTH:
        errors.append(f"Adgangskoden må højst være på {MAX_LENGTH} tegn.")
    lowered = password.lower()
    if lowered in common_passwords() or (email and lowered == email.lower()):
        errors.append("Adgangskoden er for almindelig og kan let gættes. Vælg en anden.")
    elif len(set(password)) <= 2 and password:
        errors.append("Adgangskoden består af for få forskellige tegn. Vælg en anden.")
    return errors


def hash_password(password: str) -> str:
    """Return the argon2 hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches `password_hash`; spends the same time when there is no hash."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(_hasher), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a stored hash uses outdated argon2 parameters."""
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """Return a random password that meets the policy (for new users; must be changed)."""
    return secrets.token_urlsafe(18)
