"""The frame: the navbar shows exactly what the rights open; the search offers only visible customers."""

import pytest

from pages.ids import shell as ids
from pages.ids import stamdata as stamdata_ids
from tests._components import response_text
from tests import world

LOCATION_PATHNAME = (ids.LOCATION, "pathname")
LOCATION_SEARCH = (ids.LOCATION, "search")


def nav(dash_client, search, pathname="/stamdata"):
    response = dash_client.fire(ids.LOCATION, "pathname", output=ids.NAV, initial=True,
                                values={LOCATION_PATHNAME: pathname, LOCATION_SEARCH: search})
    assert response.status_code == 200
    return response


def labels(response):
    body = response.get_json()["response"][ids.NAV]["children"]
    return [item["props"]["children"]["props"]["children"] for item in body]


SERVED = {"Information", "Kundeaftaler", "Møder", "Aktionsliste", "Drejebøger", "Stamdata", "Rapporter",
          "Kontaktpersoner", "Brugeradministration"}


@pytest.mark.parametrize("email,cvr,expected", [
    (world.LAESER_A, world.CVR_A, ["Information", "Kundeaftaler", "Møder", "Aktionsliste", "Drejebøger", "Stamdata"]),
    (world.REDIGER_A, world.CVR_A, ["Information", "Kundeaftaler", "Møder", "Aktionsliste", "Drejebøger", "Stamdata", "Kontaktpersoner"]),
    (world.RAPPORTER_A, world.CVR_A, ["Rapporter"]),
    (world.RAPPORTER_NO_B, world.CVR_A, ["Information", "Kundeaftaler", "Møder", "Aktionsliste", "Drejebøger", "Stamdata"]),
    (world.ADMIN_AB, world.CVR_B, ["Information", "Kundeaftaler", "Møder", "Aktionsliste", "Drejebøger", "Stamdata", "Rapporter", "Kontaktpersoner", "Brugeradministration"]),
    (world.LAESER_A, world.CVR_B, []),
    # SA's own pages follow the customer's menu, for SA staff only.
    (world.SA_STAFF, world.CVR_C, list(SERVED) + ["Servicemål", "Indlæs sager", "Verificér aftale"]),
    # Persondatalog, Ansøgninger and Tegningsberettigede are SA's system administrator's alone.
    (world.SA_ADMIN, world.CVR_C, list(SERVED) + ["Servicemål", "Indlæs sager", "Persondatalog", "Ansøgninger",
                                                   "Tegningsberettigede", "Verificér aftale"]),
])
def test_navbar_shows_exactly_the_opened_items(app, login, dash_client, email, cvr, expected):
    import dash

    served = {page["name"] for page in dash.page_registry.values()}
    login(email)
    got = labels(nav(dash_client, f"?cvr={cvr}"))
    want = [label for label in expected if label in served] + ["Kontakt dit team"]
    # Items whose page this build serves, in menu order, then "Kontakt dit team".
    order = ["Information", "Kundeaftaler", "Møder", "Aktionsliste", "Drejebøger", "Stamdata", "Rapporter",
             "Kontaktpersoner", "Brugeradministration", "Servicemål", "Indlæs sager", "Persondatalog",
             "Ansøgninger", "Tegningsberettigede", "Verificér aftale", "Kontakt dit team"]
    assert got == sorted(want, key=order.index)


def _hrefs(response):
    body = response.get_json()["response"][ids.NAV]["children"]
    return [item["props"]["children"]["props"]["href"] for item in body]


def test_menu_links_keep_the_chosen_unit_of_the_customer(login, dash_client):
    login(world.ADMIN_AB)
    hrefs = _hrefs(nav(dash_client, f"?cvr={world.CVR_A}&enhed=10001"))
    assert f"/drejeboeger?cvr={world.CVR_A}&enhed=10001" in hrefs
    # A unit of another customer (or a made-up one) is not carried along.
    for unit in ("20001", "x" * 50, "LG999"):
        assert all("enhed" not in h for h in _hrefs(nav(dash_client, f"?cvr={world.CVR_A}&enhed={unit}")))


def test_single_customer_user_lands_on_it(login, dash_client):
    login(world.LAESER_A)
    response = nav(dash_client, "")
    assert b"Statens Administration" in response.data
    page = dash_client.page("/stamdata", "")
    assert stamdata_ids.TABS.encode() in page.data


def test_multi_customer_user_is_asked_to_choose(login, dash_client):
    login(world.TWO_CVRS)
    page = dash_client.page("/stamdata", "")
    assert "Vælg en kunde" in response_text(page)


def customer_search(dash_client, text, location_search, value, changed):
    """Fire the customer search box's callback, `changed` ((id, property)) being what changed."""
    response = dash_client.fire(*changed, output=ids.CUSTOMER_SEARCH,
                                values={(ids.CUSTOMER_SEARCH, "search_value"): text, LOCATION_SEARCH: location_search,
                                        (ids.CUSTOMER_SEARCH, "value"): value})
    assert response.status_code == 200
    return response.get_json()["response"][ids.CUSTOMER_SEARCH]


def search(dash_client, text, value=None):
    """Return the offered CVRs while the user types `text` with `value` chosen."""
    out = customer_search(dash_client, text, "", value, (ids.CUSTOMER_SEARCH, "search_value"))
    assert "value" not in out
    return [o["value"] for o in out["options"]]


def unit_search(dash_client, text):
    response = dash_client.fire(ids.UNIT_SEARCH, "search_value", values={(ids.UNIT_SEARCH, "search_value"): text},
                                initial=True)
    assert response.status_code == 200
    return [o["value"] for o in response.get_json()["response"][ids.UNIT_SEARCH]["options"]]


def test_search_offers_only_visible_customers(login, dash_client):
    login(world.LAESER_A)
    assert search(dash_client, "") == [world.CVR_A]
    assert search(dash_client, "Bøger") == []
    assert search(dash_client, world.CVR_B) == []
    assert unit_search(dash_client, "") == ["10001", "10002", "LG100"]
    assert unit_search(dash_client, "20001") == []


def test_search_narrows_as_you_type_for_sa_staff(login, dash_client):
    login(world.SA_STAFF)
    assert set(search(dash_client, "")) == {world.CVR_A, world.CVR_B, world.CVR_C}
    assert search(dash_client, "bøg") == [world.CVR_B]
    assert search(dash_client, "2000001") == [world.CVR_C]
    assert search(dash_client, "%") == []
    assert search(dash_client, "_") == []
    assert unit_search(dash_client, "LG2") == ["LG200"]


@pytest.mark.parametrize("email_, location, expected", [
    (world.SA_STAFF, f"?cvr={world.CVR_C}", world.CVR_C),
    (world.LAESER_A, f"?cvr={world.CVR_A}", world.CVR_A),
    (world.LAESER_A, "", world.CVR_A),  # one customer: lands on it
    (world.LAESER_A, f"?cvr={world.CVR_B}", None),  # another customer's CVR is never shown as chosen
    (world.LAESER_A, "?cvr=abc", world.CVR_A),
])
def test_customer_of_the_url_is_chosen_and_offered(login, dash_client, email_, location, expected):
    login(email_)
    out = customer_search(dash_client, None, location, None, LOCATION_SEARCH)
    assert out["value"] == expected
    offered = [o["value"] for o in out["options"]]
    if expected:
        assert expected in offered
    if email_ == world.LAESER_A:
        assert offered == [world.CVR_A]


def test_chosen_customer_is_offered_beside_the_matches(login, dash_client):
    login(world.SA_STAFF)
    assert search(dash_client, "bøg", value=world.CVR_A) == [world.CVR_A, world.CVR_B]
    # A customer the user may not see is never added, whatever the value says.
    login(world.LAESER_A)
    assert search(dash_client, "", value=world.CVR_B) == [world.CVR_A]


@pytest.mark.parametrize("value", [{"x": 1}, ["a"], 5, "x" * 10000])
def test_search_with_odd_values_does_not_fail(login, dash_client, value):
    login(world.SA_STAFF)
    assert isinstance(search(dash_client, value), list)


def navigate(dash_client, cvr_value=None, unit_value=None, trigger=ids.CUSTOMER_SEARCH, pathname="/stamdata",
             search=""):
    """Send the search box's choice (`trigger`'s value changed) as the browser does, from `pathname` + `search`."""
    return dash_client.fire(trigger, "value", output=ids.REDIRECT,
                            values={(ids.CUSTOMER_SEARCH, "value"): cvr_value, (ids.UNIT_SEARCH, "value"): unit_value,
                                    LOCATION_PATHNAME: pathname, LOCATION_SEARCH: search})


def test_choosing_a_customer_puts_it_in_the_url(login, dash_client):
    login(world.ADMIN_AB)
    response = navigate(dash_client, cvr_value=world.CVR_B)
    assert response.get_json()["response"][ids.REDIRECT]["href"] == f"/stamdata?cvr={world.CVR_B}"
    response = navigate(dash_client, unit_value="LG100", trigger=ids.UNIT_SEARCH)
    assert response.get_json()["response"][ids.REDIRECT]["href"] == f"/stamdata?cvr={world.CVR_A}&enhed=LG100"


def test_choosing_an_invisible_customer_or_unit_goes_nowhere(login, dash_client):
    login(world.LAESER_A)
    for response in (navigate(dash_client, cvr_value=world.CVR_B),
                     navigate(dash_client, unit_value="20001", trigger=ids.UNIT_SEARCH)):
        assert response.status_code in (200, 204)
        assert b"href" not in response.data and world.CVR_B.encode() not in response.data


def test_switching_customer_from_a_page_not_open_there_lands_on_an_open_one(login, dash_client):
    # TWO_CVRS has Rapporter at B only: from Rapporter at B, choosing A must not end on "Ingen adgang".
    login(world.TWO_CVRS)
    response = navigate(dash_client, cvr_value=world.CVR_A, pathname="/rapporter", search=f"?cvr={world.CVR_B}")
    assert response.get_json()["response"][ids.REDIRECT]["href"] == f"/information?cvr={world.CVR_A}"
    response = navigate(dash_client, cvr_value=world.CVR_A, pathname="/moeder", search=f"?cvr={world.CVR_B}")
    assert response.get_json()["response"][ids.REDIRECT]["href"] == f"/moeder?cvr={world.CVR_A}"
    response = navigate(dash_client, cvr_value=world.CVR_B, pathname="/kontakt", search=f"?cvr={world.CVR_A}")
    assert response.get_json()["response"][ids.REDIRECT]["href"] == f"/kontakt?cvr={world.CVR_B}"


def test_a_cut_list_says_that_more_customers_and_units_exist(login, dash_client, monkeypatch):
    from data import customers

    login(world.SA_STAFF)
    monkeypatch.setattr(customers, "SEARCH_LIMIT", 2)
    out = customer_search(dash_client, "", "", None, (ids.CUSTOMER_SEARCH, "search_value"))
    assert len(out["options"]) == 3 and out["options"][-1]["disabled"] is True
    assert "skriv en del af navnet" in out["options"][-1]["label"]
    assert search(dash_client, "bøg") == [world.CVR_B]  # a narrowed list is not cut
    assert unit_search(dash_client, "")[-1] == "__flere__"
    monkeypatch.setattr(customers, "SEARCH_LIMIT", 25)
    assert "__flere__" not in search(dash_client, "")


def unit_box(dash_client, changed, text="", value=None, location=""):
    """Fire the unit search box's callback, `changed` ((id, property)) being what changed; return its outputs."""
    response = dash_client.fire(*changed, output=ids.UNIT_SEARCH,
                                values={(ids.UNIT_SEARCH, "search_value"): text, (ids.UNIT_SEARCH, "value"): value,
                                        LOCATION_SEARCH: location})
    assert response.status_code == 200
    return response.get_json()["response"][ids.UNIT_SEARCH]


def test_a_mouse_pick_of_a_unit_is_kept_and_the_units_of_the_url_shown(login, dash_client, monkeypatch):
    from data import customers

    login(world.SA_STAFF)
    monkeypatch.setattr(customers, "SEARCH_LIMIT", 2)
    # The pick clears the typed text: the list refilled for "" still holds the picked unit, and the value stays.
    out = unit_box(dash_client, (ids.UNIT_SEARCH, "value"), text="", value="LG200")
    assert "LG200" in [o["value"] for o in out["options"]] and "value" not in out
    out = unit_box(dash_client, (ids.UNIT_SEARCH, "search_value"), text="", value="LG200")
    assert "LG200" in [o["value"] for o in out["options"]] and "value" not in out
    # After the navigation, the field shows the chosen unit (not the placeholder).
    out = unit_box(dash_client, LOCATION_SEARCH, location=f"?cvr={world.CVR_B}&enhed=LG200")
    assert out["value"] == "LG200" and out["options"][0]["label"] == "LG200 – Bøger Løn (Løngruppe)"
    # A unit of the URL that is not the customer's (or not visible) is never shown as chosen.
    login(world.LAESER_A)
    assert unit_box(dash_client, LOCATION_SEARCH, location=f"?cvr={world.CVR_B}&enhed=LG200")["value"] is None
    assert "LG200" not in [o["value"] for o in unit_box(dash_client, (ids.UNIT_SEARCH, "value"), value="LG200")["options"]]


def test_the_last_customer_and_unit_are_remembered_and_opened(login, dash_client):
    login(world.TWO_CVRS)
    assert "Vælg en kunde" in response_text(dash_client.page("/stamdata", ""))
    nav(dash_client, f"?cvr={world.CVR_A}&enhed=10001")
    # The next visit, without a customer in the address, opens the last one and its unit.
    assert stamdata_ids.TABS.encode() in dash_client.page("/stamdata", "").data
    assert customer_search(dash_client, None, "", None, LOCATION_SEARCH)["value"] == world.CVR_A
    assert unit_box(dash_client, LOCATION_SEARCH, location="")["value"] == "10001"
    assert f"/drejeboeger?cvr={world.CVR_A}&enhed=10001" in _hrefs(nav(dash_client, ""))
    response = navigate(dash_client, cvr_value=world.CVR_A, pathname="/moeder", search="")
    assert response.get_json()["response"][ids.REDIRECT]["href"] == f"/moeder?cvr={world.CVR_A}&enhed=10001"
    # The start page names no customer: it stays the start page.
    response = navigate(dash_client, cvr_value=world.CVR_A, pathname="/", search="")
    assert response.status_code in (200, 204) and b"href" not in response.data


def test_a_remembered_customer_no_longer_the_users_opens_nothing(app, login, dash_client):
    from sqlalchemy import update

    from data.db import get_session
    from data.models import User

    with app.app_context():
        get_session().execute(update(User).where(User.email == world.TWO_CVRS).values(last_cvr=world.CVR_C))
        get_session().commit()
    login(world.TWO_CVRS)
    assert "Vælg en kunde" in response_text(dash_client.page("/stamdata", ""))
    assert customer_search(dash_client, None, "", None, LOCATION_SEARCH)["value"] is None


def test_a_customer_administrator_reaches_brugeradministration_without_searching(login, dash_client):
    from pages.ids import brugeradministration as bruger_ids

    login(world.ADMIN_AB)
    nav(dash_client, f"?cvr={world.CVR_B}")
    page = dash_client.page("/brugeradministration", "")
    assert bruger_ids.HISTORY.encode() in page.data and "Vælg en kunde" not in response_text(page)
    assert "Brugeradministration" in labels(nav(dash_client, ""))


def test_a_page_the_rights_do_not_open_says_why_with_a_link_onward(login, dash_client):
    login(world.LAESER_A)
    # Opened by its address: the page stays (not silently Information) ...
    response = navigate(dash_client, cvr_value=world.CVR_A, pathname="/brugeradministration", search="")
    assert response.get_json()["response"][ids.REDIRECT]["href"] == f"/brugeradministration?cvr={world.CVR_A}"
    # ... and says why, with a link to a page the user may open.
    text = response_text(dash_client.page("/brugeradministration", f"?cvr={world.CVR_A}"))
    assert "Ingen adgang" in text and "Gå til Information" in text and f"/information?cvr={world.CVR_A}" in text
    login(world.RAPPORTER_NO_B)
    text = response_text(dash_client.page("/rapporter", f"?cvr={world.CVR_A}"))
    assert "kræver rettigheden »Rapporter« og et B-nummer" in text and "Gå til Information" in text


@pytest.mark.parametrize("order", ["unit first", "customer first"])
def test_both_boxes_filled_in_one_pass_still_fill_the_address(login, dash_client, order):
    """On a slow browser both search boxes' answers can land in one pass: the customer must not be lost.

    The renderer then sends both values as changed, in no fixed order; the unit box holds no unit
    (none remembered), so only the customer can say where to go.
    """
    login(world.LAESER_A)
    body = dash_client.payload(ids.CUSTOMER_SEARCH, "value", output=ids.REDIRECT, values={
        (ids.CUSTOMER_SEARCH, "value"): world.CVR_A, (ids.UNIT_SEARCH, "value"): None,
        LOCATION_PATHNAME: "/information", LOCATION_SEARCH: ""})
    both = [f"{ids.UNIT_SEARCH}.value", f"{ids.CUSTOMER_SEARCH}.value"]
    body["changedPropIds"] = both if order == "unit first" else both[::-1]
    response = dash_client.send(body)
    assert response.get_json()["response"][ids.REDIRECT]["href"] == f"/information?cvr={world.CVR_A}"
