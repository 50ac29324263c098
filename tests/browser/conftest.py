"""Browser fixtures: a live portal on a loopback port and headless system Chromium driven by Playwright.

The browser is Debian's `/usr/bin/chromium` (never a Playwright-downloaded build) and the
accessibility checks inject axe-core from `node_modules/axe-core` (installed by `npm ci`; env AXE_JS_PATH
names another copy).
Both are skipped with a clear reason when missing, unless REQUIRE_BROWSER=1 (CI) turns the
skip into a failure so that a broken install cannot pass silently.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests import world

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
BROWSER_FILES_ON_POSTGRESQL = frozenset({"test_foundation_browser.py"})
# AXE_JS_PATH: another checkout's axe-core (a git worktree has no node_modules of its own).
AXE_JS = Path(os.environ.get("AXE_JS_PATH")
              or Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Console errors that mean the browser refused part of a page.
BLOCKED_SIGNS = ("Content Security Policy", "Blocked a string that AG Grid would evaluate")
# Dash renders after its JS bundles load; generous but bounded waits keep CI stable on 2 cores
# shared with other test processes (every wait is for a condition, so a fast machine never waits this long).
DEFAULT_TIMEOUT_MS = 30_000


def _missing_tools() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} mangler (apt-get install -y chromium chromium-driver)")
    if not AXE_JS.exists():
        missing.append(f"{AXE_JS} mangler (npm ci)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Python-pakken playwright mangler (pip install -r requirements-dev.txt)")
    return missing


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser as `browser`, and skip them when the tools are missing."""
    here = Path(__file__).resolve().parent
    browser_items = [item for item in items if here in Path(str(item.fspath)).resolve().parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    # The browser tests check what the page does; the PostgreSQL data path under them is covered by
    # the non-browser tests. One file keeps its PostgreSQL variant as the end-to-end smoke of the
    # production back end; the rest run on SQLite only (half the browser time of `make test`).
    skip_pg = pytest.mark.skip(reason="Browsertest kører kun på SQLite (PostgreSQL-stien dækkes af de øvrige test)")
    for item in browser_items:
        callspec = getattr(item, "callspec", None)
        if (callspec is not None and callspec.params.get("database_url") == "postgresql"
                and Path(str(item.fspath)).name not in BROWSER_FILES_ON_POSTGRESQL):
            item.add_marker(skip_pg)
    missing = _missing_tools()
    if not missing or not browser_items:
        return
    reason = "Browsertest springes over: " + "; ".join(missing)
    if os.environ.get("REQUIRE_BROWSER") == "1":
        # CI installs the tools; a missing one there is a broken setup, not a reason to skip.
        raise pytest.UsageError(reason + " (REQUIRE_BROWSER=1)")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


# --- the live server ----------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """Keep the access log out of the test output; errors still reach the app's logger."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D401 - werkzeug hook
        return None


class LiveServer:
    """A portal app served by werkzeug in a background thread."""

    def __init__(self, flask_app: Any):
        self.app = flask_app
        self._server = make_server("127.0.0.1", 0, flask_app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self) -> "LiveServer":
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


@pytest.fixture
def live_app(app_config: dict[str, Any]):
    """Build the app on a fresh database with the test world, CSRF on as in production."""
    from app import create_app
    from data.db import get_db, get_session

    config = dict(app_config)
    # The browser goes the real way: forms carry a token, callbacks an X-CSRFToken header.
    config["WTF_CSRF_ENABLED"] = True
    config["TESTING"] = False
    flask_app = create_app(config)
    world.unscoped_outside_requests(get_db(flask_app))
    with flask_app.app_context():
        world.build(get_session())
    yield flask_app
    get_db(flask_app).dispose()


@pytest.fixture
def live_server(live_app) -> Iterator[str]:
    """Serve the test world on a free loopback port and yield the base URL."""
    server = LiveServer(live_app).start()
    try:
        yield server.url
    finally:
        server.stop()


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Launch the system Chromium headless once per test session (per xdist worker)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def fresh_page(browser: Any) -> Iterator[Any]:
    """Open a fresh browser context (no cookies) and one page in it, Danish locale; fail on blocked content."""
    # Reduced motion switches off Bootstrap's fade transitions, so axe never measures a modal or
    # its backdrop half-way through fading in (a colour-contrast flake) and clicks land at once.
    context = browser.new_context(locale="da-DK", viewport={"width": 1366, "height": 900},
                                  reduced_motion="reduce")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    # Anything the Content-Security-Policy or dash-ag-grid's XSS guard blocks is a broken feature
    # (a script that does not run, a grid text that is not shown): every browser test fails on it.
    blocked: list[str] = []
    pg.on("console", lambda msg: blocked.append(msg.text)
          if msg.type == "error" and any(sign in msg.text for sign in BLOCKED_SIGNS) else None)
    try:
        yield pg
    finally:
        context.close()
    assert blocked == [], f"Browseren blokerede: {blocked[:3]}"


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """Open a fresh browser context (no cookies) and one page in it, Danish locale."""
    with fresh_page(browser) as pg:
        yield pg


# --- helpers ------------------------------------------------------------------------------------


def sign_in(page: Any, base_url: str, email: str, password: str = world.PASSWORD) -> None:
    """Sign in through the real /login form and wait until the portal has rendered the navbar."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    type_second_factor(page, email)
    page.wait_for_url(lambda url: "/login" not in url)
    # The Dash shell is up once the search box is rendered (on a phone it sits behind the menu button).
    page.wait_for_selector("#shell-search-customer", state="attached")


def type_second_factor(page: Any, email: str) -> None:
    """Type the authenticator app's code on the code page, for the world's users with a second factor."""
    if email not in world.TOTP_SECRETS:
        return
    page.wait_for_url(lambda url: "/login/kode" in url)
    page.fill("#code", world.totp_code(email))
    # Either answer is a new document: the portal (right code) or the code page with its error.
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/login/kode" in page.url:
        # This step's code was spent by an earlier sign-in of the same user: the app's next one.
        page.fill("#code", world.totp_code(email, 1))
        page.click("button[type=submit]")


def wait_for_dash(page: Any) -> None:
    """Wait until Dash has no callback in flight (the renderer marks the document while loading)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]') && !!document.querySelector('#_pages_content')"
    )


def settle(page: Any) -> None:
    """Move the pointer away, drop focus and wait until no CSS transition runs, before axe measures contrast."""
    page.mouse.move(0, 0)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    # Two frames so that transitions started by the blur exist; then wait for them to end, not a fixed time
    # (Bootstrap's colour transitions take 0.15 s on an idle machine and longer on a loaded one).
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_function(
        "() => document.getAnimations().every(a => !(a instanceof CSSTransition) || a.playState !== 'running')"
    )


# Dash 4's dcc.Dropdown renders a hidden focus proxy (<input aria-hidden tabindex=0>) that hands
# focus straight to its button; that is Dash's own markup, not ours, so axe skips exactly it.
AXE_EXCLUDE = [".dash-dropdown-focus-target"]


def choose_tab(page: Any, name: str) -> None:
    """Click the tab labelled `name` (tabs are a radio group styled as tabs, see pages/_tabs.py)."""
    page.locator("label.portal-tab", has_text=re.compile(rf"^{re.escape(name)}$")).click()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core on the page and return the violations with one of `impacts`."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as an inline <script>: the portal's
        # Content-Security-Policy rightly blocks inline scripts it does not know.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """async (exclude) => {
            const context = {include: [document], exclude: exclude.map(s => [s])};
            const r = await window.axe.run(context, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }""",
        AXE_EXCLUDE,
    )
    return [v for v in result if v["impact"] in impacts]


def assert_no_serious_axe_violations(page: Any) -> None:
    """Fail when axe-core finds a serious or critical accessibility violation on the page."""
    if not AXE_JS.exists():
        pytest.skip(f"axe-core mangler: {AXE_JS} (kør npm ci)")
    violations = axe_violations(page)
    assert not violations, "axe-core fandt alvorlige tilgængelighedsfejl:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} -> {v['nodes']}" for v in violations
    )
