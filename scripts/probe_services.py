"""Find PostgreSQL and Redis for `make test`; print shell assignments for the ones that answer.

TEST_DATABASE_URL / REDIS_URL already in the environment are kept as they are (and checked).
Otherwise the local defaults (127.0.0.1:5432 database `test`, 127.0.0.1:6379) are probed. What is
missing is said on stderr, with what that skips, so a run without them never looks complete.
"""

from __future__ import annotations

import os
import shlex
import sys

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"


def pg_answers(url: str) -> str | None:
    """Return None when PostgreSQL at `url` answers a query, else the reason it does not."""
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        return str(exc).splitlines()[0][:200]
    return None


def redis_answers(url: str) -> str | None:
    """Return None when Redis at `url` answers PING, else the reason it does not."""
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        return str(exc).splitlines()[0][:200]
    return None


def main() -> int:
    """Print `export NAME=value` lines for the services that answer; explain the rest on stderr."""
    for name, default, probe, skipped in (
        ("TEST_DATABASE_URL", PG_DEFAULT, pg_answers,
         "PostgreSQL-varianterne af testene (inkl. gunicorn-produktionstesten) springes over"),
        ("REDIS_URL", REDIS_DEFAULT, redis_answers,
         "testene mod Redis (rate limiting, produktionstesten) springes over"),
    ):
        given = os.environ.get(name)
        url = given or default
        reason = probe(url)
        if reason is not None and given:
            # Asked for explicitly (CI does): a dead service is an error, not a reason to skip.
            print(f"[make test] FEJL: {name}={url} svarer ikke ({reason}).", file=sys.stderr)
            return 1
        if reason is None:
            print(f"export {name}={shlex.quote(url)}")
            print(f"[make test] {name}={url} svarer: bruges.", file=sys.stderr)
        else:
            print(f"unset {name}")
            print(f"[make test] ADVARSEL: {url} svarer ikke ({reason}); {skipped}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
