"""Aktionsliste back-office: SA creates, edits, closes and reopens action items; each change is kept in the
item's history (which customers read), audited, version-checked and announced; customers never write."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from core.access import AccessScope, Principal
from core.topics import Topic
from data import actions
from data.db import get_session
from data.models import ActionItem, ActionItemHistory, Announcement, AuditLog, User
from pages.ids import aktionsliste as Ids
from pages.ids.aktionsliste import KIT
from tests import content_world, world

SCOPE_A = AccessScope.single(world.CVR_A)
SCOPE_B = AccessScope.single(world.CVR_B)
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def content(app):
    with app.app_context():
        return content_world.build(get_session())


def _principal(email: str) -> Principal:
    return Principal.from_user(get_session().scalar(select(User).where(User.email == email)))


def _raw(**overrides: Any) -> dict[str, Any]:
    raw = {"area": "Regnskab", "unit": "10001", "subject": "Afstem momskonti", "deadline": "2026-03-31",
           "owner": "Kunden", "process_area": "Finans", "status": "Åben", "description": "Moms afviger.",
           "status_detail": "", "meeting": ""}
    raw.update(overrides)
    return raw


def _count(model, **where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return get_session().scalar(stmt)


def _text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False) if response.data else ""


def _out(response, component: str, prop: str) -> Any:
    return response.get_json()["response"][component][prop]


# --- the data layer -------------------------------------------------------------------------------


def test_create_resolves_unit_and_meeting_and_keeps_history_audit_and_announcement(app, content):
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        item = actions.create_action_item(SCOPE_A, world.CVR_A, sa,
                                           _raw(meeting=str(content.meetings["status"])))
        assert item["unit"] == "10001 SA Drift" and item["deadline"] == dt.date(2026, 3, 31)
        assert item["meeting"].startswith("Statusmøde marts (14. mar. 2023") and item["version"] == 1
        history = actions.item_history(SCOPE_A, world.CVR_A, item["id"])
        assert [(h["action"], h["user"], h["version"]) for h in history] == [("create", "Sa Medarbejder", 1)]
        fields = {c["field"]: c["after"] for c in history[0]["changes"]}
        assert fields["subject"] == "Afstem momskonti" and fields["unit"] == "10001 SA Drift"
        assert "status_detail" not in fields  # a new item lists only what it was given
        assert _count(AuditLog, entity="action_item", entity_id=str(item["id"]), action="create") == 1
        news = get_session().scalars(select(Announcement).where(Announcement.entity_id == str(item["id"]))).all()
        assert [(n.topic, n.cvr, n.path) for n in news] == [(Topic.ACTIONS.value, world.CVR_A,
                                                              f"/aktionsliste?cvr={world.CVR_A}")]
        assert news[0].title == "Nyt aktionspunkt: Afstem momskonti"


def test_a_loen_item_takes_a_payroll_group_and_no_unit_is_allowed(app, content):
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        loen = actions.create_action_item(SCOPE_A, world.CVR_A, sa, _raw(area="Løn", unit="LG100"))
        assert loen["unit"] == "LG100 SA Løn" and loen["unit_code"] == "LG100"
        whole = actions.create_action_item(SCOPE_A, world.CVR_A, sa, _raw(unit=""))
        assert whole["unit"] == "" and whole["unit_code"] == ""


@pytest.mark.parametrize("overrides,field", [
    ({"subject": "  "}, "subject"),
    ({"subject": "x" * 301}, "subject"),
    ({"area": "Rejser"}, "area"),
    ({"unit": "LG100"}, "unit"),  # a payroll group on a Regnskab item
    ({"area": "Løn", "unit": "10001"}, "unit"),
    ({"unit": "20001"}, "unit"),  # customer B's unit
    ({"unit": "../etc"}, "unit"),
    ({"deadline": "31-12-2026"}, "deadline"),
    ({"deadline": "2026-02-30"}, "deadline"),
    ({"deadline": "1899-01-01"}, "deadline"),
    ({"deadline": 20260101}, "deadline"),
    ({"status": "Afsluttet"}, "status"),
    ({"status": "Hvad som helst"}, "status"),
    ({"status": None}, "status"),
    ({"owner": "a\x00b"}, "owner"),
    ({"description": "x" * 4001}, "description"),
    ({"meeting": "abc"}, "meeting"),
    ({"meeting": True}, "meeting"),
])
def test_invalid_fields_get_a_danish_message_and_nothing_is_written(app, content, overrides, field):
    with app.app_context():
        before = _count(ActionItem)
        with pytest.raises(actions.ActionValidationError) as raised:
            actions.create_action_item(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF), _raw(**overrides))
        assert field in raised.value.errors and raised.value.errors[field]
        assert _count(ActionItem) == before and _count(ActionItemHistory) == 0 and _count(Announcement) == 0


def test_a_meeting_of_another_customer_cannot_be_linked(app, content):
    with app.app_context():
        with pytest.raises(actions.ActionValidationError) as raised:
            actions.create_action_item(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF),
                                       _raw(meeting=str(content.meetings["b"])))
        assert raised.value.errors["meeting"] == "Mødet findes ikke hos kunden. Vælg et andet møde."


def test_update_keeps_what_each_field_was_and_became(app, content):
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        item_id = content.actions["open_regnskab"]
        before = actions.get_action_item(SCOPE_A, world.CVR_A, item_id)
        raw = _raw(subject=before["subject"], unit="10001", deadline="2030-01-15", owner="Kunden",
                   process_area="Finans", status="Afventer kunden", description=before["description"],
                   status_detail="Kontoudtog modtaget.", meeting=str(content.meetings["annual"]))
        after = actions.update_action_item(SCOPE_A, world.CVR_A, sa, item_id, before["version"], raw)
        assert after["version"] == before["version"] + 1 and after["updated_by"] == "Sa Medarbejder"
        latest = actions.item_history(SCOPE_A, world.CVR_A, item_id)[0]
        assert latest["action"] == "update"
        changes = {c["field"]: (c["before"], c["after"]) for c in latest["changes"]}
        assert set(changes) == {"deadline", "status", "status_detail", "meeting"}
        assert changes["status"] == ("I gang", "Afventer kunden")
        assert changes["deadline"][1] == "2030-01-15"
        assert changes["status_detail"] == ("Afventer kontoudtog fra banken.", "Kontoudtog modtaget.")
        assert changes["meeting"][0] == "" and changes["meeting"][1].startswith("Årsmøde 2022")
        audit_row = get_session().scalars(select(AuditLog).where(AuditLog.entity == "action_item",
                                                                 AuditLog.action == "update")).one()
        assert audit_row.before["status"] == "I gang" and audit_row.after["status"] == "Afventer kunden"
        news = get_session().scalars(select(Announcement).where(Announcement.entity_id == str(item_id))).one()
        assert news.title == "Aktionspunkt ændret: Afstemning af bankkonti"
        assert news.summary == "Ændret: Deadline, Status, Detaljeret status, Møde."


def test_an_unchanged_form_writes_nothing(app, content):
    with app.app_context():
        item = actions.get_action_item(SCOPE_A, world.CVR_A, content.actions["open_regnskab"])
        raw = _raw(subject=item["subject"], unit="10001", deadline=item["deadline"].isoformat(), owner=item["owner"],
                   process_area=item["process_area"], status=item["status"], description=item["description"],
                   status_detail=item["status_detail"])
        assert actions.update_action_item(SCOPE_A, world.CVR_A, _principal(world.SA_STAFF), item["id"],
                                          item["version"], raw) is None
        assert actions.get_action_item(SCOPE_A, world.CVR_A, item["id"])["version"] == item["version"]
        assert _count(ActionItemHistory) == 0 and _count(Announcement) == 0 and _count(AuditLog) == 0


def test_second_concurrent_save_is_refused_and_the_first_kept(app, content):
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        item = actions.get_action_item(SCOPE_A, world.CVR_A, content.actions["open_loen"])
        first = actions.update_action_item(SCOPE_A, world.CVR_A, sa, item["id"], item["version"],
                                           _raw(area="Løn", unit="LG100", subject="Første"))
        with pytest.raises(actions.ActionConflict) as raised:
            actions.update_action_item(SCOPE_A, world.CVR_A, sa, item["id"], item["version"],
                                       _raw(area="Løn", unit="LG100", subject="Anden"))
        assert "ændret samtidig af" in raised.value.message and "genindlæs" in raised.value.message
        with pytest.raises(actions.ActionConflict):
            actions.set_closed(SCOPE_A, world.CVR_A, sa, item["id"], item["version"], True)
        now = actions.get_action_item(SCOPE_A, world.CVR_A, item["id"])
        assert now["subject"] == "Første" and now["version"] == first["version"] and not now["is_closed"]
        assert _count(ActionItemHistory, action_item_id=item["id"]) == 1


def test_the_version_is_compared_inside_the_update(app, content, monkeypatch):
    # Another save commits between the read and the UPDATE: no row matches and nothing is written.
    from sqlalchemy import update

    with app.app_context():
        sa = _principal(world.SA_STAFF)
        item = actions.get_action_item(SCOPE_A, world.CVR_A, content.actions["open_loen"])
        real_load = actions._load

        def load_then_someone_saves(session, scope, cvr, item_id, version):
            found = real_load(session, scope, cvr, item_id, version)
            session.execute(update(ActionItem).where(ActionItem.id == item_id)
                            .values(version=ActionItem.version + 1, subject="Samtidig", updated_by="Anden SA")
                            .execution_options(synchronize_session=False))
            return found

        monkeypatch.setattr(actions, "_load", load_then_someone_saves)
        with pytest.raises(actions.ActionConflict):
            actions.update_action_item(SCOPE_A, world.CVR_A, sa, item["id"], item["version"],
                                       _raw(area="Løn", unit="LG100", subject="Min"))
        assert _count(ActionItemHistory) == 0 and _count(Announcement) == 0


def test_close_and_reopen_are_kept_and_announced_and_a_closed_item_is_not_edited(app, content):
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        item = actions.get_action_item(SCOPE_A, world.CVR_A, content.actions["open_loen"])
        closed = actions.set_closed(SCOPE_A, world.CVR_A, sa, item["id"], item["version"], True)
        assert closed["is_closed"] and closed["status"] == "Afsluttet"
        with pytest.raises(actions.ActionClosed):
            actions.update_action_item(SCOPE_A, world.CVR_A, sa, item["id"], closed["version"], _raw(area="Løn"))
        with pytest.raises(actions.ActionError):
            actions.set_closed(SCOPE_A, world.CVR_A, sa, item["id"], closed["version"], True)
        reopened = actions.set_closed(SCOPE_A, world.CVR_A, sa, item["id"], closed["version"], False)
        assert not reopened["is_closed"] and reopened["status"] == "Åben"
        history = actions.item_history(SCOPE_A, world.CVR_A, item["id"])
        assert [h["action"] for h in history] == ["reopen", "close"]
        assert {"field": "closed", "before": False, "after": True} in history[1]["changes"]
        titles = get_session().scalars(select(Announcement.title).order_by(Announcement.id)).all()
        assert titles == ["Aktionspunkt afsluttet: Ny lønart til tillæg", "Aktionspunkt genåbnet: Ny lønart til tillæg"]


def test_another_customers_item_is_neither_read_nor_written(app, content):
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        b_item = content.actions["b_item"]
        assert actions.get_action_item(SCOPE_A, world.CVR_A, b_item) is None
        with pytest.raises(actions.ActionNotFound):
            actions.update_action_item(SCOPE_A, world.CVR_A, sa, b_item, 1, _raw())
        with pytest.raises(actions.ActionNotFound):
            actions.set_closed(SCOPE_A, world.CVR_A, sa, b_item, 1, True)
        # A scope of A cannot write on B, whatever CVR the call names.
        from core.access import AccessDenied

        with pytest.raises(AccessDenied):
            actions.create_action_item(SCOPE_A, world.CVR_B, sa, _raw(unit="20001"))
        actions.set_closed(SCOPE_B, world.CVR_B, sa, b_item, 1, True)
        assert actions.item_history(SCOPE_A, world.CVR_A, b_item) == []
        assert actions.item_history(SCOPE_A, world.CVR_B, b_item) == []
        assert len(actions.item_history(SCOPE_B, world.CVR_B, b_item)) == 1
        assert all(c["value"] != str(content.meetings["b"]) for c in actions.meeting_choices(SCOPE_A, world.CVR_A))


# --- the page and its callbacks -------------------------------------------------------------------


def _page(dash_client):
    return dash_client.page("/aktionsliste", f"?cvr={world.CVR_A}")


@pytest.mark.parametrize("email,editing", [(world.SA_STAFF, True), (world.LAESER_A, False),
                                           (world.REDIGER_A, False), (world.ADMIN_AB, False)])
def test_only_sa_sees_the_editing_controls_but_everyone_sees_historik(login, dash_client, content, email, editing):
    login(email)
    page = _page(dash_client)
    assert page.status_code == 200
    assert (KIT.add.encode() in page.data) is editing and (KIT.form_modal.encode() in page.data) is editing
    assert (Ids.CLOSE.encode() in page.data) is editing
    assert Ids.HISTORY.encode() in page.data and "Historik".encode() in page.data


def _form(dash_client, trigger: str, values: dict[str, Any] | None = None, cvr: Any = world.CVR_A):
    return dash_client.fire(trigger, "n_clicks", cvr=cvr, values={trigger: 1, **(values or {})})


def _save_values(form_state: Any = None, **fields: Any) -> dict[str, Any]:
    raw = _raw(**fields)
    values = {KIT.form_state: form_state, Ids.FORM_AREA: raw["area"], Ids.FORM_UNIT: raw["unit"] or "*",
              Ids.FORM_STATUS: raw["status"], Ids.FORM_MEETING: raw["meeting"] or "*"}
    values.update({KIT.field(f): raw[f] for f in KIT.fields})
    return values


def _render(dash_client, closed=None):
    return dash_client.fire(Ids.AREA, "value", output=Ids.GRID, cvr=world.CVR_A, initial=True,
                            values={Ids.AREA: "Alle", Ids.SHOW_CLOSED: closed or [], Ids.UNIT: "*",
                                    Ids.EXPAND_ALL: 0})


def test_sa_creates_an_item_through_the_form_and_the_customer_sees_it_with_its_meeting(app, login, dash_client,
                                                                                        content):
    login(world.SA_STAFF)
    opened = _form(dash_client, KIT.add)
    assert opened.status_code == 200 and _out(opened, KIT.form_modal, "is_open") is True
    units = _out(opened, Ids.FORM_UNIT, "options")
    assert {"label": "Bogføringskreds 10001 – SA Drift", "value": "10001"} in units
    assert not any("20001" in o["value"] for o in units)
    meetings = _out(opened, Ids.FORM_MEETING, "options")
    assert str(content.meetings["status"]) in {o["value"] for o in meetings}
    assert content_world.SECRET_B not in _text(opened)

    saved = _form(dash_client, KIT.save, _save_values(subject=f"Nyt punkt {HOSTILE}",
                                                       meeting=str(content.meetings["status"])))
    assert saved.status_code == 200, saved.data[:300]
    assert _out(saved, KIT.form_modal, "is_open") is False
    assert "er gemt" in _out(saved, KIT.saved, "data")["text"]

    login(world.LAESER_A)
    rows = _render(dash_client).get_json()["response"][Ids.GRID]["rowData"]
    detail = next(r for r in rows if r["kind"] == "detail" and r["meeting"])
    main = next(r for r in rows if r["kind"] == "main" and r["id"] == detail["id"])
    assert main["subject"] == f"Nyt punkt {HOSTILE}"
    assert detail["meeting"].startswith("Statusmøde marts")
    assert detail["meeting_href"] == f"/moeder?cvr={world.CVR_A}&aar=2023"


def test_form_shows_field_messages_and_keeps_the_form_open(login, dash_client, content):
    login(world.SA_STAFF)
    response = _form(dash_client, KIT.save, _save_values(subject="", deadline="i morgen", unit="20001"))
    assert response.status_code == 200
    assert _out(response, KIT.form_alert, "is_open") is True
    assert _out(response, KIT.field("subject"), "invalid") is True
    assert _out(response, KIT.feedback("subject"), "children") == "Emne skal udfyldes."
    assert "gyldig dato" in _out(response, KIT.feedback("deadline"), "children")
    assert "bogføringskredse" in _out(response, KIT.feedback("unit"), "children")
    assert "is_open" not in response.get_json()["response"].get(KIT.form_modal, {})


def test_two_sa_forms_on_one_item_the_second_save_is_refused(app, login, dash_client, content):
    login(world.SA_STAFF)
    item_id = content.actions["open_loen"]
    selected = [{"id": item_id, "kind": "main"}]
    opened = _form(dash_client, KIT.edit, {KIT.grid: selected})
    state = _out(opened, KIT.form_state, "data")
    assert state == {"id": item_id, "version": 1}
    assert _out(opened, KIT.field("subject"), "value") == "Ny lønart til tillæg"
    assert _out(opened, Ids.FORM_UNIT, "value") == "LG100" and _out(opened, Ids.FORM_AREA, "value") == "Løn"

    first = _form(dash_client, KIT.save, _save_values(state, area="Løn", unit="LG100", subject="Første"))
    assert _out(first, KIT.form_modal, "is_open") is False
    second = _form(dash_client, KIT.save, _save_values(state, area="Løn", unit="LG100", subject="Anden"))
    assert second.status_code == 200
    assert "ændret samtidig af" in _out(second, KIT.form_alert, "children")
    with app.app_context():
        assert actions.get_action_item(SCOPE_A, world.CVR_A, item_id)["subject"] == "Første"


def test_sa_closes_and_reopens_through_the_confirm_dialog(app, login, dash_client, content):
    login(world.SA_STAFF)
    item_id = content.actions["open_regnskab"]
    selected = [{"id": item_id, "kind": "main"}]
    buttons = dash_client.fire(Ids.GRID, "selectedRows", output=Ids.CLOSE, cvr=world.CVR_A,
                               values={Ids.GRID: selected})
    assert _out(buttons, Ids.CLOSE, "disabled") is False and _out(buttons, Ids.REOPEN, "disabled") is True
    asked = _form(dash_client, Ids.CLOSE, {KIT.grid: selected})
    assert _out(asked, KIT.confirm_modal, "is_open") is True
    assert "Afstemning af bankkonti" in _out(asked, KIT.confirm_text, "children")
    state = _out(asked, KIT.confirm_state, "data")
    done = _form(dash_client, KIT.confirm_yes, {KIT.confirm_state: state})
    assert _out(done, KIT.confirm_modal, "is_open") is False and "afsluttet" in _out(done, KIT.changed, "data")["text"]
    # The same dialog state again is stale: refused in the dialog, nothing written twice.
    again = _form(dash_client, KIT.confirm_yes, {KIT.confirm_state: state})
    assert "ændret samtidig af" in _out(again, KIT.confirm_alert, "children")
    with app.app_context():
        assert actions.get_action_item(SCOPE_A, world.CVR_A, item_id)["is_closed"] is True
    edit = _form(dash_client, KIT.edit, {KIT.grid: selected})
    assert "Genåbn" in _out(edit, KIT.saved, "data")["text"]


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB])
def test_customers_read_the_history_of_their_own_items(app, login, dash_client, content, email):
    with app.app_context():
        sa = _principal(world.SA_STAFF)
        item = actions.get_action_item(SCOPE_A, world.CVR_A, content.actions["open_regnskab"])
        actions.set_closed(SCOPE_A, world.CVR_A, sa, item["id"], item["version"], True)
    login(email)
    selected = [{"id": item["id"], "kind": "main"}]
    enabled = dash_client.fire(Ids.GRID, "selectedRows", output=Ids.HISTORY, cvr=world.CVR_A,
                               values={Ids.GRID: selected})
    assert _out(enabled, Ids.HISTORY, "disabled") is False
    shown = dash_client.fire(Ids.HISTORY, "n_clicks", cvr=world.CVR_A, values={Ids.HISTORY: 1, Ids.GRID: selected})
    assert shown.status_code == 200 and _out(shown, Ids.HISTORY_MODAL, "is_open") is True
    body = _text(shown)
    assert "Afsluttet" in body and "I gang → Afsluttet" in body and "Nej → Ja" in body
    assert "Sa Medarbejder" in body and "Ændret af" in body


def test_a_forged_history_request_for_another_customers_item_shows_nothing(app, login, dash_client, content):
    with app.app_context():
        actions.set_closed(SCOPE_B, world.CVR_B, _principal(world.SA_STAFF), content.actions["b_item"], 1, True)
    login(world.LAESER_A)
    forged = [{"id": content.actions["b_item"], "kind": "main"}]
    response = dash_client.fire(Ids.HISTORY, "n_clicks", cvr=world.CVR_A, values={Ids.HISTORY: 1, Ids.GRID: forged})
    assert response.status_code == 204
    assert content_world.SECRET_B.encode() not in response.data
    response = dash_client.fire(Ids.HISTORY, "n_clicks", cvr=world.CVR_B, values={Ids.HISTORY: 1, Ids.GRID: forged})
    assert response.status_code == 403 and content_world.SECRET_B.encode() not in response.data


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A, world.ADMIN_AB])
def test_a_customers_forged_save_close_and_open_are_refused_and_nothing_written(app, login, dash_client, content,
                                                                               email):
    login(email)
    item_id = content.actions["open_regnskab"]
    attempts = [
        _form(dash_client, KIT.save, _save_values(subject="Kunden skriver")),
        _form(dash_client, KIT.save, _save_values({"id": item_id, "version": 1}, subject="Kunden skriver")),
        _form(dash_client, KIT.add),
        _form(dash_client, KIT.confirm_yes, {KIT.confirm_state: {"action": "close", "id": item_id, "version": 1}}),
        dash_client.fire(Ids.GRID, "selectedRows", output=Ids.CLOSE, cvr=world.CVR_A,
                         values={Ids.GRID: [{"id": item_id}]}),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    with app.app_context():
        assert _count(ActionItem, subject="Kunden skriver") == 0
        assert _count(ActionItemHistory) == 0 and _count(Announcement) == 0
        assert actions.get_action_item(SCOPE_A, world.CVR_A, item_id)["is_closed"] is False


def test_sa_saving_with_a_forged_item_of_another_customer_is_refused(app, login, dash_client, content):
    # SA may edit every customer, but an id of B under A's CVR is not found on A, and nothing is written.
    login(world.SA_STAFF)
    b_item = content.actions["b_item"]
    response = _form(dash_client, KIT.save, _save_values({"id": b_item, "version": 1}, subject="Forkert kunde"))
    assert response.status_code == 200
    assert "findes ikke" in _out(response, KIT.form_alert, "children")
    with app.app_context():
        assert _count(ActionItem, subject="Forkert kunde") == 0


def test_the_lock_test_walks_every_editing_callback_of_the_page(app, client, login, dash_client):
    # The automatic refusal of every customer account (tests/test_access_locks.py) must reach these.
    import callbacks.aktionsliste as page_callbacks
    from auth.guard import GUARD_MARK
    from core.rights import Action, Menu
    from tests.test_access_locks import _editing_callbacks

    for func in (page_callbacks.item_form, page_callbacks.close_or_reopen, page_callbacks.editing_enabled):
        assert vars(func)[GUARD_MARK] == {"menu": Menu.AKTIONSLISTE, "action": Action.EDIT_CONTENT}
    login(world.SA_STAFF)
    walked = [cb.output for cb in _editing_callbacks(app, dash_client) if "aktionsliste-" in cb.output]
    assert len(walked) == 3
    assert any(KIT.form_modal in o for o in walked) and any(KIT.confirm_modal in o for o in walked)
    assert any(Ids.REOPEN in o for o in walked)


def test_a_link_to_a_draft_meeting_stays_hidden_until_the_meeting_is_published(app, content):
    from sqlalchemy import select, update

    from core.access import AccessScope
    from data import actions
    from data.db import get_session
    from data.models import ActionItem, Meeting

    scope = AccessScope.single(world.CVR_A)
    with app.app_context():
        session = get_session()
        meeting = session.scalars(select(Meeting).where(Meeting.cvr == world.CVR_A)).first()
        item = session.scalars(select(ActionItem).where(ActionItem.cvr == world.CVR_A)).first()
        session.execute(update(ActionItem).where(ActionItem.id == item.id).values(meeting_id=meeting.id))
        session.execute(update(Meeting).where(Meeting.id == meeting.id).values(published_at=None))
        session.commit()
        rows = {row["id"]: row for row in actions.action_items(scope, world.CVR_A, None, True)}
        assert not rows[item.id]["meeting"]
        session.execute(update(Meeting).where(Meeting.id == meeting.id).values(published_at=meeting.held_at))
        session.commit()
        rows = {row["id"]: row for row in actions.action_items(scope, world.CVR_A, None, True)}
        assert rows[item.id]["meeting"]
