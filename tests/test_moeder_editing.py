"""Møder, SA's side: create and edit meetings, upload documents, publish (announced), withdraw; drafts stay SA's.

Data-layer tests call data.meetings directly; callback tests go through Dash's endpoint with the page's ids.
The refusal of every customer account on every editing callback is tests/test_access_locks.py's.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from core.access import AccessDenied, AccessScope, Principal
from data import meetings
from data.db import get_session
from data.errors import Refused
from data.models import Announcement, AuditLog, Meeting, MeetingDocument, StoredFile, User
from data.scoping import unscoped
from data.uploads import UploadRefused
from pages.ids import moeder as Ids
from pages.ids.moeder import KIT
from tests import world

SCOPE_A = AccessScope.single(world.CVR_A)
PDF = b"%PDF-1.4 referat fra moedet"
MAX = 1024 * 1024
FIELDS = {"held_date": "2026-03-12", "held_time": "09:30", "kind": "Driftsmøde", "title": "Driftsmøde Q1 2026"}


def _principal(email: str) -> Principal:
    with unscoped(get_session(), "test: the acting user") as session:
        return Principal.from_user(session.scalar(select(User).where(User.email == email)))


def _count(app, model) -> int:
    with app.app_context(), unscoped(get_session(), "test: counting rows") as session:
        return session.scalar(select(func.count()).select_from(model))


def _new_meeting(app, **fields: str) -> dict[str, Any]:
    with app.app_context():
        return meetings.create_meeting(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF), FIELDS | fields)


def _upload(app, meeting: dict[str, Any], kind: str, files, version: int | None = None) -> dict[str, Any]:
    with app.app_context():
        return meetings.add_documents(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF), meeting["id"],
                                      version or meeting["version"], kind, files, MAX)


def _publish(app, meeting: dict[str, Any]) -> dict[str, Any]:
    with app.app_context():
        return meetings.publish(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF), meeting["id"], meeting["version"])


def _customer_view(app) -> list[dict[str, Any]]:
    with app.app_context():
        found = meetings.meetings(SCOPE_A, world.CVR_A)
        return found["upcoming"] + found["past"]


# --- data layer ---------------------------------------------------------------------------------


def test_a_new_meeting_is_a_draft_only_sa_sees(app):
    created = _new_meeting(app)
    assert created["published_at"] is None and created["version"] == 1
    # Typed in Danish time (09:30 CET), stored in UTC.
    assert created["held_at"] == dt.datetime(2026, 3, 12, 8, 30, tzinfo=dt.timezone.utc)
    assert _customer_view(app) == []
    with app.app_context():
        assert meetings.meeting_years(SCOPE_A, world.CVR_A) == []
        assert meetings.meeting_years(SCOPE_A, world.CVR_A, drafts=True) == [2026]
        assert [m["title"] for m in meetings.all_meetings(SCOPE_A, world.CVR_A)] == ["Driftsmøde Q1 2026"]
        row = get_session().scalar(select(AuditLog).where(AuditLog.entity == meetings.ENTITY))
        assert row.action == "create" and row.cvr == world.CVR_A and row.after["title"] == "Driftsmøde Q1 2026"
        assert "Sa Medarbejder" in row.user_label or world.SA_STAFF in row.user_label


def test_publish_then_a_later_referat_published_on_its_own_each_announced(app):
    meeting = _new_meeting(app)
    meeting = _upload(app, meeting, "dagsorden", [("dagsorden.pdf", PDF), ("bilag.pdf", PDF)])
    assert [d["status"] for d in meeting["documents"]] == ["draft", "draft"]
    meeting = _publish(app, meeting)
    [shown] = _customer_view(app)
    assert [d["filename"] for d in shown["documents"]] == ["dagsorden.pdf", "bilag.pdf"]

    # The referat after the meeting: unseen by customers until it is published on its own.
    meeting = _upload(app, meeting, "referat", [("referat.pdf", PDF)])
    [shown] = _customer_view(app)
    assert "referat" not in [d["kind"] for d in shown["documents"]]
    meeting = _publish(app, meeting)
    [shown] = _customer_view(app)
    assert [d["kind"] for d in shown["documents"]] == ["dagsorden", "dagsorden", "referat"]

    with app.app_context():
        rows = list(get_session().scalars(select(Announcement).order_by(Announcement.id)))
        assert [r.title for r in rows] == ["Dagsorden fra mødet 12. mar. 2026 er offentliggjort",
                                           "Referat fra mødet 12. mar. 2026 er offentliggjort"]
        assert {(r.cvr, r.topic, r.path, r.entity_id) for r in rows} == {
            (world.CVR_A, "moeder", f"/moeder?cvr={world.CVR_A}&aar=2026", str(meeting["id"]))}
        actions = list(get_session().scalars(select(AuditLog.action).where(AuditLog.entity == meetings.ENTITY)
                                             .order_by(AuditLog.id)))
        assert actions == ["create", "add_documents", "publish", "add_documents", "publish"]
        # Nothing new: refused, nothing announced.
        with pytest.raises(Refused, match="intet nyt"):
            meetings.publish(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF), meeting["id"], meeting["version"])
    assert _count(app, Announcement) == 2


@pytest.mark.parametrize("name, content, message", [
    ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "passer ikke til navnet"),
    ("tom.pdf", b"", "tom"),
    ("../../etc/passwd", b"root:x:0:0", "Filtypen er ikke tilladt"),
    ("side.pdf", b"<html><script>alert(1)</script></html>", "passer ikke til navnet"),
    ("stor.pdf", b"%PDF-1.4 " + b"x" * (MAX + 1), "for stor"),
])
def test_hostile_upload_refused_and_nothing_stored(app, name, content, message):
    meeting = _new_meeting(app)
    files_before = _count(app, StoredFile)
    with pytest.raises(UploadRefused, match=message):
        # One good file beside the bad one: nothing of either is stored.
        _upload(app, meeting, "materiale", [("god.pdf", PDF), (name, content)])
    assert _count(app, StoredFile) == files_before and _count(app, MeetingDocument) == 0
    with app.app_context():
        assert meetings.get_meeting(SCOPE_A, world.CVR_A, meeting["id"])["version"] == 1


def test_concurrent_edits_second_refused_first_kept(app):
    meeting = _new_meeting(app)
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        admin = _principal(world.SA_ADMIN)
        meetings.update_meeting(SCOPE_A, world.CVR_A, sa, meeting["id"], 1, FIELDS | {"title": "Første"})
        with pytest.raises(meetings.MeetingConflict, match="Mødet er ændret samtidig af .* — genindlæs og prøv igen"):
            meetings.update_meeting(SCOPE_A, world.CVR_A, admin, meeting["id"], 1, FIELDS | {"title": "Anden"})
        with pytest.raises(meetings.MeetingConflict):
            meetings.add_documents(SCOPE_A, world.CVR_A, admin, meeting["id"], 1, "referat", [("r.pdf", PDF)], MAX)
        with pytest.raises(meetings.MeetingConflict):
            meetings.publish(SCOPE_A, world.CVR_A, admin, meeting["id"], 1)
        kept = meetings.get_meeting(SCOPE_A, world.CVR_A, meeting["id"])
    assert kept["title"] == "Første" and kept["version"] == 2 and kept["published_at"] is None
    assert kept["documents"] == []


def test_validation_messages_are_danish_and_next_to_the_field(app):
    with app.app_context():
        with pytest.raises(meetings.MeetingValidationError) as exc:
            meetings.create_meeting(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF),
                                    {"held_date": "2026-02-30", "held_time": "25:99", "kind": "", "title": "x\x00"})
    assert exc.value.errors == {
        "held_date": "Dato skal være en gyldig dato (fx 12-03-2026).",
        "held_time": "Tidspunkt skal være et klokkeslæt (tt:mm, fx 09:30).",
        "kind": "Mødetype skal udfyldes.",
        "title": "Titel indeholder ugyldige tegn.",
    }
    assert _count(app, Meeting) == 0


@pytest.mark.parametrize("email", [world.ADMIN_AB, world.REDIGER_A])
def test_customer_accounts_cannot_write_through_the_data_layer_either(app, email):
    meeting = _new_meeting(app)
    with app.app_context():
        user = _principal(email)
        with pytest.raises(AccessDenied):
            meetings.create_meeting(SCOPE_A, world.CVR_A, user, FIELDS)
        with pytest.raises(AccessDenied):
            meetings.publish(SCOPE_A, world.CVR_A, user, meeting["id"], meeting["version"])
    assert _count(app, Meeting) == 1 and _count(app, Announcement) == 0


def test_another_customers_meeting_is_not_found(app):
    meeting = _new_meeting(app)
    scope_b = AccessScope.single(world.CVR_B)
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        assert meetings.get_meeting(scope_b, world.CVR_B, meeting["id"]) is None
        with pytest.raises(meetings.MeetingNotFound):
            meetings.publish(scope_b, world.CVR_B, sa, meeting["id"], 1)


# --- downloads: drafts and withdrawn documents are SA's ----------------------------------------


def _file_id(meeting: dict[str, Any], filename: str) -> int:
    return next(d["file_id"] for d in meeting["documents"] if d["filename"] == filename)


def test_forged_file_id_of_a_draft_or_withdrawn_document_is_missing_for_customers(app, client, login):
    meeting = _upload(app, _new_meeting(app), "dagsorden", [("dagsorden.pdf", PDF)])
    draft_file = _file_id(meeting, "dagsorden.pdf")
    # A draft meeting's draft document: SA downloads it, the customer gets the 'missing' answer.
    login(world.SA_STAFF)
    assert client.get(f"/filer/{draft_file}").data == PDF
    login(world.LAESER_A)
    missing = client.get("/filer/987654")
    assert client.get(f"/filer/{draft_file}").data == missing.data and missing.status_code == 404

    meeting = _publish(app, meeting)
    assert client.get(f"/filer/{draft_file}").data == PDF
    # A new document of the published meeting stays SA's until published.
    meeting = _upload(app, meeting, "referat", [("referat.pdf", PDF)])
    referat = _file_id(meeting, "referat.pdf")
    assert client.get(f"/filer/{referat}").status_code == 404

    # Withdrawn: gone for the customer, kept (and downloadable) for SA.
    doc_id = next(d["id"] for d in meeting["documents"] if d["file_id"] == draft_file)
    with app.app_context():
        meetings.withdraw_document(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF), doc_id, meeting["version"])
    assert client.get(f"/filer/{draft_file}").status_code == 404
    assert _customer_view(app)[0]["documents"] == []
    login(world.SA_STAFF)
    assert client.get(f"/filer/{draft_file}").data == PDF
    with app.app_context():
        doc = meetings.get_document(SCOPE_A, world.CVR_A, doc_id)
    assert doc["status"] == "withdrawn" and doc["published_at"] is not None


# --- callbacks ----------------------------------------------------------------------------------


def _response(response) -> dict[str, Any]:
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"]


def _text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def _form_values(fields: dict[str, str]) -> dict:
    return {(KIT.field(name), "value"): value for name, value in fields.items()}


def test_sa_creates_a_meeting_through_the_form(app, login, dash_client):
    login(world.SA_STAFF)
    opened = _response(dash_client.fire(KIT.add, "n_clicks", cvr=world.CVR_A, values={(KIT.add, "n_clicks"): 1}))
    assert opened[KIT.form_modal]["is_open"] is True and opened[KIT.form_title]["children"] == "Nyt møde"

    bad = _response(dash_client.fire(KIT.save, "n_clicks", cvr=world.CVR_A,
                                     values={(KIT.save, "n_clicks"): 1, **_form_values(FIELDS | {"title": ""})}))
    assert bad[KIT.feedback("title")]["children"] == "Titel skal udfyldes."
    assert bad[KIT.form_alert]["children"] == "Mødet er ikke gemt. Ret de markerede felter."
    assert _count(app, Meeting) == 0

    saved = _response(dash_client.fire(KIT.save, "n_clicks", cvr=world.CVR_A,
                                       values={(KIT.save, "n_clicks"): 1, **_form_values(FIELDS)}))
    assert saved[KIT.form_modal]["is_open"] is False
    assert "oprettet som kladde" in saved[KIT.saved]["data"]["text"]
    grid = _response(dash_client.fire(KIT.saved, "data", cvr=world.CVR_A, output=KIT.grid,
                                      values={(KIT.saved, "data"): saved[KIT.saved]["data"]}))
    [row] = grid[KIT.grid]["rowData"]
    assert row["title"] == "Driftsmøde Q1 2026" and row["status"] == "Kladde – ikke offentliggjort"
    # The customer's list (the same page, for SA too) does not show the draft.
    listed = dash_client.fire(Ids.YEAR, "value", cvr=world.CVR_A, initial=True, values={Ids.YEAR: ""})
    assert "Ingen møder registreret" in _text(listed)


def test_stale_form_is_refused_with_the_form_still_open(app, login, dash_client):
    meeting = _new_meeting(app)
    login(world.SA_STAFF)
    opened = _response(dash_client.fire(KIT.edit, "n_clicks", cvr=world.CVR_A,
                                        values={(KIT.edit, "n_clicks"): 1,
                                                (KIT.grid, "selectedRows"): [{"id": meeting["id"]}]}))
    state = opened[KIT.form_state]["data"]
    assert state == {"id": meeting["id"], "version": 1} and opened[KIT.field("held_time")]["value"] == "09:30"
    with app.app_context():
        meetings.update_meeting(SCOPE_A, world.CVR_A, _principal(world.SA_ADMIN), meeting["id"], 1,
                                FIELDS | {"title": "Ændret af en anden"})
    refused = _response(dash_client.fire(KIT.save, "n_clicks", cvr=world.CVR_A,
                                         values={(KIT.save, "n_clicks"): 1, (KIT.form_state, "data"): state,
                                                 **_form_values(FIELDS | {"title": "Min ændring"})}))
    assert "ændret samtidig af" in refused[KIT.form_alert]["children"]
    assert KIT.form_modal not in refused or refused[KIT.form_modal].get("is_open") is not False
    with app.app_context():
        assert meetings.get_meeting(SCOPE_A, world.CVR_A, meeting["id"])["title"] == "Ændret af en anden"


def _data_url(content: bytes, mime: str = "application/pdf") -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def _fire_upload(dash_client, meeting_state, files, kind="referat"):
    return dash_client.fire(Ids.UPLOAD, "contents", cvr=world.CVR_A, values={
        (Ids.UPLOAD, "contents"): [_data_url(c) for _, c in files],
        (Ids.UPLOAD, "filename"): [n for n, _ in files],
        Ids.UPLOAD_KIND: kind,
        Ids.MEETING_STATE: meeting_state,
    })


def test_sa_uploads_publishes_and_withdraws_through_the_page(app, login, dash_client):
    meeting = _new_meeting(app)
    login(world.SA_STAFF)
    shown = _response(dash_client.fire(KIT.grid, "selectedRows", cvr=world.CVR_A,
                                       values={(KIT.grid, "selectedRows"): [{"id": meeting["id"]}]}))
    state = shown[Ids.MEETING_STATE]["data"]
    assert state == {"id": meeting["id"], "version": 1} and shown[Ids.UPLOAD]["disabled"] is False

    refused = _response(_fire_upload(dash_client, state, [("referat.pdf", PDF), ("virus.pdf", b"MZ\x90\x00")]))
    assert refused[Ids.UPLOAD_ALERT]["is_open"] is True
    assert refused[Ids.UPLOAD_ALERT]["children"].startswith("»virus.pdf«: Filens indhold passer ikke til navnet")
    assert _count(app, MeetingDocument) == 0

    uploaded = _response(_fire_upload(dash_client, state, [("referat.pdf", PDF)]))
    assert "1 fil (referat) er tilføjet" in uploaded[Ids.UPLOADED]["data"]["text"]
    # The same (now stale) version again is refused: another save came in between.
    stale = _response(_fire_upload(dash_client, state, [("referat2.pdf", PDF)]))
    assert "ændret samtidig af" in stale[Ids.UPLOAD_ALERT]["children"] and _count(app, MeetingDocument) == 1

    asked = _response(dash_client.fire(Ids.PUBLISH, "n_clicks", cvr=world.CVR_A, values={
        (Ids.PUBLISH, "n_clicks"): 1, (KIT.grid, "selectedRows"): [{"id": meeting["id"]}]}))
    assert asked[KIT.confirm_modal]["is_open"] is True and "referat »referat«" in asked[KIT.confirm_text]["children"]
    done = _response(dash_client.fire(KIT.confirm_yes, "n_clicks", cvr=world.CVR_A, values={
        (KIT.confirm_yes, "n_clicks"): 1, (KIT.confirm_state, "data"): asked[KIT.confirm_state]["data"]}))
    assert done[KIT.confirm_modal]["is_open"] is False
    assert done[KIT.changed]["data"]["text"] == "Mødet »Driftsmøde Q1 2026« er offentliggjort."
    with app.app_context():
        [note] = get_session().scalars(select(Announcement))
        assert note.title == "Referat fra mødet 12. mar. 2026 er offentliggjort"
    # The list on the same page is drawn again by the change itself: the customer's view, no reload.
    assert "referat.pdf" in _text(dash_client.fire(KIT.changed, "data", output=Ids.CONTENT, cvr=world.CVR_A,
                                                   values={Ids.YEAR: "", (KIT.changed, "data"): done[KIT.changed]["data"]}))

    doc_id = _customer_view(app)[0]["documents"][0]["id"]
    asked = _response(dash_client.fire(Ids.WITHDRAW, "n_clicks", cvr=world.CVR_A, values={
        (Ids.WITHDRAW, "n_clicks"): 1, (Ids.DOCUMENT_GRID, "selectedRows"): [{"id": doc_id}]}))
    assert asked[KIT.confirm_state]["data"] == {"action": "withdraw", "id": doc_id, "version": 3}
    done = _response(dash_client.fire(KIT.confirm_yes, "n_clicks", cvr=world.CVR_A, values={
        (KIT.confirm_yes, "n_clicks"): 1, (KIT.confirm_state, "data"): asked[KIT.confirm_state]["data"]}))
    assert done[KIT.changed]["data"]["text"] == "Referat »referat« er trukket tilbage."
    assert _customer_view(app)[0]["documents"] == [] and _count(app, MeetingDocument) == 1


def test_customers_get_no_editing_controls_and_sa_does(app, login, dash_client):
    login(world.ADMIN_AB)
    page = dash_client.page("/moeder", f"?cvr={world.CVR_A}")
    assert page.status_code == 200 and Ids.CONTENT.encode() in page.data
    for component in (Ids.EDIT_MODE, Ids.EDIT_PANEL, KIT.add, Ids.UPLOAD, Ids.PUBLISH):
        assert f'"{component}"'.encode() not in page.data
    login(world.SA_STAFF)
    page = dash_client.page("/moeder", f"?cvr={world.CVR_A}")
    for component in (Ids.EDIT_MODE, Ids.EDIT_PANEL, KIT.add, Ids.UPLOAD, Ids.PUBLISH):
        assert f'"{component}"'.encode() in page.data


@pytest.mark.parametrize("email", [world.LAESER_A, world.ADMIN_AB])
def test_forged_reads_of_drafts_by_customers_find_nothing(app, login, dash_client, email):
    meeting = _upload(app, _new_meeting(app, title="Hemmelig kladde"), "dagsorden", [("kladde.pdf", PDF)])
    login(email)
    listed = dash_client.fire(Ids.YEAR, "value", cvr=world.CVR_A, initial=True, values={Ids.YEAR: "2026"})
    assert listed.status_code == 200 and "Hemmelig kladde" not in _text(listed)
    # The editing callbacks that would show drafts refuse the customer outright.
    forged = dash_client.fire(KIT.grid, "selectedRows", cvr=world.CVR_A,
                              values={(KIT.grid, "selectedRows"): [{"id": meeting["id"]}]})
    assert forged.status_code == 403 and b"kladde" not in forged.data


def test_history_shows_what_it_was_and_what_it_became(app, login, dash_client):
    meeting = _new_meeting(app)
    with app.app_context():
        meetings.update_meeting(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF), meeting["id"], 1,
                                FIELDS | {"title": "Nyt navn", "held_time": "13:00"})
    _upload(app, {**meeting, "version": 2}, "referat", [("referat.pdf", PDF)])
    login(world.SA_STAFF)
    shown = _text(dash_client.fire(Ids.HISTORY, "n_clicks", cvr=world.CVR_A, values={
        (Ids.HISTORY, "n_clicks"): 1, (KIT.grid, "selectedRows"): [{"id": meeting["id"]}]}))
    for expected in ["Oprettet", "Ændret", "Dokumenter tilføjet", "Titel: Driftsmøde Q1 2026 → Nyt navn",
                     "Dato og tid: 12. mar. 2026 kl. 09:30 → 12. mar. 2026 kl. 13:00", "Referat: referat (kladde)"]:
        assert expected in shown, expected


def _parent_of(node, component_id, parent=None):
    if getattr(node, "id", None) == component_id:
        return parent
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children]:
        found = _parent_of(child, component_id, node) if child is not None and not isinstance(child, str) else None
        if found is not None:
            return found
    return None


def test_the_upload_file_input_is_named_by_its_label_and_opens_once():
    from dash import dcc, html

    from pages.moeder import edit_panel

    panel = edit_panel()
    label = _parent_of(panel, Ids.UPLOAD)
    upload = label.children
    # dcc.Upload's <input type=file> takes no id or aria props: the wrapping label gives it its name
    # (axe's "label" rule), and only the label's click opens the file dialog, never the zone's as well.
    assert isinstance(label, html.Label) and isinstance(upload, dcc.Upload)
    assert upload.disable_click is True
    assert "vælg filer" in str(upload.children)
