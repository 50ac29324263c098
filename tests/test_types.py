"""UTCDateTime: stored in UTC, always read back aware in UTC."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from data.types import UTCDateTime


def test_utc_datetime_round_trips_aware_utc_on_sqlite():
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    table.metadata.create_all(engine)
    copenhagen = dt.datetime(2024, 12, 31, 23, 30, tzinfo=ZoneInfo("Europe/Copenhagen"))
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "at": copenhagen}, {"id": 2, "at": dt.datetime(2024, 1, 1, 12)},
                                     {"id": 3, "at": None}])
        rows = dict(conn.execute(select(table.c.id, table.c.at)).all())
        # Compared in UTC: 23:30 Copenhagen (22:30 UTC) is after 22:00 UTC, not before it.
        cut = dt.datetime(2024, 12, 31, 22, 0, tzinfo=dt.timezone.utc)
        later = conn.scalars(select(table.c.id).where(table.c.at > cut)).all()
    assert rows[1] == copenhagen and rows[1].tzinfo == dt.timezone.utc and rows[1].hour == 22
    assert rows[2] == dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)
    assert rows[3] is None
    assert later == [1]
