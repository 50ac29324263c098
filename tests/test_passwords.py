"""Password hashing with the production parameters (core/passwords.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from core import passwords


@pytest.mark.real_password_hashing
def test_hashes_use_the_production_parameters():
    stored = passwords.hash_password("korrekt-hest-batteri-klips")
    params = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
    assert f"m={params.memory_cost},t={params.time_cost},p={params.parallelism}" in stored
    assert passwords.verify_password(stored, "korrekt-hest-batteri-klips")
    assert not passwords.verify_password(stored, "forkert-hest-batteri-klips")
    assert not passwords.needs_rehash(stored)


@pytest.mark.real_password_hashing
def test_unknown_user_costs_one_verification_and_never_matches():
    assert not passwords.verify_password(None, "kundeportal-dummy-password-for-timing")


def test_the_tests_hash_cheaply():
    assert "m=1024,t=1,p=1" in passwords.hash_password("korrekt-hest-batteri-klips")


def test_import_computes_no_hash():
    # A hash at import made every worker and CLI start pay for it.
    code = ("import time, argon2; calls = []; real = argon2.PasswordHasher.hash\n"
            "argon2.PasswordHasher.hash = lambda self, p: calls.append(p) or real(self, p)\n"
            "import core.passwords; assert calls == [], calls")
    subprocess.run([sys.executable, "-c", code], check=True)
