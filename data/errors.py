"""Refusals the data layer raises for editing screens: one Danish message, and field messages when fields are wrong.

Every write function of an editing screen raises `Refused` (or a subclass) when it writes nothing, with a
message that is safe to show; invalid form values raise `ValidationError` with a message per field. The
editing kit (`callbacks/_edit.py`) shows both without knowing the screen. A stale optimistic-lock version
is a refusal like any other: each data module raises its own subclass (`data.users.UserConflict`,
`data.contacts.ContactConflict`) with the one wording of `conflict_message`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from core.formatting import TZ

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


def conflict_message(subject: str, updated_by: str | None, updated_at: dt.datetime | None) -> str:
    """Return the one Danish 'ændret samtidig' refusal: who saved `subject` last and when (Danish time)."""
    # One wording for every editing screen (a stale optimistic-lock version); naive times are UTC, as stored.
    who = (updated_by or "").strip() or "en anden bruger"
    when = ""
    if updated_at is not None:
        aware = updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=dt.timezone.utc)
        when = f" kl. {aware.astimezone(TZ):%H:%M}"
    return f"{subject} er ændret samtidig af {who}{when}. Der er ikke gemt noget — genindlæs og prøv igen."
