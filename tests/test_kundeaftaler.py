"""Kundeaftaler: tabs for the customer in context, exports, and nothing of any other customer."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from core.formatting import da_date
from pages.ids import kundeaftaler as ids
from tests._components import find_component as find
from tests import agreements_world as aw
from tests import world
from data.workdays import danish_today

READERS = [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.TWO_CVRS, world.SA_STAFF]
NO_RIGHT_ON_A = [world.RAPPORTER_A, world.LAESER_B]


@pytest.fixture
def content(app):
    from data.db import get_session

    with app.app_context():
        return aw.build(get_session(), danish_today())


def tab(dash_client, name, cvr):
    return dash_client.fire(ids.TABS, "value", cvr=cvr, initial=True, values={ids.TABS: name})


def export(dash_client, name, cvr, filters=None, sort=None, n_clicks=1):
    """POST the XLSX export; `filters`/`sort` are the grid's filterModel/columnState as the browser sends them."""
    return dash_client.fire(ids.XLSX, "n_clicks", cvr=cvr, initial=True,
                            values={ids.XLSX: n_clicks, ids.TABS: name, (ids.GRID, "filterModel"): filters,
                                    (ids.GRID, "columnState"): sort})


def csv(dash_client, cvr, n_clicks=1):
    return dash_client.fire(ids.CSV, "n_clicks", cvr=cvr, initial=True, values={ids.CSV: n_clicks})


def text_of(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def grid_rows(response):
    content = response.get_json()["response"][ids.CONTENT]["children"]
    return find(content, ids.GRID)["props"]["rowData"]


def assert_no_b(data: bytes):
    for marker in aw.B_MARKERS:
        assert marker not in data, marker


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("email", READERS)
def test_page_shows_tabs_with_bilag_when_not_signed_electronically(login, dash_client, content, email):
    login(email)
    response = dash_client.page("/kundeaftaler", f"?cvr={world.CVR_A}")
    assert response.status_code == 200
    text = text_of(response)
    for label in ["Kundeaftale", "Databehandleraftale", "Dispensationer", "Tilkøb", "Opgaver hos 3. part", "Bilag"]:
        assert f'"label": "{label}"' in text
    assert "Ingen adgang" not in text
    assert_no_b(response.data)


def test_bilag_tab_hidden_when_signed_electronically(app, login, dash_client, content):
    from sqlalchemy import select, update

    from core.access import AccessScope, Principal
    from data import approvals
    from data.db import get_session
    from data.models import Agreement, User

    everyone = AccessScope(all_customers=True)
    with app.app_context():
        session = get_session()
        # The stored flag alone signs nothing: only the approval records do (one source of truth).
        session.execute(update(Agreement).where(Agreement.cvr == world.CVR_A).values(signed_electronically=True))
        session.commit()
    login(world.LAESER_A)
    assert '"label": "Bilag"' in text_of(dash_client.page("/kundeaftaler", f"?cvr={world.CVR_A}"))
    with app.app_context():
        session = get_session()
        admin = Principal.from_user(session.scalar(select(User).where(User.email == world.SA_ADMIN)))
        signer = Principal.from_user(session.scalar(select(User).where(User.email == world.ADMIN_AB)))
        approvals.register_signatory(everyone, world.CVR_A, admin, "kundeaftale",
                                     {"name": "Ada Tegner", "email": world.ADMIN_AB, "b_number": "B200001"})
        approvals.register_sa_signatory(admin, "kundeaftale",
                                        {"name": "SA Admin", "email": world.SA_ADMIN, "b_number": "B900010"})
        row = session.get(Agreement, content.agreements["customer_a"])
        requested = approvals.request_approval(everyone, world.CVR_A, admin, row.id, row.row_version)
        for who in (admin, signer):
            # Both signatories have the second factor enrolled: the approval asks for the app's code too.
            approvals.approve(everyone, world.CVR_A, who, row.id, requested["pdf_sha256"], world.PASSWORD,
                              code=world.totp_code(who.email))
    text = text_of(dash_client.page("/kundeaftaler", f"?cvr={world.CVR_A}"))
    assert '"label": "Tilkøb"' in text and '"label": "Bilag"' not in text
    # The Bilag tab, asked for anyway, says what the agreement's tab says: signed electronically.
    bilag = text_of(tab(dash_client, "bilag", world.CVR_A))
    assert "Kundeaftalen (version 3) er underskrevet elektronisk." in bilag
    panel = text_of(tab(dash_client, "kundeaftale", world.CVR_A))
    # Both names from the approval records (the accounts that approved).
    assert f"Underskrevet af: {signer.name}" in panel and f"Underskrevet af: {admin.name}" in panel
    assert "på papir" not in panel and "Søren Direktør" not in panel


@pytest.mark.parametrize("email", NO_RIGHT_ON_A)
def test_page_without_read_right_is_denied(login, dash_client, content, email):
    login(email)
    response = dash_client.page("/kundeaftaler", f"?cvr={world.CVR_A}")
    assert "Ingen adgang" in text_of(response)
    assert b"Karen Kunde" not in response.data


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A])
def test_page_of_other_customer_is_denied(login, dash_client, content, email):
    login(email)
    response = dash_client.page("/kundeaftaler", f"?cvr={world.CVR_B}")
    assert "Ingen adgang" in text_of(response)
    assert_no_b(response.data.replace(f"cvr={world.CVR_B}".encode(), b""))


# --- tabs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", READERS)
def test_agreement_tab_text_signatures_and_download_link(login, dash_client, content, email):
    login(email)
    response = tab(dash_client, "kundeaftale", world.CVR_A)
    assert response.status_code == 200
    text = text_of(response)
    assert "Aftalen gælder regnskab og løn." in text
    assert "Statens Administration" in text
    # Signed on paper (no approval records): the names and days SA recorded, said to be on paper.
    assert "Underskrevet på papir af: Søren Direktør, Dato: 8. feb. 2022" in text
    assert "Underskrevet på papir af: Karen Kunde, Dato: 9. feb. 2022" in text
    assert "Hent aftale" in text
    assert f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}" in text
    assert "gældende fra 1. jan. 2022" in text
    assert_no_b(response.data)


def test_the_agreement_in_force_is_shown_and_the_next_version_announced(app, login, dash_client, content):
    from data.db import get_session
    from data.models import Agreement

    start = danish_today() + dt.timedelta(days=60)
    with app.app_context():
        session = get_session()
        session.add(Agreement(cvr=world.CVR_A, kind="customer", title="Kundeaftale", version="4", valid_from=start,
                              body="Den kommende aftale.", signed_electronically=True))
        session.commit()
    login(world.LAESER_A)
    text = text_of(tab(dash_client, "kundeaftale", world.CVR_A))
    # Version 3 is in force until version 4 starts; version 4 is named, not shown.
    assert "Aftalen gælder regnskab og løn." in text and "Den kommende aftale." not in text
    assert f"En ny version (version 4) gælder fra {da_date(start)} og afventer underskrift" in text
    # The download is the agreement in force.
    pdf = dash_client.client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}")
    assert pdf.status_code == 200 and "2022-02-08" in pdf.headers["Content-Disposition"]


def test_unsigned_agreement_awaits_signature(login, dash_client, content):
    login(world.LAESER_A)
    text = text_of(tab(dash_client, "databehandleraftale", world.CVR_A))
    assert "Databehandleren behandler personoplysninger" in text
    assert text.count("Afventer underskrift") == 2


def test_dispensationer_grid_marks_expired_in_text(login, dash_client, content):
    login(world.LAESER_A)
    response = tab(dash_client, "dispensationer", world.CVR_A)
    rows = grid_rows(response)
    assert [r["title"] for r in rows] == ["Dispensation for sen løn", "Dispensation for papirbilag"]
    by_title = {r["title"]: r for r in rows}
    assert by_title["Dispensation for papirbilag"]["status"] == "⚠ Udløbet"
    assert by_title["Dispensation for sen løn"]["status"] == "Gældende"
    assert by_title["Dispensation for papirbilag"]["granted_on"] == "2021-05-01"
    text = text_of(response)
    assert "Eksportér CSV" in text and "Eksportér Excel" in text
    assert_no_b(response.data)


def test_tilkoeb_and_tredjepart_grids(login, dash_client, content):
    login(world.REDIGER_A)
    assert [r["service"] for r in grid_rows(tab(dash_client, "tilkoeb", world.CVR_A))] == ["Rejseafregning", '=HYPERLINK("http://x")']
    tasks = grid_rows(tab(dash_client, "tredjepart", world.CVR_A))
    assert [(r["area"], r["agency"]) for r in tasks] == [("Regnskab", "Økonomistyrelsen"), ("Løn", "Lønstyrelsen")]


def test_bilag_tab_lists_own_files_only(login, dash_client, content):
    login(world.LAESER_A)
    response = tab(dash_client, "bilag", world.CVR_A)
    text = text_of(response)
    assert f"/filer/{content.files['annex_a']}/" in text
    assert "Bilag 2 – uden fil" in text and "filen mangler" in text
    # Each annex under the agreement it belongs to (several agreements have a "Bilag 1").
    assert "Bilag til Kundeaftale (version 3)" in text
    # How each agreement was signed, as its own tab says it (one signature state).
    assert "Kundeaftalen (version 3) er ikke underskrevet elektronisk; den er underskrevet på papir." in text
    assert "Databehandleraftalen (version 1) er ikke underskrevet elektronisk." in text
    # The mis-linked annex is listed without B's file.
    assert f"/filer/{content.files['annex_b']}" not in text
    assert_no_b(response.data)


EMPTY_STATES = {
    "dispensationer": "Ingen dispensationer registreret.",
    "tilkoeb": "Ingen tilkøb registreret.",
    "tredjepart": "Ingen opgaver hos 3. part registreret.",
    "bilag": "Ingen bilag registreret.",
    "kundeaftale": "Ingen kundeaftale registreret.",
    "databehandleraftale": "Ingen databehandleraftale registreret.",
}


def test_empty_states(login, dash_client, content):
    login(world.SA_STAFF)
    for name, expected in EMPTY_STATES.items():
        response = tab(dash_client, name, world.CVR_C)
        assert response.status_code == 200
        assert expected in text_of(response), name


def test_unknown_tab_gets_clear_message(login, dash_client, content):
    login(world.LAESER_A)
    for bad_tab in ["nope", "", None, 7, ["kundeaftale"], {"x": 1}, "../bilag", "KUNDEAFTALE"]:
        response = tab(dash_client, bad_tab, world.CVR_A)
        assert response.status_code == 200, bad_tab
        assert "Ukendt faneblad" in text_of(response)


# --- forged payloads --------------------------------------------------------------------------


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A])
def test_forged_cvr_b_in_tab_callback_is_refused(login, dash_client, content, email):
    login(email)
    for name in ["kundeaftale", "databehandleraftale", "dispensationer", "tilkoeb", "tredjepart", "bilag"]:
        response = tab(dash_client, name, world.CVR_B)
        assert response.status_code == 403, name
        assert_no_b(response.data)


def test_rapporter_only_user_is_refused_on_own_cvr(login, dash_client, content):
    login(world.RAPPORTER_A)
    response = tab(dash_client, "kundeaftale", world.CVR_A)
    assert response.status_code == 403
    assert b"Karen Kunde" not in response.data


def test_forged_cvr_b_in_exports_is_refused(login, dash_client, content):
    login(world.LAESER_A)
    for name in ["dispensationer", "tilkoeb", "tredjepart"]:
        for response in (export(dash_client, name, world.CVR_B), csv(dash_client, world.CVR_B)):
            assert response.status_code == 403, name
            assert_no_b(response.data)


def test_admin_of_a_and_b_sees_b(login, dash_client, content):
    login(world.ADMIN_AB)
    assert aw.SECRET_B in text_of(tab(dash_client, "kundeaftale", world.CVR_B))


# --- exports ----------------------------------------------------------------------------------


def _workbook(response):
    sent = response.get_json()["response"][ids.DOWNLOAD]["data"]
    return sent, load_workbook(io.BytesIO(base64.b64decode(sent["content"]))).active


def test_xlsx_export_of_dispensationer(login, dash_client, content):
    login(world.LAESER_A)
    sent, sheet = _workbook(export(dash_client, "dispensationer", world.CVR_A))
    assert sent["filename"] == f"Dispensationer_{world.CVR_A}_{danish_today().isoformat()}.xlsx"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Dispensation", "Beskrivelse", "Givet", "Udløber", "Status")
    assert [v[0] for v in values[1:]] == ["Dispensation for sen løn", "Dispensation for papirbilag"]
    assert values[2][2] == dt.datetime(2021, 5, 1) and values[2][4] == "⚠ Udløbet"


def test_xlsx_export_honours_grid_filter_but_never_trusts_its_values(login, dash_client, content):
    login(world.LAESER_A)
    rows = grid_rows(tab(dash_client, "tilkoeb", world.CVR_A))
    assert any(r["service"] == "Rejseafregning" for r in rows)
    # The grid's column filter (its model, never its rows: a forged value has nowhere to go).
    forged = {"service": {"filterType": "text", "type": "contains", "filter": "rejse"},
              "hemmelig": {"filterType": "text", "type": "equals", "filter": aw.SECRET_B}}  # no such column
    _, sheet = _workbook(export(dash_client, "tilkoeb", world.CVR_A, filters=forged))
    values = list(sheet.iter_rows(values_only=True))
    assert values[1:] == [("Rejseafregning", "Tilkøbt ydelse", dt.datetime(2022, 7, 1))]


def test_xlsx_text_that_looks_like_a_formula_stays_text(login, dash_client, content):
    login(world.LAESER_A)
    _, sheet = _workbook(export(dash_client, "tilkoeb", world.CVR_A))
    cell = sheet["A3"]
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_export_without_grid_tab_or_click_does_nothing(login, dash_client, content):
    login(world.LAESER_A)
    for name, n_clicks in [("kundeaftale", 1), ("nope", 1), ("dispensationer", 0), ("dispensationer", None)]:
        assert export(dash_client, name, world.CVR_A, n_clicks=n_clicks).status_code == 204, (name, n_clicks)


def test_csv_button_asks_grid_to_export(login, dash_client, content):
    login(world.LAESER_A)
    response = csv(dash_client, world.CVR_A)
    assert response.status_code == 200
    assert response.get_json()["response"][ids.GRID]["exportDataAsCsv"] is True
    assert csv(dash_client, world.CVR_A, n_clicks=None).status_code == 204
