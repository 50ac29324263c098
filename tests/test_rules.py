"""Service-goal rules with hand-made cases, months, achievement and the default goals."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest

from core.formatting import da_percent

from data.rules import (
    AREAS,
    achievement,
    achievement_array,
    add_months,
    by_day_deadline,
    default_service_goals,
    evaluate,
    target_met,
    goals_met,
    is_met,
    latest_closed_month,
    year_to_date_months,
)
from data.workdays import days_taken, is_working_day

D = dt.date
WITHIN_3 = SimpleNamespace(rule_kind="within_days", rule_value=3)
BY_15 = SimpleNamespace(rule_kind="by_day_of_month", rule_value=15)


@pytest.mark.parametrize("received, completed, met", [
    (D(2024, 3, 4), D(2024, 3, 7), True),     # 3 days: met (<=)
    (D(2024, 3, 4), D(2024, 3, 8), False),    # 4 days
    (D(2024, 3, 26), D(2024, 4, 3), True),    # Easter: Wed 27, Tue 2, Wed 3 = 3
    (D(2024, 3, 26), D(2024, 4, 4), False),
    (D(2023, 5, 3), D(2023, 5, 9), True),     # Store Bededag 2023 (5 May) off: 4, 8, 9
    (D(2024, 4, 24), D(2024, 4, 30), False),  # 2024: 25, 26, 29, 30 = 4
    (D(2024, 6, 3), D(2024, 6, 7), True),     # 5 June off: 4, 6, 7
    (D(2024, 12, 20), D(2024, 12, 30), True),   # 24-26 Dec off: 23, 27, 30 = 3
    (D(2024, 12, 20), D(2025, 1, 2), False),   # 31 Dec and 1 Jan off: 23, 27, 30, 2 = 4
    (D(2024, 12, 30), D(2025, 1, 6), True),   # 31 Dec and 1 Jan off: 2, 3, 6
    (D(2024, 3, 8), D(2024, 3, 13), True),    # weekend: 11, 12, 13
])
def test_within_days(received, completed, met):
    assert is_met(WITHIN_3, received, completed) is met


@pytest.mark.parametrize("received, completed, met", [
    (D(2024, 3, 1), D(2024, 3, 15), True),
    (D(2024, 3, 1), D(2024, 3, 16), False),
    (D(2024, 3, 15), D(2024, 3, 15), True),
    (D(2024, 3, 16), D(2024, 4, 15), True),   # received after the 15th: next month's 15th
    (D(2024, 3, 16), D(2024, 4, 16), False),
    (D(2024, 12, 20), D(2025, 1, 15), True),  # over the new year
    (D(2024, 12, 20), D(2024, 12, 21), True),
])
def test_by_day_of_month(received, completed, met):
    assert is_met(BY_15, received, completed) is met


def test_by_day_beyond_month_end_means_last_day():
    assert by_day_deadline(D(2024, 2, 10), 31) == D(2024, 2, 29)
    assert by_day_deadline(D(2023, 2, 10), 30) == D(2023, 2, 28)
    assert by_day_deadline(D(2024, 1, 31), 31) == D(2024, 1, 31)
    with pytest.raises(ValueError):
        by_day_deadline(D(2024, 1, 1), 0)


def test_vectorised_evaluate_matches_scalar():
    rng = np.random.default_rng(3)
    received = np.datetime64("2023-01-01") + rng.integers(0, 700, 400).astype("timedelta64[D]")
    completed = received + rng.integers(0, 45, 400).astype("timedelta64[D]")
    for kind, value in (("within_days", 3), ("by_day_of_month", 15), ("by_day_of_month", 31)):
        vector = evaluate(kind, value, received, completed)
        scalar = [evaluate(kind, value, r.astype(dt.date), c.astype(dt.date)) for r, c in zip(received, completed)]
        assert vector.tolist() == scalar


def test_goals_met_per_case_matches_evaluate():
    # The import's form: each case with its own goal's rule, mixed kinds and values in one call.
    rng = np.random.default_rng(5)
    received = np.datetime64("2023-01-01") + rng.integers(0, 700, 400).astype("timedelta64[D]")
    completed = received + rng.integers(0, 45, 400).astype("timedelta64[D]")
    rules = [("within_days", 3), ("within_days", 5), ("by_day_of_month", 15), ("by_day_of_month", 31)]
    pick = rng.integers(0, len(rules), 400)
    by_day = np.array([rules[i][0] == "by_day_of_month" for i in pick])
    values = np.array([rules[i][1] for i in pick], dtype=np.int64)
    met = goals_met(by_day, values, received, completed, days_taken(received, completed))
    assert met.tolist() == [evaluate(*rules[i], r.astype(dt.date), c.astype(dt.date))
                            for i, r, c in zip(pick, received, completed)]


def test_unknown_rule_kind():
    with pytest.raises(ValueError):
        evaluate("someday", 1, D(2024, 1, 1), D(2024, 1, 2))


@pytest.mark.parametrize("today, expected", [
    (D(2024, 7, 1), D(2024, 6, 1)),
    (D(2024, 7, 31), D(2024, 6, 1)),
    (D(2024, 1, 15), D(2023, 12, 1)),
])
def test_latest_closed_month(today, expected):
    assert latest_closed_month(today) == expected


def test_year_to_date_months():
    assert year_to_date_months(2024, D(2024, 4, 2)) == [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)]
    assert year_to_date_months(2024, D(2024, 1, 5)) == []
    assert len(year_to_date_months(2023, D(2024, 1, 5))) == 12
    assert add_months(D(2024, 11, 1), 3) == D(2025, 2, 1) and add_months(D(2024, 1, 1), -1) == D(2023, 12, 1)


@pytest.mark.parametrize("met, handled, expected", [
    (0, 0, None), (0, 5, 0.0), (5, 5, 100.0), (2, 3, 66.6), (1, 3, 33.3), (49, 400, 12.2), (1, 8, 12.5), (999, 1000, 99.9),
    (1899, 2000, 94.9), (1999, 2000, 99.9), (9999999, 10000000, 99.9),
])
def test_achievement_one_decimal_rounded_down(met, handled, expected):
    assert achievement(met, handled) == expected
    array = achievement_array([met], [handled])[0]
    assert (np.isnan(array) and expected is None) or array == expected


def test_target_met_on_the_exact_fraction():
    assert target_met(0, 0, 95) is None
    assert target_met(1900, 2000, 95) is True
    # 94.95 % used to show as "95,0 % ✓" beside 101 late cases: now 94,9 % and not met.
    assert target_met(1899, 2000, 95) is False and achievement(1899, 2000) == 94.9
    assert da_percent(achievement(1899, 2000)) == "94,9 %"
    # Two-decimal targets (Numeric(5, 2)) are compared exactly too.
    from decimal import Decimal
    assert target_met(1899, 2000, Decimal("94.95")) is True and target_met(1898, 2000, Decimal("94.95")) is False


def test_default_service_goals_are_realistic():
    goals = default_service_goals()
    assert goals is not default_service_goals()  # a fresh list: callers may change it
    codes = [g["code"] for g in goals]
    assert len(codes) == len(set(codes)) and {"A1", "A5", "L1", "R1"} <= set(codes)
    assert {g["area"] for g in goals} == set(AREAS)
    for goal in goals:
        assert goal["rule_kind"] in ("within_days", "by_day_of_month") and goal["rule_value"] > 0
        assert 0 < goal["target_pct"] <= 100 and goal["rule_text"].endswith(".")
    assert next(g for g in goals if g["code"] == "A5")["rule_kind"] == "by_day_of_month"


@pytest.mark.parametrize("received, day, deadline", [
    (D(2026, 2, 3), 7, D(2026, 2, 9)),      # 7 February 2026 is a Saturday: Monday the 9th
    (D(2026, 2, 3), 8, D(2026, 2, 9)),      # a Sunday: Monday
    (D(2026, 6, 1), 5, D(2026, 6, 8)),      # 5 June (a Friday, a state day off): the Monday after
    (D(2026, 12, 2), 24, D(2026, 12, 28)),  # 24 Dec, 25 and 26 Dec, then the weekend: Monday the 28th
    (D(2026, 12, 2), 31, D(2027, 1, 4)),    # 31 Dec, 1 Jan, then the weekend: into the next year
    (D(2025, 4, 2), 17, D(2025, 4, 22)),    # Skærtorsdag, Langfredag, Easter: the Tuesday after
    (D(2026, 2, 3), 10, D(2026, 2, 10)),    # a working day stays
])
def test_a_by_day_deadline_on_a_non_working_day_moves_to_the_next_working_day(received, day, deadline):
    assert by_day_deadline(received, day) == deadline
    assert is_working_day(by_day_deadline(received, day))
    # The array form agrees, and a completion on the moved day still meets the goal.
    assert by_day_deadline(np.array([received], dtype="datetime64[D]"), day)[0] == np.datetime64(deadline)
    assert evaluate("by_day_of_month", day, received, deadline)
    assert not evaluate("by_day_of_month", day, received, deadline + dt.timedelta(days=1))
