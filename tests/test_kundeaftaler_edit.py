"""Kundeaftaler's "Rediger" mode for SA: drafts and publishing, records with end dates, annexes, refusals."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select

from data.db import get_session
from data.models import Agreement, Announcement, Annex, AuditLog, StoredFile
from pages.ids import kundeaftaler as ids
from tests import agreements_world as aw
from tests import world
from data.workdays import danish_today

PDF = b"%PDF-1.4 nyt bilag\n%%EOF"


@pytest.fixture
def content(app):
    with app.app_context():
        return aw.build(get_session(), danish_today())


def text_of(response) -> str:
    assert response.status_code == 200, response.data[:300]
    return json.dumps(response.get_json(), ensure_ascii=False)


def out(response, component: str, prop: str):
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"].get(component, {}).get(prop, "unchanged")


def tab(dash_client, name, cvr=world.CVR_A):
    return dash_client.fire(ids.TABS, "value", cvr=cvr, initial=True, values={ids.TABS: name})


K = ids.AGREEMENT


def new_version(dash_client, key="kundeaftale"):
    return dash_client.fire(K.add, "n_clicks", cvr=world.CVR_A, values={K.add: 1, ids.TABS: key})


def save_draft(dash_client, form_state, key="kundeaftale", **fields):
    values = {K.save: 1, ids.TABS: key, K.form_state: form_state,
              K.field("title"): "Kundeaftale", K.field("valid_from"): "2030-01-01",
              K.field("sections"): "# Formål\nNy tekst om formålet.\n\n# Ydelser\nBogføring."}
    values.update({K.field(f): v for f, v in fields.items()})
    return dash_client.fire(K.save, "n_clicks", cvr=world.CVR_A, values=values)


def count(app, model, *where) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model).where(*where))


# --- who sees the editing controls ------------------------------------------------------------------


def test_sa_sees_rediger_mode_customers_do_not(login, dash_client, content):
    login(world.SA_STAFF)
    assert "Ny version" in text_of(tab(dash_client, "kundeaftale"))
    assert ids.END["tilkoeb"] in text_of(tab(dash_client, "tilkoeb"))
    assert K.form_modal in text_of(dash_client.page("/kundeaftaler", f"?cvr={world.CVR_A}"))
    login(world.ADMIN_AB)
    for name in ("kundeaftale", "tilkoeb", "bilag"):
        text = text_of(tab(dash_client, name))
        assert "Ny version" not in text and "portal-edit-mode" not in text, name
        for kit in (K, *ids.RECORDS.values(), ids.ANNEX):
            assert kit.add not in text and kit.edit not in text, name
    assert K.form_modal not in text_of(dash_client.page("/kundeaftaler", f"?cvr={world.CVR_A}"))


def test_the_page_shows_the_parties_once_from_stamdata_and_numbered_sections(app, login, dash_client, content):
    with app.app_context():
        session = get_session()
        row = session.get(Agreement, content.agreements["customer_b"])
        row.sections = [{"heading": "Formål", "body": "Tekst."}, {"heading": "Ydelser", "body": "Mere."}]
        session.commit()
    login(world.ADMIN_AB)
    text = text_of(tab(dash_client, "kundeaftale", world.CVR_B))
    assert text.count(f"CVR-nr.: {world.CVR_B}") == 1 and text.count('(herefter \\"Kunden\\")') == 1
    assert text.index("1. Formål") < text.index("2. Ydelser")


# --- the draft, publishing ----------------------------------------------------------------------------


def test_sa_drafts_saves_and_publishes_a_new_version_customers_see_it_only_then(app, login, dash_client, content):
    login(world.SA_STAFF)
    opened = new_version(dash_client)
    state = out(opened, K.form_state, "data")
    assert out(opened, K.form_modal, "is_open") is True and state["version"] == 1
    assert "Aftalen gælder regnskab og løn." in out(opened, K.field("sections"), "value")
    saved = save_draft(dash_client, state)
    assert out(saved, K.form_modal, "is_open") is False
    assert "er gemt" in out(saved, K.saved, "data")["text"]
    text = text_of(tab(dash_client, "kundeaftale"))
    assert "Kladde til version 4" in text and "Ny tekst om formålet." in text

    # The customer, even forging a reload, sees the version in force only.
    login(world.LAESER_A)
    assert "Ny tekst om formålet." not in text_of(dash_client.fire(
        K.saved, "data", cvr=world.CVR_A, values={ids.TABS: "kundeaftale", K.saved: {"n": 9, "text": "x"}}))
    assert "Ny tekst" not in text_of(tab(dash_client, "kundeaftale"))

    login(world.SA_STAFF)
    asked = dash_client.fire(ids.PUBLISH, "n_clicks", cvr=world.CVR_A, values={ids.PUBLISH: 1, ids.TABS: "kundeaftale"})
    confirm_state = out(asked, K.confirm_state, "data")
    assert "Vil du udgive version 4" in out(asked, K.confirm_text, "children")
    done = dash_client.fire(K.confirm_yes, "n_clicks", cvr=world.CVR_A,
                            values={K.confirm_yes: 1, K.confirm_state: confirm_state})
    assert "er udgivet" in out(done, K.changed, "data")["text"]
    assert count(app, Announcement, Announcement.cvr == world.CVR_A, Announcement.topic == "kundeaftaler") == 1
    login(world.LAESER_A)
    assert "En ny version (version 4) gælder fra 1. jan. 2030" in text_of(tab(dash_client, "kundeaftale"))


def test_draft_form_shows_danish_field_messages(login, dash_client, content):
    login(world.SA_STAFF)
    state = out(new_version(dash_client), K.form_state, "data")
    response = save_draft(dash_client, state, title="", valid_from="2030-13-01")
    assert out(response, K.form_modal, "is_open") == "unchanged"
    assert out(response, K.feedback("title"), "children") == "Titel skal udfyldes."
    assert out(response, K.feedback("valid_from"), "children") == "Gældende fra skal være en dato (dd-mm-åååå)."
    assert out(response, K.field("title"), "invalid") is True


def test_concurrent_draft_saves_the_second_is_refused_the_first_kept(app, login, dash_client, content):
    login(world.SA_STAFF)
    state = out(new_version(dash_client), K.form_state, "data")
    assert out(save_draft(dash_client, state, title="Først"), K.form_modal, "is_open") is False
    second = save_draft(dash_client, state, title="Sidst")
    assert "ændret samtidig" in out(second, K.form_alert, "children")
    with app.app_context():
        assert get_session().scalar(select(Agreement.title).where(Agreement.published_at.is_(None))) == "Først"


def test_a_second_new_version_is_refused_while_a_draft_exists(login, dash_client, content):
    login(world.SA_STAFF)
    new_version(dash_client)
    again = new_version(dash_client)
    assert "allerede en kladde" in out(again, K.saved, "data")["text"]


# --- exemptions, add-ons, 3rd-party tasks ------------------------------------------------------------


def test_sa_adds_edits_and_ends_an_add_on(app, login, dash_client, content):
    kit = ids.RECORDS["tilkoeb"]
    login(world.SA_STAFF)
    opened = dash_client.fire(kit.add, "n_clicks", cvr=world.CVR_A, values={kit.add: 1})
    assert out(opened, kit.form_modal, "is_open") is True
    values = {kit.save: 1, kit.field("service"): "Lønrefusion", kit.field("description"): "",
              kit.field("start_date"): "2026-01-01", kit.field("end_date"): ""}
    assert out(dash_client.fire(kit.save, "n_clicks", cvr=world.CVR_A, values=values), kit.form_modal, "is_open") is False
    rows = {r["service"]: r for r in aw_rows(tab(dash_client, "tilkoeb"))}
    added = rows["Lønrefusion"]
    assert added["status"] == "Aktiv"

    edit = dash_client.fire(kit.edit, "n_clicks", cvr=world.CVR_A,
                            values={kit.edit: 1, ids.GRID: [{"id": added["id"]}]})
    state = out(edit, kit.form_state, "data")
    assert out(edit, kit.field("start_date"), "value") == "2026-01-01"
    changed = dash_client.fire(kit.save, "n_clicks", cvr=world.CVR_A,
                               values={**values, kit.form_state: state, kit.field("description"): "Ændret"})
    assert out(changed, kit.form_modal, "is_open") is False
    # The same stale form again: refused, the first save kept.
    stale = dash_client.fire(kit.save, "n_clicks", cvr=world.CVR_A,
                             values={**values, kit.form_state: state, kit.field("description"): "Forældet"})
    assert "ændret samtidig" in out(stale, kit.form_alert, "children")

    asked = dash_client.fire(ids.END["tilkoeb"], "n_clicks", cvr=world.CVR_A,
                             values={ids.END["tilkoeb"]: 1, ids.GRID: [{"id": added["id"]}]})
    done = dash_client.fire(kit.confirm_yes, "n_clicks", cvr=world.CVR_A,
                            values={kit.confirm_yes: 1, kit.confirm_state: out(asked, kit.confirm_state, "data")})
    assert "er afsluttet" in out(done, kit.changed, "data")["text"]
    row = {r["service"]: r for r in aw_rows(tab(dash_client, "tilkoeb"))}["Lønrefusion"]
    assert row["end_date"] == danish_today().isoformat() and row["description"] == "Ændret"
    with app.app_context():
        actions = get_session().scalars(select(AuditLog.action).where(AuditLog.entity == "add_on")).all()
    assert sorted(actions) == ["create", "end", "update"]


def aw_rows(response):
    from tests.test_kundeaftaler import grid_rows

    return grid_rows(response)


def test_a_forged_row_of_another_customer_is_not_found(app, login, dash_client, content):
    kit = ids.RECORDS["tredjepart"]
    with app.app_context():
        from data.models import ThirdPartyTask

        b_id = get_session().scalar(select(ThirdPartyTask.id).where(ThirdPartyTask.cvr == world.CVR_B))
    login(world.SA_STAFF)
    edit = dash_client.fire(kit.edit, "n_clicks", cvr=world.CVR_A, values={kit.edit: 1, ids.GRID: [{"id": b_id}]})
    assert "findes ikke længere" in out(edit, kit.saved, "data")["text"]
    forged = dash_client.fire(kit.save, "n_clicks", cvr=world.CVR_A,
                              values={kit.save: 1, kit.form_state: {"id": b_id, "version": 1},
                                      kit.field("area"): "Løn", kit.field("agency"): "Forfalsket"})
    assert "findes ikke" in out(forged, kit.form_alert, "children")
    assert aw.SECRET_B.encode() not in forged.data


# --- annexes ----------------------------------------------------------------------------------------


def _upload(content: bytes) -> str:
    return "data:application/pdf;base64," + base64.b64encode(content).decode()


def test_sa_uploads_replaces_and_withdraws_an_annex(app, login, dash_client, content):
    login(world.SA_STAFF)
    values = {ids.ANNEX.save: 1, ids.ANNEX.field("title"): "Bilag 4 – Prisliste",
              (ids.ANNEX_UPLOAD, "filename"): "prisliste.pdf", (ids.ANNEX_UPLOAD, "contents"): _upload(PDF)}
    saved = dash_client.fire(ids.ANNEX.save, "n_clicks", cvr=world.CVR_A, values=values)
    assert out(saved, ids.ANNEX.form_modal, "is_open") is False
    with app.app_context():
        first = get_session().scalar(select(Annex).where(Annex.title == "Bilag 4 – Prisliste"))
        first_id, first_file = first.id, first.file_id
    opened = dash_client.fire(ids.ANNEX.edit, "n_clicks", cvr=world.CVR_A,
                              values={ids.ANNEX.edit: 1, ids.ANNEX_CHOICE: str(first_id)})
    state = out(opened, ids.ANNEX.form_state, "data")
    replaced = dash_client.fire(ids.ANNEX.save, "n_clicks", cvr=world.CVR_A,
                                values={**values, ids.ANNEX.form_state: state,
                                        (ids.ANNEX_UPLOAD, "contents"): _upload(PDF + b" v2")})
    assert out(replaced, ids.ANNEX.form_modal, "is_open") is False
    text = text_of(tab(dash_client, "bilag"))
    assert f"/filer/{first_file}/" not in text and "Bilag 4 – Prisliste (version 2)" in text
    assert count(app, StoredFile, StoredFile.id == first_file) == 1  # the old version is kept
    with app.app_context():
        second_id = get_session().scalar(select(Annex.id).where(Annex.previous_id == first_id))
    asked = dash_client.fire(ids.ANNEX_WITHDRAW, "n_clicks", cvr=world.CVR_A,
                             values={ids.ANNEX_WITHDRAW: 1, ids.ANNEX_CHOICE: str(second_id)})
    done = dash_client.fire(ids.ANNEX.confirm_yes, "n_clicks", cvr=world.CVR_A,
                            values={ids.ANNEX.confirm_yes: 1,
                                    ids.ANNEX.confirm_state: out(asked, ids.ANNEX.confirm_state, "data")})
    assert "trukket tilbage" in out(done, ids.ANNEX.changed, "data")["text"]
    assert "Bilag 4 – Prisliste" not in text_of(tab(dash_client, "bilag"))


@pytest.mark.parametrize("name,body", [("script.pdf", b"#!/bin/sh\necho x"), ("../../etc/passwd.pdf", b""),
                                       ("prog.exe", b"MZ\x90\x00")])
def test_hostile_annex_uploads_are_refused_nothing_stored(app, login, dash_client, content, name, body):
    login(world.SA_STAFF)
    files, annexes = count(app, StoredFile), count(app, Annex)
    response = dash_client.fire(ids.ANNEX.save, "n_clicks", cvr=world.CVR_A, values={
        ids.ANNEX.save: 1, ids.ANNEX.field("title"): "Bilag", (ids.ANNEX_UPLOAD, "filename"): name,
        (ids.ANNEX_UPLOAD, "contents"): "data:application/pdf;base64," + base64.b64encode(body).decode()})
    assert out(response, ids.ANNEX.form_alert, "children") not in (None, "unchanged")
    assert count(app, StoredFile) == files and count(app, Annex) == annexes


def test_an_oversized_upload_is_refused_before_decoding(app, login, dash_client, content):
    app.config["UPLOAD_MAX_BYTES"] = 100
    login(world.SA_STAFF)
    response = dash_client.fire(ids.ANNEX.save, "n_clicks", cvr=world.CVR_A, values={
        ids.ANNEX.save: 1, ids.ANNEX.field("title"): "Bilag", (ids.ANNEX_UPLOAD, "filename"): "stor.pdf",
        (ids.ANNEX_UPLOAD, "contents"): _upload(PDF + b"x" * 500)})
    assert "for stor" in out(response, ids.ANNEX.form_alert, "children")


# --- customers are refused every editing callback, whatever they send ----------------------------------


@pytest.mark.parametrize("email", [world.ADMIN_AB, world.REDIGER_A])
def test_customer_forging_a_publish_or_save_is_refused_and_nothing_changes(app, login, dash_client, content, email):
    login(world.SA_STAFF)
    state = out(new_version(dash_client), K.form_state, "data")
    login(email)
    before = count(app, AuditLog)
    for response in (
        save_draft(dash_client, state),
        dash_client.fire(K.confirm_yes, "n_clicks", cvr=world.CVR_A,
                         values={K.confirm_yes: 1, K.confirm_state: {"action": "publish", **state}}),
        new_version(dash_client, "databehandleraftale"),
    ):
        assert response.status_code == 403
    assert count(app, AuditLog) == before
    assert count(app, Agreement, Agreement.published_at.is_(None)) == 1
