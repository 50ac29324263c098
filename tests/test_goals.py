"""The service-goal catalogue's versions: a change applies from its month and never rewrites an earlier one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.access import AccessScope
from data import goals, kpi
from data.cases_import import import_case_records
from data.db import get_session
from data.models import AuditLog, Case, MonthlyRollup, ServiceGoal, ServiceGoalVersion, User
from tests import world
from tests.kpi_world import UNIT_A, add_goals, rec

TODAY = dt.date(2024, 7, 10)  # June 2024 is the latest closed month; July is open
LATER = dt.date(2024, 9, 10)  # after July and August have closed
JUN, JUL, AUG = dt.date(2024, 6, 1), dt.date(2024, 7, 1), dt.date(2024, 8, 1)
SCOPE_A = AccessScope.single(world.CVR_A)


def _cases() -> list[dict]:
    return [
        # A1 (within 3 working days, target 95): 1 and 2 days taken in April to June, all met.
        rec("G-1", "2024-04-08", "2024-04-09"), rec("G-2", "2024-05-06", "2024-05-08"),
        rec("G-3", "2024-06-03", "2024-06-05"), rec("G-4", "2024-06-10", "2024-06-11"),
        # July (open month when the goal changes): 1 day taken.
        rec("G-5", "2024-07-01", "2024-07-02"),
        rec("G-6", "2024-06-03", "2024-06-14", goal="A5"),
    ]


def _form(**changes) -> dict:
    form = {"title": "Kreditortransaktioner", "rule_text": "Kreditortransaktioner bogføres samme dag.",
            "rule_kind": "within_days", "rule_value": "0", "target_pct": "99", "valid_from": "01-07-2024"}
    return form | changes


@pytest.fixture
def data(app):
    with app.app_context():
        ids = add_goals(get_session())
        report = import_case_records(get_session(), _cases())
        assert report.ok, report.errors
        yield ids


def _sa_user():
    return get_session().scalar(select(User).where(User.email == world.SA_STAFF))


def _figures(today: dt.date) -> dict:
    """Every figure a customer reads for months up to June 2024, as plain values."""
    report = kpi.service_goal_report(SCOPE_A, world.CVR_A, JUN, today=today)
    table, series = kpi.dashboard(SCOPE_A, world.CVR_A, 2024, today=today)
    series = series[series["month"] <= JUN]
    rollups = get_session().execute(
        select(MonthlyRollup.goal_id, MonthlyRollup.unit_code, MonthlyRollup.month, MonthlyRollup.handled,
               MonthlyRollup.met, MonthlyRollup.days_histogram)
        .where(MonthlyRollup.month <= JUN).order_by(MonthlyRollup.goal_id, MonthlyRollup.month)).all()
    return {
        "report": report.frame.to_json(), "marks": [report.target(g, m, t) for g, t in
                                                    zip(report.frame["goal_id"], report.frame["target_pct"])
                                                    for m in report.months],
        "series": series.to_json(), "rollups": [tuple(r) for r in rollups],
        "cases": sorted(tuple(r) for r in get_session().execute(
            select(Case.case_ref, Case.days_taken, Case.met).where(Case.completed_at < dt.datetime(2024, 7, 1)))),
    }


def test_a_change_leaves_every_earlier_month_byte_identical_and_later_months_use_the_new_rule(data):
    before = _figures(TODAY)
    goal = goals.get_goal(data["A1"], TODAY)
    changed = goals.change_goal(_sa_user(), data["A1"], goal["version"], _form(), today=TODAY)
    assert changed["rule_value"] == 0 and changed["target_pct"] == 99.0 and changed["valid_from"] == JUL
    get_session().expire_all()
    # Reported months: handled, met, achievement and target exactly as before (the report of June read later too).
    assert _figures(TODAY) == before
    assert _figures(LATER)["report"] == before["report"]
    # The open month was judged again by the new rule: G-5 took 1 day, the new rule allows 0.
    assert get_session().scalar(select(Case.met).where(Case.case_ref == "G-5")) is False
    july = get_session().execute(select(MonthlyRollup.handled, MonthlyRollup.met).where(
        MonthlyRollup.goal_id == data["A1"], MonthlyRollup.month == JUL)).one()
    assert tuple(july) == (1, 0)
    # Imports after the change: each case by the version of its own month.
    report = import_case_records(get_session(), [rec("G-7", "2024-06-17", "2024-06-18"),
                                                 rec("G-8", "2024-08-05", "2024-08-06"),
                                                 rec("G-9", "2024-08-07", "2024-08-07")])
    assert report.ok, report.errors
    met = dict(get_session().execute(select(Case.case_ref, Case.met).where(Case.case_ref.in_(["G-7", "G-8", "G-9"]))).all())
    assert met == {"G-7": True, "G-8": False, "G-9": True}
    # The reports judge July and August against 99 %, June against 95 %.
    later = kpi.service_goal_report(SCOPE_A, world.CVR_A, AUG, today=LATER)
    a1 = later.frame.set_index("code").loc["A1"]
    assert a1["target_pct"] == 99.0 and a1["rule_text"] == "Kreditortransaktioner bogføres samme dag."
    assert [later.target(data["A1"], m, a1["target_pct"]) for m in later.months] == [95.0, 99.0, 99.0]
    assert a1[["2024-06", "2024-07", "2024-08"]].tolist() == [100.0, 0.0, 50.0]
    series = kpi.monthly_series(SCOPE_A, world.CVR_A, 2024, goal_ids=[data["A1"]], today=LATER)
    assert dict(zip(series["month"], series["target_pct"]))[JUN] == 95.0
    assert dict(zip(series["month"], series["target_pct"]))[AUG] == 99.0


def test_versions_are_kept_with_who_and_when_and_the_save_is_audited(data):
    user = _sa_user()
    goal = goals.get_goal(data["A1"], TODAY)
    goals.change_goal(user, data["A1"], goal["version"], _form(), today=TODAY)
    rows = get_session().scalars(select(ServiceGoalVersion).where(ServiceGoalVersion.goal_id == data["A1"])
                                 .order_by(ServiceGoalVersion.valid_from)).all()
    assert [(r.valid_from, r.rule_value, r.target_pct) for r in rows] == [
        (goals.EARLIEST, 3, Decimal("95.00")), (JUL, 0, Decimal("99.00"))]
    assert all(world.SA_STAFF in r.created_by and r.created_at is not None for r in rows)
    audit = get_session().scalars(select(AuditLog).where(AuditLog.entity == goals.ENTITY)).all()
    assert len(audit) == 1 and audit[0].action == "update" and audit[0].user_id == user.id
    assert audit[0].before["rule_value"] == 3 and audit[0].after["rule_value"] == 0
    assert audit[0].after["valid_from"] == "2024-07-01"


@pytest.mark.parametrize("valid_from, words", [
    ("01-06-2024", "afsluttet og rapporteret"),  # June is closed
    ("01-01-2020", "afsluttet og rapporteret"),
    ("15-07-2024", "den 1. i en måned"),
    ("juli", "01-01-2027"),
])
def test_a_version_may_only_start_on_the_first_of_an_open_month(data, valid_from, words):
    goal = goals.get_goal(data["A1"], TODAY)
    with pytest.raises(goals.GoalValidationError) as refused:
        goals.change_goal(_sa_user(), data["A1"], goal["version"], _form(valid_from=valid_from), today=TODAY)
    assert words in refused.value.errors["valid_from"]
    assert get_session().scalar(select(ServiceGoalVersion.id)) is None
    assert goals.get_goal(data["A1"], TODAY)["version"] == goal["version"]


def test_field_messages_are_danish_and_nothing_is_written(data):
    goal = goals.get_goal(data["A1"], TODAY)
    with pytest.raises(goals.GoalValidationError) as refused:
        goals.change_goal(_sa_user(), data["A1"], goal["version"],
                          _form(title="", rule_kind="by_day_of_month", rule_value="40", target_pct="101,5"),
                          today=TODAY)
    assert set(refused.value.errors) == {"title", "rule_value", "target_pct"}
    assert refused.value.errors["title"] == "Titel skal udfyldes."
    assert "fra 1 til 31" in refused.value.errors["rule_value"]
    assert get_session().scalar(select(ServiceGoal.rule_value).where(ServiceGoal.id == data["A1"])) == 3


def test_concurrent_edits_the_second_save_is_refused_and_the_first_kept(data):
    stale = goals.get_goal(data["A1"], TODAY)["version"]
    goals.change_goal(_sa_user(), data["A1"], stale, _form(target_pct="97"), today=TODAY)
    with pytest.raises(goals.GoalConflict) as refused:
        goals.change_goal(_sa_user(), data["A1"], stale, _form(target_pct="80"), today=TODAY)
    assert "ændret samtidig" in refused.value.message
    get_session().expire_all()
    assert goals.get_goal(data["A1"], TODAY)["target_pct"] == 97.0
    assert get_session().scalar(select(ServiceGoalVersion.target_pct).where(ServiceGoalVersion.valid_from == JUL)) \
        == Decimal("97.00")


def test_a_later_version_waits_for_its_month_and_the_same_month_replaces_it(data):
    user = _sa_user()
    version = goals.get_goal(data["A1"], TODAY)["version"]
    goals.change_goal(user, data["A1"], version, _form(valid_from="09-2024", target_pct="96"), today=TODAY)
    shown = goals.get_goal(data["A1"], TODAY)
    assert shown["target_pct"] == 95.0 and shown["next"].target_pct == 96.0 and shown["next"].valid_from == \
        dt.date(2024, 9, 1)
    # July's case is untouched: the September version does not govern it.
    assert get_session().scalar(select(Case.met).where(Case.case_ref == "G-5")) is True
    goals.change_goal(user, data["A1"], shown["version"], _form(valid_from="01-09-2024", target_pct="98"), today=TODAY)
    assert [v.target_pct for v in goals.get_goal(data["A1"], TODAY)["versions"]] == [95.0, 98.0]


def test_a_new_goal_joins_the_catalogue_and_its_code_is_unique(data):
    created = goals.create_goal(_sa_user(), _form(code="a9", area="Regnskab"), today=TODAY)
    assert created["code"] == "A9" and created["valid_from"] == JUL
    assert [g["code"] for g in goals.catalogue(TODAY)][:3] == ["A1", "A5", "A9"]
    with pytest.raises(goals.GoalValidationError) as refused:
        goals.create_goal(_sa_user(), _form(code="A9", area="Regnskab"), today=TODAY)
    assert refused.value.errors == {"code": "Koden A9 findes allerede i kataloget."}
    report = import_case_records(get_session(), [rec("N-1", "2024-07-08", "2024-07-08", goal="A9", unit=UNIT_A)])
    assert report.ok and get_session().scalar(select(Case.met).where(Case.case_ref == "N-1")) is True


def test_an_unknown_goal_is_refused(data):
    with pytest.raises(goals.GoalNotFound):
        goals.change_goal(_sa_user(), 999_999, 1, _form(), today=TODAY)
    with pytest.raises(goals.GoalNotFound):
        goals.change_goal(_sa_user(), True, 1, _form(), today=TODAY)
