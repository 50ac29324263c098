"""The case import: validation, atomicity, re-import, roll-ups of touched months, CSV/XLSX and CLI."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access import AccessScope
from data import kpi
from data.cases_import import MAX_REPORTED_ERRORS, import_case_file, import_case_records, recompute_rollups
from data.cases_import.sqlite_text import _format_datetimes
from data.cases_import.validate import _factorize
from data.db import get_session, make_engine
from data.models import Case, MonthlyRollup
from tests import world
from tests.kpi_world import PAY_A, UNIT_A, UNIT_A2, UNIT_B, add_goals, rec


@pytest.fixture
def goals(app):
    with app.app_context():
        yield add_goals(get_session())


def rollups(session) -> dict[tuple, tuple]:
    rows = session.execute(select(MonthlyRollup)).scalars().all()
    return {(r.cvr, r.goal_id, r.unit_code, r.month): (r.handled, r.met, {int(k): v for k, v in r.days_histogram.items()})
            for r in rows}


def counts(session) -> tuple[int, int]:
    return session.scalar(select(func.count()).select_from(Case)), session.scalar(select(func.count()).select_from(MonthlyRollup))


def test_import_writes_cases_and_rollups(goals):
    session = get_session()
    report = import_case_records(session, [
        rec("S1", "2024-03-04", "2024-03-06"),            # Mon -> Wed: 2 days, met
        rec("S2", "2024-03-04 09:15", "2024-03-11 10:00"),  # 5 days, not met
        rec("S3", "2024-03-04", ""),                       # open: counts nowhere
        rec("S4", "2024-02-28", "2024-03-01", unit=UNIT_A2),
        rec("S5", "2024-03-01", "2024-03-20", goal="A5"),  # by the 15th of March: late
        rec("S6", "2024-03-16", "2024-04-15", goal="A5"),  # received after the 15th: April 15 is fine
    ])
    assert report.ok, report.errors
    assert (report.rows, report.inserted, report.updated, report.open_cases) == (6, 6, 0, 1)
    case = session.scalar(select(Case).where(Case.case_ref == "S2"))
    assert (case.days_taken, case.met, case.received_at) == (5, False, dt.datetime(2024, 3, 4, 9, 15))
    open_case = session.scalar(select(Case).where(Case.case_ref == "S3"))
    assert open_case.completed_at is None and open_case.met is None and open_case.days_taken is None
    march, april = dt.date(2024, 3, 1), dt.date(2024, 4, 1)
    assert rollups(session) == {
        (world.CVR_A, goals["A1"], UNIT_A, march): (2, 1, {2: 1, 5: 1}),
        (world.CVR_A, goals["A1"], UNIT_A2, march): (1, 1, {2: 1}),
        (world.CVR_A, goals["A5"], UNIT_A, march): (1, 0, {13: 1}),
        (world.CVR_A, goals["A5"], UNIT_A, april): (1, 1, {18: 1}),  # Easter: 28 Mar - 1 Apr off
    }
    assert "6 sager indlæst: 6 nye og 0 opdaterede" in report.summary_lines()[0]


def test_case_refs_with_backslashes_and_quotes_are_stored_as_given(goals):
    # PostgreSQL stages the rows as COPY text, where a backslash starts an escape: it must arrive intact.
    refs = ["S\\1", "S\\N", "\\", "S'\"2", "Sø 3", "S,4;5"]
    session = get_session()
    report = import_case_records(session, [rec(r, "2024-03-04", "2024-03-06") for r in refs])
    assert report.ok, report.errors
    assert sorted(session.scalars(select(Case.case_ref))) == sorted(refs)


def test_a_large_postgresql_load_rebuilds_the_case_indexes_as_they_were(goals, monkeypatch):
    from data.cases_import import postgres

    session = get_session()
    if session.connection().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite rebuilds its one index in its own load")
    before = postgres._secondary_indexes(session.connection())
    assert {name for name, _ddl in before} >= {"ix_case_cvr_goal_completed", "ix_case_open"}
    session.rollback()
    monkeypatch.setattr(postgres, "PG_REBUILD_INDEX_MIN_ROWS", 1)  # every load counts as large
    report = import_case_records(session, [rec("S1", "2024-03-04", "2024-03-06"), rec("S2", "2024-03-04", "")])
    assert report.ok and "case_indexes" in report.phases
    assert postgres._secondary_indexes(session.connection()) == before
    # A re-import (ON CONFLICT path) that is large relative to the table rebuilds them too.
    report = import_case_records(session, [rec("S1", "2024-03-04", "2024-03-07"), rec("S3", "2024-03-05", "")])
    assert report.ok and (report.inserted, report.updated) == (1, 1)
    assert postgres._secondary_indexes(session.connection()) == before


def _other_connection(session):
    """Return a second connection to the same PostgreSQL database (autocommit), outside the import's transaction."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(session.get_bind().url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


def test_a_postgresql_import_holds_its_customers_and_goals_until_it_commits(goals):
    """The import checks the references itself, so it must hold what PostgreSQL's per-row key check would."""
    from sqlalchemy.exc import OperationalError

    session = get_session()
    if session.connection().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite checks its foreign keys itself")
    report = import_case_records(session, [rec("K1", "2024-03-04", "2024-03-06")], commit=False)
    assert report.ok and not report.row_key_checks  # the test role is a superuser: the fast path
    assert not any("nøglekontrol" in line for line in report.summary_lines())
    # Back to checking keys for the rest of the caller's transaction.
    assert session.execute(text("SHOW session_replication_role")).scalar() == "origin"
    other = _other_connection(session)
    try:
        with other.connect() as conn:
            conn.execute(text("SET lock_timeout = '200ms'"))
            # The file's customer, a customer the file does not name, and the file's goal: each waits.
            for statement in (f"DELETE FROM customer WHERE cvr = '{world.CVR_A}'",
                              f"DELETE FROM customer WHERE cvr = '{world.CVR_B}'",
                              f"DELETE FROM service_goal WHERE id = {goals['A1']}"):
                with pytest.raises(OperationalError) as caught:
                    conn.execute(text(statement))
                assert caught.value.orig.sqlstate == "55P03"  # lock_not_available
            # Reading and ordinary updates of the customer go on.
            assert conn.execute(text("SELECT count(*) FROM customer WHERE cvr = :c"), {"c": world.CVR_A}).scalar() == 1
            conn.execute(text("UPDATE customer SET name = name WHERE cvr = :c"), {"c": world.CVR_A})
        session.commit()
        with other.connect() as conn:  # after the commit the locks are gone: the key check itself refuses now
            with pytest.raises(IntegrityError):
                conn.execute(text(f"DELETE FROM service_goal WHERE id = {goals['A1']}"))
    finally:
        other.dispose()


def test_a_second_postgresql_import_waits_for_the_first_and_counts_on_its_result(goals):
    """Two imports at once would each rewrite roll-ups and open counts from what they read: the second waits."""
    import threading

    session = get_session()
    if session.connection().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's BEGIN IMMEDIATE lets one writer in at a time")
    march = (world.CVR_A, goals["A1"], UNIT_A, dt.date(2024, 3, 1))
    first = import_case_records(session, [rec("W1", "2024-03-04", "2024-03-06"), rec("W2", "2024-03-04", "")],
                                commit=False)
    assert first.ok
    engine = make_engine(session.get_bind().url.render_as_string(hide_password=False))
    done: dict = {}

    def second() -> None:
        with Session(engine) as other:
            done["report"] = import_case_records(other, [rec("W3", "2024-03-05", "2024-03-07"),
                                                         rec("W4", "2024-03-05", "")])

    worker = threading.Thread(target=second)
    worker.start()
    try:
        watcher = _other_connection(session)
        try:
            with watcher.connect() as conn:
                # This database's only: other test processes have databases of their own.
                waiting = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                           "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
                for _ in range(200):  # the second import asks for the lock the first one holds
                    if conn.execute(text(waiting)).scalar():
                        break
                    worker.join(0.05)
                assert conn.execute(text(waiting)).scalar() == 1 and worker.is_alive()
        finally:
            watcher.dispose()
        session.commit()
        worker.join(30)
    finally:
        worker.join(30)
        engine.dispose()
    assert not worker.is_alive() and done["report"].ok
    session.expire_all()
    # The second import's roll-up and open counts add to the first one's: nothing lost, nothing refused.
    assert rollups(session)[march][:2] == (2, 2)
    assert kpi.open_cases(AccessScope.single(world.CVR_A), world.CVR_A, goal_ids=[goals["A1"]], today=dt.date(2024, 3, 5)) \
        .to_dict("records") == [{"goal_id": goals["A1"], "open": 2, "overdue": 0}]


def test_a_postgresql_role_that_may_not_skip_key_checks_imports_all_the_same(goals):
    """Without SET on session_replication_role, the insert keeps PostgreSQL's row-by-row check; same result."""
    session = get_session()
    if session.connection().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    url = session.get_bind().url
    session.rollback()
    role = f"kp_import_{uuid.uuid4().hex[:8]}"
    admin = _other_connection(session)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT TEMPORARY ON DATABASE "{url.database}" TO "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    engine = make_engine(url.set(username=role).render_as_string(hide_password=False))
    try:
        with Session(engine) as limited:
            report = import_case_records(limited, [rec("R1", "2024-03-04", "2024-03-06"), rec("R2", "2024-03-05", "")])
            assert report.ok and report.row_key_checks
            assert any("nøglekontrol" in line for line in report.summary_lines())
            assert limited.execute(text("SHOW session_replication_role")).scalar() == "origin"
        assert set(session.scalars(select(Case.case_ref))) == {"R1", "R2"}
        assert rollups(session)[(world.CVR_A, goals["A1"], UNIT_A, dt.date(2024, 3, 1))][:2] == (1, 1)
    finally:
        engine.dispose()
        session.rollback()
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_the_garbage_collector_is_paused_during_an_import_and_on_again_after(goals):
    # Full collections walked every row of the chunk in hand again and again (the import's reading
    # took 2.5 x as long); the switch must come back on, also when reading the file fails.
    import gc

    seen = []

    def records(fail: bool):
        seen.append(gc.isenabled())
        yield rec("G1", "2024-03-04", "2024-03-06")
        if fail:
            raise OSError("disk")

    session = get_session()
    assert import_case_records(session, records(fail=False)).ok
    with pytest.raises(OSError):
        import_case_records(session, records(fail=True))
    assert seen == [False, False] and gc.isenabled()


def test_reimport_updates_and_moves_month(goals):
    session = get_session()
    import_case_records(session, [rec("S1", "2024-03-28", "2024-04-02"), rec("S2", "2024-03-04", "2024-03-05"),
                                  rec("S3", "2024-03-04", None)])
    # S1 moves from April to March, S2 changes unit, S3 is completed now; S1 sent twice would be a duplicate.
    report = import_case_records(session, [rec("S1", "2024-03-28", "2024-03-28"), rec("S2", "2024-03-04", "2024-03-05", unit=UNIT_A2),
                                           rec("S3", "2024-03-04", "2024-05-02")])
    assert report.ok and (report.inserted, report.updated) == (0, 3)
    assert counts(session)[0] == 3
    assert rollups(session) == {
        (world.CVR_A, goals["A1"], UNIT_A, dt.date(2024, 3, 1)): (1, 1, {0: 1}),
        (world.CVR_A, goals["A1"], UNIT_A2, dt.date(2024, 3, 1)): (1, 1, {1: 1}),
        (world.CVR_A, goals["A1"], UNIT_A, dt.date(2024, 5, 1)): (1, 0, {40: 1}),
    }
    # Importing the same file again changes nothing and counts nothing twice.
    before = rollups(session)
    again = import_case_records(session, [rec("S1", "2024-03-28", "2024-03-28"), rec("S2", "2024-03-04", "2024-03-05", unit=UNIT_A2),
                                          rec("S3", "2024-03-04", "2024-05-02")])
    assert again.ok and rollups(session) == before


def test_reopened_case_leaves_its_month(goals):
    session = get_session()
    import_case_records(session, [rec("S1", "2024-03-04", "2024-03-05")])
    assert import_case_records(session, [{**rec("S1", "2024-03-04", None), "status": "Genåbnet"}]).ok
    assert rollups(session) == {}
    assert session.scalar(select(Case.reopened).where(Case.case_ref == "S1")) == 1


def test_a_blank_completion_never_reopens_a_closed_case_silently(goals):
    # Refused for that line, nothing written; the case keeps its completion and its month's figures.
    session = get_session()
    assert import_case_records(session, [rec("S1", "2024-03-04", "2024-03-05"), rec("S2", "2024-03-04", None)]).ok
    before = session.execute(select(Case.case_ref, Case.completed_at, Case.reopened).order_by(Case.case_ref)).all(), rollups(session)
    report = import_case_records(session, [rec("S3", "2024-03-04", "2024-03-05"), rec("S1", "2024-03-04", None),
                                           rec("S2", "2024-03-04", None)])  # S2 is open: nothing to reopen
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "sagen 'S1' er afsluttet, og en tom afslutningsdato genåbner den ikke; angiv status 'genåbnet' i "
            "kolonnen status (eller --reopen ved import fra kommandolinjen) for at genåbne den")]
    after = session.execute(select(Case.case_ref, Case.completed_at, Case.reopened).order_by(Case.case_ref)).all()
    assert (after, rollups(session)) == before


@pytest.mark.parametrize("status, reason", [
    ("lukket", "ukendt status 'lukket' (tom eller 'genåbnet')"),
])
def test_an_unknown_status_is_refused(goals, status, reason):
    report = import_case_records(get_session(), [{**rec("S1", "2024-03-04", None), "status": status}])
    assert [(e.line, e.reason) for e in report.errors] == [(1, reason)]


def test_reopened_with_a_completion_is_refused(goals):
    report = import_case_records(get_session(), [{**rec("S1", "2024-03-04", "2024-03-05"), "status": "genåbnet"}])
    assert [(e.line, e.reason) for e in report.errors] == [(1, "status 'genåbnet' kræver en tom afslutningsdato")]


def test_reopen_flag_reopens_and_counts_each_reopening(goals):
    session = get_session()
    import_case_records(session, [rec("S1", "2024-03-04", "2024-03-05")])
    assert import_case_records(session, [rec("S1", "2024-03-04", None)], reopen=True).ok
    # Completed again in April: it counts there, and stays marked as reopened; reopened a second time.
    assert import_case_records(session, [rec("S1", "2024-03-04", "2024-04-02")]).ok
    assert import_case_records(session, [rec("S1", "2024-03-04", None)], reopen=True).ok
    assert session.scalar(select(Case.reopened).where(Case.case_ref == "S1")) == 2


@pytest.mark.parametrize("record, reason", [
    (rec("X", "2024-03-04", "2024-03-05", cvr="12345678"), "ukendt CVR-nummer '12345678'"),
    (rec("X", "2024-03-04", "2024-03-05", cvr=""), "CVR-nummer mangler"),
    (rec("X", "2024-03-04", "2024-03-05", goal="Z9"), "ukendt servicemål 'Z9'"),
    (rec("X", "2024-03-04", "2024-03-05", goal=""), "servicemål mangler"),
    (rec("X", "2024-03-04", "2024-03-05", unit=UNIT_B), "enheden '20001' er ikke en bogføringskreds eller løngruppe hos CVR-nummer 33391005"),
    (rec("X", "2024-03-04", "2024-03-05", unit=""), "enhed mangler"),
    (rec("", "2024-03-04", "2024-03-05"), "sagsnummer mangler"),
    (rec("X" * 65, "2024-03-04", "2024-03-05"), "sagsnummeret er længere end 64 tegn"),
    (rec("X", "", "2024-03-05"), "modtagelsesdato mangler"),
    (rec("X", "2024-02-30", "2024-03-05"), "ugyldig modtagelsesdato '2024-02-30'"),
    (rec("X", "i går", "2024-03-05"), "ugyldig modtagelsesdato 'i går'"),
    (rec("X", "today", "2024-03-05"), "ugyldig modtagelsesdato 'today'"),
    (rec("X", "2024", "2024-03-05"), "ugyldig modtagelsesdato '2024'"),
    (rec("X", "2024-03-04", "0001-01-01"), "ugyldig afslutningsdato '0001-01-01'"),
    (rec("X", "2024-03-04", "2024-03-01"), "afslutningsdato ligger før modtagelsesdato"),
    (rec("X", "2024-03-04 15:00", "2024-03-04 14:00"), "afslutningsdato ligger før modtagelsesdato"),
    (rec("X", "2024-03-04 15:00", "2024-03-03"), "afslutningsdato ligger før modtagelsesdato"),
    (rec("NUL\x00REF", "2024-03-04", "2024-03-05"), "sagsnummeret indeholder kontroltegn"),
    (rec("a\r\n=2", "2024-03-04", "2024-03-05"), "sagsnummeret indeholder kontroltegn"),
    # A terminal escape or a newline in a value is not echoed into the report as it is.
    (rec("X", "\x1b]0;PWNED\x07", "2024-03-05"), "ugyldig modtagelsesdato '\ufffd]0;PWNED\ufffd'"),
    (rec("X", "2024-03-04", "2024-03-05", cvr="1\nLinje 9: ok"), "ukendt CVR-nummer '1\ufffdLinje 9: ok'"),
])
def test_bad_rows_are_reported_in_danish(goals, record, reason):
    session = get_session()
    report = import_case_records(session, [rec("OK1", "2024-03-04", "2024-03-05"), record])
    assert not report.ok
    assert [(e.line, e.reason) for e in report.errors] == [(2, reason)]
    assert counts(session) == (0, 0)


def test_completion_given_as_a_date_on_the_day_of_receipt_is_the_same_day(goals):
    session = get_session()
    report = import_case_records(session, [rec("SAMME-DAG", "2024-03-04 15:00", "2024-03-04")])
    assert report.ok, report.errors
    case = session.scalar(select(Case).where(Case.case_ref == "SAMME-DAG"))
    assert (case.days_taken, case.met) == (0, True)


def test_danish_dates_and_date_objects_are_accepted(goals):
    session = get_session()
    report = import_case_records(session, [
        rec("D1", "04-03-2024", "06.03.2024"),
        {"cvr": world.CVR_A, "goal_code": "a1", "unit_code": UNIT_A, "case_ref": " D2 ",
         "received_at": dt.date(2024, 3, 4), "completed_at": dt.datetime(2024, 3, 6, 12, 0)},
    ])
    assert report.ok, report.errors
    assert session.scalars(select(Case.days_taken).order_by(Case.case_ref)).all() == [2, 2]
    assert session.scalar(select(Case.case_ref).where(Case.case_ref == "D2")) == "D2"


def test_duplicate_refs_within_the_file(goals):
    session = get_session()
    report = import_case_records(session, [rec("S1", "2024-03-04", "2024-03-05"), rec("S2", "2024-03-04", None),
                                           rec("S1", "2024-03-04", "2024-03-06")], chunk_size=2)
    assert [(e.line, e.reason) for e in report.errors] == [(3, "sagsnummeret 'S1' findes også i linje 1")]
    assert counts(session) == (0, 0)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 1000])
def test_duplicate_refs_of_new_and_stored_cases(goals, chunk_size):
    """Duplicates are found within a chunk and across chunks, for new and for already stored cases."""
    session = get_session()
    assert import_case_records(session, [rec("OLD1", "2024-01-02", "2024-01-03"), rec("OLD2", "2024-01-02", None)]).ok
    before = (session.execute(select(Case.case_ref, Case.completed_at).order_by(Case.case_ref)).all(), rollups(session))
    report = import_case_records(session, [
        rec("N1", "2024-03-04", "2024-03-05"),    # 1
        rec("OLD1", "2024-03-04", "2024-03-06"),  # 2: re-import of a stored case ...
        rec("N2", "2024-03-04", None),            # 3
        rec("N1", "2024-03-04", "2024-03-07"),    # 4: duplicate of a new case
        rec("OLD1", "2024-03-04", "2024-03-08"),  # 5: ... given twice
        rec("OLD2", "2024-03-04", "2024-03-08"),  # 6: a re-import given once is fine
        rec("N3", "2024-03-04", "2024-03-05"),    # 7
        rec("N1", "2024-03-04", "2024-03-05"),    # 8: third time
    ], chunk_size=chunk_size)
    assert [(e.line, e.reason) for e in report.errors] == [
        (4, "sagsnummeret 'N1' findes også i linje 1"),
        (5, "sagsnummeret 'OLD1' findes også i linje 2"),
        (8, "sagsnummeret 'N1' findes også i linje 1"),
    ]
    assert (session.execute(select(Case.case_ref, Case.completed_at).order_by(Case.case_ref)).all(), rollups(session)) == before


def test_duplicates_after_skipped_lines_keep_their_line_numbers(goals, tmp_path):
    """Line numbers of earlier occurrences are right when blank and bad lines sit in between."""
    session = get_session()
    path = tmp_path / "sager.csv"
    path.write_text("\n".join([
        ",".join(HEADER),
        f"{world.CVR_A},A1,{UNIT_A},C1,2024-03-04,2024-03-05",  # 2
        "",                                                      # 3: blank, skipped
        f"{world.CVR_A},Z9,{UNIT_A},C2,2024-03-04,2024-03-05",  # 4: unknown goal
        f"{world.CVR_A},A1,{UNIT_A},C3,2024-03-04,2024-03-05",  # 5
        f"{world.CVR_A},A1,{UNIT_A},C4,2024-03-04,2024-03-05",  # 6
        f"{world.CVR_A},A1,{UNIT_A},C3,2024-03-04,2024-03-06",  # 7: duplicate of line 5
        f"{world.CVR_A},A1,{UNIT_A},C1,2024-03-04,2024-03-06",  # 8: duplicate of line 2
    ]) + "\n", encoding="utf-8")
    report = import_case_file(session, path, chunk_size=2)
    assert [(e.line, e.reason) for e in report.errors] == [
        (4, "ukendt servicemål 'Z9'"),
        (7, "sagsnummeret 'C3' findes også i linje 5"),
        (8, "sagsnummeret 'C1' findes også i linje 2"),
    ]
    assert counts(session) == (0, 0)


def test_sqlite_import_leaves_connection_settings_as_they_were(goals):
    """The import's own pragmas (no foreign keys, bigger cache, sorter threads) never leak to the pooled connection."""
    session = get_session()
    if session.connection().dialect.name != "sqlite":
        pytest.skip("SQLite only")

    def settings() -> tuple[int, int, int]:
        conn = session.connection()
        return tuple(conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("foreign_keys", "cache_size", "threads"))

    session.commit()
    before = settings()
    assert before[0] == 1
    assert import_case_records(session, [rec("S1", "2024-03-04", "2024-03-05")]).ok
    assert settings() == before
    session.commit()
    assert not import_case_records(session, [rec("S2", "2024-03-04", "2024-03-01")]).ok
    assert settings() == before


def test_import_inside_the_callers_transaction(goals):
    """With commit=False the import joins the caller's transaction: both commit or roll back together."""
    session = get_session()
    assert import_case_records(session, [rec("S1", "2024-03-04", "2024-03-05")], commit=False).ok
    session.rollback()
    assert counts(session) == (0, 0)
    assert import_case_records(session, [rec("S1", "2024-03-04", "2024-03-05")], commit=False).ok
    bad = import_case_records(session, [rec("S2", "2024-03-04", "2024-03-05"), rec("S3", "x", None)], commit=False)
    assert not bad.ok and [e.line for e in bad.errors] == [2]
    session.commit()
    assert session.scalars(select(Case.case_ref)).all() == ["S1"]
    assert rollups(session) == {(world.CVR_A, goals["A1"], UNIT_A, dt.date(2024, 3, 1)): (1, 1, {1: 1})}


def test_one_bad_row_in_ten_thousand_leaves_database_unchanged(goals):
    session = get_session()
    assert import_case_records(session, [rec("OLD", "2024-01-02", "2024-01-03")]).ok
    before_cases = session.execute(select(Case.case_ref, Case.completed_at)).all()
    before_rollups = rollups(session)
    records = [rec(f"N{i:05d}", "2024-03-04", "2024-03-05") for i in range(10_000)]
    records[9_998] = rec("N09998", "2024-03-04", "2024-03-01")  # line 9,999
    records[0] = rec("OLD", "2024-01-02", "2024-02-03")  # would move OLD, must not happen
    report = import_case_file_like(session, records)
    assert not report.ok
    assert report.error_count == 1
    assert [(e.line, e.reason) for e in report.errors] == [(9_999, "afslutningsdato ligger før modtagelsesdato")]
    assert session.execute(select(Case.case_ref, Case.completed_at)).all() == before_cases
    assert rollups(session) == before_rollups
    assert "Intet er gemt" in report.summary_lines()[0]


def test_new_cases_written_chunk_by_chunk_are_undone_by_a_later_bad_row(goals):
    """Chunks of new cases are written as they come (PostgreSQL); a bad row further on still keeps nothing."""
    session = get_session()
    records = [rec(f"N{i:05d}", "2024-03-04", "2024-03-05") for i in range(5_000)]
    records[4_500] = rec("N04500", "2024-03-04", "2024-03-01")  # line 4,501, in the fifth chunk
    report = import_case_records(session, records, chunk_size=1_000)
    assert [(e.line, e.reason) for e in report.errors] == [(4_501, "afslutningsdato ligger før modtagelsesdato")]
    assert counts(session) == (0, 0)


def test_a_later_line_repeating_a_case_written_as_new_is_a_duplicate(goals):
    """A reference first seen in a chunk of new cases and again after a re-imported one is reported, nothing kept."""
    session = get_session()
    assert import_case_records(session, [rec("OLD1", "2024-01-02", "2024-01-03")]).ok
    before = (session.execute(select(Case.case_ref, Case.completed_at).order_by(Case.case_ref)).all(), rollups(session))
    report = import_case_records(session, [
        rec("N1", "2024-03-04", "2024-03-05"), rec("N2", "2024-03-04", None),  # new: written as they come
        rec("OLD1", "2024-01-02", "2024-02-03"), rec("N3", "2024-03-04", None),  # a re-import: staged from here
        rec("N1", "2024-03-04", "2024-03-06"),
    ], chunk_size=2)
    assert [(e.line, e.reason) for e in report.errors] == [(5, "sagsnummeret 'N1' findes også i linje 1")]
    assert (session.execute(select(Case.case_ref, Case.completed_at).order_by(Case.case_ref)).all(),
            rollups(session)) == before


def test_chunks_of_new_cases_then_a_reimport_count_every_case_once(goals):
    session = get_session()
    assert import_case_records(session, [rec("OLD1", "2024-01-02", "2024-01-03")]).ok
    report = import_case_records(session, [
        rec("N1", "2024-03-04", "2024-03-05"), rec("N2", "2024-03-04", None),
        rec("OLD1", "2024-01-02", "2024-02-05"), rec("N3", "2024-03-04", "2024-03-20"),
        rec("N4", "2024-02-01", "2024-02-02"),
    ], chunk_size=2)
    assert report.ok, report.errors
    assert (report.inserted, report.updated) == (4, 1)
    assert session.scalar(select(Case.completed_at).where(Case.case_ref == "OLD1")) == dt.datetime(2024, 2, 5)
    incremental = rollups(session)
    assert sum(handled for handled, _met, _hist in incremental.values()) == 4  # OLD1 (moved to February), N1, N3, N4
    session.execute(MonthlyRollup.__table__.delete())
    recompute_rollups(session.connection(), set(incremental))
    assert rollups(session) == incremental


def import_case_file_like(session, records):
    return import_case_records(session, records, chunk_size=1_000)


def test_every_bad_row_is_listed(goals):
    session = get_session()
    records = [rec(f"N{i}", "2024-03-04", "2024-03-05", goal="Z" if i % 3 == 0 else "A1") for i in range(30)]
    report = import_case_records(session, records, chunk_size=7)
    assert report.error_count == 10 and [e.line for e in report.errors] == list(range(1, 31, 3))
    assert MAX_REPORTED_ERRORS >= 10


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    path.write_text("\n".join(delimiter.join(r) for r in rows) + "\n", encoding="utf-8")
    return path


HEADER = ["cvr", "goal_code", "unit_code", "case_ref", "received_at", "completed_at"]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_file_with_line_numbers(goals, tmp_path, delimiter):
    session = get_session()
    path = write_csv(tmp_path / "sager.csv", [HEADER,
                                              [world.CVR_A, "A1", UNIT_A, "C1", "2024-03-04", "2024-03-05"],
                                              [world.CVR_A, "L1", PAY_A, "C2", "2024-03-04", ""],
                                              [world.CVR_A, "A1", UNIT_A, "C3", "2024-03-04", "2024-03-01"]], delimiter)
    report = import_case_file(session, path)
    assert [(e.line, e.reason) for e in report.errors] == [(4, "afslutningsdato ligger før modtagelsesdato")]
    path = write_csv(tmp_path / "sager2.csv", [HEADER,
                                               [world.CVR_A, "A1", UNIT_A, "C1", "2024-03-04", "2024-03-05"],
                                               [world.CVR_A, "L1", PAY_A, "C2", "2024-03-04", ""]], delimiter)
    report = import_case_file(session, path)
    assert report.ok and counts(session)[0] == 2


def test_a_file_import_reports_its_progress_chunk_by_chunk(goals, tmp_path):
    # The background worker's progress bar: rows read so far, and the share of the file read.
    rows = [[world.CVR_A, "A1", UNIT_A, f"P{n}", "2024-03-04", "2024-03-05"] for n in range(500)]
    path = write_csv(tmp_path / "sager.csv", [HEADER, *rows])
    seen: list[tuple[int, float]] = []
    report = import_case_file(get_session(), path, chunk_size=100, progress=lambda n, share: seen.append((n, share)))
    assert report.ok and report.rows == 500
    assert [n for n, _ in seen] == [100, 200, 300, 400, 500]
    shares = [share for _, share in seen]
    assert shares == sorted(shares) and 0 < shares[0] and shares[-1] == 1.0


def test_an_xlsx_import_reports_its_progress_by_rows(goals, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for n in range(250):
        sheet.append([world.CVR_A, "A1", UNIT_A, f"X{n}", "2024-03-04", "2024-03-05"])
    path = tmp_path / "sager.xlsx"
    workbook.save(path)
    seen: list[tuple[int, float]] = []
    report = import_case_file(get_session(), path, chunk_size=100, progress=lambda n, share: seen.append((n, share)))
    assert report.ok, report.errors
    assert seen == [(100, 0.4), (200, 0.8), (250, 1.0)]


def test_csv_header_must_name_the_columns(goals, tmp_path):
    path = write_csv(tmp_path / "sager.csv", [["cvr", "mål"], [world.CVR_A, "A1"]])
    report = import_case_file(get_session(), path)
    assert not report.ok and report.errors[0].line == 1 and "goal_code" in report.errors[0].reason


def test_xlsx_file(goals, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([int(world.CVR_A), "A1", 10001, "X1", dt.datetime(2024, 3, 4, 8, 0), dt.datetime(2024, 3, 7, 15, 0)])
    sheet.append([int(world.CVR_A), "A1", 10001, "X2", dt.datetime(2024, 3, 4), None])
    path = tmp_path / "sager.xlsx"
    workbook.save(path)
    report = import_case_file(get_session(), path)
    assert report.ok, report.errors
    assert get_session().scalar(select(Case.days_taken).where(Case.case_ref == "X1")) == 3


def test_unsupported_file_type(goals, tmp_path):
    path = tmp_path / "sager.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(ValueError, match="understøttes ikke"):
        import_case_file(get_session(), path)


@pytest.mark.parametrize("content, message", [
    ("cvr;goal_code;unit_code;case_ref;received_at;completed_at\n".encode() + "33391005;A1;10001;Sag æ;2024-03-04;\n".encode("cp1252"),
     "ikke gemt som UTF-8."),
    ("cvr;goal_code\n".encode("utf-16"), "ikke gemt som UTF-8."),
    (("cvr;goal_code;unit_code;case_ref;received_at;completed_at\n33391005;A1;10001;" + "x" * 140_000 + ";2024-03-04;\n")
     .encode(), "Linje 2: et felt er for langt"),
])
def test_unreadable_csv_is_a_danish_message_and_writes_nothing(goals, tmp_path, content, message):
    path = tmp_path / "sager.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(message)):
        import_case_file(get_session(), path)
    assert counts(get_session()) == (0, 0)


def test_file_that_is_no_workbook_is_a_danish_message(goals, tmp_path, runner):
    path = tmp_path / "sager.xlsx"
    path.write_bytes(b"cvr;goal_code\n")
    with pytest.raises(ValueError, match="kan ikke læses som en Excel-projektmappe"):
        import_case_file(get_session(), path)
    result = runner.invoke(args=["import-cases", str(path)])
    assert result.exit_code == 1 and "Excel-projektmappe" in result.output and "Traceback" not in result.output


def test_recompute_equals_incremental(goals):
    session = get_session()
    import_case_records(session, [rec(f"S{i}", "2024-03-04", f"2024-03-{5 + i % 20:02d}", goal="A1" if i % 2 else "A5")
                                  for i in range(60)])
    incremental = rollups(session)
    keys = set(incremental)
    conn = session.connection()
    conn.execute(MonthlyRollup.__table__.delete())
    recompute_rollups(conn, keys)
    session.commit()
    assert rollups(session) == incremental


def test_cli_recount_open_cases_rewrites_the_counts_from_the_cases(app, runner, goals):
    from data.models import OpenCaseDay

    session = get_session()
    assert import_case_records(session, [rec("O1", "2024-03-04 09:00", None), rec("O2", "2024-03-04 15:00", None),
                                         rec("O3", "2024-03-05", None, unit=UNIT_A2),
                                         rec("C1", "2024-03-04", "2024-03-05")]).ok
    expected = set(session.execute(select(OpenCaseDay.cvr, OpenCaseDay.unit_code, OpenCaseDay.received_on,
                                          OpenCaseDay.open_cases)).all())
    assert expected == {(world.CVR_A, UNIT_A, dt.date(2024, 3, 4), 2), (world.CVR_A, UNIT_A2, dt.date(2024, 3, 5), 1)}
    # Counts gone astray (a row lost, another wrong): the command puts back what the cases say.
    session.execute(OpenCaseDay.__table__.delete().where(OpenCaseDay.unit_code == UNIT_A2))
    session.execute(OpenCaseDay.__table__.update().values(open_cases=7))
    session.commit()
    result = runner.invoke(args=["recount-open-cases"])
    assert result.exit_code == 0, result.output
    assert "Åbne sager optalt igen: 2 rækker" in result.output
    session.expire_all()
    assert set(session.execute(select(OpenCaseDay.cvr, OpenCaseDay.unit_code, OpenCaseDay.received_on,
                                      OpenCaseDay.open_cases)).all()) == expected


def test_cli_import_cases(app, runner, goals, tmp_path):
    good = write_csv(tmp_path / "ok.csv", [HEADER, [world.CVR_A, "A1", UNIT_A, "C1", "2024-03-04", "2024-03-05"]])
    result = runner.invoke(args=["import-cases", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 sager indlæst: 1 nye og 0 opdaterede" in result.output
    bad = write_csv(tmp_path / "bad.csv", [HEADER, [world.CVR_A, "A1", UNIT_A, "C2", "2024-03-04", "2024-03-05"],
                                           ["99999999", "A1", UNIT_A, "C3", "2024-03-04", "2024-03-05"]])
    result = runner.invoke(args=["import-cases", str(bad)])
    assert result.exit_code == 1
    assert "Linje 3: ukendt CVR-nummer '99999999'" in result.output
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Case)) == 1
    # A blank completion for the closed C1 is refused, unless --reopen (or status 'genåbnet') says so.
    reopen = write_csv(tmp_path / "reopen.csv", [HEADER, [world.CVR_A, "A1", UNIT_A, "C1", "2024-03-04", ""]])
    result = runner.invoke(args=["import-cases", str(reopen)])
    assert result.exit_code == 1 and "Linje 2: sagen 'C1' er afsluttet" in result.output
    result = runner.invoke(args=["import-cases", "--reopen", str(reopen)])
    assert result.exit_code == 0, result.output
    status = write_csv(tmp_path / "status.csv", [HEADER + ["status"],
                                                 [world.CVR_A, "A1", UNIT_A, "C1", "2024-03-04", "2024-03-06", ""],
                                                 [world.CVR_A, "A1", UNIT_A, "C1X", "2024-03-04", "", "genåbnet"]])
    assert runner.invoke(args=["import-cases", str(status)]).exit_code == 0
    with app.app_context():
        assert get_session().scalar(select(Case.reopened).where(Case.case_ref == "C1")) == 1
    other = tmp_path / "x.pdf"
    other.write_bytes(b"x")
    result = runner.invoke(args=["import-cases", str(other)])
    assert result.exit_code == 1 and "understøttes ikke" in result.output


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 12, 31, 23, 59, 59, 999_999))),
                max_size=40))
def test_timestamps_are_written_as_sqlalchemy_stores_them(values):
    """The vectorised formatter gives exactly SQLAlchemy's SQLite text for every timestamp (None for blank)."""
    array = np.array([np.datetime64(v, "us") if v else np.datetime64("NaT", "us") for v in values], dtype="datetime64[us]")
    assert _format_datetimes(array) == [v.strftime("%Y-%m-%d %H:%M:%S.%f") if v else None for v in values]


def test_distinct_values_are_cleaned_once():
    codes, texts = _factorize(["33391005", " 33391005 ", None, 33391005.0, "", float("nan"), "A1"])
    assert [texts[c] for c in codes] == ["33391005", "33391005", "", "33391005", "", "", "A1"]



def test_a_case_from_the_future_is_refused_per_line_and_nothing_is_written(goals):
    import datetime as dt

    from data.workdays import DANISH_TZ

    now = dt.datetime.now(DANISH_TZ).replace(tzinfo=None)
    soon = (now + dt.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")  # within the clock tolerance
    tomorrow = (now + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    today = now.strftime("%Y-%m-%d")
    session = get_session()
    report = import_case_records(session, [
        rec("OK1", "2024-03-04", "2024-03-05"),
        rec("OK2", today, soon),
        rec("F1", "2024-03-04", tomorrow),
        rec("F2", tomorrow, ""),
    ])
    assert [(e.line, e.reason) for e in report.errors] == [(3, "afslutningsdato ligger i fremtiden"),
                                                           (4, "modtagelsesdato ligger i fremtiden")]
    assert counts(session) == (0, 0)
    report = import_case_records(session, [rec("OK1", "2024-03-04", "2024-03-05"), rec("OK2", today, soon)])
    assert report.ok, report.summary_lines()


def test_a_case_is_never_moved_to_another_customer(goals):
    # The file names B's case reference under A: refused for that line, nothing written, B's case and
    # both customers' roll-ups as they were.
    session = get_session()
    assert import_case_records(session, [rec("B-1", "2024-03-04", "2024-03-05", cvr=world.CVR_B, unit=UNIT_B)]).ok
    before = session.execute(select(Case.case_ref, Case.cvr, Case.unit_code)).all(), rollups(session)
    report = import_case_records(session, [
        rec("A-1", "2024-03-04", "2024-03-05"),
        rec("B-1", "2024-03-04", "2024-03-06"),
    ])
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "sagsnummeret 'B-1' findes allerede hos et andet CVR-nummer; en sag kan ikke flyttes mellem kunder")]
    assert (session.execute(select(Case.case_ref, Case.cvr, Case.unit_code)).all(), rollups(session)) == before
    # Under its own CVR the reference is an ordinary re-import.
    again = import_case_records(session, [rec("B-1", "2024-03-04", "2024-03-06", cvr=world.CVR_B, unit=UNIT_B)])
    assert again.ok and again.updated == 1
