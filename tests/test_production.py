"""The README's production path, for real: `gunicorn 'app:server'` with 2 workers on PostgreSQL and Redis.

The test creates a fresh PostgreSQL database from TEST_DATABASE_URL, migrates it with
`flask --app app init-db` (the README's step), fills it with the small test world, starts
gunicorn on a free loopback port with PORTAL_ENV=production, and talks to it over HTTP with the
standard library only: sign-in form with its CSRF token, a page, Dash callbacks with the
`_csrf_token` cookie copied into `X-CSRFToken` (as Dash's renderer does), and the same session on
both workers. It also proves the app refuses to start in production without SECRET_KEY.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from benchmarks.load import stop as stop_process_group
from config import PROJECT_ROOT
from pages.ids import shell as shell_ids
from pages.ids import stamdata as stamdata_ids
from tests import _dash, world
from tests._certs import make_p12

pytestmark = pytest.mark.production

PG_URL_ENV = "TEST_DATABASE_URL"
REDIS_BASE = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
# A Redis database of its own, so the test's rate-limit counters never meet another test's.
REDIS_DB = 14
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_url() -> str:
    """Return REDIS_URL (or the local default) pointed at this test's own database number."""
    base = REDIS_BASE.rsplit("/", 1)[0] if re.search(r"/\d+$", REDIS_BASE) else REDIS_BASE.rstrip("/")
    return f"{base}/{REDIS_DB}"


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001 - any failure means "not available here"
        return False


@pytest.fixture
def production_db() -> Iterator[str]:
    """Create a fresh PostgreSQL database for the production run and drop it afterwards."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"{PG_URL_ENV} er ikke sat: produktionstesten (gunicorn på PostgreSQL) springes over")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"kp_prod_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _production_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SECRET_KEY", "GUNICORN_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=_redis_url(),
        PORTAL_ENV="production",
        PUBLIC_BASE_URL="https://kundeportal.example.dk",
        SECRET_KEY=secrets.token_hex(32),
        INSTANCE_PATH=str(tmp_path / "instance"),
        MAIL_OUTBOX_PATH=str(tmp_path / "outbox"),
        FILE_STORE_PATH=str(tmp_path / "files"),
        PYTHONDONTWRITEBYTECODE="1",
        # SA's sealing certificate with its passphrase: production refuses to start without one.
        SIGNING_P12_PATH=str(make_p12(tmp_path / "segl.p12", "produktion-test")),
        SIGNING_P12_PASSWORD="produktion-test",
    )
    env.pop("SEALING_DISABLED", None)
    env.update(extra)
    return env


def _gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    # Exactly the README's command, on 2 workers and a loopback port; the access log (with the
    # worker's pid) comes through GUNICORN_CMD_ARGS so the command line itself stays the README's.
    env = dict(env, GUNICORN_CMD_ARGS=f"--access-logfile {log} --access-logformat '%(p)s %(m)s %(U)s %(s)s'")
    # Output to a file, not a pipe: nobody reads a pipe while the server runs, and once its buffer is full
    # (a fault test logs a warning per refused request) every worker blocks in its next log line.
    output = log.with_name(log.stem + "-server.out")
    with open(output, "wb") as sink:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:server"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc.output_path = output  # type: ignore[attr-defined]
    return proc


def _stop(proc: subprocess.Popen) -> str:
    stop_process_group(proc)
    output = getattr(proc, "output_path", None)
    return output.read_text("utf-8", "replace") if output is not None and output.exists() else ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpClient:
    """A tiny browser-like HTTP client on urllib: keeps cookies, never follows redirects.

    Production cookies are `Secure` (TLS ends at the load balancer), so the cookies are kept by
    hand instead of with http.cookiejar, which would not send them over plain http on loopback.
    """

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.raw_set_cookies: list[str] = []
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request(self, method: str, path: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """Send one request and return status, headers and body."""
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(self.base_url + path, data=data, headers=all_headers, method=method)
        try:
            resp = self._opener.open(req, timeout=30)
        except urllib.error.HTTPError as err:
            resp = err
        with resp:
            body = resp.read()
            for raw in resp.headers.get_all("Set-Cookie") or []:
                self.raw_set_cookies.append(raw)
                cookie = SimpleCookie()
                cookie.load(raw)
                for key, morsel in cookie.items():
                    if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
            return resp.status, dict(resp.headers.items()), body

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """GET `path`."""
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """POST an url-encoded form."""
        from urllib.parse import urlencode

        return self.request("POST", path, data=urlencode(fields).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def callback(self, body: dict, *, csrf: bool = True) -> tuple[int, dict[str, str], bytes]:
        """POST a Dash callback; with `csrf`, copy the `_csrf_token` cookie into X-CSRFToken like Dash's renderer."""
        headers = {"Content-Type": "application/json"}
        if csrf:
            headers["X-CSRFToken"] = self.cookies["_csrf_token"]
        return self.request("POST", "/_dash-update-component", data=json.dumps(body).encode(), headers=headers)


def stamdata_callback(dependencies: list[dict], cvr: str, tab: str = "generelt") -> dict:
    """Return the callback payload the renderer sends for a Stamdata tab, shaped by the served callback map."""
    callback = _dash.find_callback(dependencies, stamdata_ids.TABS, "value")
    return _dash.build_payload(callback, (stamdata_ids.TABS, "value"), values={stamdata_ids.TABS: tab}, cvr=cvr)


def _wait_healthy(proc: subprocess.Popen, base_url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("gunicorn stoppede under opstart:\n" + _stop(proc))
        try:
            with urllib.request.urlopen(base_url + "/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise AssertionError(f"gunicorn svarede ikke på /health inden for {START_TIMEOUT_S} s:\n" + _stop(proc))


@pytest.fixture
def production_server(production_db: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Migrate and fill the database as the README says, start gunicorn, yield (base URL, access log)."""
    env = _production_env(production_db, tmp_path)
    if not _redis_answers(env["REDIS_URL"]):
        pytest.skip(f"Redis svarer ikke på {env['REDIS_URL']}: produktionstesten springes over")
    migrated = subprocess.run([str(BIN / "flask"), "--app", "app", "init-db"], cwd=PROJECT_ROOT, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    engine = create_engine(production_db)
    with Session(engine) as session:
        world.build(session, secret_key=env["SECRET_KEY"])
    engine.dispose()
    port = _free_port()
    log = tmp_path / "access.log"
    proc = _gunicorn(env, port, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base_url)
        yield base_url, log
    finally:
        output = _stop(proc)
        assert "Traceback" not in output, output


def _sign_in(client: HttpClient, email: str) -> None:
    status, _, body = client.get("/login")
    assert status == 200
    match = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    assert match, "the sign-in form carries a CSRF token"
    status, headers, _ = client.post_form(
        "/login", {"csrf_token": match.group(1).decode(), "email": email, "password": world.PASSWORD, "next": "/"}
    )
    assert status == 302, status
    assert headers["Location"].endswith("/")


def _dependencies(base_url: str) -> list[dict]:
    """Return the callback map the production server serves (read by a reader of its own: it is behind the wall)."""
    reader = HttpClient(base_url)
    _sign_in(reader, world.LAESER_A)
    status, _, body = reader.get("/_dash-dependencies")
    assert status == 200, status
    return json.loads(body)


def test_gunicorn_production_signs_in_and_serves_callbacks_on_both_workers(production_server):
    base_url, log = production_server
    deps = _dependencies(base_url)
    client = HttpClient(base_url)

    # Outside the wall only /health and the sign-in pages answer; a callback gets 401.
    status, _, body = client.callback(stamdata_callback(deps, world.CVR_A), csrf=False)
    assert status == 401 and b"Statens Administration" not in body
    status, headers, _ = client.get("/stamdata")
    assert status == 302 and "/login" in headers["Location"]

    # A sign-in POST without the form's CSRF token is refused.
    anonymous = HttpClient(base_url)
    status, _, _ = anonymous.post_form("/login", {"email": world.LAESER_A, "password": world.PASSWORD})
    assert status == 400

    _sign_in(client, world.LAESER_A)
    session_cookie = next(c for c in client.raw_set_cookies if c.startswith("kundeportal_session="))
    lowered = session_cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "secure" in lowered

    status, _, body = client.get(f"/stamdata?cvr={world.CVR_A}")
    assert status == 200 and b'<html lang="da">' in body
    status, _, body = client.get("/_dash-layout")
    assert status == 200 and shell_ids.CUSTOMER_SEARCH.encode() in body

    # Dash's renderer copies the _csrf_token cookie into X-CSRFToken; without it: 400.
    status, _, body = client.callback(stamdata_callback(deps, world.CVR_A), csrf=False)
    assert status == 400 and b"Statens Administration" not in body
    status, _, body = client.callback(stamdata_callback(deps, world.CVR_A))
    assert status == 200, body[:500]
    assert "Statens Administration" in body.decode("utf-8")

    # Another customer's data is refused by the access wrapper on the production stack too.
    status, _, body = client.callback(stamdata_callback(deps, world.CVR_B))
    assert b"Styrelsen for B" not in body and b"Bogvej" not in body

    # The same session works on both workers: send callbacks in pairs until both pids have answered.
    results: list[int] = []
    lock = threading.Lock()

    def one_call(tab: str) -> None:
        status, _, body = client.callback(stamdata_callback(deps, world.CVR_A, tab))
        with lock:
            results.append(status if b"SRV-A1" in body or b"SA L" in body or b"Statens" in body else -status)

    pids: set[str] = set()
    for round_no in range(40):
        threads = [threading.Thread(target=one_call, args=(tab,)) for tab in ("regnskab", "loen", "generelt")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        pids = {line.split()[0] for line in log.read_text().splitlines()
                if "/_dash-update-component 200" in line}
        if len(pids) >= 2 and round_no >= 2:
            break
    assert results and all(code == 200 for code in results), results
    assert len(pids) == 2, f"kun én worker svarede på callbacks: {pids}"

    # Signing out: GET only asks; the form's POST with its CSRF token ends the session.
    status, _, body = client.get("/logout")
    assert status == 200
    match = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    assert match, "the sign-out form carries a CSRF token"
    status, headers, _ = client.post_form("/logout", {"csrf_token": match.group(1).decode()})
    assert status == 302
    status, _, body = client.callback(stamdata_callback(deps, world.CVR_A))
    assert status == 401 and b"Statens Administration" not in body


@pytest.mark.parametrize("missing, message", [
    (("SECRET_KEY",), "SECRET_KEY skal være sat i produktion"),
    (("SIGNING_P12_PATH", "SIGNING_P12_PASSWORD"), "SIGNING_P12_PATH skal være sat i produktion"),
], ids=["secret-key", "sealing-certificate"])
def test_production_refuses_to_start_without(missing: tuple[str, ...], message: str, production_db: str,
                                             tmp_path: Path):
    env = _production_env(production_db, tmp_path)
    for key in missing:
        del env[key]
    proc = _gunicorn(env, _free_port(), tmp_path / "access.log")
    try:
        proc.wait(timeout=START_TIMEOUT_S)
    finally:
        output = _stop(proc)
    assert proc.returncode != 0
    assert message in output
