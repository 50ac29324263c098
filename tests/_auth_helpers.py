"""Helpers shared by the sign-in tests (test_auth_*.py)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    """Hash with cheap argon2 parameters: these tests sign in dozens of times, and verification reads its cost from the hash."""
    import auth.passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth.passwords, "_hasher", cheap)
    monkeypatch.setattr(auth.passwords, "_DUMMY_HASH", cheap.hash("kundeportal-dummy-password-for-timing"))
