"""Faults on the production set-up (gunicorn + PostgreSQL + Redis), each one caused for real, not assumed.

- The database goes away under load: requests in flight get a Danish 503 (JSON on Dash's
  endpoints, a page elsewhere), nothing is half-written, and the portal answers again within 5 s
  of the database coming back. The fault is made on the test's own database only (its backends
  terminated, new connections refused with ALLOW_CONNECTIONS false): restarting the whole
  PostgreSQL cluster would break the other tests sharing it.
- The background worker is killed (SIGKILL) in the middle of a case import: the database has
  none of the file's rows, the job is ended as failed instead of staying "running", and the same
  file imported again gives all of them.
- SMTP is down: queued mails wait (attempt counted, error kept) and are sent when a real SMTP
  server (aiosmtpd) answers on the port again.
- Redis is down (a redis-server of the test's own, never the shared one): sign-in is refused with
  a clear Danish message instead of being let through unthrottled, signed-in users keep working,
  and sign-in works again when Redis is back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config import PROJECT_ROOT
from data.models import Case, CaseImportJob, MailOutbox
from tests import world
from tests.kpi_world import PAY_A, UNIT_A, add_goals
from tests.test_production import (
    BIN,
    HttpClient,
    _free_port,
    _gunicorn,
    _production_env,
    _redis_answers,
    _redis_url,
    _sign_in,
    _stop,
    _wait_healthy,
    production_db,  # noqa: F401 - the fixture, used by name
    stamdata_callback,
)

pytestmark = pytest.mark.production

RECOVERY_S = 5.0


def _flask(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=PROJECT_ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def _migrate_and_fill(database_url: str, env: dict[str, str]) -> None:
    migrated = _flask(env, "init-db")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    engine = create_engine(database_url)
    with Session(engine) as session:
        world.build(session, secret_key=env["SECRET_KEY"])
        add_goals(session)
        session.commit()
    engine.dispose()


@pytest.fixture
def production_env(production_db: str, tmp_path: Path) -> dict[str, str]:  # noqa: F811 - the imported fixture
    """Return the production environment on a fresh, migrated and filled database."""
    env = _production_env(production_db, tmp_path)
    _migrate_and_fill(production_db, env)
    return env


def _serve(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = _gunicorn(env, port, tmp_path / f"access-{port}.log")
    base_url = f"http://127.0.0.1:{port}"
    _wait_healthy(proc, base_url)
    return proc, base_url


def _deps(client: HttpClient) -> list[dict]:
    status, _, body = client.get("/_dash-dependencies")
    assert status == 200, status
    return json.loads(body)


# --- PostgreSQL goes away under load -------------------------------------------------------------------


def _cut_database(admin_url: str, name: str, *, refuse_new: bool) -> int:
    """Terminate every backend of database `name` (and refuse new connections); return how many were cut."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if refuse_new:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            return len(conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}).all())
    finally:
        admin.dispose()


def _allow_connections(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    finally:
        admin.dispose()


class Hammer:
    """Send Stamdata callbacks from a few threads until stopped; keep (time, status, body) of each."""

    def __init__(self, client: HttpClient, deps: list[dict], threads: int = 4):
        self.client, self.deps = client, deps
        self.results: list[tuple[float, int, bytes]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, index: int) -> None:
        tabs = ("generelt", "regnskab", "loen")
        n = index
        while not self._stop.is_set():
            n += 1
            try:
                status, _, body = self.client.callback(stamdata_callback(self.deps, world.CVR_A, tabs[n % 3]))
            except OSError as exc:  # a broken connection would be a failure of its own
                status, body = -1, repr(exc).encode()
            with self._lock:
                self.results.append((time.monotonic(), status, body))

    def __enter__(self) -> "Hammer":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=40)

    def since(self, moment: float) -> list[tuple[float, int, bytes]]:
        """Return the results that came back after `moment`."""
        with self._lock:
            return [r for r in self.results if r[0] >= moment]


def test_database_outage_under_load_answers_danish_503_and_recovers_within_5_s(production_env, tmp_path):
    env = production_env
    db_url = env["DATABASE_URL"]
    name = make_url(db_url).database
    admin_url = os.environ["TEST_DATABASE_URL"]
    if not _redis_answers(env["REDIS_URL"]):
        pytest.skip("Redis svarer ikke: produktionstesten springes over")
    proc, base_url = _serve(env, tmp_path)
    late = HttpClient(base_url)
    try:
        client = HttpClient(base_url)
        _sign_in(client, world.LAESER_A)
        deps = _deps(client)
        with Hammer(client, deps) as hammer:
            time.sleep(1.0)
            # 1. Every pooled connection is cut while callbacks run: pre-ping replaces them; a request
            # caught mid-statement gets the Danish 503, never a 500.
            cut_at = time.monotonic()
            assert _cut_database(admin_url, name, refuse_new=False) >= 1
            time.sleep(2.0)
            after_cut = hammer.since(cut_at)
            assert after_cut and {status for _, status, _ in after_cut} <= {200, 503}, \
                [(s, b[:300]) for _, s, b in after_cut if s not in (200, 503)][:5]
            assert sum(1 for _, status, _ in after_cut if status == 200) >= len(after_cut) // 2

            # 2. The database is away: requests answer 503 with the Danish message.
            down_at = time.monotonic()
            _cut_database(admin_url, name, refuse_new=True)
            time.sleep(3.0)
            during = [r for r in hammer.since(down_at + 0.5)]
            assert during, "no request came back while the database was away"
            statuses = {status for _, status, _ in during}
            assert statuses <= {200, 503}, [(s, b[:200]) for _, s, b in during if s not in (200, 503)][:5]
            failed = [body for _, status, body in during if status == 503]
            assert failed, "the database was away, yet every callback answered 200"
            assert all("kan ikke nå sin database" in json.loads(body)["error"] for body in failed)
            # The page shell needs no database (the session is in its cookie); if it does answer 503, in Danish.
            status, _, body = client.get(f"/stamdata?cvr={world.CVR_A}")
            assert status in (200, 503) and "Traceback" not in body.decode("utf-8")
            if status == 503:
                assert "kan ikke nå sin database" in body.decode("utf-8")
            # A sign-in now reads the database: refused whole with a Danish page and Retry-After, no session.
            status, _, body = late.get("/login")
            assert status == 200
            token = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
            status, headers, body = late.post_form("/login", {"csrf_token": token, "email": world.REDIGER_A,
                                                              "password": world.PASSWORD, "next": "/"})
            page = body.decode("utf-8")
            assert status == 503 and headers.get("Retry-After") == "5", (status, page[:300])
            assert "kan ikke nå sin database" in page and '<html lang="da">' in page and "Traceback" not in page

            # 3. The database is back: callbacks answer again within 5 s.
            back_at = time.monotonic()
            _allow_connections(admin_url, name)
            recovered_at = None
            while time.monotonic() - back_at < RECOVERY_S + 5:
                ok = [t for t, status, _ in hammer.since(back_at) if status == 200]
                if ok:
                    recovered_at = ok[0]
                    break
                time.sleep(0.05)
            assert recovered_at is not None, "the portal did not answer again after the database came back"
            assert recovered_at - back_at <= RECOVERY_S, f"recovery took {recovered_at - back_at:.2f} s"
            time.sleep(1.5)
            settled = hammer.since(recovered_at + 0.5)
            assert settled and all(status == 200 for _, status, _ in settled), \
                [(s, b[:200]) for _, s, b in settled if s != 200][:5]
        # The session begun before the outage is intact; the refused sign-in left no session behind;
        # a sign-in now works whole.
        status, _, body = client.callback(stamdata_callback(deps, world.CVR_A))
        assert status == 200 and "Statens Administration" in body.decode("utf-8")
        status, _, _ = late.get("/_dash-layout")
        assert status in (302, 401)
        _sign_in(late, world.REDIGER_A)
        status, _, _ = late.get("/_dash-layout")
        assert status == 200
    finally:
        _allow_connections(admin_url, name)
        output = _stop(proc)
        (tmp_path / "gunicorn.out").write_text(output)
    assert "Traceback" not in output, output[-4000:]


# --- the worker killed during a case import ------------------------------------------------------------


def _case_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("cvr;goal_code;unit_code;case_ref;received_at;completed_at\n")
        start = dt.date(2023, 1, 2)
        for n in range(rows):
            day = start + dt.timedelta(days=n % 700)
            goal, unit = ("A1", UNIT_A) if n % 2 else ("L1", PAY_A)
            handle.write(f"{world.CVR_A};{goal};{unit};KILL{n:08d};{day.isoformat()};"
                         f"{(day + dt.timedelta(days=n % 4)).isoformat()}\n")


@contextmanager
def _app(env: dict[str, str]) -> Iterator[Any]:
    """Yield an app (in this process) on the production set-up's database, folders and mail server."""
    from app import create_app
    from data.db import get_db

    app = create_app({"PORTAL_ENV": "testing", "SECRET_KEY": env["SECRET_KEY"], "DATABASE_URL": env["DATABASE_URL"],
                      "INSTANCE_PATH": env["INSTANCE_PATH"], "FILE_STORE_PATH": env["FILE_STORE_PATH"],
                      "MAIL_OUTBOX_PATH": env["MAIL_OUTBOX_PATH"], "RATELIMIT_STORAGE_URI": "memory://",
                      "MAIL_SERVER": env.get("MAIL_SERVER", ""), "MAIL_PORT": int(env.get("MAIL_PORT", "25"))})
    try:
        with app.app_context():
            yield app
    finally:
        get_db(app).dispose()


def _queue(env: dict[str, str], source: Path) -> int:
    """Queue a case import job of `source` the way the upload route does; return the job id."""
    from data.case_jobs import IncomingFile, queue_job, upload_folder
    from data.db import unscoped_session

    with _app(env):
        with unscoped_session("test: queue a case import") as session:
            incoming = IncomingFile(upload_folder())
            with source.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    incoming.write(chunk)
            incoming.seek(0)
            job = queue_job(session, None, source.name, "csv", incoming)
            session.commit()
            return job.id


def _job_and_cases(db_url: str, job_id: int) -> tuple[CaseImportJob, int]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            job = session.get(CaseImportJob, job_id)
            session.expunge(job)
            cases = session.scalar(select(func.count()).select_from(Case).where(Case.case_ref.like("KILL%")))
            return job, cases
    finally:
        engine.dispose()


def test_worker_killed_during_a_case_import_writes_nothing_and_the_job_ends_failed(production_env, tmp_path):
    env = dict(production_env, CASE_JOB_STALE_AFTER_S="2")
    rows = 300_000
    source = tmp_path / "sager.csv"
    _case_file(source, rows)
    job_id = _queue(env, source)
    folder = Path(env["INSTANCE_PATH"]) / "case_imports"

    worker = subprocess.Popen([str(BIN / "flask"), "--app", "app", "worker", "--idle", "0.2"], cwd=PROJECT_ROOT,
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        # Killed once the import is under way: running, and rows of the file already read (progress written).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            progress = list(folder.glob("*.progress"))
            if progress and progress[0].read_text().split()[0] not in ("", "0"):
                break
            assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
            time.sleep(0.02)
        else:
            pytest.fail("the import never got under way")
        job, _ = _job_and_cases(env["DATABASE_URL"], job_id)
        assert job.status == "running"
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)

    # All or nothing: not one row of the file is in the database.
    job, cases = _job_and_cases(env["DATABASE_URL"], job_id)
    assert cases == 0
    assert job.status == "running"  # the dead worker could not say otherwise

    # The next worker round finds the job without a sign of life and ends it as failed (not stuck).
    time.sleep(2.5)
    done = _flask(env, "worker", "--once")
    assert done.returncode == 0, done.stdout + done.stderr
    job, cases = _job_and_cases(env["DATABASE_URL"], job_id)
    assert job.status == "failed" and cases == 0
    assert "Intet er gemt" in " ".join(job.report["lines"])
    assert not list(folder.glob("*.csv")) and not list(folder.glob("*.progress"))

    # The same file again, with a worker left alone: every row.
    again = _queue(env, source)
    done = _flask(env, "worker", "--once", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    job, cases = _job_and_cases(env["DATABASE_URL"], again)
    assert job.status == "done", job.report
    assert cases == rows


# --- SMTP down ------------------------------------------------------------------------------------------


def test_mail_waits_in_the_queue_while_smtp_is_down_and_goes_when_it_returns(production_env):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    from data.mail import enqueue

    port = _free_port()
    env = dict(production_env, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), MAIL_RETRY_BASE_S="1",
               MAIL_RETRY_MAX_S="1")
    engine = create_engine(env["DATABASE_URL"])
    try:
        with _app(env), Session(engine) as session:
            row = enqueue(session, world.LAESER_A, "Nyt referat", "Der er et nyt referat i Kundeportalen.")
            session.commit()
            mail_id = row.id
            assert row.transport == "smtp"

        def state() -> MailOutbox:
            with Session(engine) as session:
                found = session.get(MailOutbox, mail_id)
                session.expunge(found)
                return found

        # Nothing answers on the port: the mail stays queued, its attempt and error kept.
        down = _flask(env, "worker", "--once")
        assert down.returncode == 0, down.stdout + down.stderr
        first = state()
        assert first.status == "queued" and first.attempts == 1 and first.sent_at is None
        assert "Connection" in (first.error or "") or "refused" in (first.error or "").lower(), first.error

        class Keep(Sink):
            def __init__(self) -> None:
                self.messages: list[Any] = []

            async def handle_DATA(self, server, session, envelope):  # noqa: ANN001 - aiosmtpd's signature
                self.messages.append(envelope)
                return "250 OK"

        handler = Keep()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            time.sleep(1.2)  # the retry delay (MAIL_RETRY_BASE_S) has passed
            up = _flask(env, "worker", "--once")
            assert up.returncode == 0, up.stdout + up.stderr
        finally:
            controller.stop()
        sent = state()
        assert sent.status == "sent" and sent.sent_at is not None and sent.attempts == 2
        assert len(handler.messages) == 1
        assert handler.messages[0].rcpt_tos == [world.LAESER_A]
        assert b"Nyt referat" in handler.messages[0].content
    finally:
        engine.dispose()


# --- Redis down -----------------------------------------------------------------------------------------


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[int, Any, Any]]:
    """Start a redis-server of the test's own on a free port (no persistence); yield (port, start, kill)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server findes ikke: Redis-fejltesten springes over")
    port = _free_port()
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                 "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        deadline = time.monotonic() + 10
        while not _redis_answers(f"redis://127.0.0.1:{port}/0"):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        return proc

    def kill() -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()  # SIGKILL: Redis gone at once, as when its host dies
                proc.wait(timeout=10)

    start()
    try:
        yield port, start, kill
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def _port_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_redis_down_refuses_sign_in_in_danish_and_signed_in_users_keep_working(production_env, own_redis, tmp_path):
    port, start_redis, kill_redis = own_redis
    env = dict(production_env, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    proc, base_url = _serve(env, tmp_path)
    try:
        signed_in = HttpClient(base_url)
        _sign_in(signed_in, world.LAESER_A)
        deps = _deps(signed_in)

        # Redis goes away.
        kill_redis()
        deadline = time.monotonic() + 10
        while not _port_closed(port):
            assert time.monotonic() < deadline, "redis-server did not stop"
            time.sleep(0.05)

        # The sign-in page still shows; a sign-in is refused (fails closed) with a clear Danish message.
        stranger = HttpClient(base_url)
        status, _, body = stranger.get("/login")
        assert status == 200
        token = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
        status, headers, body = stranger.post_form("/login", {"csrf_token": token, "email": world.REDIGER_A,
                                                              "password": world.PASSWORD, "next": "/"})
        page = body.decode("utf-8")
        assert status == 503, (status, page[:500])
        assert "Log ind er midlertidigt utilgængelig" in page and "Traceback" not in page
        assert headers.get("Retry-After") == "5"
        assert "kundeportal_session" not in stranger.cookies or stranger.get("/_dash-layout")[0] != 200
        # A wrong password is refused the same way: no guess gets through uncounted.
        status, _, body = stranger.post_form("/login", {"csrf_token": token, "email": world.REDIGER_A,
                                                        "password": "forkert", "next": "/"})
        assert status == 503 and "Log ind er midlertidigt utilgængelig" in body.decode("utf-8")

        # Who is signed in keeps working: pages and callbacks do not need Redis.
        status, _, body = signed_in.callback(stamdata_callback(deps, world.CVR_A))
        assert status == 200 and "Statens Administration" in body.decode("utf-8")

        # Redis is back: sign-in works again.
        start_redis()
        back = HttpClient(base_url)
        _sign_in(back, world.REDIGER_A)
        status, _, _ = back.get("/_dash-layout")
        assert status == 200
    finally:
        output = _stop(proc)
    assert "Traceback" not in output, output[-4000:]
