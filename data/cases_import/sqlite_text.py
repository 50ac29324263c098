"""Timestamps as the text SQLAlchemy stores in SQLite, written vectorised with lookup tables.

SQLAlchemy keeps SQLite DATETIMEs as text 'YYYY-MM-DD HH:MM:SS.ffffff', and range filters compare
that text, so every value must have exactly this form. numpy's datetime_as_string takes ~300 ns
a value; these tables take ~60: each output string is 13 little-endian uint64 words of two UCS-4
characters, filled by looking up whole words ("20", "24", "-0", "3-", ...) and viewed as '<U26'.
"""

from __future__ import annotations

import functools

import numpy as np


def _word(a: str, b: str) -> int:
    return int(np.array([ord(a), ord(b)], dtype="<u4").view("<u8")[0])


_DIGITS = "0123456789"
_TWO = np.array([_word(_DIGITS[i // 10], _DIGITS[i % 10]) for i in range(100)], dtype="<u8")  # "NN"


def _words(before: str, after: str) -> np.ndarray:
    # before + digit (when `before` is given), else digit + after, for the digits 0..9
    return np.array([_word(before, d) if before else _word(d, after) for d in _DIGITS], dtype="<u8")


_DASH_D, _D_DASH, _SPACE_D = _words("-", ""), _words("", "-"), _words(" ", "")
_D_COLON, _COLON_D, _D_DOT = _words("", ":"), _words(":", ""), _words("", ".")
_US_PER_DAY = 86_400_000_000


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (year, month, day) of days since 1970-01-01 (proleptic Gregorian, as numpy's datetime64)."""
    # H. Hinnant's civil_from_days in integer arithmetic.
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _date_words(first: int, last: int) -> np.ndarray:
    """Return the words of 'YYYY-MM-DD' for each day from `first` to `last` (days since 1970)."""
    year, month, day = _civil(np.arange(first, last + 1, dtype=np.int64))
    words = np.empty((len(year), 5), dtype="<u8")
    words[:, 0], words[:, 1] = _TWO[year // 100], _TWO[year % 100]
    words[:, 2], words[:, 3], words[:, 4] = _DASH_D[month // 10], _D_DASH[month % 10], _TWO[day]
    return words


@functools.lru_cache(maxsize=1)
def _time_words() -> np.ndarray:
    """Return the (read-only) words of ' HH:MM:SS.' for every second of a day."""
    second = np.arange(86_400, dtype=np.int64)
    hour, minute, second = second // 3600, second // 60 % 60, second % 60
    words = np.empty((86_400, 5), dtype="<u8")
    words[:, 0], words[:, 1], words[:, 2] = _SPACE_D[hour // 10], _D_COLON[hour % 10], _TWO[minute]
    words[:, 3], words[:, 4] = _COLON_D[second // 10], _D_DOT[second % 10]
    words.flags.writeable = False
    return words


def _format_datetimes(values: np.ndarray) -> list[str | None]:
    """Return datetime64[us] values as 'YYYY-MM-DD HH:MM:SS.ffffff' strings (None for NaT)."""
    n = len(values)
    if n == 0:
        return []
    nat = np.isnat(values)
    micros = values.astype(np.int64)
    if nat.all():
        return [None] * n
    if nat.any():
        micros = np.where(nat, micros[~nat].min(), micros)
    days = micros // _US_PER_DAY
    rest = micros - days * _US_PER_DAY
    seconds = rest // 1_000_000
    fraction = rest - seconds * 1_000_000
    first = int(days.min())
    words = np.empty((n, 13), dtype="<u8")
    words[:, 0:5] = np.take(_date_words(first, int(days.max())), days - first, axis=0)
    words[:, 5:10] = np.take(_time_words(), seconds, axis=0)
    if fraction.any():
        words[:, 10], words[:, 11], words[:, 12] = _TWO[fraction // 10_000], _TWO[fraction // 100 % 100], _TWO[fraction % 100]
    else:
        words[:, 10:13] = _TWO[0]
    out: list[str | None] = words.view("<U26").ravel().tolist()
    for i in np.flatnonzero(nat).tolist():
        out[i] = None
    return out
