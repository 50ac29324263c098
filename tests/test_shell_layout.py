"""The opened page drawn into the layout: what the router and the shell's callbacks would draw, never more."""

from __future__ import annotations

import json
import logging

import dash
import pytest

from pages.ids import shell as ids
from tests import world
from tests._components import find_component
from tests.test_access_locks import B_MARKERS

HOST = "http://localhost"
NOT_DRAWN_HERE = {"/", "/404"}
# The customers each user may see (tests/world.py), of A and B.
SEES = {world.LAESER_A: {world.CVR_A}, world.REDIGER_A: {world.CVR_A}, world.RAPPORTER_A: {world.CVR_A},
        world.ADMIN_AB: {world.CVR_A, world.CVR_B}, world.SA_STAFF: {world.CVR_A, world.CVR_B}}
USERS = list(SEES)


def layout(client, referer: str | None):
    """Return the app layout as the browser asks for it from the page at `referer`."""
    response = client.get("/_dash-layout", headers={"Referer": referer} if referer else {})
    assert response.status_code == 200
    return response


def find(layout, component_id):
    """Return the props of the component `component_id` in a layout's JSON."""
    return find_component(layout, component_id)["props"]


def drawn_pages():
    return sorted(page["path"] for page in dash.page_registry.values() if page["path"] not in NOT_DRAWN_HERE)


def _answer(response, component_id, prop):
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"][component_id][prop]


@pytest.mark.parametrize("email", USERS)
def test_every_page_and_its_frame_are_drawn_as_the_callbacks_draw_them(app, client, login, dash_client, email):
    login(email)
    pages = drawn_pages()
    assert {"/rapporter", "/information", "/stamdata"} <= set(pages)
    for path in pages:
        for cvr, search in ((world.CVR_A, f"?cvr={world.CVR_A}"), (world.CVR_A, f"?cvr={world.CVR_A}&enhed=10001"),
                            (world.CVR_B, f"?cvr={world.CVR_B}&enhed=20001")):
            drawn = layout(client, f"{HOST}{path}{search}").get_json()
            location = find(drawn, ids.LOCATION)
            if cvr not in SEES[email]:
                assert location.get("search") is None  # left to the router, which refuses it
                continue
            # The address as the browser has it: dcc.Location has nothing to set, so no callback fires on load.
            assert (location["pathname"], location["search"]) == (path, search)
            at = (ids.LOCATION, "pathname"), (ids.LOCATION, "search")
            values = {at[0]: path, at[1]: search}
            router = dash_client.page(path, search)
            assert find(drawn, ids.PAGE_CONTENT)["children"] == _answer(router, ids.PAGE_CONTENT, "children"), path
            nav = dash_client.fire(ids.LOCATION, "pathname", output=ids.NAV, initial=True, values=values)
            assert find(drawn, ids.NAV)["children"] == _answer(nav, ids.NAV, "children"), path
            assert find(drawn, ids.CONTEXT_LABEL)["children"] == _answer(nav, ids.CONTEXT_LABEL, "children")
            customer = dash_client.fire(ids.LOCATION, "search", output=ids.CUSTOMER_SEARCH, values={at[1]: search})
            unit = dash_client.fire(ids.LOCATION, "search", output=ids.UNIT_SEARCH, values={at[1]: search})
            for component_id, answer in ((ids.CUSTOMER_SEARCH, customer), (ids.UNIT_SEARCH, unit)):
                props = find(drawn, component_id)
                assert props["options"] == _answer(answer, component_id, "options"), (path, component_id)
                assert props["value"] == _answer(answer, component_id, "value"), (path, component_id)


def test_the_page_of_another_customer_is_left_to_the_router(client, login):
    # The router refuses it (403, tested in test_access_locks); the layout does not even repeat the CVR.
    login(world.LAESER_A)
    for path in drawn_pages():
        response = layout(client, f"{HOST}{path}?cvr={world.CVR_B}")
        for marker in B_MARKERS:
            assert marker not in response.data, (path, marker)
        drawn = response.get_json()
        assert find(drawn, ids.PAGE_CONTENT).get("children") is None and find(drawn, ids.LOCATION).get("search") is None


def test_a_page_the_rights_do_not_open_says_why_in_the_layout(client, login):
    login(world.LAESER_A)
    drawn = layout(client, f"{HOST}/rapporter?cvr={world.CVR_A}").get_json()
    assert "Ingen adgang" in json.dumps(find(drawn, ids.PAGE_CONTENT), ensure_ascii=False)


def test_the_unit_of_the_address_is_shown_as_chosen(client, login):
    login(world.ADMIN_AB)
    drawn = layout(client, f"{HOST}/drejeboeger?cvr={world.CVR_A}&enhed=10001").get_json()
    assert find(drawn, ids.UNIT_SEARCH)["value"] == "10001"
    assert find(drawn, ids.CUSTOMER_SEARCH)["value"] == world.CVR_A
    # A unit of another customer is not chosen for this one.
    drawn = layout(client, f"{HOST}/drejeboeger?cvr={world.CVR_A}&enhed=20001").get_json()
    assert find(drawn, ids.UNIT_SEARCH)["value"] is None


@pytest.mark.parametrize("referer", [
    None,
    "",
    "http://other.example/rapporter?cvr=" + world.CVR_A,  # another site naming one of our pages
    "https://localhost/rapporter?cvr=" + world.CVR_A,  # another scheme is another origin
    f"{HOST}/",  # what a browser sending only the origin names
    f"{HOST}/rapporter",  # no customer: the callbacks fill it in and move the browser there
    f"{HOST}/rapporter?cvr=abc",
    f"{HOST}/rapporter?cvr={world.CVR_A}&cvr={world.CVR_B}",
    f"{HOST}/findes-ikke?cvr={world.CVR_A}",
    f"{HOST}/_dash-layout?cvr={world.CVR_A}",
    "not a url at all",
])
def test_an_address_it_cannot_tell_is_left_to_the_router(client, login, referer):
    login(world.ADMIN_AB)
    drawn = layout(client, referer).get_json()
    location = find(drawn, ids.LOCATION)
    # Without pathname and search, dcc.Location sets them on mount, and the router and the shell's
    # callbacks draw the page and the frame, as before.
    assert location.get("pathname") is None and location.get("search") is None
    assert find(drawn, ids.PAGE_CONTENT).get("children") is None
    assert find(drawn, ids.NAV).get("children") is None
    assert find(drawn, ids.CUSTOMER_SEARCH).get("value") is None


def test_a_page_that_fails_is_left_to_the_router(app, client, login, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database gone")

    login(world.SA_STAFF)
    monkeypatch.setitem(next(p for p in dash.page_registry.values() if p["path"] == "/rapporter"), "layout", broken)
    with caplog.at_level(logging.ERROR):
        drawn = layout(client, f"{HOST}/rapporter?cvr={world.CVR_A}")
    assert b"database gone" not in drawn.data and b"Traceback" not in drawn.data
    assert find(drawn.get_json(), ids.PAGE_CONTENT).get("children") is None
    assert find(drawn.get_json(), ids.LOCATION).get("pathname") is None
    assert "not drawn into the layout" in caplog.text


def test_a_user_who_must_change_password_gets_no_layout(app, client, login):
    login(world.LAESER_A)
    world.set_user(app, world.LAESER_A, must_change_password=True)
    response = client.get("/_dash-layout", headers={"Referer": f"{HOST}/stamdata?cvr={world.CVR_A}"})
    # The wall answers first (it sends the user to choose a new password); the layout is never built.
    assert response.status_code == 403
    assert "ny adgangskode" in response.get_json()["error"]
    assert world.CVR_A.encode() not in response.data


def test_opening_a_customer_remembers_it_as_the_callback_did(app, client, login):
    login(world.ADMIN_AB)
    layout(client, f"{HOST}/stamdata?cvr={world.CVR_B}&enhed=20001")
    user = world.user_row(app, world.ADMIN_AB)
    assert (user.last_cvr, user.last_unit) == (world.CVR_B, "20001")


def test_the_layout_is_never_cached(client, login):
    login(world.LAESER_A)
    response = layout(client, f"{HOST}/stamdata?cvr={world.CVR_A}")
    assert "no-store" in response.headers["Cache-Control"]
