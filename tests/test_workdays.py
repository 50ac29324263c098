"""Danish state working days: holidays, state days off, and days taken."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from data.workdays import add_working_days, days_taken, holidays_for_years, is_working_day

D = dt.date


@pytest.mark.parametrize("day, working", [
    (D(2024, 3, 28), False),  # skærtorsdag
    (D(2024, 3, 29), False),  # langfredag
    (D(2024, 4, 1), False),   # 2. påskedag
    (D(2024, 3, 27), True),
    (D(2023, 5, 5), False),   # Store Bededag 2023
    (D(2024, 4, 26), True),   # would have been Store Bededag: abolished from 2024
    (D(2024, 5, 9), False),   # Kristi himmelfartsdag
    (D(2024, 5, 20), False),  # 2. pinsedag
    (D(2024, 6, 5), False),   # Grundlovsdag: day off in the state
    (D(2024, 12, 24), False), (D(2024, 12, 25), False), (D(2024, 12, 26), False),
    (D(2024, 12, 27), True),
    (D(2024, 12, 31), False), (D(2025, 1, 1), False), (D(2025, 1, 2), True),
    (D(2024, 3, 9), False), (D(2024, 3, 10), False),  # weekend
])
def test_working_days(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize("received, completed, expected", [
    (D(2024, 3, 4), D(2024, 3, 4), 0),     # same day
    (D(2024, 3, 8), D(2024, 3, 11), 1),    # Friday -> Monday
    (D(2024, 3, 9), D(2024, 3, 10), 0),    # received and completed in the weekend
    (D(2024, 3, 9), D(2024, 3, 11), 1),    # Saturday -> Monday
    (D(2024, 3, 27), D(2024, 4, 2), 1),    # across Easter
    (D(2023, 5, 4), D(2023, 5, 8), 1),     # across Store Bededag 2023
    (D(2024, 4, 25), D(2024, 4, 29), 2),   # the same weekday in 2024: a working day now
    (D(2024, 6, 4), D(2024, 6, 6), 1),     # across 5 June
    (D(2024, 12, 23), D(2024, 12, 27), 1), # across Christmas
    (D(2024, 12, 30), D(2025, 1, 2), 1),   # across New Year
    (D(2024, 12, 31), D(2024, 12, 31), 0),
])
def test_days_taken(received, completed, expected):
    assert days_taken(received, completed) == expected
    assert days_taken(dt.datetime.combine(received, dt.time(23, 59)), dt.datetime.combine(completed, dt.time(0, 1))) == expected


def test_days_taken_vectorised_matches_scalar():
    rng = np.random.default_rng(7)
    received = np.datetime64("2022-12-01") + rng.integers(0, 800, 500).astype("timedelta64[D]")
    completed = received + rng.integers(0, 40, 500).astype("timedelta64[D]")
    result = days_taken(received, completed)
    assert result.dtype == np.int64
    assert result.tolist() == [days_taken(r.astype(dt.date), c.astype(dt.date)) for r, c in zip(received, completed)]


def test_days_taken_refuses_reversed_and_missing():
    with pytest.raises(ValueError):
        days_taken(D(2024, 3, 5), D(2024, 3, 4))
    with pytest.raises(ValueError):
        days_taken(np.array(["2024-03-04", "NaT"], dtype="M8[D]"), np.array(["2024-03-05", "2024-03-05"], dtype="M8[D]"))


def test_holiday_array_is_cached_and_read_only():
    first = holidays_for_years(2023, 2024)
    assert first is holidays_for_years(2023, 2024)
    assert not first.flags.writeable
    assert np.datetime64("2023-05-05") in first and np.datetime64("2024-04-26") not in first
    with pytest.raises(ValueError):
        holidays_for_years(1500, 1501)


@pytest.mark.parametrize("day, n, expected", [
    (D(2024, 3, 27), 1, D(2024, 4, 2)),
    (D(2024, 3, 8), 3, D(2024, 3, 13)),
    (D(2024, 3, 9), 1, D(2024, 3, 11)),
])
def test_add_working_days_is_the_deadline(day, n, expected):
    assert add_working_days(day, n) == expected
    assert days_taken(day, expected) == n


def test_today_is_the_danish_date_not_the_servers(monkeypatch):
    # 30 Nov 23:30 UTC is already 1 December in Denmark: November is then the latest closed month.
    import data.workdays as workdays
    from data.rules import latest_closed_month

    utc_moment = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.timezone.utc)

    class FrozenDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return utc_moment.astimezone(tz) if tz else utc_moment.replace(tzinfo=None)

    monkeypatch.setattr(workdays.dt, "datetime", FrozenDatetime)
    assert workdays.danish_today() == dt.date(2026, 12, 1)
    assert latest_closed_month() == dt.date(2026, 11, 1)
