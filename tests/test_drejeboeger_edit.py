"""Drejebøger back-office: SA edits a runbook's items (attachments included) and saves a new version with a note.

Customers never see the editor and every editing callback refuses them (tests/test_access_locks.py covers every
input of every editing callback; the forged saves here check that nothing is written either).
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select

from core.access import AccessScope, Principal
from core.topics import Topic
from data.db import get_session
from data.models import Announcement, AuditLog, Runbook, RunbookVersion, StoredFile, User
from pages.ids import drejeboeger as ids
from pages.ids.drejeboeger import KIT
from tests import _dash, content_world, world
from tests._components import response_text

KEY_A = {"area": "Regnskab", "unit_code": "10001", "section": "Finans"}
KEY_EMPTY = {"area": "Regnskab", "unit_code": "10002", "section": "Kreditor"}
FIELDS = {"points": ("deviation", "description"), "tasks": ("task", "description", "frequency")}
SA_NAME = "Sa Medarbejder"  # as tests/world.py names the SA staff account
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def content(app):
    with app.app_context():
        return content_world.build(get_session())


def text(response) -> str:
    return response_text(response)


def _data_url(content: bytes, mime: str = "application/pdf") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


def items_v2(content) -> dict:
    """The items of A's Finans runbook as version 2 holds them (B's file left out, as the editor shows them)."""
    guide = content.files["guide_a"]
    return {
        "points": [{"deviation": "Moms", "description": "Moms bogføres netto.", "file_ids": []},
                   {"deviation": "Periodisering", "description": "Periodiser over 10.000 kr.", "file_ids": [guide]}],
        "tasks": [{"task": "Bogføring af kreditorfakturaer", "description": "Dagligt.", "frequency": "Dagligt",
                   "file_ids": [guide]},
                  {"task": "Månedsafstemning", "description": "Afstem balancen.", "frequency": "Månedligt",
                   "file_ids": []}],
    }


def _pattern_entries(items: dict, uploads: dict | None) -> dict[tuple[str, str], list[tuple[dict, object]]]:
    fields, files, options, contents, names = [], [], [], [], []
    for kind, rows in items.items():
        for index, row in enumerate(rows):
            fields += [(ids.field_id(kind, index, f), row.get(f, "")) for f in FIELDS[kind]]
            file_ids = row.get("file_ids", [])
            files.append((ids.item_id(ids.ITEM_FILES, kind, index), file_ids))
            options.append((ids.item_id(ids.ITEM_FILES, kind, index), [{"label": "x", "value": f} for f in file_ids]))
            upload = (uploads or {}).get((kind, index))
            upload_id = ids.item_id(ids.ITEM_UPLOAD, kind, index)
            contents.append((upload_id, upload[1] if upload else None))
            names.append((upload_id, upload[0] if upload else None))
    return {(ids.ITEM_FIELD, "value"): fields, (ids.ITEM_FILES, "value"): files,
            (ids.ITEM_FILES, "options"): options, (ids.ITEM_UPLOAD, "contents"): contents,
            (ids.ITEM_UPLOAD, "filename"): names}


def editor(dash_client, trigger, *, items=None, version=2, note="", key=KEY_A, form_key=None, uploads=None,
           cvr=world.CVR_A, clicked=None):
    """Send the editor's callback as the renderer does: `trigger` a kit button id or a pattern id (a dict)."""
    pattern = isinstance(trigger, dict)
    trigger_dep = ({"type": trigger["type"], "kind": ["ALL"], "index": ["ALL"]}, "contents" if
                   trigger["type"] == ids.ITEM_UPLOAD else "n_clicks") if pattern else (trigger, "n_clicks")
    callback = dash_client.callback(KIT.save, "n_clicks")
    values = {KIT.form_state: {"key": form_key or key, "version": version}, ids.RUNBOOK_KEY: key,
              KIT.field("note"): note}
    if not pattern:
        values[trigger] = 1
    body = _dash.build_payload(callback, trigger_dep if pattern else (trigger, "n_clicks"), cvr=cvr, values=values)
    entries = _pattern_entries(items or {"points": [], "tasks": []}, uploads)
    if pattern and trigger_dep[1] == "n_clicks":
        entries[(trigger["type"], "n_clicks")] = [(trigger, 1 if clicked is None else clicked)]
    for part, deps in (("inputs", callback.inputs), ("state", callback.state)):
        for i, dep in enumerate(deps):
            if dep.is_pattern and (dep.pattern_type, dep.property) in entries:
                body[part][i] = [{"id": cid, "property": dep.property, "value": value}
                                 for cid, value in entries[(dep.pattern_type, dep.property)]]
    if pattern:
        body["changedPropIds"] = [_dash.prop_id(trigger, trigger_dep[1])]
    return dash_client.send(body)


def _outputs(response) -> dict:
    return response.get_json()["response"]


def _versions(app, cvr=world.CVR_A, area="Regnskab", unit="10001", section="Finans") -> list[RunbookVersion]:
    with app.app_context():
        session = get_session()
        return list(session.scalars(
            select(RunbookVersion).join(Runbook).where(Runbook.cvr == cvr, Runbook.area == area,
                                                       Runbook.unit_code == unit, Runbook.section == section)
            .order_by(RunbookVersion.version)))


def _count(app, model) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model))


# --- who sees the editor ----------------------------------------------------------------------


def _tab(dash_client, cvr=world.CVR_A, selection=None):
    return dash_client.fire(ids.TABS, "value", cvr=cvr, initial=True,
                            values={ids.TABS: "regnskab", ids.SELECTION: selection or {}})


def test_sa_sees_rediger_and_opret(login, dash_client, content):
    login(world.SA_STAFF)
    body = text(_tab(dash_client))
    assert f'"{KIT.edit}"' in body and "Rediger drejebog" in body
    empty = text(_tab(dash_client, selection={"fane": "regnskab", "enhed": "10002", "afsnit": "Kreditor"}))
    assert "Opret drejebog" in empty
    page = dash_client.page("/drejeboeger", f"?cvr={world.CVR_A}")
    assert KIT.form_modal.encode() in page.data


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB])
def test_customers_see_no_editing_control(login, dash_client, content, email):
    login(email)
    body = text(_tab(dash_client))
    assert f'"{KIT.edit}"' not in body and "Rediger drejebog" not in body and "Moms bogføres netto." in body
    page = dash_client.page("/drejeboeger", f"?cvr={world.CVR_A}")
    for component in (KIT.form_modal, KIT.save, ids.EDITOR, KIT.field("note")):
        assert f'"{component}"'.encode() not in page.data, component


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB])
def test_forged_save_by_a_customer_is_refused_and_writes_nothing(app, login, dash_client, content, email):
    login(email)
    items = items_v2(content)
    items["points"][0]["description"] = "Forfalsket"
    response = editor(dash_client, KIT.save, items=items, note="Forfalsket")
    assert response.status_code == 403
    opened = editor(dash_client, KIT.edit)
    assert opened.status_code == 403 and b"Moms" not in opened.data
    assert len(_versions(app)) == 2 and _count(app, Announcement) == 0


# --- opening, items, saving -------------------------------------------------------------------


def test_editor_opens_on_the_current_version(login, dash_client, content):
    login(world.SA_STAFF)
    response = editor(dash_client, KIT.edit)
    assert response.status_code == 200, response.data[:300]
    out = _outputs(response)
    assert out[KIT.form_modal]["is_open"] is True
    assert out[KIT.form_state]["data"] == {"key": KEY_A, "version": 2}
    body = text(response)
    for expected in ["Rediger drejebog: Bogføringskreds 10001 SA Drift – Finans", "Moms bogføres netto.",
                     "Periodisering", "Månedsafstemning", "konteringsvejledning.pdf", "Tilføj punkt",
                     "Tilføj opgave", "Flyt punkt 2 op", "Fjern opgave 1"]:
        assert expected in body, expected
    assert content_world.SECRET_B not in body


def test_add_move_and_remove_items_in_the_form(login, dash_client, content):
    login(world.SA_STAFF)
    items = items_v2(content)
    body = text(editor(dash_client, ids.ADD_POINT, items=items))
    assert "Punkt 3" in body and "Opgave 3" not in body
    moved = text(editor(dash_client, ids.item_id(ids.ITEM_UP, "points", 1), items=items))
    assert moved.index("Periodiser over 10.000 kr.") < moved.index("Moms bogføres netto.")
    removed = text(editor(dash_client, ids.item_id(ids.ITEM_REMOVE, "tasks", 0), items=items))
    assert "Bogføring af kreditorfakturaer" not in removed and "Månedsafstemning" in removed
    # A button drawn again (n_clicks not set) is no click.
    response = editor(dash_client, ids.item_id(ids.ITEM_REMOVE, "tasks", 0), items=items, clicked=0)
    assert response.status_code == 204


def test_save_is_a_new_version_with_note_audited_and_announced(app, login, dash_client, content):
    login(world.SA_STAFF)
    items = items_v2(content)
    items["points"][0]["description"] = "Moms bogføres netto fra 2027."
    items["tasks"].insert(0, items["tasks"].pop())  # reordered
    items["tasks"][1]["file_ids"] = []  # the guide taken off the task
    response = editor(dash_client, KIT.save, items=items, note="Ny momsregel fra 2027.")
    assert response.status_code == 200, response.data[:300]
    out = _outputs(response)
    assert out[KIT.form_modal]["is_open"] is False and "version 3" in out[KIT.saved]["data"]["text"]
    versions = _versions(app)
    assert [v.version for v in versions] == [1, 2, 3]
    latest = versions[-1]
    assert latest.change_note == "Ny momsregel fra 2027." and latest.changed_by == SA_NAME
    assert [t["task"] for t in latest.content["tasks"]] == ["Månedsafstemning", "Bogføring af kreditorfakturaer"]
    assert latest.content["tasks"][1]["file_ids"] == []
    assert latest.content["points"][1]["file_ids"] == [content.files["guide_a"]]
    with app.app_context():
        session = get_session()
        assert session.scalar(select(Runbook.current_version).where(Runbook.id == latest.runbook_id)) == 3
        audit = session.scalars(select(AuditLog).where(AuditLog.entity == "runbook")).all()
        assert len(audit) == 1 and audit[0].cvr == world.CVR_A and audit[0].action == "update"
        assert audit[0].before["version"] == 2 and audit[0].after["change_note"] == "Ny momsregel fra 2027."
        news = session.scalars(select(Announcement)).all()
        assert len(news) == 1 and news[0].topic == Topic.RUNBOOKS.value and news[0].cvr == world.CVR_A
        assert news[0].path.startswith("/drejeboeger?cvr=33391005&fane=regnskab&enhed=10001&afsnit=Finans")
        assert news[0].summary == "Ny momsregel fra 2027." and "10001" in news[0].title

    # The customer reads the new version, its note in the history, and what changed in the diff.
    login(world.LAESER_A)
    body = text(_tab(dash_client))
    assert "Moms bogføres netto fra 2027." in body and "Ny momsregel fra 2027." in body and "Ændringsnote" in body
    diff = text(dash_client.fire(ids.DIFF_FROM, "value", cvr=world.CVR_A, initial=True,
                                 values={ids.DIFF_FROM: "2", ids.DIFF_TO: "3", ids.RUNBOOK_KEY: KEY_A}))
    assert "Ændringsnote til version 3: " in diff and "Ny momsregel fra 2027." in diff
    assert "Moms bogføres netto fra 2027." in diff


def test_saved_status_reloads_the_runbook(login, dash_client, content):
    login(world.SA_STAFF)
    response = dash_client.fire(KIT.saved, "data", cvr=world.CVR_A,
                                values={KIT.saved: {"n": 1, "text": "Drejebogen er gemt som version 3."},
                                        ids.TABS: "regnskab", ids.SELECTION: {}})
    body = text(response)
    assert "Drejebogen er gemt som version 3." in body and "Moms bogføres netto." in body


def test_create_the_first_version_of_a_runbook(app, login, dash_client, content):
    login(world.SA_STAFF)
    opened = editor(dash_client, KIT.edit, key=KEY_EMPTY, version=0)
    assert _outputs(opened)[KIT.form_state]["data"] == {"key": KEY_EMPTY, "version": 0}
    assert "Opret drejebog" in text(opened)
    items = {"points": [], "tasks": [{"task": "Kreditorbetaling", "description": "To gange om ugen.",
                                      "frequency": "Ugentligt", "file_ids": []}]}
    response = editor(dash_client, KIT.save, key=KEY_EMPTY, version=0, items=items, note="Første udgave.")
    assert response.status_code == 200 and "version 1" in text(response)
    versions = _versions(app, unit="10002", section="Kreditor")
    assert [v.version for v in versions] == [1] and versions[0].change_note == "Første udgave."
    with app.app_context():
        assert get_session().scalar(select(AuditLog.action).where(AuditLog.entity == "runbook")) == "create"
    # A second "create" from a form opened before the first was saved is refused.
    again = editor(dash_client, KIT.save, key=KEY_EMPTY, version=0, items=items, note="Også første.")
    assert "ændret samtidig" in text(again)
    assert len(_versions(app, unit="10002", section="Kreditor")) == 1


# --- refusals ---------------------------------------------------------------------------------


def test_concurrent_edits_the_second_save_is_refused_the_first_kept(app, login, dash_client, content):
    login(world.SA_STAFF)
    first = items_v2(content)
    first["points"][0]["description"] = "Første gemte."
    second = items_v2(content)
    second["points"][0]["description"] = "Anden gemte."
    # Both forms were opened at version 2.
    assert "version 3" in text(editor(dash_client, KIT.save, items=first, note="Første."))
    response = editor(dash_client, KIT.save, items=second, note="Anden.")
    out = _outputs(response)
    assert out[KIT.form_alert]["is_open"] is True
    assert f"ændret samtidig af {SA_NAME} kl. " in out[KIT.form_alert]["children"]
    assert "ikke gemt" in out[KIT.form_alert]["children"]
    # The form stays open with what the second user typed.
    assert KIT.form_modal not in out
    versions = _versions(app)
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[-1].content["points"][0]["description"] == "Første gemte."
    assert _count(app, Announcement) == 1


def test_fields_are_validated_with_danish_messages_and_nothing_is_written(app, login, dash_client, content):
    login(world.SA_STAFF)
    items = items_v2(content)
    items["points"][1]["deviation"] = "  "
    items["tasks"][0]["frequency"] = "x" * 101
    response = editor(dash_client, KIT.save, items=items, note="")
    out = _outputs(response)
    assert "Ret de markerede felter" in out[KIT.form_alert]["children"]
    assert out[KIT.field("note")]["invalid"] is True
    assert "noten vises i drejebogens historik" in out[KIT.feedback("note")]["children"]
    body = text(response)
    assert "Afvigelse skal udfyldes." in body and "Frekvens må højst være 100 tegn." in body
    assert len(_versions(app)) == 2 and _count(app, Announcement) == 0


def test_nothing_changed_is_refused(app, login, dash_client, content):
    login(world.SA_STAFF)
    response = editor(dash_client, KIT.save, items=items_v2(content), note="Ingen ændring.")
    assert "ingen ændringer" in _outputs(response)[KIT.form_alert]["children"]
    assert len(_versions(app)) == 2


def test_another_customers_file_cannot_be_attached(app, login, dash_client, content):
    login(world.SA_STAFF)
    items = items_v2(content)
    items["points"][0]["file_ids"] = [content.files["guide_b"]]
    response = editor(dash_client, KIT.save, items=items, note="Forsøg.")
    body = text(response)
    assert "En vedhæftning findes ikke for denne kunde." in body and content_world.SECRET_B not in body
    assert len(_versions(app)) == 2


@pytest.mark.parametrize("key", [
    {"area": "Regnskab", "unit_code": "20001", "section": "Finans"},  # B's unit with A's CVR
    {"area": "Regnskab", "unit_code": "10001", "section": "Hemmelig"},
    {"area": "Regnskab", "unit_code": "../x", "section": "Finans"},
])
def test_forged_runbook_key_is_refused(app, login, dash_client, content, key):
    login(world.SA_STAFF)
    opened = text(editor(dash_client, KIT.edit, key=key))
    assert "findes ikke" in opened and content_world.SECRET_B not in opened
    saved = text(editor(dash_client, KIT.save, key=key, version=1, note="Forfalsket.",
                        items={"points": [{"deviation": "X"}], "tasks": []}))
    assert "findes ikke" in saved and content_world.SECRET_B not in saved
    assert len(_versions(app, cvr=world.CVR_B, unit="20001")) == 1 and _count(app, Announcement) == 0


@pytest.mark.parametrize("version", ["2", None, True, -1, {"v": 2}])
def test_forged_version_is_refused(app, login, dash_client, content, version):
    login(world.SA_STAFF)
    items = items_v2(content)
    items["points"][0]["description"] = "Ændret."
    response = editor(dash_client, KIT.save, items=items, note="Note.", version=version)
    assert "ændret samtidig" in text(response)
    assert len(_versions(app)) == 2


# --- attachments ------------------------------------------------------------------------------


def test_upload_an_attachment_to_an_item(app, login, dash_client, content):
    login(world.SA_STAFF)
    items = items_v2(content)
    uploads = {("tasks", 1): ("afstemningsvejledning.pdf", _data_url(PDF))}
    chosen = text(editor(dash_client, ids.item_id(ids.ITEM_UPLOAD, "tasks", 1), items=items, uploads=uploads))
    assert "Valgt: afstemningsvejledning.pdf" in chosen
    files_before = _count(app, StoredFile)
    response = editor(dash_client, KIT.save, items=items, uploads=uploads, note="Vejledning vedhæftet.")
    assert "version 3" in text(response), response.data[:500]
    latest = _versions(app)[-1]
    new_ids = latest.content["tasks"][1]["file_ids"]
    assert len(new_ids) == 1 and _count(app, StoredFile) == files_before + 1
    with app.app_context():
        row = get_session().get(StoredFile, new_ids[0])
        assert row.cvr == world.CVR_A and row.menu == "drejeboeger" and row.filename == "afstemningsvejledning.pdf"
        assert row.content_type == "application/pdf" and len(row.sha256) == 64
    # The customer downloads it through the one download route.
    login(world.LAESER_A)
    assert f"/filer/{new_ids[0]}" in text(_tab(dash_client))
    download = dash_client.client.get(f"/filer/{new_ids[0]}")
    assert download.status_code == 200 and download.data == PDF


@pytest.mark.parametrize("name,payload,message", [
    ("script.pdf", _data_url(b"<script>alert(1)</script>"), "passer ikke til navnet"),
    ("tom.pdf", "data:application/pdf;base64,", "Filen er tom"),
    ("../../etc/passwd", _data_url(b"root:x:0:0"), "Filtypen er ikke tilladt"),
    ("program.exe", _data_url(b"MZ\x90\x00"), "Filtypen er ikke tilladt"),
])
def test_hostile_uploads_are_refused_and_nothing_is_stored(app, login, dash_client, content, name, payload,
                                                           message):
    login(world.SA_STAFF)
    items = items_v2(content)
    uploads = {("points", 0): (name, payload)}
    files_before = _count(app, StoredFile)
    response = editor(dash_client, KIT.save, items=items, uploads=uploads, note="Fil.")
    body = text(response)
    assert message in body, body[:2000]
    assert _count(app, StoredFile) == files_before and len(_versions(app)) == 2


def test_oversized_upload_is_refused(app, login, dash_client, content):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    login(world.SA_STAFF)
    uploads = {("points", 0): ("stor.pdf", _data_url(PDF + b"0" * 2000))}
    response = editor(dash_client, KIT.save, items=items_v2(content), uploads=uploads, note="Stor fil.")
    assert "Filen er for stor" in text(response)
    assert len(_versions(app)) == 2


# --- the data layer on its own -----------------------------------------------------------------


def test_save_runbook_in_the_data_layer(app, content):
    from data import runbooks

    with app.app_context():
        session = get_session()
        sa = Principal.from_user(session.scalar(select(User).where(User.email == world.SA_STAFF)))
        scope = AccessScope.single(world.CVR_A)
        items = {"points": [{"deviation": "Ny", "description": "", "file_ids": []}], "tasks": []}
        result = runbooks.save_runbook(scope, world.CVR_A, sa, "Løn", "LG100", "mTime", 1, items, "Omskrevet.",
                                       max_bytes=1000)
        assert result["version"] == 2
        with pytest.raises(runbooks.RunbookConflict):
            runbooks.save_runbook(scope, world.CVR_A, sa, "Løn", "LG100", "mTime", 1, items, "Igen.", max_bytes=1000)
        # Outside the scope: refused before anything is read.
        from core.access import AccessDenied

        with pytest.raises(AccessDenied):
            runbooks.save_runbook(scope, world.CVR_B, sa, "Regnskab", "20001", "Finans", 1, items, "X.",
                                  max_bytes=1000)
        book = runbooks.current_runbook(scope, world.CVR_A, "Løn", "LG100", "mTime")
        assert book["version"] == 2 and book["versions"][0]["change_note"] == "Omskrevet."


def test_the_lock_test_covers_the_editor(app, client, dash_client):
    # tests/test_access_locks.py refuses every customer account on every input of every editing callback:
    # the runbook editor must be among those it finds (guarded by an SA action, with the page's CVR store).
    from tests.test_access_locks import _editing_callbacks

    outputs = [callback.output for callback in _editing_callbacks(app, dash_client)]
    assert any(f"{KIT.form_modal}.is_open" in output for output in outputs), outputs
