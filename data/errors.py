"""Refusals the data layer raises for editing screens: one Danish message, and field messages when fields are wrong.

Every write function of an editing screen raises `Refused` (or a subclass) when it writes nothing, with a
message that is safe to show; invalid form values raise `ValidationError` with a message per field. The
editing kit (`callbacks/_edit.py`) shows both without knowing the screen. A stale optimistic-lock version
is a refusal like any other: each data module raises its own subclass with its own wording
(`data.users.UserConflict`, `data.contacts.ContactConflict`).
"""

from __future__ import annotations

from collections.abc import Mapping

FIX_FIELDS = "Der er ikke gemt noget. Ret de markerede felter."


class Refused(Exception):
    """A write that was refused and wrote nothing; `message` is Danish and safe to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(Refused):
    """Form values are invalid: `errors` maps a field name to its Danish message."""

    def __init__(self, errors: Mapping[str, str], message: str = FIX_FIELDS):
        super().__init__(message)
        self.errors: dict[str, str] = dict(errors)
