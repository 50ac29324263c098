"""Time-based one-time codes (RFC 6238), recovery codes, and the secret's encryption at rest.

Pure functions: no Flask, no database. The app's SECRET_KEY is passed in by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error
from cryptography.fernet import Fernet, InvalidToken

ISSUER = "Kundeportalen"
STEP_S = 30
DIGITS = 6
# Codes from one step before and after are accepted: phones' clocks drift and people type slowly.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# Ten characters of Crockford-like base32 (no 0/O, 1/I/L): 50 bits, typed as 'ABCDE-FGHJK'.
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_PATTERN = re.compile(r"^[0-9]{6}$")


def new_secret() -> str:
    """Return a fresh random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def _fernet(secret_key: str) -> Fernet:
    # A key of its own, derived from the app secret: the secret itself never becomes a cipher key.
    digest = hashlib.sha256(b"kundeportal-totp-secret:" + secret_key.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(secret_key: str, secret: str) -> str:
    """Return `secret` encrypted with a key derived from the app's `secret_key` (for the database)."""
    return _fernet(secret_key).encrypt(secret.encode("ascii")).decode("ascii")


def decrypt_secret(secret_key: str, token: str) -> str | None:
    """Return the secret from its stored form, or None when it cannot be read with this app secret."""
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError, AttributeError):
        return None


def normalise_code(code: str | None) -> str:
    """Return a typed code without spaces and dashes, upper-cased (for both TOTP and recovery codes)."""
    return re.sub(r"[\s-]", "", code or "").upper()[:64]


def looks_like_totp(code: str) -> bool:
    """Tell whether a normalised code has the shape of an app code (six digits)."""
    return bool(_CODE_PATTERN.match(code))


def current_step(now: float | None = None) -> int:
    """Return the TOTP time-step number of `now` (seconds since the epoch)."""
    return int((time.time() if now is None else now) // STEP_S)


def matching_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """Return the time-step `code` belongs to if it is valid and later than `last_step`, else None."""
    code = normalise_code(code)
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    step = current_step(now)
    found = None
    # Every candidate is compared (constant work), and the latest matching step wins.
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            found = candidate
    if found is None or (last_step is not None and found <= last_step):
        # A code already used (or one from before it) is refused: a code seen once is spent.
        return None
    return found


def provisioning_uri(secret: str, email: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """Return the QR code of `uri` as an SVG data URI, drawn on the server."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def new_recovery_codes() -> list[str]:
    """Return ten fresh single-use recovery codes, formatted 'ABCDE-FGHJK'."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


# Recovery codes are random with 50 bits each, not chosen by people: a light argon2 is enough
# (a stolen table still costs 2^49 hashes per code), and checking all ten stays fast.
_RECOVERY_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def hash_recovery_code(code: str) -> str:
    """Return the argon2 hash of a recovery code (normalised first)."""
    return _RECOVERY_HASHER.hash(normalise_code(code))


def verify_recovery_code(code_hash: str, code: str) -> bool:
    """Tell whether `code` (as typed) matches a stored recovery-code hash."""
    try:
        return _RECOVERY_HASHER.verify(code_hash, normalise_code(code))
    except (Argon2Error, ValueError):
        return False
