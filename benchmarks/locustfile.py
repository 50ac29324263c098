"""The simulated portal user of `make loadtest` (run by locust, started by `benchmarks/load.py`).

Each simulated user takes one demo account (round robin over LOAD_ACCOUNTS, a JSON file written by
`benchmarks/load.py` from `flask demo-accounts --json`), signs in once through the real /login form
(CSRF token, and a TOTP code from `totp_secret` when the account has one), reads the callback map
from /_dash-dependencies, and then, with 1-3 s think time, opens pages its rights allow (the HTML
shell, then Dash's router callback draws the page), fires the page's main callbacks with inputs
taken from the drawn layout (varied as a user does: another year, area, period, tab) and now and
then an export. Payloads are built from the live callback map the way tests/_dash.py and
benchmarks/run.py build them; nothing is hard-coded but the output ids that mark the main callbacks.

Production cookies are `Secure` (TLS ends at the load balancer), so cookies are kept by hand and
sent over plain http on loopback, as tests/test_production.py does.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from http.cookies import SimpleCookie
from typing import Any

import gevent
from locust import HttpUser, between, task

from benchmarks.run import components_by_id, make_plan, parse_outputs

THINK_MIN = float(os.environ.get("LOAD_THINK_MIN", "1"))
THINK_MAX = float(os.environ.get("LOAD_THINK_MAX", "3"))

# (path, rights any of which opens it, needs a B-number, the output id of its main callback(s),
#  the export button). The first main callback is fired on every visit, the export now and then.
PAGES: tuple[dict[str, Any], ...] = (
    {"path": "/stamdata", "rights": None, "b_number": False, "mains": ("stamdata-content",), "export": None},
    {"path": "/information", "rights": ("Læser", "Rediger", "Administrator"), "b_number": False,
     "mains": ("information-report",), "export": "information-export-csv"},
    {"path": "/rapporter", "rights": ("Rapporter",), "b_number": True,
     "mains": ("rapporter-kpi-table",), "export": "rapporter-export-csv"},
)
EXPORT_SHARE = 0.1  # one visit in ten ends with an export


def _accounts() -> list[dict[str, Any]]:
    with open(os.environ["LOAD_ACCOUNTS"], encoding="utf-8") as handle:
        return json.load(handle)


class _Counter:
    """Hand out accounts round robin across the users of this locust process."""

    accounts: list[dict[str, Any]] = []
    cycle: Any = None

    @classmethod
    def next(cls) -> dict[str, Any]:
        """Return the next account."""
        if cls.cycle is None:
            cls.accounts = _accounts()
            cls.cycle = itertools.cycle(cls.accounts)
        return next(cls.cycle)


class _Window:
    """The measured window: it opens when every user of the level has signed in, and lasts LOAD_MEASURE_S.

    Sign-in (password hashing, slow by design) and the first reads of the callback map happen while
    the level ramps up; the statistics are reset when the last user is ready, so the figures are the
    steady state of that many signed-in users. LOAD_MARKER gets the moment the window opened.
    """

    ready = 0
    open = False

    @classmethod
    def user_ready(cls, environment: Any) -> None:
        """Count one ready user; open the window when all are."""
        cls.ready += 1
        target = int(os.environ.get("LOAD_USERS") or 0)
        if not target or cls.open or cls.ready < target:
            return
        cls.open = True
        ramp_errors = environment.stats.total.num_failures
        environment.stats.reset_all()
        marker = os.environ.get("LOAD_MARKER")
        if marker:
            with open(marker, "w", encoding="ascii") as handle:
                handle.write(f"{time.time():.3f} {ramp_errors}\n")
        gevent.spawn_later(float(os.environ.get("LOAD_MEASURE_S") or 60), environment.runner.quit)


def _output_ids(key: str) -> list[str]:
    return [o["id"] for o in parse_outputs(key)[0]]


class PortalUser(HttpUser):
    """One signed-in portal user clicking through the pages their rights open."""

    wait_time = between(THINK_MIN, THINK_MAX)

    def on_start(self) -> None:
        """Sign in once and read the callback map."""
        self.jar: dict[str, str] = {}
        self.rng = random.Random()
        self.account = _Counter.next()
        grants = self.account["grants"]
        self.cvr = sorted(grants)[0]
        rights = set(grants[self.cvr])
        self.pages = [p for p in PAGES
                      if (p["rights"] is None or rights & set(p["rights"]))
                      and (not p["b_number"] or self.account.get("b_number"))]
        self.signed_in = self.sign_in()
        if not self.signed_in:
            return
        response = self.send("GET", "/_dash-dependencies", name="GET /_dash-dependencies")
        self.callback_map = {entry["output"]: entry for entry in response.json()} if response.ok else {}
        self.send("GET", "/_dash-layout", name="GET /_dash-layout")
        if self.callback_map:
            _Window.user_ready(self.environment)

    # --- HTTP with a hand-kept cookie jar ----------------------------------------------------

    def send(self, method: str, path: str, *, name: str, **kwargs: Any) -> Any:
        """Send one request with this user's cookies; keep the cookies it sets; non-2xx/3xx counts as an error."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        with self.client.request(method, path, name=name, headers=headers, allow_redirects=False,
                                 catch_response=True, **kwargs) as response:
            for raw in response.raw.headers.getlist("Set-Cookie") if response.raw is not None else []:
                cookie = SimpleCookie()
                cookie.load(raw)
                for key, morsel in cookie.items():
                    if morsel["max-age"] == "0" or "1970" in (morsel["expires"] or ""):
                        self.jar.pop(key, None)
                    else:
                        self.jar[key] = morsel.value
            self.client.cookies.clear()
            if response.status_code >= 400 or response.status_code == 0:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            else:
                response.success()
            return response

    def sign_in(self) -> bool:
        """Sign in through /login with the form's CSRF token (and a TOTP code when the account has a secret)."""
        page = self.send("GET", "/login", name="GET /login")
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text or "")
        if not match:
            return False
        form = {"csrf_token": match.group(1), "email": self.account["email"],
                "password": self.account["password"], "next": "/"}
        response = self.send("POST", "/login", name="POST /login", data=form)
        if response.status_code != 302:
            return False
        secret = self.account.get("totp_secret")
        location = response.headers.get("Location", "")
        if secret and "/login" in location or secret and "totp" in location.lower():
            import pyotp

            step = self.send("GET", location, name="GET second factor")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', step.text or "")
            fields = {"code": pyotp.TOTP(secret).now()}
            if token:
                fields["csrf_token"] = token.group(1)
            response = self.send("POST", location, name="POST second factor", data=fields)
        return response.status_code == 302

    def callback(self, body: dict[str, Any], name: str) -> Any:
        """POST one Dash callback as the renderer does (X-CSRFToken copied from the _csrf_token cookie)."""
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.jar.get("_csrf_token", "")}
        return self.send("POST", "/_dash-update-component", name=name, data=json.dumps(body), headers=headers)

    # --- what a user does ----------------------------------------------------------------------

    def render(self, path: str) -> dict[str, dict]:
        """Open `path` for the user's CVR: the HTML shell, then the router callback; return the drawn components."""
        search = f"?cvr={self.cvr}"
        self.send("GET", path + search, name=f"GET {path}")
        key = next((k for k in self.callback_map if "_pages_content.children" in k), None)
        if key is None:
            return {}
        spec = self.callback_map[key]
        values = {"pathname": path, "search": search}
        body = {"output": key, "outputs": parse_outputs(key)[0],
                "inputs": [{"id": d["id"], "property": d["property"], "value": values.get(d["property"])}
                           for d in spec.get("inputs", [])],
                "state": [{"id": d["id"], "property": d["property"], "value": None} for d in spec.get("state", [])],
                "changedPropIds": ["_pages_location.pathname"]}
        response = self.callback(body, f"page {path}")
        if response.status_code != 200:
            return {}
        return components_by_id(response.json())

    def _find(self, predicate: Any) -> str | None:
        return next((k for k, spec in self.callback_map.items() if predicate(k, spec)), None)

    @task
    def visit(self) -> None:
        """Open one page, fire its main callback (twice, varying an input) and sometimes export."""
        if not self.signed_in or not self.pages:
            return
        page = self.rng.choice(self.pages)
        components = self.render(page["path"])
        if not components:
            return
        for marker in page["mains"]:
            key = self._find(lambda k, spec, m=marker: m in _output_ids(k)
                             and all(d["id"] in components for d in spec.get("inputs", [])))
            if key is None:
                continue
            plan = make_plan(marker, key, self.callback_map[key], components)
            for _ in range(2):
                changed = plan.step(self.rng)
                self.callback(plan.body(changed), f"callback {marker}")
        if page["export"] and self.rng.random() < EXPORT_SHARE:
            button = page["export"]
            key = self._find(lambda k, spec: any(d["id"] == button and d["property"] == "n_clicks"
                                                 for d in spec.get("inputs", [])))
            if key is not None:
                plan = make_plan("export", key, self.callback_map[key], components)
                for dep in plan.inputs:
                    if dep["id"] == button:
                        dep["value"] = 1
                self.callback(plan.body([f"{button}.n_clicks"]), f"export {page['path']}")
