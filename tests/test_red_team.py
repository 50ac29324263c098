"""Red-team requests the access-lock tests did not anticipate: each hole found has a test here.

A customer user must never see another customer's data, and bad input gets a Danish message or 4xx,
never a 500 or half-written data.
"""

from __future__ import annotations

import dash
import pytest

from pages.ids import shell as shell_ids
from pages.ids import stamdata as stamdata_ids
from tests import world
from tests.test_shell import navigate

B_MARKERS = [world.CVR_B.encode(), "Bøger".encode(), b"B\\u00f8ger", b"20001", b"LG200"]


def _guarded_pages():
    return sorted(p["path"] for p in dash.page_registry.values() if p["path"] not in ("/", "/404"))


# --- page routing: query strings Dash hands to the layouts as keyword arguments ------------------


@pytest.mark.parametrize("query", [
    # A key named like the guarded layout's own context argument collided with it (TypeError, 500).
    "&ctx=1",
    # Repeated keys arrive as lists; layouts comparing them with sets or dicts crashed (unhashable list).
    "&tab=a&tab=b&fane=a&fane=b&enhed=1&enhed=2&afsnit=x&afsnit=y&aar=1&aar=2&omraade=a&omraade=b&print=1&print=1",
    "&cvr%5B%5D=20000007&self=1&func=1&user=1&query=1",
])
def test_odd_query_keys_on_every_page_get_the_page_not_a_500(login, dash_client, query):
    login(world.ADMIN_AB)
    for path in _guarded_pages():
        response = dash_client.page(path, f"?cvr={world.CVR_A}{query}")
        assert response.status_code == 200, (path, response.status_code, response.data[:200])
        assert b"Traceback" not in response.data


def test_repeated_query_key_is_ignored_not_half_used(login, dash_client):
    login(world.ADMIN_AB)
    response = dash_client.page("/stamdata", f"?cvr={world.CVR_A}&tab=loen&tab=regnskab")
    assert response.status_code == 200
    assert b"Ingen adgang" not in response.data and b"Stamdata" in response.data


@pytest.mark.parametrize("search", [
    "?cvr=%EF%BC%93%EF%BC%93%EF%BC%93%EF%BC%99%EF%BC%91%EF%BC%90%EF%BC%90%EF%BC%95",  # full-width digits of A
    "?cvr=%D9%A3%D9%A3%D9%A3%D9%A9%D9%A1%D9%A0%D9%A0%D9%A5",  # Arabic-Indic digits of A
    "?cvr=+33391005", "?cvr=33391005%0A", "?cvr=20000007%00", "?CVR=20000007", "?cvr=2000%300007",
])
def test_lookalike_cvrs_never_open_another_customer(laeser_a, dash_client, search):
    response = dash_client.page("/stamdata", search)
    assert response.status_code == 200
    for marker in B_MARKERS:
        assert marker not in response.data.replace(search.encode(), b"")


# --- Dash's own endpoints --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_dash-component-suites/../../app.py", "/_dash-component-suites/dash/..%2F..%2Fapp.py",
                                  "/_dash-component-suites/nope/x.js", "/_dash-component-suites/dash/nope.js"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_unknown_component_suite_files_are_404_not_500(client, login, path, signed_in):
    if signed_in:
        login(world.LAESER_A)
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert b"Traceback" not in response.data and b"import" not in response.data


@pytest.mark.parametrize("path", ["/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/_favicon.ico",
                                  "/assets/../app.py", "/assets/%2e%2e/config.py", "/assets/..%2fconfig.py"])
def test_dash_endpoints_signed_in_show_no_customer_data(laeser_a, client, path):
    response = client.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    for marker in B_MARKERS + [world.CVR_A.encode(), b"SECRET_KEY", b"def create_app"]:
        assert marker not in response.data, (path, marker)


# --- callback payload shapes -----------------------------------------------------------------------

@pytest.fixture
def stamdata_body(dash_client):
    """Return the well-formed body of Stamdata's tab callback, its tab just chosen, on customer A."""
    return dash_client.payload(stamdata_ids.TABS, "value", values={stamdata_ids.TABS: "generelt"}, cvr=world.CVR_A)


@pytest.mark.parametrize("outputs", ["x", [], None, 5, {}, {"id": stamdata_ids.CONTENT},
                                     [{"id": stamdata_ids.CONTENT, "property": "children"}],
                                     {"id": "other", "property": "children"},
                                     {"id": {"type": "x", "index": 1}, "property": "children"}])
def test_forged_outputs_get_400_not_500(laeser_a, dash_client, stamdata_body, outputs):
    # Dash builds its answer from the payload's own `outputs`: a wrong shape crashed it (500).
    response = dash_client.send(dict(stamdata_body, outputs=outputs))
    assert response.status_code == 400, (outputs, response.status_code)
    assert "Ugyldig" in response.get_json()["error"]


def test_plain_dependency_sent_as_a_list_gets_400(laeser_a, dash_client, stamdata_body):
    # Only pattern-matching (ALL) dependencies arrive as lists; the CVR store sent as two items is refused.
    state = [[{"id": stamdata_ids.CVR, "property": "data", "value": world.CVR_A},
              {"id": stamdata_ids.CVR, "property": "data", "value": world.CVR_B}]]
    response = dash_client.send(dict(stamdata_body, state=state))
    assert response.status_code == 400
    response = dash_client.send(dict(stamdata_body, state=[[]]))
    assert response.status_code == 400


@pytest.mark.parametrize("changed", [[1], [stamdata_ids.TABS], ["{x.value"], ['{"a":1.value'], ["{}x.value"],
                                     ["{[1]}.value"], f"{stamdata_ids.TABS}.value"])
def test_forged_changed_prop_ids_get_400_not_500(laeser_a, dash_client, stamdata_body, changed):
    # Dash's ctx.triggered_prop_ids json-parses an id that starts with '{': a broken one crashed it (500).
    response = dash_client.send(dict(stamdata_body, changedPropIds=changed))
    assert response.status_code == 400, (changed, response.status_code)
    assert "Ugyldig" in response.get_json()["error"]


def test_pattern_matching_changed_prop_id_is_accepted(laeser_a, dash_client, stamdata_body):
    body = dict(stamdata_body, changedPropIds=['{"index":0,"type":"x"}.n_clicks', f"{stamdata_ids.TABS}.value"])
    assert dash_client.send(body).status_code == 200


def test_the_well_formed_payload_still_answers(laeser_a, dash_client, stamdata_body):
    response = dash_client.send(stamdata_body)
    assert response.status_code == 200
    assert b"Statens Administration" in response.data


@pytest.mark.parametrize("data, content_type", [
    ("[" * 100_000 + "]" * 100_000, "application/json"),  # deeper than the JSON parser's recursion limit: 500
    ('{"output": ', "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (f"output={stamdata_ids.CONTENT}.children", "application/x-www-form-urlencoded"),
    ("{}", "text/plain"),
])
def test_non_json_and_too_deep_bodies_get_400(laeser_a, client, data, content_type):
    client.get("/_dash-dependencies")
    response = client.post("/_dash-update-component", data=data, content_type=content_type)
    assert response.status_code == 400
    assert "Ugyldig" in response.get_json()["error"]


# --- the search box's navigation -------------------------------------------------------------------


@pytest.mark.parametrize("pathname", ["//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil.example/x",
                                      "/stamdata/../../x"])
def test_customer_choice_never_navigates_off_our_pages(login, dash_client, pathname):
    # The pathname state is the client's; it was copied into the redirect href ('//evil.example?cvr=...').
    login(world.ADMIN_AB)
    response = navigate(dash_client, world.CVR_B, pathname=pathname, search=f"?cvr={world.CVR_A}")
    if not pathname.startswith("/"):
        # Not a path at all: the payload check refuses it before the callback runs.
        assert response.status_code == 400
        return
    assert response.status_code == 200
    href = response.get_json()["response"][shell_ids.REDIRECT]["href"]
    assert href == f"/information?cvr={world.CVR_B}"


def test_customer_choice_keeps_the_current_page(login, dash_client):
    login(world.ADMIN_AB)
    response = navigate(dash_client, world.CVR_B, pathname="/stamdata", search=f"?cvr={world.CVR_A}")
    assert response.get_json()["response"][shell_ids.REDIRECT]["href"] == f"/stamdata?cvr={world.CVR_B}"


# --- NUL characters (PostgreSQL refuses them in any text parameter) -----------------------------------


def test_nul_in_a_callback_payload_gets_400(login, dash_client):
    login(world.ADMIN_AB)
    response = dash_client.fire(shell_ids.CUSTOMER_SEARCH, "search_value",
                                values={(shell_ids.CUSTOMER_SEARCH, "search_value"): "Stat\x00ens",
                                        (shell_ids.LOCATION, "search"): ""})
    assert response.status_code == 400 and "Ugyldig" in response.get_json()["error"]


def test_nul_in_a_form_or_query_gets_400(client, login, dash_client):
    refused = client.post("/login", data={"email": "laeser\x00@example.dk", "password": world.PASSWORD})
    assert refused.status_code == 400 and "Ugyldig forespørgsel" in refused.get_data(as_text=True)
    login(world.LAESER_A)
    assert client.get("/stamdata?cvr=%00").status_code == 400


def test_search_text_with_control_characters_finds_by_the_rest(app):
    from core.access import AccessScope
    from data import customers

    with app.app_context():
        rows = customers.search_customers(AccessScope(all_customers=True), "Statens\x01 Adm")
        assert [r["cvr"] for r in rows] == [world.CVR_A]


# --- errors are answered in Danish ---------------------------------------------------------------------


@pytest.mark.parametrize("method, path, code, title", [
    ("POST", "/health", 405, "Ikke tilladt"),
    ("GET", "/assets/findes-ikke.css", 404, "Siden findes ikke"),
    ("GET", f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_B}", 403, "Ingen adgang"),
])
def test_http_errors_are_danish_pages(login, client, method, path, code, title):
    login(world.LAESER_A)
    response = client.open(path, method=method)
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert '<html lang="da">' in page and f"<h1>{title}</h1>" in page
    for english in ("Not Found", "Method Not Allowed", "Forbidden", "check your spelling"):
        assert english not in page


def test_http_errors_for_json_clients_are_danish_json(login, client):
    login(world.LAESER_A)
    response = client.post("/health", headers={"Accept": "application/json"})
    assert response.status_code == 405 and response.get_json() == {"error": "Siden kan ikke bruges på den måde."}
    assert "GET" in response.headers["Allow"] and "POST" not in response.headers["Allow"]


def test_favicon_is_a_real_icon_for_anonymous_visitors_without_versions_or_session(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data.startswith(b"\x00\x00\x01\x00")  # the ICO header, not Dash's HTML page
    for marker in (b"<html", b"dash", b"Python", b"_dash-component-suites", b"?v="):
        assert marker not in response.data, marker
    assert "Set-Cookie" not in response.headers
