"""Column types shared by the models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def _as_utc(value: dt.datetime) -> dt.datetime:
    # A naive value is taken as UTC: that is what every writer stores and what SQLite hands back.
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL keeps the zone (timestamptz); SQLite drops it and returns naive values, so without
    this every reader needed its own fix-up. The schema is plain DateTime(timezone=True).
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Convert an aware datetime to UTC before storing (SQLite would drop a non-UTC offset)."""
        if isinstance(value, dt.datetime):
            return _as_utc(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return the stored timestamp as an aware UTC datetime."""
        if value is None:
            return None
        return _as_utc(value)


__all__ = ["UTCDateTime"]
