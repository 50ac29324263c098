"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pages.ids import shell as shell_ids
from tests import _dash, world

PG_URL_ENV = "TEST_DATABASE_URL"


# --- password hashing ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_passwords(request, monkeypatch):
    """Hash with cheap argon2 parameters: tests sign in thousands of times (verification reads its cost from the hash)."""
    # A test of the real parameters asks for them with @pytest.mark.real_password_hashing.
    if request.node.get_closest_marker("real_password_hashing"):
        return
    import core.passwords

    monkeypatch.setattr(core.passwords, "_hasher", _CHEAP_HASHER)


# One instance for the whole run: the dummy hash of the unknown-e-mail path is cached per hasher.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


# --- database backends --------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite database per test session; each test copies it."""
    from data import migrate
    from data.db import make_engine

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> str | None:
    """Create and migrate one PostgreSQL database per test process when TEST_DATABASE_URL is set."""
    base = os.environ.get(PG_URL_ENV)
    if not base:
        yield None
        return
    from data import migrate

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"kp_test_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name)
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _backends() -> list[Any]:
    params = [pytest.param("sqlite", id="sqlite")]
    marks = [] if os.environ.get(PG_URL_ENV) else [pytest.mark.skip(reason=f"{PG_URL_ENV} er ikke sat: PostgreSQL-varianten springes over")]
    params.append(pytest.param("postgresql", id="postgresql", marks=marks))
    return params


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """Return the URL of a fresh, migrated, empty database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    # One migrated database per test process; each test leaves it empty again (far cheaper than
    # CREATE/DROP DATABASE per test).
    name = request.getfixturevalue("pg_database")
    url = make_url(os.environ[PG_URL_ENV]).set(database=name)
    yield url.render_as_string(hide_password=False)
    _empty_all_tables(url)


def _empty_all_tables(url) -> None:
    """Delete every row and restart the id sequences (cheaper than TRUNCATE for small tables)."""
    from data.models import Base

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        for name in conn.execute(text("SELECT sequence_name FROM information_schema.sequences")).scalars().all():
            conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))
    engine.dispose()


# --- the app --------------------------------------------------------------------------------


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Return the settings a test app runs with; tests may change them before `app` is built."""
    return {
        "TESTING": True,
        "PORTAL_ENV": "testing",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "FILE_STORE_PATH": str(tmp_path / "files"),
        "MAIL_OUTBOX_PATH": str(tmp_path / "outbox"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "WTF_CSRF_ENABLED": False,
    }


@pytest.fixture
def app(app_config: dict[str, Any]):
    """Build the app on a fresh database filled with the small test world."""
    from app import create_app
    from data.db import get_db, unscoped_session

    flask_app = create_app(app_config)
    world.unscoped_outside_requests(get_db(flask_app))
    with flask_app.app_context(), unscoped_session("tests: the test world") as session:
        world.build(session)
    yield flask_app
    get_db(flask_app).dispose()


@pytest.fixture
def client(app):
    """Return a Flask test client (anonymous until it signs in)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner for the app's `flask` commands."""
    return app.test_cli_runner()


def sign_in(client, email: str, password: str = world.PASSWORD):
    """Sign `client` in through the real sign-in form (and the code page, for the world's enrolled users); return the response."""
    response = client.post("/login", data={"email": email, "password": password})
    if response.status_code == 302 and response.headers["Location"] == "/login/kode" and email in world.TOTP_SECRETS:
        return complete_second_factor(client, email)
    return response


def enrol_second_factor(client) -> tuple[str, list[str], Any]:
    """Go through enrolment as the user would: read the key off the page, type its code; return (secret, recovery codes, response)."""
    import re

    import pyotp

    page = client.get("/to-trinsbekraeftelse/opsaet")
    assert page.status_code == 200, page.status_code
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page.get_data(as_text=True)).group(1).replace(" ", "")
    response = client.post("/to-trinsbekraeftelse/opsaet", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    codes = re.findall(r"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", response.get_data(as_text=True))
    return secret, codes, response


def complete_second_factor(client, email: str):
    """Type the code of `email`'s authenticator app on the code page; return the response."""
    # A code is spent once: a second sign-in within the same 30 s uses the next step's code
    # (accepted within the window), as a person waiting for the app's next code would.
    response = client.post("/login/kode", data={"code": world.totp_code(email)})
    if response.status_code == 401:
        response = client.post("/login/kode", data={"code": world.totp_code(email, 1)})
    return response


@pytest.fixture
def login(client) -> Callable[[str], Any]:
    """Return a function that signs the test client in as one of the world's users."""

    def _login(email: str, password: str = world.PASSWORD):
        response = sign_in(client, email, password)
        assert response.status_code == 302, response.data[:500]
        return client

    return _login


@pytest.fixture
def laeser_a(login):
    """A client signed in as a Læser of customer A."""
    return login(world.LAESER_A)


@pytest.fixture
def sa_staff(login):
    """A client signed in as SA staff."""
    return login(world.SA_STAFF)


class DashClient:
    """Send callback requests the way Dash's renderer does, shaped by the live callback map."""

    def __init__(self, client):
        self.client = client
        self._dependencies: list[dict] | None = None

    def dependencies(self) -> list[dict]:
        """Return the app's callback map as `/_dash-dependencies` serves it (read once per client)."""
        if self._dependencies is None:
            # The page router is registered on the first request the Dash app serves.
            response = self.client.get("/_dash-dependencies")
            if response.status_code == 200:
                self._dependencies = response.get_json()
            else:
                # An anonymous client is refused the map (lock 1); forged anonymous calls still need its
                # shape, which is exactly what the endpoint would serve.
                from dash._utils import to_json

                server = self.client.application
                # Dash registers its page router on the first request it serves, which the wall
                # answered instead: register it the same way, so the shape includes the router.
                with server.test_request_context("/"):
                    for hook in server.before_request_funcs.get(None, []):
                        if getattr(hook, "__qualname__", "").startswith("Dash.enable_pages"):
                            hook()
                self._dependencies = json.loads(to_json(server.extensions["dash_app"]._callback_list))
        return self._dependencies

    def callback(self, component_id: Any, prop: str, output: Any = None) -> _dash.Callback:
        """Return the one callback `component_id.prop` fires (`output` picks among several)."""
        return _dash.find_callback(self.dependencies(), component_id, prop, output)

    def payload(self, component_id: Any, prop: str, *, output: Any = None, **kwargs: Any) -> dict:
        """Return the body the renderer sends when `component_id.prop` changes (see `_dash.build_payload`)."""
        callback = self.callback(component_id, prop, output)
        return _dash.build_payload(callback, (component_id, prop), **kwargs)

    def fire(self, component_id: Any, prop: str, *, output: Any = None, headers: dict | None = None,
             **kwargs: Any):
        """POST the callback `component_id.prop` fires, with every other dependency filled; return the response."""
        return self.send(self.payload(component_id, prop, output=output, **kwargs), headers=headers)

    def send(self, body: Any, headers: dict | None = None):
        """POST a (possibly forged) body to /_dash-update-component and return the response."""
        self.dependencies()
        return self.client.post("/_dash-update-component", json=body, headers=headers or {})

    def call(self, output: str, outputs: Any, inputs: list[dict], state: list[dict] | None = None,
             changed: list[str] | None = None, headers: dict | None = None):
        """POST a hand-built callback body (kept for branches not yet moved to `fire`; new tests use fire/send)."""
        body = {
            "output": output,
            "outputs": outputs,
            "inputs": inputs,
            "state": state or [],
            "changedPropIds": changed or [],
        }
        return self.client.post("/_dash-update-component", json=body, headers=headers or {})

    def page(self, pathname: str, search: str = ""):
        """Render a page through Dash's own routing callback, as the browser does."""
        return self.fire(shell_ids.LOCATION, "pathname", output=shell_ids.PAGE_CONTENT, initial=True,
                         values={(shell_ids.LOCATION, "pathname"): pathname, (shell_ids.LOCATION, "search"): search})


@pytest.fixture
def dash_client(client) -> DashClient:
    """Return a helper that POSTs callbacks through the test client."""
    return DashClient(client)
