"""Engine and request-scoped sessions, bound to the Flask app by `init_app`."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from data import scoping

_EXT_KEY = "kundeportal_db"


def make_engine(url: str) -> Engine:
    """Create an engine for `url`, with SQLite tuned for a web app."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # The portal's statements are small and many (a page reads roll-ups and a customer's open cases):
    # starting parallel workers cost more than they saved (a 2 ms count took 10 ms with two workers), and
    # psycopg prepares a statement run five times, after which PostgreSQL may plan it once for any CVR
    # although one customer holds 15 % of the cases and another 0.1 %. Both settings are per connection.
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args={"options": "-c max_parallel_workers_per_gather=0 "
                                                  "-c plan_cache_mode=force_custom_plan"})


class Database:
    """Hold one engine and session factory per Flask app."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # The third lock: every ORM query of customer-owned rows runs under the request's scope.
        scoping.install(self.sessionmaker)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def init_app(app: Flask) -> Database:
    """Create the app's database handle and close request sessions at teardown."""
    db = Database(app.config["DATABASE_URL"])
    app.extensions[_EXT_KEY] = db

    @app.teardown_appcontext
    def _close_session(exc):  # noqa: ANN001
        session = g.pop("db_session", None)
        if session is not None:
            try:
                if exc is not None:
                    session.rollback()
                session.close()
            except DBAPIError as error:
                # The connection died after the request's work (database restarted, backend terminated):
                # the server has ended the transaction itself, and the answer already made stands. The
                # connection is thrown away instead of going back to the pool.
                app.logger.warning("database connection lost at request end: %s", type(error.orig).__name__)
                try:
                    session.invalidate()
                except DBAPIError:  # pragma: no cover - invalidating does not talk to the server
                    pass

    return db


def get_db(app: Flask | None = None) -> Database:
    """Return the database handle of `app` (default: the current app)."""
    return (app or current_app).extensions[_EXT_KEY]


def get_session() -> Session:
    """Return the session of the current app context, opening it on first use."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


@contextmanager
def transaction() -> Iterator[Session]:
    """Run a unit of work on the context's session: commit on success, roll back on error."""
    session = get_session()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise


@contextmanager
def unscoped_session(reason: str) -> Iterator[Session]:
    """Yield the context's session reading across every customer (CLI, import, demo data); `reason` says why."""
    with scoping.unscoped(get_session(), reason) as session:
        yield session
