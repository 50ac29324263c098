"""Danish state working days and the working-day count behind every service goal.

A working day is Monday to Friday, except the public holidays of Denmark (the `holidays`
package's calendar, which knows that Store Bededag ended after 2023) and except 5 June
(Grundlovsdag), 24 December and 31 December, which are days off in the state.

Days taken for a case = the working days from the day after receipt up to and including the day
of completion: ``numpy.busday_count(received + 1 day, completed + 1 day)`` on this calendar. A
case completed the day it arrived takes 0 days; one received Friday and completed Monday takes 1.

The calendars are cached per process (`functools.lru_cache`); they are read-only numpy objects,
so sharing them between requests is safe.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import holidays
import numpy as np

from zoneinfo import ZoneInfo

DANISH_TZ = ZoneInfo("Europe/Copenhagen")
WEEKMASK = "1111100"  # Monday..Friday
# Days off in the state that are not public holidays in the `holidays` calendar.
STATE_DAYS_OFF: tuple[tuple[int, int], ...] = ((6, 5), (12, 24), (12, 31))
# Calendars are built for whole years; years outside this window are rejected as nonsense data.
MIN_YEAR = 1990
MAX_YEAR = 2100

ONE_DAY = np.timedelta64(1, "D")


def _check_years(first_year: int, last_year: int) -> None:
    if not (MIN_YEAR <= first_year <= last_year <= MAX_YEAR):
        raise ValueError(f"Årstal skal ligge mellem {MIN_YEAR} og {MAX_YEAR}: {first_year}-{last_year}")


@functools.lru_cache(maxsize=64)
def holidays_for_years(first_year: int, last_year: int) -> np.ndarray:
    """Return the read-only datetime64[D] array of days off in the years; raise ValueError outside 1990..2100."""
    # Contains every Danish public holiday plus 5 June, 24 and 31 December of each year from
    # `first_year` to `last_year` inclusive. Raises ValueError for years outside 1990..2100.
    _check_years(first_year, last_year)
    years = range(first_year, last_year + 1)
    days: set[dt.date] = set(holidays.country_holidays("DK", years=years).keys())
    days.update(dt.date(year, month, day) for year in years for month, day in STATE_DAYS_OFF)
    arr = np.array(sorted(days), dtype="datetime64[D]")
    arr.flags.writeable = False
    return arr


@functools.lru_cache(maxsize=64)
def busday_calendar(first_year: int, last_year: int) -> np.busdaycalendar:
    """Return a numpy business-day calendar of Danish state working days for the years (inclusive)."""
    return np.busdaycalendar(weekmask=WEEKMASK, holidays=holidays_for_years(first_year, last_year))


def is_working_day(day: dt.date) -> bool:
    """Tell whether `day` is a Danish state working day."""
    cal = busday_calendar(day.year, day.year)
    return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=cal))


def to_days(values: Any) -> np.ndarray:
    """Return `values` (dates, datetimes, strings or arrays of them) as datetime64[D]; raise ValueError if bad."""
    # Times of day are dropped: the rules count calendar days. Raises ValueError on unparsable input.
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]")
    if isinstance(values, (dt.date, str, np.datetime64)):
        values = [values]
    if hasattr(values, "to_numpy"):  # pandas Series / Index
        values = values.to_numpy()
        if values.dtype.kind == "M":
            return values.astype("datetime64[D]")
    return np.asarray(
        [v.date() if isinstance(v, dt.datetime) else v for v in values], dtype="datetime64[D]"
    )


def _calendar_for(received_days: np.ndarray, completed_days: np.ndarray) -> np.busdaycalendar:
    # One calendar spanning every year the counts can touch (completion + 1 day may be next year).
    lo = int(received_days.min().astype("datetime64[Y]").astype(int)) + 1970
    hi = int(completed_days.max().astype("datetime64[Y]").astype(int)) + 1970 + 1
    return busday_calendar(lo, max(lo, hi))


def days_taken(received: Any, completed: Any) -> Any:
    """Return the working days after `received` up to and including `completed`; raise ValueError on bad input."""
    # Accepts two dates/datetimes (returns an int) or two equally long array-likes (returns an
    # int64 array). Same-day completion gives 0. Raises ValueError when a completion lies before
    # its receipt, a value is missing (NaT) or a year lies outside 1990..2100.
    scalar = isinstance(received, (dt.date, np.datetime64, str)) and isinstance(completed, (dt.date, np.datetime64, str))
    rec = to_days(received)
    comp = to_days(completed)
    if rec.shape != comp.shape:
        raise ValueError("received og completed skal have samme længde")
    if rec.size == 0:
        return np.zeros(0, dtype=np.int64)
    if np.isnat(rec).any() or np.isnat(comp).any():
        raise ValueError("manglende dato")
    if (comp < rec).any():
        raise ValueError("afslutningsdato ligger før modtagelsesdato")
    counts = np.busday_count(rec + ONE_DAY, comp + ONE_DAY, busdaycal=_calendar_for(rec, comp)).astype(np.int64)
    return int(counts[0]) if scalar else counts


def add_working_days(day: dt.date, n: int) -> dt.date:
    """Return the date `n` working days after `day` (the deadline of a 'within n days' goal)."""
    cal = busday_calendar(day.year, day.year + 1 + n // 200)
    start = np.datetime64(day, "D")
    result = np.busday_offset(start, n, roll="backward", busdaycal=cal)
    return result.astype(dt.date)


def danish_today() -> dt.date:
    """Return today's date in Denmark: months, deadlines and expiry are Danish calendar dates."""
    # The servers run on UTC; from midnight to 01:00/02:00 Danish time their date is yesterday's.
    return dt.datetime.now(DANISH_TZ).date()
