"""The three locks across the whole app: sign-in wall, guarded callbacks and layouts, forged payloads."""

from __future__ import annotations

import json

import dash
import pytest

from auth.guard import _DECLARED, GUARD_MARK
from pages.ids import shell as shell_ids
from pages.ids import stamdata as stamdata_ids
from tests import _dash, world
from data.workdays import danish_today

# Callbacks Dash registers itself: the page router (it calls each page's guarded layout) and
# the client-side title setter (runs in the browser only).
PAGE_ROUTER = f"..{shell_ids.PAGE_CONTENT}.children...{shell_ids.PAGE_STORE}.data.."
DASH_INTERNAL_OUTPUTS = {PAGE_ROUTER, f"{shell_ids.PAGE_DUMMY}.children"}

# Other customers' strings that must never appear in an answer to a user of customer A.
B_MARKERS = [world.CVR_B.encode(), "Bøger".encode(), b"B\\u00f8ger", b"20001", b"LG200"]


def _dash_app(app):
    return app.extensions["dash_app"]


def _callback_map(app, client):
    # The page router is registered on the first request the Dash app serves.
    client.get("/_dash-dependencies")
    return _dash_app(app).callback_map


# --- lock 1: the sign-in wall -----------------------------------------------------------------


def _all_routes(app):
    for rule in app.url_map.iter_rules():
        if "<" in rule.rule:
            continue
        yield rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})


# The footer's accessibility statement and personal-data page are public by law and design, /favicon.ico is
# the icon (auth/wall.py PUBLIC_PATHS; tested in test_legal.py and test_red_team.py).
# The second factor's code and enrolment pages serve only a half-signed-in session and send anyone else to
# /login (tested in test_second_factor.py).
PUBLIC = {"/login", "/login/kode", "/to-trinsbekraeftelse/opsaet", "/glemt-adgangskode", "/ansoeg-administratoradgang",
          "/health", "/tilgaengelighedserklaering", "/behandling-af-personoplysninger", "/favicon.ico",
          # MitID Erhverv's way in, the IdP's answers and the metadata (404 while SAML is not configured;
          # their refusals are tested in test_saml.py).
          "/saml/login", "/saml/acs", "/saml/metadata", "/saml/slo"}


def test_anonymous_is_refused_everywhere(app, client):
    checked = 0
    for path, methods in _all_routes(app):
        if path in PUBLIC or path.startswith(("/assets", "/_dash-component-suites", "/_favicon")):
            continue
        for method in methods:
            response = client.open(path, method=method, json={} if method == "POST" else None)
            assert response.status_code in (302, 401), (path, method, response.status_code)
            if path.startswith("/_") or method == "POST":
                assert response.status_code == 401, (path, method)
            else:
                assert response.status_code == 302 and response.location.startswith("/login"), (path, method)
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("path", ["/_dash-update-component", "/_dash-layout", "/_dash-dependencies", "/stamdata",
                                  "/stamdata?cvr=33391005", "/", "/kontakt", "/_reload-hash"])
def test_anonymous_dash_and_pages(client, path):
    forged = {"output": f"{stamdata_ids.CONTENT}.children"}
    response = client.post(path, json=forged) if path == "/_dash-update-component" else client.get(path)
    assert response.status_code in (302, 401)
    assert world.CVR_A.encode() not in response.data or response.status_code == 302
    if path.startswith("/_dash-"):
        assert response.status_code == 401
        assert "logge ind" in response.get_json()["error"]


def test_anonymous_forged_callback_gets_401_and_no_data(client, dash_client):
    response = dash_client.fire(stamdata_ids.TABS, "value", values={stamdata_ids.TABS: "generelt"}, cvr=world.CVR_A,
                                initial=True)
    assert response.status_code == 401
    assert b"Statens Administration" not in response.data


# --- lock 2: every callback and page goes through the wrapper ---------------------------------


def test_every_callback_goes_through_the_wrapper(app, client):
    guarded_funcs = {id(spec.func) for spec in _DECLARED}
    callback_map = _callback_map(app, client)
    assert len(callback_map) >= 6
    for output, spec in callback_map.items():
        if output in DASH_INTERNAL_OUTPUTS:
            continue
        func = spec.get("callback")
        inner = getattr(func, "__wrapped__", None)
        assert inner is not None and id(inner) in guarded_funcs, f"callback {output} bypasses auth.guard.portal_callback"
        assert GUARD_MARK in vars(inner)


def test_every_page_layout_is_guarded():
    open_to_all = {"/404"}
    for page in dash.page_registry.values():
        layout = page["layout"]
        if page["path"] in open_to_all:
            continue
        assert callable(layout) and GUARD_MARK in vars(layout), f"page {page['path']} has an unguarded layout"


def _menu_callbacks(app, dash_client):
    """Yield (callback, index of its CVR store) of every callback guarded by a menu."""
    callback_map = _callback_map(app, dash_client.client)
    cvr_ids = _dash.cvr_ids()
    for callback in _dash.callbacks(dash_client.dependencies()):
        if callback.output in DASH_INTERNAL_OUTPUTS:
            continue
        spec = callback_map[callback.output]
        mark = vars(spec["callback"].__wrapped__)[GUARD_MARK]
        if mark["menu"] is None:
            continue
        # The payload builder finds the CVR through the page id modules: it must be the one the guard checks.
        assert callback.cvr_index(cvr_ids) == spec["inputs_state_indices"]["cvr"], callback.output
        yield callback, spec["inputs_state_indices"]["cvr"]


def _forged_body(callback, cvr, **kwargs):
    """Return the renderer's body for `callback`, its first input changed, every dependency None but the CVR."""
    first = callback.inputs[0]
    return _dash.build_payload(callback, (first.id, first.property), cvr=cvr, **kwargs)


@pytest.mark.parametrize("forged_cvr", [world.CVR_B, world.CVR_C, "99999999", "../../etc", "", None, ["33391005"], {"$": 1}])
def test_forged_cvr_in_every_callback_is_refused(app, client, laeser_a, dash_client, forged_cvr):
    seen = 0
    for callback, _ in _menu_callbacks(app, dash_client):
        output = callback.output
        response = dash_client.send(_forged_body(callback, forged_cvr))
        assert response.status_code == 403, (output, response.status_code, response.data[:200])
        for marker in B_MARKERS:
            assert marker not in response.data, (output, marker)
        seen += 1
    assert seen >= 1


def _guard_mark(app, dash_client, callback) -> dict:
    return vars(_callback_map(app, dash_client.client)[callback.output]["callback"].__wrapped__)[GUARD_MARK]


def _editing_callbacks(app, dash_client):
    """Yield every callback the wrapper guards with an SA action (the back-office's editing)."""
    for callback in _dash.callbacks(dash_client.dependencies()):
        if callback.output not in DASH_INTERNAL_OUTPUTS and _guard_mark(app, dash_client, callback).get("action"):
            yield callback


CUSTOMER_ACCOUNTS = [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A, world.ADMIN_AB]


@pytest.mark.parametrize("email", CUSTOMER_ACCOUNTS)
def test_every_editing_callback_refuses_every_customer_account_on_its_own_cvr(app, client, login, dash_client,
                                                                             email):
    # The customer's own CVR, every input the trigger in turn: the SA action decides, not the payload.
    login(email)
    seen = {True: 0, False: 0}
    for callback in _editing_callbacks(app, dash_client):
        # Back-office editing on a customer's page has its CVR store; SA's own pages (the case import,
        # the service-goal catalogue) have none and are refused by the action alone.
        with_cvr = _guard_mark(app, dash_client, callback)["menu"] is not None
        for dep in callback.inputs:
            cvr = {"cvr": world.CVR_A} if with_cvr else {}
            body = _dash.build_payload(callback, (dep.id, dep.property), **cvr)
            response = dash_client.send(body)
            assert response.status_code == 403, (callback.output, dep, response.status_code, response.data[:200])
        seen[with_cvr] += 1
    assert seen[True] >= 1 and seen[False] >= 1, seen


def test_own_cvr_passes_the_wrapper(app, client, login, dash_client):
    # An SA staff member may open every menu, so each callback must get past the wrapper.
    login(world.SA_STAFF)
    for callback, _ in _menu_callbacks(app, dash_client):
        output = callback.output
        response = dash_client.send(_forged_body(callback, world.CVR_A))
        assert response.status_code in (200, 204), (output, response.status_code, response.data[:300])


HOSTILE_VALUES = [{"$gt": ""}, ["x", {"y": 1}], "<script>alert(1)</script>" * 50, "x" * 20_000, -1, 2**70, 1e308,
                  True, "../../etc/passwd", "2024-13-45", "\u0000", {"id": 1, "cvr": world.CVR_B}]


@pytest.fixture
def real_content(app):
    """Put real content behind every page, so hostile values reach the data layer, not an empty state."""

    from data.db import get_session
    from tests import agreements_world, content_world, reports_world

    with app.app_context():
        session = get_session()
        content_world.build(session)
        agreements_world.build(session, danish_today())
        reports_world.build(session)


def _assert_an_answer_without_c(response, where) -> None:
    # An answer (a Danish message, no update, or 4xx), never 500; and the administrator of A and B may
    # see B, but never C, the customer they have nothing to do with.
    assert response.status_code in (200, 204, 400, 403), (where, response.status_code, response.data[:300])
    assert b"Traceback" not in response.data
    for marker in (world.CVR_C.encode(), "Cirkler".encode()):
        assert marker not in response.data, (where, marker)


@pytest.mark.parametrize("hostile", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_hostile_values_in_every_input_get_an_answer_not_a_crash(app, client, login, dash_client, real_content,
                                                                  hostile):
    # Every dependency but the CVR carries the hostile value, as a forged payload would.
    login(world.ADMIN_AB)
    for callback, _ in _menu_callbacks(app, dash_client):
        # Pattern-matching (ALL) dependencies stay without matching components here.
        body = _forged_body(callback, world.CVR_A, default=hostile)
        _assert_an_answer_without_c(dash_client.send(body), callback.output)


# Shapes the portal's own stores and inputs hold, with hostile types inside them.
HOSTILE_SHAPES = HOSTILE_VALUES + [
    {"area": [], "unit_code": {}, "section": ["x"], "id": [1], "version": {"a": 1}, "n": []},
    [{"cvr": [world.CVR_A], "rights": 1}], [[]], {"": None}, 1.5,
]


@pytest.mark.parametrize("hostile", HOSTILE_SHAPES, ids=range(len(HOSTILE_SHAPES)))
def test_hostile_values_with_every_input_as_trigger(app, client, login, dash_client, real_content, hostile):
    # Each input of each callback in turn is the one that changed, and every dependency but the CVR
    # (pattern-matching items included) carries the hostile value: an answer, never a 500.
    login(world.ADMIN_AB)
    callback_map = _callback_map(app, client)
    cvr_ids = _dash.cvr_ids()
    seen = 0
    for callback in _dash.callbacks(dash_client.dependencies()):
        output = callback.output
        if output in DASH_INTERNAL_OUTPUTS:
            continue
        cvr_index = callback_map[output]["inputs_state_indices"].get("cvr")
        assert callback.cvr_index(cvr_ids) == cvr_index, output
        cvr = _dash.UNSET if cvr_index is None else world.CVR_A
        for trigger in callback.inputs:
            # One matching component of each pattern-matching (ALL) dependency, carrying the hostile value.
            body = _dash.build_payload(callback, (trigger.id, trigger.property), cvr=cvr, default=hostile,
                                       items=[hostile])
            _assert_an_answer_without_c(dash_client.send(body), (output, trigger))
            seen += 1
    assert seen > 50


def _registered_pages():
    return sorted(page["path"] for page in dash.page_registry.values() if page["path"] not in ("/", "/404"))


def test_other_customer_in_url_gets_ingen_adgang_on_every_page(app, client, laeser_a, dash_client):
    paths = _registered_pages()
    assert "/stamdata" in paths
    for path in paths:
        response = dash_client.page(path, f"?cvr={world.CVR_B}")
        assert response.status_code == 200, path
        for marker in B_MARKERS:
            assert marker not in response.data.replace(f"cvr={world.CVR_B}".encode(), b""), (path, marker)
        if path not in ("/roller", "/kontakt", "/notifikationer"):  # pages of every signed-in user, no CVR
            assert "Ingen adgang".encode() in response.data, path


@pytest.mark.parametrize("search", ["?cvr=abc", "?cvr=33391005&cvr=20000007", "?cvr=" + "9" * 5000, "?cvr=%00", "?cvr=33391006"])
def test_malformed_cvr_in_url(laeser_a, dash_client, search):
    response = dash_client.page("/stamdata", search)
    assert response.status_code == 200
    assert "Ingen adgang".encode() in response.data
    for marker in B_MARKERS:
        assert marker not in response.data


HOSTILE_QUERIES = [
    "&fane=<script>alert(1)</script>&enhed=../../etc&afsnit=" + "x" * 5000,
    "&tab=%00&aar=abc&omraade=Løn%27%20OR%201=1--&print=1",
    "&print=1&fane=loen&enhed=%2e%2e%2f&afsnit=mTime&aar=99999999999999999999",
    "&tab=bilag&aar=-1&omraade=" + "%C3" * 10 + "&periode=2099-99",
    "&cvr=20000015&fane=regnskab",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_query_strings_on_every_page(app, login, dash_client, query):

    from data.db import get_session
    from tests import agreements_world, content_world

    with app.app_context():
        session = get_session()
        content_world.build(session)
        agreements_world.build(session, danish_today())
    login(world.ADMIN_AB)
    for path in _registered_pages():
        response = dash_client.page(path, f"?cvr={world.CVR_A}{query}")
        assert response.status_code == 200, (path, response.status_code, response.data[:300])
        assert b"Traceback" not in response.data and b"<script>alert" not in response.data
        for marker in (world.CVR_C.encode(), "Cirkler".encode()):
            assert marker not in response.data.replace(f"cvr={world.CVR_C}".encode(), b""), (path, marker)


# --- forged payload shapes ---------------------------------------------------------------------


STAMDATA_CONTENT = f"{stamdata_ids.CONTENT}.children"
TABS_GENERELT = {"id": stamdata_ids.TABS, "property": "value", "value": "generelt"}
PAGE_OUTPUTS = [{"id": shell_ids.PAGE_CONTENT, "property": "children"},
                {"id": shell_ids.PAGE_STORE, "property": "data"}]


def _location(pathname, search):
    return [{"id": shell_ids.LOCATION, "property": "pathname", "value": pathname},
            {"id": shell_ids.LOCATION, "property": "search", "value": search}]


@pytest.mark.parametrize("body", [
    {},
    [],
    "x",
    {"output": "nope.children", "inputs": [], "state": []},
    {"output": STAMDATA_CONTENT, "inputs": [], "state": []},
    {"output": STAMDATA_CONTENT, "inputs": [TABS_GENERELT],
     "state": [{"id": "other-store", "property": "data", "value": "33391005"}]},
    {"output": STAMDATA_CONTENT, "inputs": "x", "state": []},
    {"output": STAMDATA_CONTENT, "inputs": [TABS_GENERELT],
     "state": [{"id": stamdata_ids.CVR, "property": "data", "value": "33391005"}], "changedPropIds": [1]},
    # The URL's parts are strings, and a path starts with '/' (Dash's router failed on anything else).
    {"output": PAGE_ROUTER, "outputs": PAGE_OUTPUTS, "inputs": _location(5, ""), "state": [], "changedPropIds": []},
    {"output": PAGE_ROUTER, "outputs": PAGE_OUTPUTS, "inputs": _location("/stamdata", {"cvr": "33391005"}),
     "state": [], "changedPropIds": []},
    {"output": PAGE_ROUTER, "outputs": PAGE_OUTPUTS, "inputs": _location("stamdata", "?cvr=33391005"),
     "state": [], "changedPropIds": []},
    # A clientside callback has nothing to run on the server.
    {"output": f"{shell_ids.PAGE_DUMMY}.children", "outputs": {"id": shell_ids.PAGE_DUMMY, "property": "children"},
     "inputs": [{"id": shell_ids.PAGE_STORE, "property": "data", "value": {"title": "x"}}], "state": [],
     "changedPropIds": []},
])
def test_malformed_payloads_get_400(laeser_a, client, body):
    client.get("/_dash-dependencies")
    response = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "Ugyldig" in response.get_json()["error"]


def test_callback_without_csrf_token_gets_400(app_config):
    from app import create_app
    from data.db import get_session
    from tests.conftest import DashClient

    app_config["WTF_CSRF_ENABLED"] = True
    flask_app = create_app(app_config)
    with flask_app.app_context():
        world.build(get_session())
    client = flask_app.test_client()
    login_page = client.get("/login")
    token = client.get_cookie("_csrf_token").value
    assert b'name="csrf_token"' in login_page.data
    response = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    client.get("/_dash-dependencies")
    body = DashClient(client).payload(stamdata_ids.TABS, "value", values={stamdata_ids.TABS: "generelt"},
                                      cvr=world.CVR_A, initial=True)
    assert client.post("/_dash-update-component", json=body).status_code == 400
    token = client.get_cookie("_csrf_token").value
    ok = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": token})
    assert ok.status_code == 200
    assert b"Statens Administration" in ok.data
