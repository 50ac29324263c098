"""Kontaktpersoner page and callbacks through Dash's own endpoint: rights, forged payloads, SA-only roles,
validation, hostile input, concurrent edits, audit trail and the contacts on the Stamdata tabs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from core.access import AccessScope, Principal
from data import contacts
from data.db import get_session
from data.models import AuditLog, User
from data.roles_catalogue import ensure_role_catalogue
from pages.ids import kontaktpersoner as Ids
from pages.ids.kontaktpersoner import KIT
from pages.ids import stamdata as StamdataIds
from tests import world

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SCOPE_A = AccessScope.single(world.CVR_A)
SCOPE_B = AccessScope.single(world.CVR_B)


# --- helpers ------------------------------------------------------------------------------------


def _text(response) -> str:
    """Return a callback answer as text with non-ASCII kept, for readable assertions."""
    return json.dumps(response.get_json(), ensure_ascii=False)


class Callbacks:
    """Call this page's callbacks as the renderer does: every declared dependency, in order."""

    def __init__(self, app, client, dash_client):
        client.get("/_dash-dependencies")
        self.map = app.extensions["dash_app"].callback_map
        self.dash_client = dash_client

    def keys(self) -> list[str]:
        return [k for k in self.map if "kontaktpersoner-" in k]

    def key(self, output: str) -> str:
        return next(k for k in self.map if output in k)

    def call(self, output: str, values: dict[str, Any], trigger: str | None = None, cvr: Any = world.CVR_A):
        key = self.key(output)
        spec = self.map[key]
        values = {f"{KIT.cvr}.data": cvr, **values}

        def dep(d):
            return {"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}

        outs = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
        outputs = [{"id": o.component_id, "property": o.component_property} for o in outs]
        return self.dash_client.call(
            key, outputs if isinstance(spec["output"], list) else outputs[0],
            [dep(d) for d in spec["inputs"]], [dep(d) for d in spec["state"]],
            changed=[trigger] if trigger else [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"],
        )

    # The page's actions, as a user clicks them.
    def open_add(self, **kw):
        return self.call(f"{KIT.form_modal}.is_open", {f"{KIT.add}.n_clicks": 1}, f"{KIT.add}.n_clicks", **kw)

    def open_edit(self, contact_id, **kw):
        return self.call(f"{KIT.form_modal}.is_open", {f"{KIT.edit}.n_clicks": 1,
                                                       f"{KIT.grid}.selectedRows": [{"id": contact_id}]},
                         f"{KIT.edit}.n_clicks", **kw)

    def save(self, fields: dict[str, Any], roles=(), sa_roles=(), tabs=("generelt",), form_state=None, **kw):
        values = {f"{KIT.save}.n_clicks": 1, f"{KIT.form_state}.data": form_state,
                  f"{Ids.ROLES}.value": list(roles), f"{Ids.SA_ROLES}.value": list(sa_roles),
                  f"{Ids.TABS}.value": list(tabs)}
        values.update({f"{KIT.field(f)}.value": v for f, v in fields.items()})
        return self.call(f"{KIT.form_modal}.is_open", values, f"{KIT.save}.n_clicks", **kw)

    def load(self, saved=None, **kw):
        return self.call(f"{KIT.grid}.rowData", {f"{KIT.saved}.data": saved or {"n": 1}}, f"{KIT.saved}.data", **kw)

    def ask_delete(self, contact_id, **kw):
        return self.call(f"{KIT.confirm_modal}.is_open", {f"{Ids.DELETE}.n_clicks": 1,
                                                          f"{KIT.grid}.selectedRows": [{"id": contact_id}]},
                         f"{Ids.DELETE}.n_clicks", **kw)

    def confirm_delete(self, contact_id, version, **kw):
        return self.call(f"{KIT.confirm_modal}.is_open", {f"{KIT.confirm_yes}.n_clicks": 1,
                                                          f"{KIT.confirm_state}.data": {"id": contact_id, "version": version}},
                         f"{KIT.confirm_yes}.n_clicks", **kw)

    def history(self, contact_id, **kw):
        return self.call(f"{Ids.HISTORY_MODAL}.is_open", {f"{Ids.HISTORY}.n_clicks": 1,
                                                          f"{KIT.grid}.selectedRows": [{"id": contact_id}]},
                         f"{Ids.HISTORY}.n_clicks", **kw)


def _out(response, component: str, prop: str) -> Any:
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"][component][prop]


def _maybe(response, component: str, prop: str) -> Any:
    """Return an output that may be left unchanged (no_update leaves it out of the answer)."""
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"].get(component, {}).get(prop, "unchanged")


FIELDS_OK = {"title": "Bogholder", "name": "Hans Hansen", "email": "hans@institution.dk", "shared_email": "",
             "phone": "+45 12 34 56 78", "notes": "Kontaktes i forbindelse med..."}


@pytest.fixture
def seeded(app):
    """The role catalogue, and one contact of customer B (made by SA staff) to aim forged payloads at."""
    with app.app_context():
        session = get_session()
        roles = {r.name: r.id for r in ensure_role_catalogue(session)}
        session.commit()
        sa = Principal.from_user(session.scalar(select(User).where(User.email == world.SA_STAFF)))
        b = contacts.create_contact(SCOPE_B, world.CVR_B, sa, {
            "name": "Bøger Kontakt", "email": "kontakt@boeger.dk", "tabs": ["generelt"],
            "role_ids": [roles["Primær lønkontakt"]]})
    return {"roles": roles, "b_id": b["id"]}


@pytest.fixture
def cb(app, client, dash_client):
    return Callbacks(app, client, dash_client)


def _contact(app, scope, cvr, contact_id):
    with app.app_context():
        return contacts.get_contact(scope, cvr, contact_id)


def _create_a(app, email=world.SA_STAFF, **raw):
    with app.app_context():
        session = get_session()
        user = Principal.from_user(session.scalar(select(User).where(User.email == email)))
        base = {"name": "Eksisterende", "email": "eks@institution.dk", "tabs": ["generelt"]}
        return contacts.create_contact(SCOPE_A, world.CVR_A, user, base | raw)


# --- rights ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", [world.REDIGER_A, world.ADMIN_AB, world.SA_STAFF])
def test_page_opens_for_rediger_administrator_and_sa(login, dash_client, seeded, email):
    login(email)
    response = dash_client.page("/kontaktpersoner", f"?cvr={world.CVR_A}")
    assert response.status_code == 200
    text = _text(response)
    assert KIT.grid in text and "Tilføj" in text and "Ingen adgang" not in text


@pytest.mark.parametrize("email", [world.LAESER_A, world.RAPPORTER_A, world.RAPPORTER_NO_B])
def test_page_refused_for_laeser_and_rapporter(login, dash_client, seeded, email):
    login(email)
    response = dash_client.page("/kontaktpersoner", f"?cvr={world.CVR_A}")
    assert "Ingen adgang" in _text(response)
    assert KIT.grid not in _text(response)


def test_page_refused_for_other_customer(login, dash_client, seeded):
    login(world.REDIGER_A)
    text = _text(dash_client.page("/kontaktpersoner", f"?cvr={world.CVR_B}"))
    assert "Ingen adgang" in text and "Bøger" not in text


@pytest.mark.parametrize("email", [world.LAESER_A, world.RAPPORTER_A])
def test_every_callback_refused_for_laeser_and_rapporter(login, cb, seeded, email):
    login(email)
    keys = cb.keys()
    assert len(keys) == 7  # list, selection, form, roles, delete, history, export
    for key in keys:
        response = cb.call(key, {f"{KIT.add}.n_clicks": 1, f"{KIT.save}.n_clicks": 1})
        assert response.status_code == 403, (key, response.status_code)
    # And a save with a complete, valid form writes nothing.
    assert cb.save(FIELDS_OK).status_code == 403


def test_every_callback_refused_for_rediger_of_a_on_b(login, cb, seeded):
    login(world.REDIGER_A)
    for key in cb.keys():
        assert cb.call(key, {}, cvr=world.CVR_B).status_code == 403, key
    assert cb.save(FIELDS_OK, cvr=world.CVR_B).status_code == 403
    assert cb.confirm_delete(seeded["b_id"], 1, cvr=world.CVR_B).status_code == 403
    assert cb.history(seeded["b_id"], cvr=world.CVR_B).status_code == 403


def test_forged_ids_of_b_cannot_be_read_changed_or_deleted(app, login, cb, seeded):
    login(world.REDIGER_A)
    b_id = seeded["b_id"]
    edit = cb.open_edit(b_id)
    assert "Bøger" not in _text(edit) and "findes ikke" in _text(edit)
    save = cb.save(FIELDS_OK | {"name": "Overtaget"}, form_state={"id": b_id, "version": 1})
    assert _maybe(save, KIT.form_modal, "is_open") == "unchanged"
    assert "findes ikke" in _out(save, KIT.form_alert, "children")
    assert cb.ask_delete(b_id).status_code == 204
    delete = cb.confirm_delete(b_id, 1)
    assert "findes ikke" in _out(delete, KIT.confirm_alert, "children")
    assert cb.history(b_id).status_code == 204
    grid = _text(cb.load())
    assert "Bøger" not in grid
    still = _contact(app, SCOPE_B, world.CVR_B, b_id)
    assert still["name"] == "Bøger Kontakt" and still["version"] == 1


# --- the form: create, edit, delete, history ------------------------------------------------------


def test_rediger_adds_edits_and_deletes_a_contact(app, login, cb, seeded):
    login(world.REDIGER_A)
    opened = cb.open_add()
    assert _out(opened, KIT.form_modal, "is_open") is True
    customer_options = _out(opened, Ids.ROLES, "options")
    sa_options = _out(opened, Ids.SA_ROLES, "options")
    assert len(customer_options) == 12 and len(sa_options) == 3
    assert all(o["disabled"] is True for o in sa_options)

    role = seeded["roles"]["Kontaktperson – Regnskab"]
    saved = cb.save(FIELDS_OK, roles=[role], tabs=["regnskab"])
    assert _out(saved, KIT.form_modal, "is_open") is False
    grid = cb.load(saved=_out(saved, KIT.saved, "data"))
    rows = _out(grid, KIT.grid, "rowData")
    assert [r["name"] for r in rows] == ["Hans Hansen"]
    row = rows[0]
    assert row["phone"] == "12 34 56 78" and row["roles"] == "Kontaktperson – Regnskab" and row["tabs"] == "Regnskab"
    assert "Kontaktpersonen »Hans Hansen« er gemt." in _text(grid)

    edit = cb.open_edit(row["id"])
    assert _out(edit, KIT.field("name"), "value") == "Hans Hansen"
    assert _out(edit, Ids.ROLES, "value") == [role]
    state = _out(edit, KIT.form_state, "data")
    assert state == {"id": row["id"], "version": 1}
    saved = cb.save(FIELDS_OK | {"name": "Hans H. Hansen"}, roles=[role], tabs=["regnskab", "loen"], form_state=state)
    assert _out(saved, KIT.form_modal, "is_open") is False
    assert _contact(app, SCOPE_A, world.CVR_A, row["id"])["tabs"] == ["regnskab", "loen"]

    history = cb.history(row["id"])
    assert _out(history, Ids.HISTORY_MODAL, "is_open") is True
    text = _text(history)
    assert "Oprettet" in text and "Ændret" in text and "Hans Hansen → Hans H. Hansen" in text
    assert world.REDIGER_A in text

    ask = cb.ask_delete(row["id"])
    assert _out(ask, KIT.confirm_modal, "is_open") is True
    assert "Hans H. Hansen" in _out(ask, KIT.confirm_text, "children")
    state = _out(ask, KIT.confirm_state, "data")
    assert state == {"id": row["id"], "version": 2}
    deleted = cb.confirm_delete(state["id"], state["version"])
    assert _out(deleted, KIT.confirm_modal, "is_open") is False
    assert _contact(app, SCOPE_A, world.CVR_A, row["id"]) is None
    with app.app_context():
        actions = get_session().scalars(select(AuditLog.action).where(AuditLog.entity_id == str(row["id"]))).all()
    assert sorted(actions) == ["create", "delete", "update"]


def test_cancel_closes_the_form_without_saving(app, login, cb, seeded):
    login(world.REDIGER_A)
    response = cb.call(f"{KIT.form_modal}.is_open", {f"{KIT.cancel}.n_clicks": 1,
                                                     **{f"{KIT.field('name')}.value": "Ikke gemt"}},
                       f"{KIT.cancel}.n_clicks")
    assert _out(response, KIT.form_modal, "is_open") is False
    assert _out(cb.load(), KIT.grid, "rowData") == []


def test_selection_enables_the_row_buttons(login, cb, seeded):
    login(world.REDIGER_A)
    none = cb.call(f"{KIT.edit}.disabled", {f"{KIT.grid}.selectedRows": []})
    assert _out(none, KIT.edit, "disabled") is True
    one = cb.call(f"{KIT.edit}.disabled", {f"{KIT.grid}.selectedRows": [{"id": 1}]})
    assert _out(one, Ids.DELETE, "disabled") is False


# --- SA-only roles ---------------------------------------------------------------------------------


def test_customer_cannot_create_with_sa_only_role(app, login, cb, seeded):
    login(world.REDIGER_A)
    for role in ("Deltager – Kundeforum", "Primær lønkontakt", "Primær regnskabskontakt"):
        response = cb.save(FIELDS_OK, sa_roles=[seeded["roles"][role]])
        assert "kun af Statens Administration" in _out(response, KIT.form_alert, "children")
        assert role in _out(response, KIT.form_alert, "children")
        # Smuggling the SA-only id into the customer checklist changes nothing.
        response = cb.save(FIELDS_OK, roles=[seeded["roles"][role]])
        assert "kun af Statens Administration" in _out(response, KIT.form_alert, "children")
    assert _out(cb.load(), KIT.grid, "rowData") == []


def test_customer_cannot_change_sa_only_roles_but_sees_them(app, login, cb, seeded):
    existing = _create_a(app, role_ids=[seeded["roles"]["Primær regnskabskontakt"]])
    login(world.ADMIN_AB)
    edit = cb.open_edit(existing["id"])
    assert _out(edit, Ids.SA_ROLES, "value") == [seeded["roles"]["Primær regnskabskontakt"]]
    state = _out(edit, KIT.form_state, "data")
    fields = FIELDS_OK | {"name": "Eksisterende"}
    removed = cb.save(fields, sa_roles=[], form_state=state)
    assert "kun af Statens Administration" in _out(removed, KIT.form_alert, "children")
    added = cb.save(fields, sa_roles=[seeded["roles"]["Primær regnskabskontakt"], seeded["roles"]["Primær lønkontakt"]],
                    form_state=state)
    assert "kun af Statens Administration" in _out(added, KIT.form_alert, "children")
    assert _contact(app, SCOPE_A, world.CVR_A, existing["id"])["roles"] == ["Primær regnskabskontakt"]
    kept = cb.save(fields | {"title": "Kontorchef"}, sa_roles=[seeded["roles"]["Primær regnskabskontakt"]], form_state=state)
    assert _out(kept, KIT.form_modal, "is_open") is False
    assert _contact(app, SCOPE_A, world.CVR_A, existing["id"])["title"] == "Kontorchef"


def test_sa_staff_assign_sa_only_roles(app, login, cb, seeded):
    login(world.SA_STAFF)
    opened = cb.open_add()
    assert all(o["disabled"] is False for o in _out(opened, Ids.SA_ROLES, "options"))
    saved = cb.save(FIELDS_OK, sa_roles=[seeded["roles"]["Primær lønkontakt"]], tabs=[])
    assert _out(saved, KIT.form_modal, "is_open") is False
    row = _out(cb.load(), KIT.grid, "rowData")[0]
    assert row["roles"] == "Primær lønkontakt" and row["tabs"] == "Generelt, Løn"


def test_tabs_decided_by_an_sa_only_role_go_with_the_role(app, login, cb, seeded):
    login(world.SA_STAFF)
    cb.save(FIELDS_OK, sa_roles=[seeded["roles"]["Primær lønkontakt"]], tabs=["regnskab"])
    row = _out(cb.load(), KIT.grid, "rowData")[0]
    assert row["tabs"] == "Generelt, Regnskab, Løn"
    # The form shows only what the user chose; the role's tabs are named beside it, not ticked.
    edit = cb.open_edit(row["id"])
    assert _out(edit, Ids.TABS, "value") == ["regnskab"]
    cb.save(FIELDS_OK, sa_roles=[], tabs=_out(edit, Ids.TABS, "value"), form_state=_out(edit, KIT.form_state, "data"))
    contact = _contact(app, SCOPE_A, world.CVR_A, row["id"])
    assert contact["roles"] == [] and contact["tabs"] == ["regnskab"] and contact["effective_tabs"] == ["regnskab"]
    assert _out(cb.load(), KIT.grid, "rowData")[0]["tabs"] == "Regnskab"


def test_personal_data_roles_warn_about_secure_mailbox(login, cb, seeded):
    login(world.REDIGER_A)
    uddata = seeded["roles"]["Kontaktperson – Uddata"]
    response = cb.call(f"{Ids.PERSONAL_DATA_WARNING}.children", {f"{Ids.ROLES}.value": [uddata]})
    assert "sikker" in _text(response) and "Kontaktperson – Uddata" in _text(response)
    plain = cb.call(f"{Ids.PERSONAL_DATA_WARNING}.children", {f"{Ids.ROLES}.value": [seeded["roles"]["Afstemning Løn"]]})
    assert _out(plain, Ids.PERSONAL_DATA_WARNING, "children") is None
    forced = cb.call(f"{Ids.PERSONAL_DATA_WARNING}.children",
                     {f"{Ids.SA_ROLES}.value": [seeded["roles"]["Primær lønkontakt"]]})
    assert "Generelt, Løn" in _out(forced, Ids.FORCED_TABS, "children")


# --- validation and hostile input ----------------------------------------------------------------


FIELD_CASES = [
    ("name", "", "Navn skal udfyldes."),
    ("name", "x" * 201, "Navn må højst være 200 tegn."),
    ("title", "x" * 121, "Titel må højst være 120 tegn."),
    ("email", "hans@", "E-mail er ikke en gyldig e-mailadresse"),
    ("email", HOSTILE, "E-mail er ikke en gyldig e-mailadresse"),
    ("shared_email", "fælles", "Fællesmail er ikke en gyldig e-mailadresse"),
    ("phone", "1234", "Telefon skal være et dansk nummer på 8 cifre"),
    ("phone", "<b>12345678</b>", "Telefon skal være et dansk nummer på 8 cifre"),
    ("phone", HOSTILE, "Telefon må højst være 30 tegn."),
    ("notes", "x" * 2001, "Bemærkninger må højst være 2000 tegn."),
    ("name", {"$ne": 1}, "Ugyldig værdi."),
]


def test_each_field_is_validated_beside_the_field(login, cb, seeded):
    # One app per backend for all cases: each case is one refused save.
    login(world.REDIGER_A)
    for field, value, message in FIELD_CASES:
        response = cb.save(FIELDS_OK | {field: value})
        assert _out(response, KIT.field(field), "invalid") is True, (field, value)
        assert _out(response, KIT.feedback(field), "children").startswith(message), (field, value)
        assert "Ret de markerede felter" in _out(response, KIT.form_alert, "children")
        others = [f for f in KIT.fields if f != field]
        assert all(_out(response, KIT.field(f), "invalid") is False for f in others), (field, value)
    assert _out(cb.load(), KIT.grid, "rowData") == []


def test_a_refused_save_is_summed_up_at_the_save_button_in_the_forms_order(login, cb, seeded):
    login(world.REDIGER_A)
    response = cb.save(FIELDS_OK | {"phone": "1234", "email": "hans@", "name": ""})
    summary = json.dumps(_out(response, KIT.form_summary, "children"), ensure_ascii=False)
    assert "Kontaktpersonen er ikke gemt. Ret de markerede felter." in summary
    # Each field's message, in the order of the form (name before e-mail before phone).
    positions = [summary.index(m) for m in ("Navn skal udfyldes.", "E-mail er ikke en gyldig", "Telefon skal være")]
    assert positions == sorted(positions)
    # A good save clears it (the form closes), and so does opening the form again.
    assert _out(cb.save(FIELDS_OK), KIT.form_summary, "children") is None
    assert _out(cb.open_add(), KIT.form_summary, "children") is None


def _pick_roles(cb, role_ids, tabs=(), form_state=None):
    return cb.call(f"{KIT.form_modal}.is_open", {f"{Ids.ROLES}.value": role_ids, f"{Ids.TABS}.value": list(tabs),
                                                  f"{KIT.form_state}.data": form_state}, f"{Ids.ROLES}.value")


def _tabs_untouched(response) -> bool:
    # Nothing to do answers 204 (PreventUpdate): the browser keeps the tabs as they are.
    return response.status_code == 204 or _maybe(response, Ids.TABS, "value") == "unchanged"


def test_a_new_contacts_obvious_tab_is_preselected_from_its_roles(app, login, cb, seeded):
    login(world.REDIGER_A)
    roles = seeded["roles"]
    assert _out(_pick_roles(cb, [roles["Kontaktperson – Regnskab"]]), Ids.TABS, "value") == ["regnskab"]
    assert _out(_pick_roles(cb, [roles["Afstemning Løn"]]), Ids.TABS, "value") == ["loen"]
    assert _out(_pick_roles(cb, [roles["Kontaktperson – Sikkerhedshændelse (DPO)"]]), Ids.TABS, "value") == ["generelt"]
    both = _pick_roles(cb, [roles["Kvitteringsmail – Lønportalen"], roles["Deltager – Forum for regnskabschefer"]])
    assert _out(both, Ids.TABS, "value") == ["regnskab", "loen"]
    # Never over a choice the user made, on a contact being edited, or from forged or SA-only role ids.
    assert _tabs_untouched(_pick_roles(cb, [roles["Afstemning Løn"]], tabs=["generelt"]))
    existing = _create_a(app)
    edit_state = {"id": existing["id"], "version": existing["version"]}
    assert _tabs_untouched(_pick_roles(cb, [roles["Afstemning Løn"]], form_state=edit_state))
    for forged in (["x"], [99999], [roles["Primær lønkontakt"]], "1", None):
        assert _tabs_untouched(_pick_roles(cb, forged)), forged


def test_malformed_roles_and_tabs_are_refused(login, cb, seeded):
    login(world.REDIGER_A)
    response = cb.save(FIELDS_OK, roles=["<b>x</b>"], tabs=["refusion"])
    assert _out(response, KIT.feedback("roles"), "children") == "Ugyldigt valg af roller."
    assert _out(response, KIT.feedback("tabs"), "children") == "Ukendt faneblad."


def test_hostile_text_is_shown_as_text(app, login, cb, client, dash_client, seeded):
    login(world.REDIGER_A)
    saved = cb.save({"title": HOSTILE, "name": HOSTILE, "email": "x@institution.dk", "shared_email": "",
                     "phone": "", "notes": HOSTILE}, tabs=["generelt"])
    assert _out(saved, KIT.form_modal, "is_open") is False
    grid = cb.load()
    row = _out(grid, KIT.grid, "rowData")[0]
    assert row["name"] == HOSTILE and row["title"] == HOSTILE and row["notes"] == HOSTILE
    history = cb.history(row["id"])
    stamdata = dash_client.call(
        f"{StamdataIds.CONTENT}.children", {"id": StamdataIds.CONTENT, "property": "children"},
        [{"id": StamdataIds.TABS, "property": "value", "value": "generelt"}],
        [{"id": StamdataIds.CVR, "property": "data", "value": world.CVR_A}])
    page = dash_client.page("/kontaktpersoner", f"?cvr={world.CVR_A}")
    for response in (grid, history, stamdata, page):
        assert response.status_code == 200
        # Text only: no component that renders raw HTML, no grid cell renderer that could. The one renderer
        # allowed is the e-mail cell's (assets/grid.js PortalEmail: React text nodes and <wbr>, never HTML).
        for unsafe in (b"dangerously_allow_html", b"dangerously_allow_code", b'"Markdown"',
                       b"DangerouslySetInnerHTML", b'"Iframe"'):
            assert unsafe not in response.data
        assert set(re.findall(rb'"cellRenderer":\s*"?([^",}]*)', response.data)) <= {b"PortalEmail"}
    escaped = json.dumps(HOSTILE, ensure_ascii=False)[1:-1]
    assert escaped in _text(history) and escaped in _text(stamdata)


# --- concurrent edits ----------------------------------------------------------------------------


def test_second_concurrent_save_is_refused_and_nothing_overwritten(app, login, cb, seeded):
    existing = _create_a(app, email=world.REDIGER_A)
    login(world.REDIGER_A)
    state = _out(cb.open_edit(existing["id"]), KIT.form_state, "data")
    # Someone else (SA staff) saves the same contact while the form is open.
    with app.app_context():
        session = get_session()
        sa = Principal.from_user(session.scalar(select(User).where(User.email == world.SA_STAFF)))
        contacts.update_contact(SCOPE_A, world.CVR_A, sa, existing["id"], 1,
                                {"name": "Ændret af SA", "email": "eks@institution.dk", "tabs": ["generelt"]})
    response = cb.save(FIELDS_OK | {"name": "Min ændring"}, form_state=state)
    alert = _out(response, KIT.form_alert, "children")
    assert alert.startswith("Kontaktpersonen er ændret samtidig af Sa Medarbejder kl. ") and alert.endswith("— genindlæs og prøv igen.")
    assert _maybe(response, KIT.form_modal, "is_open") == "unchanged"
    assert _contact(app, SCOPE_A, world.CVR_A, existing["id"])["name"] == "Ændret af SA"
    # A stale delete is refused too.
    delete = cb.confirm_delete(existing["id"], 1)
    assert "er ændret samtidig af" in _out(delete, KIT.confirm_alert, "children")
    assert _contact(app, SCOPE_A, world.CVR_A, existing["id"]) is not None


# --- Stamdata tabs --------------------------------------------------------------------------------


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A])
def test_stamdata_tabs_list_the_chosen_contacts(app, login, dash_client, seeded, email):
    _create_a(app, name="Regnskabsmedarbejder", tabs=["regnskab"],
              role_ids=[seeded["roles"]["Kontaktperson – Regnskab"]])
    _create_a(app, name="Lønchef", tabs=[], role_ids=[seeded["roles"]["Primær lønkontakt"]])
    login(email)

    def tab(key):
        response = dash_client.call(
            f"{StamdataIds.CONTENT}.children", {"id": StamdataIds.CONTENT, "property": "children"},
            [{"id": StamdataIds.TABS, "property": "value", "value": key}],
            [{"id": StamdataIds.CVR, "property": "data", "value": world.CVR_A}])
        assert response.status_code == 200
        return _text(response)

    generelt, regnskab, loen = tab("generelt"), tab("regnskab"), tab("loen")
    assert "Lønchef" in generelt and "Regnskabsmedarbejder" not in generelt
    assert "Regnskabsmedarbejder" in regnskab and "Kontaktperson – Regnskab" in regnskab and "Lønchef" not in regnskab
    assert "Lønchef" in loen and "Primær lønkontakt" in loen
    for text in (generelt, regnskab, loen):
        assert "Bøger" not in text
        for header in ("Titel", "Navn", "E-mail", "Fællesmail", "Telefon", "Roller", "Bemærkninger"):
            assert header in text


def test_export_contacts_csv_and_xlsx(app, login, dash_client):
    import base64
    import io

    import openpyxl

    from data.db import get_session
    from data.models import Contact

    with app.app_context():
        session = get_session()
        session.add(Contact(cvr=world.CVR_A, name="=HYPERLINK(\"x\")", email="a@example.dk", tabs=["Generelt"]))
        session.add(Contact(cvr=world.CVR_B, name="HEMMELIG-B kontakt", email="b@example.dk", tabs=["Generelt"]))
        session.commit()
    login(world.REDIGER_A)

    def export(which, cvr=world.CVR_A, filters=None, sort=None):
        return dash_client.call(
            "kontaktpersoner-download.data", {"id": "kontaktpersoner-download", "property": "data"},
            [{"id": "kontaktpersoner-export-csv", "property": "n_clicks", "value": 1 if which == "csv" else None},
             {"id": "kontaktpersoner-export-xlsx", "property": "n_clicks", "value": 1 if which == "xlsx" else None}],
            [{"id": "kontaktpersoner-grid", "property": "filterModel", "value": filters},
             {"id": "kontaktpersoner-grid", "property": "columnState", "value": sort},
             {"id": "kontaktpersoner-cvr", "property": "data", "value": cvr}],
            changed=[f"kontaktpersoner-export-{which}.n_clicks"],
        )

    csv_data = export("csv").get_json()["response"]["kontaktpersoner-download"]["data"]
    assert csv_data["filename"].startswith(f"Kontaktpersoner_{world.CVR_A}")
    assert "'=HYPERLINK" in csv_data["content"] and "HEMMELIG-B" not in csv_data["content"]
    xlsx = export("xlsx").get_json()["response"]["kontaktpersoner-download"]["data"]
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(xlsx["content"]))).active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert names == ["'=HYPERLINK(\"x\")"]
    denied = export("csv", cvr=world.CVR_B)
    assert denied.status_code == 403 and b"HEMMELIG" not in denied.data

    # The grid's filter model picks what is exported; a filter aimed at another customer's contact,
    # junk and forged values pick nothing and show nothing.
    forged = {"name": {"filterType": "text", "type": "contains", "filter": "hyperlink"},
              "email": "junk", "x' OR 1=1": {"type": "equals", "filter": "HEMMELIG-B kontakt"}}
    content = export("csv", filters=forged).get_json()["response"]["kontaktpersoner-download"]["data"]["content"]
    assert "'=HYPERLINK" in content and "HEMMELIG" not in content and "FORFALSKET" not in content
    nothing = {"name": {"filterType": "text", "type": "equals", "filter": "HEMMELIG-B kontakt"}}
    empty = export("csv", filters=nothing).get_json()["response"]["kontaktpersoner-download"]["data"]["content"]
    assert "HYPERLINK" not in empty and empty.lstrip("\ufeff").startswith("Titel;")


def test_every_audit_row_says_which_client_address_the_change_came_from(app, client, login, cb, seeded):
    from sqlalchemy import select

    from data.db import get_session
    from data.models import AuditLog

    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    login(world.REDIGER_A)
    saved = cb.save(FIELDS_OK, roles=[seeded["roles"]["Kontaktperson – Regnskab"]], tabs=["regnskab"])
    assert _out(saved, KIT.form_modal, "is_open") is False
    with app.app_context():
        rows = get_session().scalars(select(AuditLog).where(AuditLog.entity == "contact",
                                                            AuditLog.user_label.contains(world.REDIGER_A))).all()
    assert rows and {row.client_address for row in rows} == {"203.0.113.9"}
