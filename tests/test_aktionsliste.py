"""Aktionsliste: two-line items, filters, folding, exports — and nothing of any other customer."""

from __future__ import annotations

import base64
import csv
import io
import datetime as dt

import openpyxl
import pytest

from core.formatting import da_date
from pages.ids import aktionsliste as ids
from pages.ids import shell as shell_ids
from tests._components import response_text
from tests import content_world, world
from data.workdays import danish_today

READERS = [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.SA_STAFF]


@pytest.fixture
def content(app):
    from data.db import get_session

    with app.app_context():
        return content_world.build(get_session())


def render(dash_client, cvr, area="Alle", closed=None, clicks=0, unit="*"):
    return dash_client.fire(
        ids.AREA, "value", output=ids.GRID, cvr=cvr, initial=True,
        values={ids.AREA: area, ids.SHOW_CLOSED: closed if closed is not None else [], ids.UNIT: unit,
                ids.EXPAND_ALL: clicks},
    )


def export(dash_client, kind, cvr, area="Alle", closed=None, sort=None, unit="*"):
    """POST an export; `sort` is the grid's columnState as the browser sends it."""
    button = {"csv": ids.EXPORT_CSV, "xlsx": ids.EXPORT_XLSX}[kind]
    return dash_client.fire(
        button, "n_clicks", cvr=cvr,
        values={button: 1, ids.AREA: area, ids.SHOW_CLOSED: closed if closed is not None else [], ids.UNIT: unit,
                (ids.GRID, "columnState"): sort},
    )


def find(node, component_id):
    """Return the component with `component_id` anywhere in a serialised component tree."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        return find(node.get("props", {}).get("children"), component_id)
    if isinstance(node, list):
        return next((hit for hit in (find(child, component_id) for child in node) if hit is not None), None)
    return None


def unit_filter(page):
    """Return the unit filter of a rendered Aktionsliste page (a serialised dbc.Select)."""
    return find(page.get_json()["response"][shell_ids.PAGE_CONTENT]["children"], ids.UNIT)["props"]


def grid_rows(response):
    return response.get_json()["response"][ids.GRID]["rowData"]


def text(response) -> str:
    return response_text(response)


def download(response) -> bytes:
    payload = response.get_json()["response"]
    data = next(iter(payload.values()))["data"]
    body = base64.b64decode(data["content"]) if data["base64"] else data["content"].encode("utf-8")
    return body, data["filename"]


@pytest.mark.parametrize("email", READERS)
def test_open_items_in_two_lines_on_arrival(login, dash_client, content, email):
    login(email)
    response = render(dash_client, world.CVR_A)
    assert response.status_code == 200, response.data[:300]
    rows = grid_rows(response)
    mains = [r for r in rows if r["kind"] == "main"]
    details = [r for r in rows if r["kind"] == "detail"]
    assert {r["subject"] for r in mains} == {"Afstemning af bankkonti", "Ny lønart til tillæg"}
    assert len(details) == len(mains) and not any(r["expanded"] for r in rows)
    # Each main row is followed by its own second line.
    for main, detail in zip(rows[::2], rows[1::2]):
        assert main["kind"] == "main" and detail["kind"] == "detail" and main["id"] == detail["id"]
    bank = next(r for r in mains if r["subject"] == "Afstemning af bankkonti")
    assert bank["area"] == "Regnskab" and bank["unit"] == "10001 SA Drift" and bank["owner"] == "Kunden"
    assert bank["process_area"] == "Finans" and bank["status"] == "I gang"
    assert bank["overdue"] is True and bank["deadline_label"] == da_date(dt.date.fromisoformat(bank["deadline"]))
    loen = next(r for r in mains if r["area"] == "Løn")
    assert loen["unit"] == "LG100 SA Løn" and loen["overdue"] is False
    bank_detail = next(r for r in details if r["id"] == bank["id"])
    assert bank_detail["description"].startswith("Bankkonto 5800")
    assert bank_detail["status_detail"] == "Afventer kontoudtog fra banken."
    assert "1 med overskredet deadline" in text(response)
    assert content_world.SECRET_B not in text(response)


def test_area_filter_closed_and_expand_all(login, dash_client, content):
    login(world.LAESER_A)
    loen = [r for r in grid_rows(render(dash_client, world.CVR_A, "Løn")) if r["kind"] == "main"]
    assert [r["area"] for r in loen] == ["Løn"]
    regnskab = [r["subject"] for r in grid_rows(render(dash_client, world.CVR_A, "Regnskab", ["vis"])) if r["kind"] == "main"]
    assert set(regnskab) == {"Afstemning af bankkonti", "Lukket emne om kreditorer"}
    closed = next(r for r in grid_rows(render(dash_client, world.CVR_A, "Regnskab", ["vis"]))
                  if r.get("subject") == "Lukket emne om kreditorer")
    # A closed item is never marked overdue, even though its deadline passed.
    assert closed["overdue"] is False and closed["closed"] is True
    response = render(dash_client, world.CVR_A, clicks=1)
    assert all(r["expanded"] for r in grid_rows(response))
    assert response.get_json()["response"][ids.EXPAND_ALL]["children"] == "Fold alle sammen"
    response = render(dash_client, world.CVR_A, clicks=2)
    assert not any(r["expanded"] for r in grid_rows(response))


@pytest.mark.parametrize("area,closed", [("Rejser", []), ("x" * 5000, []), (["Løn"], []), ({"a": 1}, []),
                                          ("Alle", "ja"), ("Alle", 7)])
def test_bad_filters_are_clear_messages(login, dash_client, content, area, closed):
    login(world.LAESER_A)
    response = render(dash_client, world.CVR_A, area, closed)
    assert response.status_code == 200
    body = text(response)
    assert "Ukendt område" in body or "Ugyldig værdi" in body


@pytest.mark.parametrize("clicks", ["x", None, -3, 10**30, {"a": 1}])
def test_odd_click_counts_do_not_break(login, dash_client, content, clicks):
    login(world.LAESER_A)
    assert render(dash_client, world.CVR_A, clicks=clicks).status_code == 200


def test_empty_states(login, dash_client, content):
    login(world.SA_STAFF)
    assert "Ingen aktionspunkter registreret" in text(render(dash_client, world.CVR_C))
    # B has a Regnskab item only: a Løn filter finds nothing there.
    login(world.ADMIN_AB)
    assert "Ingen aktionspunkter matcher de valgte filtre" in text(render(dash_client, world.CVR_B, "Løn"))


@pytest.mark.parametrize("area,closed,expected", [
    ("Alle", [], {"Afstemning af bankkonti", "Ny lønart til tillæg"}),
    ("Løn", [], {"Ny lønart til tillæg"}),
    ("Regnskab", ["vis"], {"Afstemning af bankkonti", "Lukket emne om kreditorer"}),
])
def test_csv_export_has_both_lines_and_honours_filters(login, dash_client, content, area, closed, expected):
    login(world.LAESER_A)
    response = export(dash_client, "csv", world.CVR_A, area, closed)
    assert response.status_code == 200, response.data[:300]
    body, filename = download(response)
    assert filename.startswith(f"Aktionsliste_{world.CVR_A}_") and filename.endswith(".csv")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert {r["Emne"] for r in rows} == expected
    assert {"Id", "Område", "Bogføringskreds/løngruppe", "Deadline (ÅÅÅÅ-MM-DD)", "Ansvarlig", "Procesområde", "Status",
            "Beskrivelse", "Detaljeret status"} <= set(rows[0])
    if area == "Alle":
        bank = next(r for r in rows if r["Emne"] == "Afstemning af bankkonti")
        assert bank["Detaljeret status"] == "Afventer kontoudtog fra banken."
        assert bank["Beskrivelse"].startswith("Bankkonto 5800") and bank["Deadline overskredet"] == "Ja"
        assert bank["Deadline (ÅÅÅÅ-MM-DD)"] == (danish_today() - dt.timedelta(days=10)).isoformat()
    assert content_world.SECRET_B.encode() not in body


def test_xlsx_export_has_both_lines_and_honours_filters(login, dash_client, content):
    login(world.REDIGER_A)
    response = export(dash_client, "xlsx", world.CVR_A, "Regnskab", ["vis"])
    assert response.status_code == 200, response.data[:300]
    body, filename = download(response)
    assert filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header, rows = values[0], values[1:]
    assert "Beskrivelse" in header and "Detaljeret status" in header and "Emne" in header
    subjects = {r[header.index("Emne")] for r in rows}
    assert subjects == {"Afstemning af bankkonti", "Lukket emne om kreditorer"}
    assert "Dobbeltbetaling undersøgt." in {r[header.index("Beskrivelse")] for r in rows}


def test_export_follows_the_grids_order_but_only_reads_own_rows(login, dash_client, content):
    login(world.LAESER_A)
    shown = grid_rows(render(dash_client, world.CVR_A))
    mains = [r for r in shown if r["kind"] == "main"]
    # The browser sorted the grid descending by Id; a forged column state names columns that do not exist.
    by_id_desc = [{"colId": "nope", "sort": "asc", "sortIndex": 0}, {"colId": "id", "sort": "desc", "sortIndex": 1},
                  {"colId": content_world.SECRET_B, "sort": "desc"}, "junk"]
    body, _ = download(export(dash_client, "csv", world.CVR_A, sort=by_id_desc))
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert [int(r["Id"]) for r in rows] == sorted((r["id"] for r in mains), reverse=True)
    assert "forfalsket" not in body.decode("utf-8-sig") and content_world.SECRET_B.encode() not in body
    # Sorted by Emne, as the grid shows it.
    body, _ = download(export(dash_client, "csv", world.CVR_A, sort=[{"colId": "subject", "sort": "asc"}]))
    assert [r["Emne"] for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")] \
        == sorted(r["subject"] for r in mains)
    # Without the grid's sort (not drawn yet, or malformed) the export keeps the list's own order.
    body, _ = download(export(dash_client, "csv", world.CVR_A, sort={"x": 1}))
    assert [int(r["Id"]) for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")] \
        == [r["id"] for r in mains]


def test_csv_cells_cannot_become_formulas():
    from data.actions import EXPORT_COLUMNS
    from pages._export import csv_text

    row = {"id": 1, "subject": "=HYPERLINK(\"x\")", "owner": "+45", "deadline": dt.date(2024, 2, 8), "overdue": False}
    body = csv_text([row], EXPORT_COLUMNS)
    assert "'=HYPERLINK" in body and "'+45" in body and "2024-02-08" in body and "Nej" in body


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A, world.LAESER_B])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_forged_exports_are_refused(login, dash_client, content, email, kind):
    login(email)
    target = world.CVR_A if email in (world.RAPPORTER_A, world.LAESER_B) else world.CVR_B
    response = export(dash_client, kind, target)
    assert response.status_code == 403
    assert content_world.SECRET_B.encode() not in response.data and b"Afstemning" not in response.data


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A])
def test_forged_render_for_b_is_refused(login, dash_client, content, email):
    login(email)
    response = render(dash_client, world.CVR_B)
    assert response.status_code == 403
    assert content_world.SECRET_B.encode() not in response.data


@pytest.mark.parametrize("cvr", [None, "", "abc", "12345678", "9" * 5000, {"cvr": world.CVR_A}])
def test_malformed_cvr_is_refused(login, dash_client, content, cvr):
    login(world.LAESER_A)
    response = render(dash_client, cvr)
    assert response.status_code == 403


def test_rapporter_only_gets_no_page(login, dash_client, content):
    login(world.RAPPORTER_A)
    page = dash_client.page("/aktionsliste", f"?cvr={world.CVR_A}")
    assert "Ingen adgang".encode() in page.data and ids.CONTENT.encode() not in page.data


@pytest.mark.parametrize("search", [f"?cvr={world.CVR_B}", f"?cvr={world.CVR_B}&omraade=L%C3%B8n"])
def test_page_url_of_other_customer(login, dash_client, content, search):
    login(world.LAESER_A)
    page = dash_client.page("/aktionsliste", search)
    assert "Ingen adgang".encode() in page.data
    assert content_world.SECRET_B.encode() not in page.data


@pytest.mark.parametrize("email", READERS)
def test_page_renders(login, dash_client, content, email):
    login(email)
    page = dash_client.page("/aktionsliste", f"?cvr={world.CVR_A}&omraade=" + "y" * 3000)
    assert page.status_code == 200
    assert ids.CONTENT.encode() in page.data and "Vis afsluttede".encode() in page.data


def test_data_layer_filters(app, content):
    from core.access import AccessScope
    from data import actions

    with app.app_context():
        scope = AccessScope.single(world.CVR_A)
        assert {r["subject"] for r in actions.action_items(scope, world.CVR_A, "Løn")} == {"Ny lønart til tillæg"}
        assert len(actions.action_items(scope, world.CVR_A, None, True)) == 3
        # A scope without B finds nothing of B even when asked for B.
        assert actions.action_items(scope, world.CVR_B, None, True) == []
        later = danish_today() + dt.timedelta(days=365)
        assert all(r["overdue"] for r in actions.action_items(scope, world.CVR_A, on=later))
    with pytest.raises(actions.FilterError):
        actions.parse_area("Rejser")
    assert actions.parse_area("Alle") is None and actions.parse_show_closed(["vis"]) is True


# --- the unit chosen in the search box (?enhed=) ---------------------------------------------------


@pytest.mark.parametrize("email", [world.LAESER_A, world.ADMIN_AB, world.SA_STAFF])
def test_unit_from_the_search_presets_a_removable_unit_filter(login, dash_client, content, email):
    login(email)
    select = unit_filter(dash_client.page("/aktionsliste", f"?cvr={world.CVR_A}&enhed=10001"))
    assert select["value"] == "10001"
    # Alle first (the filter can be removed), then the customer's own units only.
    assert [o["value"] for o in select["options"]] == ["*", "10001", "10002", "LG100"]
    assert select["options"][0]["label"] == "Alle"
    assert select["options"][1]["label"] == "Bogføringskreds 10001 – SA Drift"
    assert select["options"][3]["label"] == "Løngruppe LG100 – SA Løn"
    assert unit_filter(dash_client.page("/aktionsliste", f"?cvr={world.CVR_A}&enhed=LG100"))["value"] == "LG100"
    assert unit_filter(dash_client.page("/aktionsliste", f"?cvr={world.CVR_A}"))["value"] == "*"


@pytest.mark.parametrize("email", [world.LAESER_A, world.ADMIN_AB, world.SA_STAFF])
@pytest.mark.parametrize("enhed", ["20001", "LG200", "99999", "%00", "x" * 300, "10001%27%20OR%201=1--"])
def test_unit_of_another_customer_in_the_url_is_ignored_quietly(login, dash_client, content, email, enhed):
    login(email)
    page = dash_client.page("/aktionsliste", f"?cvr={world.CVR_A}&enhed={enhed}")
    assert page.status_code == 200
    assert ids.CONTENT.encode() in page.data and "Ingen adgang".encode() not in page.data
    select = unit_filter(page)
    assert select["value"] == "*" and "20001" not in {o["value"] for o in select["options"]}
    assert "Bøger".encode() not in page.data and content_world.SECRET_B.encode() not in page.data


def test_unit_filter_narrows_the_list_and_says_so(login, dash_client, content):
    login(world.LAESER_A)
    response = render(dash_client, world.CVR_A, unit="10001")
    assert [r["subject"] for r in grid_rows(response) if r["kind"] == "main"] == ["Afstemning af bankkonti"]
    assert "1 aktionspunkt for bogføringskreds 10001 SA Drift" in text(response)
    loen = render(dash_client, world.CVR_A, unit="LG100")
    assert [r["subject"] for r in grid_rows(loen) if r["kind"] == "main"] == ["Ny lønart til tillæg"]
    assert "for løngruppe LG100 SA Løn" in text(loen)
    # The closed item sits on 10002: shown only with "Vis afsluttede".
    assert "Ingen aktionspunkter matcher de valgte filtre" in text(render(dash_client, world.CVR_A, unit="10002"))
    closed = render(dash_client, world.CVR_A, closed=["vis"], unit="10002")
    assert [r["subject"] for r in grid_rows(closed) if r["kind"] == "main"] == ["Lukket emne om kreditorer"]
    # Alle lists every unit again; the filters add up.
    assert len([r for r in grid_rows(render(dash_client, world.CVR_A, unit="*")) if r["kind"] == "main"]) == 2
    assert "Ingen aktionspunkter matcher" in text(render(dash_client, world.CVR_A, "Løn", unit="10001"))


@pytest.mark.parametrize("email", [world.LAESER_A, world.ADMIN_AB])
def test_unit_filter_with_another_customers_unit_finds_nothing_of_it(login, dash_client, content, email):
    login(email)
    response = render(dash_client, world.CVR_A, closed=["vis"], unit="20001")
    assert response.status_code == 200
    assert "Ingen aktionspunkter matcher de valgte filtre" in text(response)
    assert content_world.SECRET_B not in text(response)
    body, _ = download(export(dash_client, "csv", world.CVR_A, closed=["vis"], unit="20001"))
    assert list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")) == []
    assert content_world.SECRET_B.encode() not in body


@pytest.mark.parametrize("unit", ["x" * 5000, ["10001"], {"a": 1}, 10001, "10001'--", "../etc", True])
def test_malformed_unit_filter_is_a_clear_message(login, dash_client, content, unit):
    login(world.LAESER_A)
    response = render(dash_client, world.CVR_A, unit=unit)
    assert response.status_code == 200
    assert "Ukendt bogføringskreds / løngruppe" in text(response)
    assert export(dash_client, "csv", world.CVR_A, unit=unit).status_code == 204


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_honours_the_unit_filter(login, dash_client, content, kind):
    login(world.LAESER_A)
    body, _ = download(export(dash_client, kind, world.CVR_A, closed=["vis"], unit="10002"))
    if kind == "csv":
        subjects = {r["Emne"] for r in csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";")}
    else:
        values = [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows()]
        subjects = {r[values[0].index("Emne")] for r in values[1:]}
    assert subjects == {"Lukket emne om kreditorer"}


def test_data_layer_unit_filter_is_scoped(app, content):
    from core.access import AccessScope
    from data import actions, units

    with app.app_context():
        scope = AccessScope.single(world.CVR_A)
        assert [r["subject"] for r in actions.action_items(scope, world.CVR_A, None, True, unit="LG100")] \
            == ["Ny lønart til tillæg"]
        assert actions.action_items(scope, world.CVR_A, None, True, unit="20001") == []
        assert [u["code"] for u in units.unit_options(scope, world.CVR_A)] == ["10001", "10002", "LG100"]
        # Asked for B inside A's scope: nothing, neither items nor units.
        assert units.unit_options(scope, world.CVR_B) == []
        assert actions.action_items(scope, world.CVR_B, None, True, unit="20001") == []
    assert actions.parse_unit("*") is None and actions.parse_unit("") is None and actions.parse_unit(None) is None
    with pytest.raises(actions.FilterError):
        actions.parse_unit("10001\x00")
