"""Danish formats for dates, numbers and phone numbers (Babel, da_DK, Europe/Copenhagen); no Dash, no I/O."""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LOCALE = "da_DK"
TZ = ZoneInfo("Europe/Copenhagen")
PHONE_PATTERN = re.compile(r"^(?:\+45)?([0-9]{8})$")


def normalise_phone(value: str) -> str | None:
    """Return a Danish phone number as its 8 digits, or None when it is not one (spaces and +45 allowed)."""
    match = PHONE_PATTERN.match(value.replace(" ", ""))
    return match.group(1) if match else None


def local(value: dt.datetime) -> dt.datetime:
    """Return `value` in Danish local time (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(TZ)


# One format per kind of value, everywhere a person reads it (pages, grids, PDFs, mails): a day as
# "6. dec. 2026", a moment as "6. dec. 2026 kl. 11:08" in Danish local time. Files for machines (CSV)
# use ISO 8601 instead (`iso_date`, `iso_datetime`), and their column headers say so.
DATE_PATTERN = "d. MMM y"
DATETIME_PATTERN = "d. MMM y 'kl.' HH:mm"


def da_datetime(value: dt.datetime | None) -> str:
    """Format a timestamp as '8. feb. 2022 kl. 15:28' in Danish local time."""
    if value is None:
        return ""
    return format_datetime(local(value), DATETIME_PATTERN, locale=LOCALE)


def da_changed(value: dt.datetime | None) -> str:
    """Format a timestamp like `da_datetime`, with '–' when there is none ('Seneste ændringer', history)."""
    if value is None:
        return "–"
    return da_datetime(value)


def da_date(value: dt.date | dt.datetime | None) -> str:
    """Format a day as '8. feb. 2022' (a timestamp is taken on its Danish local day)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return format_date(value, DATE_PATTERN, locale=LOCALE)


def form_date(value: dt.date | None) -> str:
    """Format a day as a date field is typed ('08-02-2022'): the form's own input, not a display format."""
    if value is None:
        return ""
    return format_date(value, "dd-MM-yyyy", locale=LOCALE)


def iso_date(value: dt.date | dt.datetime | None) -> str:
    """Format a day as ISO 8601 ('2022-02-08') for files read by machines; '' when there is none."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return value.isoformat()


def iso_datetime(value: dt.datetime | None) -> str:
    """Format a timestamp as ISO 8601 in Danish local time with its offset ('2022-02-08T15:28:00+01:00')."""
    if value is None:
        return ""
    return local(value).replace(microsecond=0).isoformat()


def da_number(value: float | int | None, decimals: int = 0) -> str:
    """Format a number with Danish separators, e.g. 1.234,5."""
    if value is None:
        return "–"
    if not decimals and type(value) is int:
        # A whole number the way Babel writes it for da_DK ("-1.234.567"), ~30x faster: the KPI table
        # formats ~50 counts per request against a 10 ms budget (benchmarks/RESULTS.md).
        return f"{value:,}".replace(",", ".")
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=fmt, locale=LOCALE)


@functools.lru_cache(maxsize=1024)
def da_month(value: dt.date) -> str:
    """Format a month as 'juni 2026' (cached: a pure function of the date, and Babel is slow)."""
    return format_date(value, "LLLL y", locale=LOCALE)


@functools.lru_cache(maxsize=1024)
def da_month_abbr(value: dt.date) -> str:
    """Format a month as 'jun' (small chart axes; the hover and the table name the year)."""
    return format_date(value, "LLL", locale=LOCALE).rstrip(".")


@functools.lru_cache(maxsize=1024)
def da_month_short(value: dt.date) -> str:
    """Format a month as 'jun. 2026' (for table headers and chart axes)."""
    return format_date(value, "LLL y", locale=LOCALE)


def da_percent(value: float | None) -> str:
    """Format an achievement as '98,5 %' with one decimal; '–' when there were no cases."""
    if value is None or value != value:
        return "–"
    # Danish decimal comma; a plain f-string is ~50x faster than Babel here, and the report
    # formats thousands of cells per request. Values never reach thousands, so no grouping.
    return f"{float(value):.1f}".replace(".", ",") + " %"


def da_phone(value: str | None) -> str:
    """Format a Danish phone number in pairs ('12 34 56 78', '+45 12 34 56 78'); other text unchanged."""
    if not value:
        return ""
    digits = normalise_phone(value)
    if digits is None:
        return value
    prefix = "+45 " if value.lstrip().startswith("+45") else ""
    return prefix + " ".join(digits[i:i + 2] for i in range(0, 8, 2))
