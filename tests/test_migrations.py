"""Alembic migrations: they build exactly the schema the models declare, and they go down again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from data import migrate
from data.db import make_engine
from data.models import Base


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_migrations_downgrade_to_nothing_and_up_again(tmp_path):
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    try:
        migrate.upgrade(engine)
        cfg = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _user_row(email: str) -> dict:
    return {"email": email, "name": "Gammel Bruger", "password_hash": "x", "must_change_password": False,
            "is_active": True, "is_sa_staff": False, "is_sa_admin": False, "session_version": 1,
            "created_at": "2026-01-01 00:00:00"}


def test_upgrade_lowercases_stored_addresses_and_starts_versions_at_one(tmp_path):
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO user_account (email, name, password_hash, must_change_password, is_active, "
                              "is_sa_staff, is_sa_admin, session_version, created_at) VALUES (:email, :name, "
                              ":password_hash, :must_change_password, :is_active, :is_sa_staff, :is_sa_admin, "
                              ":session_version, :created_at)"), _user_row(" ÅSE.Ørum@Example.DK"))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT email, version FROM user_account")).one() == ("åse.ørum@example.dk", 1)
    finally:
        engine.dispose()


def test_upgrade_stops_on_two_accounts_for_one_address(tmp_path):
    import pytest
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'twins.db'}")
    try:
        migrate.upgrade(engine, "0001")
        with engine.begin() as conn:
            for email in ("Anne@example.dk", "anne@example.dk"):
                conn.execute(text("INSERT INTO user_account (email, name, password_hash, must_change_password, "
                                  "is_active, is_sa_staff, is_sa_admin, session_version, created_at) VALUES (:email, "
                                  ":name, :password_hash, :must_change_password, :is_active, :is_sa_staff, "
                                  ":is_sa_admin, :session_version, :created_at)"), _user_row(email))
        with pytest.raises(RuntimeError, match="samme e-mailadresse"):
            migrate.upgrade(engine)
        with engine.connect() as conn:
            # One transaction for the whole upgrade: nothing of 0002 or 0003 is left half-done.
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
            assert "ended_session" not in {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    finally:
        engine.dispose()


def test_upgrade_counts_the_open_cases_already_stored(tmp_path):
    import datetime as dt

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from data.models import Case, Customer, Ministry, OpenCaseDay, ServiceGoal

    engine = make_engine(f"sqlite:///{tmp_path / 'open.db'}")
    try:
        migrate.upgrade(engine, "0023")
        with Session(engine) as session:
            session.add(Ministry(id=1, number=1, name="Ministeriet"))
            session.add(Customer(cvr="11111111", name="Styrelsen", ministry_id=1))
            session.add(ServiceGoal(id=1, code="A1", area="Regnskab", title="Bogføring", rule_text="5 dage",
                                    target_pct=95, rule_kind="within_days", rule_value=5))
            session.flush()
            cases = [("S1", "U1", dt.datetime(2026, 11, 2, 9), None), ("S2", "U1", dt.datetime(2026, 11, 2, 15), None),
                     ("S3", "U2", dt.datetime(2026, 11, 2, 9), None), ("S4", "U1", dt.datetime(2026, 11, 3, 9), None),
                     ("S5", "U1", dt.datetime(2026, 11, 2, 9), dt.datetime(2026, 11, 4, 9))]
            session.add_all(Case(case_ref=ref, cvr="11111111", goal_id=1, unit_code=unit, received_at=received,
                                 completed_at=completed, days_taken=2 if completed else None,
                                 met=True if completed else None) for ref, unit, received, completed in cases)
            session.commit()
        migrate.upgrade(engine)
        with Session(engine) as session:
            rows = session.execute(select(OpenCaseDay.unit_code, OpenCaseDay.received_on, OpenCaseDay.open_cases)
                                   .order_by(OpenCaseDay.unit_code, OpenCaseDay.received_on)).all()
        # The closed case counts nowhere; two open cases of one unit and day are one row of 2.
        assert rows == [("U1", dt.date(2026, 11, 2), 2), ("U1", dt.date(2026, 11, 3), 1), ("U2", dt.date(2026, 11, 2), 1)]
    finally:
        engine.dispose()
