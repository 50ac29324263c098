"""Brugeradministration page and callbacks through Dash's own endpoint: rights, forged payloads naming other
customers' CVRs and users, creation with a mailed password that must be changed, deactivation ending the
user's sessions, validation beside each field, hostile input shown as text, audit rows."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.access import Principal
from data import users
from data.db import get_session
from data.models import AuditLog, Grant, User
from pages.ids import brugeradministration as Ids
from pages.ids.brugeradministration import KIT
from tests import world
from tests.conftest import DashClient, sign_in

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SHARED = "delt.bruger@example.dk"  # grants on A and on C (C is not administered by ADMIN_AB)
ONLY_C = "kun.c@example.dk"
C_MARKERS = [world.CVR_C, "Cirkler", "Hemmelig"]


def _text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def _is_pattern(dep_id: str) -> bool:
    return dep_id.startswith("{")


class Callbacks:
    """Call this page's callbacks as the renderer does: every declared dependency, in order."""

    def __init__(self, app, client, dash_client):
        client.get("/_dash-dependencies")
        self.map = app.extensions["dash_app"].callback_map
        self.app = app
        self.dash_client = dash_client

    def keys(self) -> list[str]:
        return [k for k in self.map if "brugeradministration-" in k]

    def key(self, output: str) -> str:
        return next(k for k in self.map if output in k)

    def call(self, output: str, values: dict[str, Any], trigger: str | None = None, cvr: Any = world.CVR_A,
             groups: list[dict] | None = None, remove_clicks: list[int] | None = None):
        key = output if output in self.map else self.key(output)
        spec = self.map[key]
        values = {f"{KIT.cvr}.data": cvr, **values}
        groups = groups or []

        def dep(d):
            if not _is_pattern(d["id"]):
                return {"id": d["id"], "property": d["property"], "value": values.get(f"{d['id']}.{d['property']}")}
            kind = json.loads(d["id"])["type"]
            if kind == Ids.GROUP_CVR:
                items = [g.get("cvr") for g in groups]
            elif kind == Ids.GROUP_RIGHTS:
                items = [g.get("rights") for g in groups]
            else:
                items = remove_clicks if remove_clicks is not None else [0] * (len(groups) if len(groups) > 1 else 0)
            return [{"id": {"type": kind, "index": i}, "property": d["property"], "value": v} for i, v in enumerate(items)]

        outs = spec["output"] if isinstance(spec["output"], list) else [spec["output"]]
        outputs = [{"id": o.component_id, "property": o.component_property} for o in outs]
        first = spec["inputs"][0]
        return self.dash_client.call(
            key, outputs if isinstance(spec["output"], list) else outputs[0],
            [dep(d) for d in spec["inputs"]], [dep(d) for d in spec["state"]],
            changed=[trigger] if trigger else [f"{first['id']}.{first['property']}"],
        )

    # The page's actions, as a user clicks them.
    def open_add(self, **kw):
        return self.call(f"{KIT.form_modal}.is_open", {f"{KIT.add}.n_clicks": 1}, f"{KIT.add}.n_clicks", **kw)

    def open_edit(self, user_id, **kw):
        return self.call(f"{KIT.form_modal}.is_open", {f"{KIT.edit}.n_clicks": 1,
                                                       f"{KIT.grid}.selectedRows": [{"id": user_id}]},
                         f"{KIT.edit}.n_clicks", **kw)

    def submit(self, fields: dict[str, Any], groups: list[dict], form_state=None, **kw):
        target = form_state.get("id") if isinstance(form_state, dict) else None
        if isinstance(target, int) and not isinstance(target, bool) and "version" not in form_state:
            # As the form holds it when opened just now.
            with self.app.app_context():
                version = get_session().scalar(select(User.version).where(User.id == form_state["id"]))
            form_state = {**form_state, "version": version}
        values = {f"{KIT.save}.n_clicks": 1, f"{KIT.form_state}.data": form_state}
        values.update({f"{KIT.field(f)}.value": v for f, v in fields.items()})
        return self.call(f"{KIT.form_modal}.is_open", values, f"{KIT.save}.n_clicks", groups=groups, **kw)

    def add_group(self, groups, **kw):
        return self.call(f"{KIT.form_modal}.is_open", {f"{Ids.ADD_GROUP}.n_clicks": 1}, f"{Ids.ADD_GROUP}.n_clicks",
                         groups=groups, **kw)

    def remove_group(self, groups, index, **kw):
        clicks = [1 if i == index else 0 for i in range(len(groups))]
        trigger = json.dumps({"index": index, "type": Ids.GROUP_REMOVE}, separators=(",", ":")) + ".n_clicks"
        return self.call(f"{KIT.form_modal}.is_open", {}, trigger, groups=groups, remove_clicks=clicks, **kw)

    def load(self, **kw):
        return self.call(f"{KIT.grid}.rowData", {f"{KIT.saved}.data": {"n": 1}}, f"{KIT.saved}.data", **kw)

    def ask(self, button: str, user_id, **kw):
        return self.call(f"{KIT.confirm_modal}.is_open", {f"{button}.n_clicks": 1,
                                                          f"{KIT.grid}.selectedRows": [{"id": user_id}]},
                         f"{button}.n_clicks", **kw)

    def history(self, user_id, **kw):
        return self.call(f"{Ids.HISTORY_MODAL}.is_open", {f"{Ids.HISTORY}.n_clicks": 1,
                                                          f"{KIT.grid}.selectedRows": [{"id": user_id}]},
                         f"{Ids.HISTORY}.n_clicks", **kw)

    def confirm(self, action: str, user_id, **kw):
        return self.call(f"{KIT.confirm_modal}.is_open", {f"{KIT.confirm_yes}.n_clicks": 1,
                                                          f"{KIT.confirm_state}.data": {"action": action, "id": user_id}},
                         f"{KIT.confirm_yes}.n_clicks", **kw)


def _out(response, component: str, prop: str) -> Any:
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"][component][prop]


def _maybe(response, component: str, prop: str) -> Any:
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"].get(component, {}).get(prop, "unchanged")


FIELDS_OK = {"name": "Ny Bruger", "email": "ny.bruger@institution.dk", "b_number": "B4711"}
GROUPS_OK = [{"cvr": world.CVR_A, "rights": ["Læser", "Rapporter"]}]


@pytest.fixture
def extra(app):
    """A user shared between A and C (with telling rights on C), and one only on C."""
    with app.app_context():
        session = get_session()
        shared = User(email=SHARED, name="Delt Bruger", password_hash=world.password_hash(),
                      grants=[Grant(cvr=world.CVR_A, rights=["Læser"]),
                              Grant(cvr=world.CVR_C, rights=["Rediger", "Rapporter"])])
        only_c = User(email=ONLY_C, name="Hemmelig Cirkelbruger", password_hash=world.password_hash(),
                      grants=[Grant(cvr=world.CVR_C, rights=["Læser"])])
        only_a = User(email="kun.a@example.dk", name="Kun A Bruger", password_hash=world.password_hash(),
                      grants=[Grant(cvr=world.CVR_A, rights=["Læser"])])
        session.add_all([shared, only_c, only_a])
        session.commit()
        return {"shared": shared.id, "only_c": only_c.id, "only_a": only_a.id}


@pytest.fixture
def cb(app, client, dash_client):
    return Callbacks(app, client, dash_client)


def _user(app, email_: str) -> User | None:
    with app.app_context():
        return get_session().scalar(select(User).where(User.email == email_))


def _grants(app, user_id: int) -> dict[str, list[str]]:
    with app.app_context():
        return {g.cvr: sorted(g.rights) for g in get_session().scalars(select(Grant).where(Grant.user_id == user_id))}


def _audit(app, user_id: int) -> list[AuditLog]:
    with app.app_context():
        return list(get_session().scalars(select(AuditLog).where(AuditLog.entity_id == str(user_id)).order_by(AuditLog.id)))


def _mails(app_config) -> list[email.message.EmailMessage]:
    folder = Path(app_config["MAIL_OUTBOX_PATH"])
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


# --- rights ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("email_, cvr", [
    (world.ADMIN_AB, world.CVR_A), (world.ADMIN_AB, world.CVR_B), (world.SA_STAFF, world.CVR_C),
    (world.SA_ADMIN, world.CVR_B),
])
def test_page_opens_for_administrator_and_sa(login, dash_client, email_, cvr):
    login(email_)
    text = _text(dash_client.page("/brugeradministration", f"?cvr={cvr}"))
    assert KIT.grid in text and "Tilføj" in text and "Ingen adgang" not in text


@pytest.mark.parametrize("email_, cvr", [
    (world.LAESER_A, world.CVR_A), (world.REDIGER_A, world.CVR_A), (world.RAPPORTER_A, world.CVR_A),
    (world.RAPPORTER_NO_B, world.CVR_A), (world.TWO_CVRS, world.CVR_B), (world.LAESER_B, world.CVR_B),
    (world.ADMIN_AB, world.CVR_C),
])
def test_page_refused_without_administrator(login, dash_client, email_, cvr):
    login(email_)
    text = _text(dash_client.page("/brugeradministration", f"?cvr={cvr}"))
    assert "Ingen adgang" in text and KIT.grid not in text


def test_menu_item_only_for_administrators(app, login, client):
    from core.access import menu_items_for
    from core.rights import Menu

    with app.app_context():
        from core.access import Principal
        from sqlalchemy.orm import selectinload

        for email_, expected in ((world.ADMIN_AB, True), (world.LAESER_A, False), (world.REDIGER_A, False),
                                 (world.RAPPORTER_A, False)):
            user = get_session().scalar(select(User).options(selectinload(User.grants)).where(User.email == email_))
            menus = [i.menu for i in menu_items_for(Principal.from_user(user), world.CVR_A)]
            assert (Menu.BRUGERADMINISTRATION in menus) is expected, email_


@pytest.mark.parametrize("email_, cvr", [
    (world.LAESER_A, world.CVR_A), (world.REDIGER_A, world.CVR_A), (world.RAPPORTER_A, world.CVR_A),
    (world.TWO_CVRS, world.CVR_B), (world.ADMIN_AB, world.CVR_C),
])
def test_every_callback_refused_without_administrator(app, login, cb, extra, email_, cvr):
    login(email_)
    keys = cb.keys()
    assert len(keys) == 5  # grid, selection, form, confirmation, history
    for key in keys:
        response = cb.call(key, {f"{KIT.add}.n_clicks": 1, f"{KIT.save}.n_clicks": 1}, cvr=cvr, groups=GROUPS_OK)
        assert response.status_code == 403, (key, response.status_code)
    # A complete, valid form and every confirmed action write nothing.
    assert cb.submit(FIELDS_OK, [{"cvr": cvr, "rights": ["Læser"]}], cvr=cvr).status_code == 403
    target = _user(app, SHARED).id
    for action in ("deactivate", "reactivate", "remove"):
        assert cb.confirm(action, target, cvr=cvr).status_code == 403
    assert _user(app, FIELDS_OK["email"]) is None
    assert _user(app, SHARED).is_active and _audit(app, target) == []


# --- the grid -------------------------------------------------------------------------------------


def test_grid_lists_users_with_rights_on_this_cvr_only(login, cb, extra):
    login(world.ADMIN_AB)
    response = cb.load()
    rows = {r["email"]: r for r in _out(response, KIT.grid, "rowData")}
    assert world.LAESER_A in rows and world.ADMIN_AB in rows and world.LAESER_B not in rows and ONLY_C not in rows
    assert rows[world.TWO_CVRS]["rights"] == "Læser"
    assert rows[SHARED]["rights"] == "Læser"
    assert rows[world.RAPPORTER_A]["b_number"] == "B123456"
    assert rows[world.INACTIVE]["active"] == "Nej" and rows[world.LAESER_A]["active"] == "Ja"
    assert set(rows[world.LAESER_A]) >= {"id", "name", "email", "b_number", "rights", "active", "created"}
    text = _text(response)
    for marker in C_MARKERS:
        assert marker not in text
    # On B the same admin sees B's users, TWO_CVRS with B's rights.
    rows_b = {r["email"]: r for r in _out(cb.load(cvr=world.CVR_B), KIT.grid, "rowData")}
    assert world.LAESER_B in rows_b and world.LAESER_A not in rows_b
    assert rows_b[world.TWO_CVRS]["rights"] == "Læser, Rapporter"


def test_selection_enables_actions(login, cb):
    login(world.ADMIN_AB)
    key = cb.key(f"{KIT.edit}.disabled")
    none = cb.call(key, {f"{KIT.grid}.selectedRows": []})
    assert all(v["disabled"] for v in none.get_json()["response"].values())
    active = cb.call(key, {f"{KIT.grid}.selectedRows": [{"id": 1, "is_active": True}]}).get_json()["response"]
    assert not active[KIT.edit]["disabled"] and not active[Ids.DEACTIVATE]["disabled"]
    assert active[Ids.REACTIVATE]["disabled"] and not active[Ids.REMOVE]["disabled"]


# --- the form -------------------------------------------------------------------------------------


def test_add_form_offers_only_administered_cvrs_and_no_administrator(login, cb, extra):
    login(world.ADMIN_AB)
    response = cb.open_add()
    assert _out(response, KIT.form_modal, "is_open") is True
    assert _out(response, KIT.form_title, "children") == "Opret bruger"
    assert _out(response, KIT.save, "children") == "Tilføj"
    text = _text(response)
    assert "Rettighedsgruppe 1" in text and "CVR Nummer" in text
    assert f'"value": "{world.CVR_A}"' in text and f'"value": "{world.CVR_B}"' in text
    for marker in C_MARKERS:
        assert marker not in text
    checklist = json.dumps(_out(response, Ids.GROUPS, "children"), ensure_ascii=False)
    assert '"value": "Administrator", "disabled": true' in checklist
    assert '"value": "Læser"}' in checklist


def test_sa_admin_may_tick_administrator(login, cb):
    login(world.SA_ADMIN)
    checklist = json.dumps(_out(cb.open_add(cvr=world.CVR_C), Ids.GROUPS, "children"), ensure_ascii=False)
    assert '"value": "Administrator", "disabled": false' in checklist
    assert world.CVR_C in checklist


def test_add_and_remove_rettighedsgruppe(login, cb):
    login(world.ADMIN_AB)
    one = [{"cvr": world.CVR_A, "rights": ["Læser"]}]
    two = _text(cb.add_group(one))
    assert "Rettighedsgruppe 2" in two and "⊖ Fjern" in two
    groups = [{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_B, "rights": ["Rediger"]}]
    left = _out(cb.remove_group(groups, 0), Ids.GROUPS, "children")
    assert len(left) == 1
    text = json.dumps(left, ensure_ascii=False)
    assert "Rettighedsgruppe 1" in text and '"value": "20000007"' in text and "Rediger" in text
    # A ⊖ button appearing (no click) changes nothing.
    idle = cb.call(f"{KIT.form_modal}.is_open", {}, json.dumps({"index": 1, "type": Ids.GROUP_REMOVE},
                   separators=(",", ":")) + ".n_clicks", groups=groups, remove_clicks=[0, 0])
    assert idle.status_code == 204


def test_create_sends_mail_and_forces_password_change(app, app_config, login, cb):
    login(world.ADMIN_AB)
    groups = [{"cvr": world.CVR_A, "rights": ["Læser", "Rapporter"]}, {"cvr": world.CVR_B, "rights": ["Rediger"]}]
    response = cb.submit(FIELDS_OK, groups)
    assert _out(response, KIT.form_modal, "is_open") is False
    saved = _out(response, KIT.saved, "data")
    assert "er oprettet" in saved["text"] and "automatisk genereret e-mail" in saved["text"]
    user = _user(app, FIELDS_OK["email"])
    assert user.must_change_password and user.b_number == "B4711"
    assert _grants(app, user.id) == {world.CVR_A: ["Læser", "Rapporter"], world.CVR_B: ["Rediger"]}
    [message] = _mails(app_config)
    assert message["To"] == FIELDS_OK["email"]
    body = message.get_content()
    assert "Brugernavn: ny.bruger@institution.dk" in body
    password = next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("Adgangskode: "))
    # The new user signs in with the mailed password and is sent to choose their own.
    newcomer = app.test_client()
    signed_in = sign_in(newcomer, FIELDS_OK["email"], password)
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/skift-adgangskode")
    assert newcomer.get("/stamdata").status_code == 302
    # The grid shows the new user after the save.
    rows = {r["email"]: r for r in _out(cb.load(), KIT.grid, "rowData")}
    assert rows[FIELDS_OK["email"]]["rights"] == "Læser, Rapporter"
    rows = _audit(app, user.id)
    assert {(r.action, r.cvr) for r in rows} == {("create", world.CVR_A), ("create", world.CVR_B)}


def test_existing_email_is_merged_without_revealing_other_grants(app, app_config, login, cb, extra):
    login(world.ADMIN_AB)
    response = cb.submit({"name": "Hvem Som Helst", "email": SHARED.upper(), "b_number": ""},
                         [{"cvr": world.CVR_B, "rights": ["Læser"]}])
    saved = _out(response, KIT.saved, "data")
    assert "tilhører allerede" in saved["text"]
    text = _text(response)
    for marker in C_MARKERS:
        assert marker not in text
    assert _grants(app, extra["shared"]) == {world.CVR_A: ["Læser"], world.CVR_B: ["Læser"],
                                             world.CVR_C: ["Rapporter", "Rediger"]}
    with app.app_context():
        assert len(list(get_session().scalars(select(User).where(User.email.ilike(SHARED))))) == 1
    [message] = _mails(app_config)
    assert "Adgangskode" not in message.get_content() and world.CVR_C not in message.get_content()


def test_user_known_only_at_another_customer_is_refused_without_a_name(app, app_config, login, cb, extra):
    login(world.ADMIN_AB)
    response = cb.submit({"name": "Hvem Som Helst", "email": ONLY_C, "b_number": ""}, GROUPS_OK)
    assert _out(response, KIT.field("email"), "invalid") is True
    assert "ikke er oprettet hos jeres CVR-numre" in _out(response, KIT.feedback("email"), "children")
    assert _maybe(response, KIT.form_modal, "is_open") == "unchanged"
    text = _text(response)
    for marker in C_MARKERS:
        assert marker not in text
    assert _grants(app, extra["only_c"]) == {world.CVR_C: ["Læser"]}
    assert ONLY_C not in [r["email"] for r in _out(cb.load(), KIT.grid, "rowData")]
    assert _mails(app_config) == []


def test_a_stale_edit_form_is_refused_in_the_form(app, login, cb, extra):
    login(world.ADMIN_AB)
    opened = _out(cb.open_edit(extra["only_a"]), KIT.form_state, "data")
    assert set(opened) == {"id", "version"}
    with app.app_context():
        users.update_user(Principal.from_user(get_session().scalar(
            select(User).options(selectinload(User.grants)).where(User.email == world.SA_ADMIN))),
            world.CVR_A, extra["only_a"], {"name": "Kun A", "email": "", "b_number": "",
                                           "groups": [{"cvr": world.CVR_A, "rights": ["Læser", "Rediger"]}]},
            version=opened["version"])
    response = cb.submit({"name": "Kun A", "email": "", "b_number": ""},
                         [{"cvr": world.CVR_A, "rights": ["Læser"]}], form_state=opened)
    assert _out(response, KIT.form_alert, "is_open") is True
    assert "ændret af en anden" in _out(response, KIT.form_alert, "children")
    assert _maybe(response, KIT.form_modal, "is_open") == "unchanged"
    assert _grants(app, extra["only_a"]) == {world.CVR_A: ["Læser", "Rediger"]}


def test_adding_rights_a_user_already_holds_says_so(app, app_config, login, cb, extra):
    login(world.ADMIN_AB)
    response = cb.submit({"name": "Hvem Som Helst", "email": SHARED, "b_number": ""},
                         [{"cvr": world.CVR_A, "rights": ["Læser"]}])
    saved = _out(response, KIT.saved, "data")
    assert saved["level"] == "info" and "Intet er ændret" in saved["text"]
    assert _mails(app_config) == []


def test_edit_shows_only_grants_on_administered_cvrs(login, cb, extra):
    login(world.ADMIN_AB)
    response = cb.open_edit(extra["shared"])
    assert _out(response, KIT.form_modal, "is_open") is True
    assert _out(response, KIT.field("email"), "disabled") is True
    assert _out(response, KIT.save, "children") == "Gem"
    assert _out(response, KIT.field("name"), "value") == "Delt Bruger"
    groups = _out(response, Ids.GROUPS, "children")
    assert len(groups) == 1
    text = _text(response)
    assert "Rapporter\"]" not in text  # C's rights are not shown ticked anywhere
    for marker in C_MARKERS:
        assert marker not in text


def test_edit_saves_name_b_number_and_rights(app, login, cb, extra):
    login(world.ADMIN_AB)
    response = cb.submit({"name": "Kun A Ny", "email": "ignoreres@x.dk", "b_number": "b99"},
                         [{"cvr": world.CVR_A, "rights": ["Rediger"]}, {"cvr": world.CVR_B, "rights": ["Læser"]}],
                         form_state={"id": extra["only_a"]})
    assert _out(response, KIT.form_modal, "is_open") is False
    user = _user(app, "kun.a@example.dk")
    assert (user.name, user.b_number) == ("Kun A Ny", "B99")
    assert _grants(app, user.id) == {world.CVR_A: ["Rediger"], world.CVR_B: ["Læser"]}
    rows = _audit(app, user.id)
    assert {(r.action, r.cvr) for r in rows} == {("update", world.CVR_A), ("update", world.CVR_B)}
    row_a = next(r for r in rows if r.cvr == world.CVR_A)
    assert row_a.before["rights"] == ["Læser"] and row_a.after["rights"] == ["Rediger"]
    assert row_a.before["name"] == "Kun A Bruger" and row_a.after["b_number"] == "B99"


def test_edit_of_shared_user_changes_rights_here_but_not_the_person(app, login, cb, extra):
    login(world.ADMIN_AB)
    opened = cb.open_edit(extra["shared"])
    assert _out(opened, KIT.field("name"), "disabled") is True
    assert _out(opened, KIT.field("b_number"), "disabled") is True
    assert "også adgang hos andre kunder" in str(_out(opened, Ids.SHARED_NOTE, "children"))
    own = cb.open_edit(extra["only_a"])
    assert _out(own, KIT.field("name"), "disabled") is False and _out(own, Ids.SHARED_NOTE, "children") is None
    groups = [{"cvr": world.CVR_A, "rights": ["Rediger"]}, {"cvr": world.CVR_B, "rights": ["Læser"]}]
    for fields in ({"name": "Delt Bruger Ny", "b_number": ""}, {"name": "Delt Bruger", "b_number": "B99"}):
        response = cb.submit({**fields, "email": SHARED}, groups, form_state={"id": extra["shared"]})
        assert _maybe(response, KIT.form_modal, "is_open") == "unchanged"
        assert "også adgang hos andre kunder" in _text(response)
        for marker in C_MARKERS:
            assert marker not in _text(response)
    assert _grants(app, extra["shared"]) == {world.CVR_A: ["Læser"], world.CVR_C: ["Rapporter", "Rediger"]}
    response = cb.submit({"name": "Delt Bruger", "email": SHARED, "b_number": ""}, groups,
                         form_state={"id": extra["shared"]})
    assert _out(response, KIT.form_modal, "is_open") is False
    user = _user(app, SHARED)
    assert (user.name, user.b_number) == ("Delt Bruger", None)
    assert _grants(app, user.id) == {world.CVR_A: ["Rediger"], world.CVR_B: ["Læser"],
                                     world.CVR_C: ["Rapporter", "Rediger"]}


@pytest.mark.parametrize("groups", [
    [{"cvr": world.CVR_C, "rights": ["Læser"]}],
    [{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_C, "rights": ["Administrator"]}],
])
def test_forged_groups_naming_c_are_refused(app, app_config, login, cb, extra, groups):
    login(world.ADMIN_AB)
    for form_state in (None, {"id": extra["shared"]}):
        response = cb.submit(FIELDS_OK, groups, form_state=form_state)
        assert _maybe(response, KIT.form_modal, "is_open") == "unchanged"
        assert "Ret de markerede felter" in _out(response, KIT.form_alert, "children")
        assert "administrator for" in _text(response)
        for marker in C_MARKERS:
            assert marker not in _text(response)
    assert _user(app, FIELDS_OK["email"]) is None and _mails(app_config) == []
    assert _grants(app, extra["shared"]) == {world.CVR_A: ["Læser"], world.CVR_C: ["Rapporter", "Rediger"]}


@pytest.mark.parametrize("email_", [world.ADMIN_AB, world.SA_STAFF])
def test_forged_administrator_is_refused(app, login, cb, email_):
    login(email_)
    response = cb.submit(FIELDS_OK, [{"cvr": world.CVR_A, "rights": ["Administrator"]}])
    assert "Kun Statens Administration" in _text(response)
    laeser = _user(app, world.LAESER_A)
    response = cb.submit({"name": "Laeser A", "b_number": ""}, [{"cvr": world.CVR_A, "rights": ["Læser", "Administrator"]}],
                         form_state={"id": laeser.id})
    assert "Kun Statens Administration" in _text(response)
    assert _user(app, FIELDS_OK["email"]) is None
    assert _grants(app, laeser.id) == {world.CVR_A: ["Læser"]}


@pytest.mark.parametrize("target", ["only_c", 999999, "tekst", True, -5])
def test_forged_user_ids_find_nobody(app, login, cb, extra, target):
    login(world.ADMIN_AB)
    user_id = extra.get(target, target) if isinstance(target, str) else target
    edit = cb.open_edit(user_id)
    if edit.status_code == 200:
        assert "findes ikke" in _text(edit) or _maybe(edit, KIT.form_modal, "is_open") == "unchanged"
        assert "Hemmelig" not in _text(edit)
    save = cb.submit({"name": "Overtaget", "b_number": ""}, [{"cvr": world.CVR_A, "rights": ["Læser"]}],
                     form_state={"id": user_id})
    assert _maybe(save, KIT.form_modal, "is_open") == "unchanged"
    assert "findes ikke" in _out(save, KIT.form_alert, "children")
    for action in ("deactivate", "reactivate", "remove"):
        response = cb.confirm(action, user_id)
        assert "findes ikke" in _out(response, KIT.confirm_alert, "children")
    assert cb.ask(Ids.DEACTIVATE, user_id).status_code == 204
    only_c = _user(app, ONLY_C)
    assert only_c.name == "Hemmelig Cirkelbruger" and only_c.is_active
    assert _grants(app, only_c.id) == {world.CVR_C: ["Læser"]}


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "Fulde navn skal udfyldes."),
    ("email", "ikke-en-adresse", "E-mailadressen er ikke gyldig (fx navn@institution.dk)."),
    ("email", "", "E-mailadresse skal udfyldes."),
    ("b_number", "123456", "B-nummer skal være et B efterfulgt af cifre (fx B123456), eller tomt."),
    ("b_number", "B12-3", "B-nummer skal være et B efterfulgt af cifre (fx B123456), eller tomt."),
])
def test_field_messages_beside_each_field(app, login, cb, field, value, message):
    login(world.ADMIN_AB)
    response = cb.submit(FIELDS_OK | {field: value}, GROUPS_OK)
    assert _out(response, KIT.field(field), "invalid") is True
    assert _out(response, KIT.feedback(field), "children") == message
    others = [f for f in KIT.fields if f != field]
    assert all(_out(response, KIT.field(f), "invalid") is False for f in others)
    assert _maybe(response, KIT.form_modal, "is_open") == "unchanged"
    assert _user(app, FIELDS_OK["email"]) is None


@pytest.mark.parametrize("groups, message", [
    ([{"cvr": world.CVR_A, "rights": []}], "Vælg mindst én rettighed."),
    ([{"cvr": None, "rights": ["Læser"]}], "Vælg et CVR-nummer."),
    ([{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_A, "rights": ["Rediger"]}],
     "CVR-nummeret er allerede valgt i en anden rettighedsgruppe."),
])
def test_group_messages(app, login, cb, groups, message):
    login(world.ADMIN_AB)
    response = cb.submit(FIELDS_OK, groups)
    assert message in json.dumps(_out(response, Ids.GROUPS, "children"), ensure_ascii=False)
    assert _user(app, FIELDS_OK["email"]) is None


def test_no_group_at_all(login, cb):
    login(world.ADMIN_AB)
    response = cb.submit(FIELDS_OK, [])
    assert _out(response, KIT.feedback("groups"), "children") == "Tilføj mindst én rettighedsgruppe."


def test_hostile_input_is_shown_as_text(app, login, cb):
    # The form refuses such a name now (test_a_users_name_must_be_a_name); one stored before that
    # rule, on a user of A, still reaches the grid and the status of an action on that user.
    with app.app_context():
        session = get_session()
        session.add(User(email=FIELDS_OK["email"], name=HOSTILE, password_hash=world.password_hash(),
                         grants=[Grant(cvr=world.CVR_A, rights=["Læser"])]))
        session.commit()
    login(world.ADMIN_AB)
    response = cb.confirm("deactivate", _user(app, FIELDS_OK["email"]).id)
    saved = _out(response, KIT.changed, "data")
    assert HOSTILE in saved["text"]
    assert _user(app, FIELDS_OK["email"]).name == HOSTILE
    loaded = cb.call(f"{KIT.grid}.rowData", {f"{KIT.changed}.data": saved}, f"{KIT.changed}.data")
    rows = {r["email"]: r for r in _out(loaded, KIT.grid, "rowData")}
    assert rows[FIELDS_OK["email"]]["name"] == HOSTILE
    status = _out(loaded, KIT.status, "children")
    # A plain string child of an Alert: React renders it as text, never as markup.
    assert status["type"] == "Alert" and status["props"]["children"] == saved["text"]
    assert "dangerously" not in _text(loaded)
    # Hostile values in a form that fails validation come back as values, not markup.
    bad = cb.submit(FIELDS_OK | {"name": HOSTILE, "email": HOSTILE}, [{"cvr": HOSTILE, "rights": [HOSTILE]}])
    assert _out(bad, KIT.field("email"), "invalid") is True
    assert "dangerously" not in _text(bad) and "<script>" not in json.dumps(_out(bad, Ids.GROUPS, "children"))


# --- deactivate / reactivate / remove --------------------------------------------------------------


def test_deactivation_ends_the_users_session(app, login, cb, client):
    victim = app.test_client()
    assert sign_in(victim, world.TWO_CVRS).status_code == 302
    victim_dash = DashClient(victim)
    page = victim_dash.page("/stamdata", f"?cvr={world.CVR_A}")
    assert page.status_code == 200 and "Ingen adgang" not in _text(page)
    login(world.ADMIN_AB)
    user_id = _user(app, world.TWO_CVRS).id
    ask = cb.ask(Ids.DEACTIVATE, user_id)
    assert _out(ask, KIT.confirm_modal, "is_open") is True
    assert _out(ask, KIT.confirm_state, "data") == {"action": "deactivate", "id": user_id}
    done = cb.confirm("deactivate", user_id)
    assert _out(done, KIT.confirm_modal, "is_open") is False
    assert "deaktiveret" in _out(done, KIT.changed, "data")["text"]
    # The victim's existing session is gone: callbacks answer 401, pages send to sign-in.
    assert victim_dash.page("/stamdata", f"?cvr={world.CVR_A}").status_code == 401
    assert victim.get("/stamdata").status_code == 302
    assert sign_in(victim, world.TWO_CVRS).status_code == 401
    rows = {r["email"]: r for r in _out(cb.load(), KIT.grid, "rowData")}
    assert rows[world.TWO_CVRS]["active"] == "Nej"
    again = cb.confirm("reactivate", user_id)
    assert "genaktiveret" in _out(again, KIT.changed, "data")["text"]
    assert sign_in(victim, world.TWO_CVRS).status_code == 302
    assert [r.action for r in _audit(app, user_id)].count("deactivate") == 2  # one row per CVR (A and B)


def test_admin_cannot_deactivate_themselves_or_drop_own_administrator(app, login, cb):
    login(world.ADMIN_AB)
    me = _user(app, world.ADMIN_AB)
    response = cb.confirm("deactivate", me.id)
    assert "dig selv" in _out(response, KIT.confirm_alert, "children")
    response = cb.confirm("remove", me.id)
    assert "administratorrettighed" in _out(response, KIT.confirm_alert, "children")
    response = cb.submit({"name": "Admin Ab", "b_number": "B200001"},
                         [{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_B, "rights": ["Administrator"]}],
                         form_state={"id": me.id})
    assert "Kun Statens Administration" in _text(response)
    assert _user(app, world.ADMIN_AB).is_active
    assert _grants(app, me.id) == {world.CVR_A: ["Administrator"], world.CVR_B: ["Administrator"]}
    # Opening their own form shows Administrator ticked and locked.
    form = json.dumps(_out(cb.open_edit(me.id), Ids.GROUPS, "children"), ensure_ascii=False)
    assert '"value": ["Administrator"]' in form and '"value": "Administrator", "disabled": true' in form


def test_shared_user_cannot_be_deactivated_by_customer_admin(app, login, cb, extra):
    login(world.ADMIN_AB)
    response = cb.confirm("deactivate", extra["shared"])
    alert = _out(response, KIT.confirm_alert, "children")
    assert "andre kunder" in alert
    for marker in C_MARKERS:
        assert marker not in alert
    assert _user(app, SHARED).is_active


def test_remove_access_to_this_cvr(app, login, cb, extra):
    login(world.ADMIN_AB)
    ask = cb.ask(Ids.REMOVE, extra["shared"])
    assert world.CVR_A in _out(ask, KIT.confirm_text, "children")
    done = cb.confirm("remove", extra["shared"])
    assert "har ikke længere adgang" in _out(done, KIT.changed, "data")["text"]
    assert _grants(app, extra["shared"]) == {world.CVR_C: ["Rapporter", "Rediger"]}
    rows = {r["email"] for r in _out(cb.load(), KIT.grid, "rowData")}
    assert SHARED not in rows
    [row] = _audit(app, extra["shared"])
    assert (row.action, row.cvr, row.before["rights"], row.after["rights"]) == ("remove_grant", world.CVR_A, ["Læser"], None)


def test_sa_staff_manage_users_on_any_cvr(app, login, cb, extra):
    login(world.SA_STAFF)
    rows = {r["email"] for r in _out(cb.load(cvr=world.CVR_C), KIT.grid, "rowData")}
    assert rows == {SHARED, ONLY_C}
    done = cb.confirm("deactivate", extra["shared"], cvr=world.CVR_C)
    assert "deaktiveret" in _out(done, KIT.changed, "data")["text"]
    assert not _user(app, SHARED).is_active


# --- history --------------------------------------------------------------------------------------


def test_history_shows_who_changed_what_on_this_cvr_only(app, login, cb, extra):
    # SA staff change the shared user's rights on C: that row belongs to C and is not shown on A.
    login(world.SA_STAFF)
    assert _out(cb.submit({"name": "Delt Bruger", "email": SHARED, "b_number": ""},
                          [{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_C, "rights": ["Læser"]}],
                          form_state={"id": extra["shared"]}, cvr=world.CVR_C), KIT.form_modal, "is_open") is False
    login(world.ADMIN_AB)
    assert _out(cb.submit({"name": "Delt Bruger", "email": SHARED, "b_number": ""},
                          [{"cvr": world.CVR_A, "rights": ["Rediger"]}], form_state={"id": extra["shared"]}),
                KIT.form_modal, "is_open") is False
    response = cb.history(extra["shared"])
    assert _out(response, Ids.HISTORY_MODAL, "is_open") is True
    text = _text(response)
    assert "Ændret" in text and "Rettigheder: Læser → Rediger" in text and world.ADMIN_AB in text
    for marker in C_MARKERS + [world.SA_STAFF]:
        assert marker not in text


def test_history_of_a_user_without_access_here_shows_nothing(app, login, cb, extra):
    login(world.ADMIN_AB)
    for target in (extra["only_c"], -1, "x", None):
        response = cb.history(target)
        assert response.status_code == 204
        for marker in C_MARKERS:
            assert marker.encode() not in response.data
    login(world.LAESER_A)
    assert cb.history(extra["only_a"]).status_code == 403



def test_mail_links_to_the_sign_in_on_this_portal(app, app_config, login, cb):
    # Without PUBLIC_BASE_URL the web layer gives the request's host; data/ never reads the request.
    app.config["PUBLIC_BASE_URL"] = ""
    login(world.ADMIN_AB)
    cb.submit(FIELDS_OK, [{"cvr": world.CVR_A, "rights": ["Læser"]}])
    [message] = _mails(app_config)
    assert "Log ind her: http://localhost/login\n" in message.get_content()


def test_a_users_name_must_be_a_name(app, app_config, login, cb):
    login(world.ADMIN_AB)
    phishing = "Din konto lukkes i dag. Log ind på https://statens-adm.example.com/login"
    for name in (phishing, "Se www.evil.dk", "kontakt@evil.dk", "Bruger 12345", HOSTILE):
        response = cb.submit(FIELDS_OK | {"name": name}, GROUPS_OK)
        assert _out(response, KIT.field("name"), "invalid") is True, name
        assert "må kun indeholde bogstaver" in _out(response, KIT.feedback("name"), "children")
    assert _user(app, FIELDS_OK["email"]) is None and _mails(app_config) == []
    saved = cb.submit(FIELDS_OK | {"name": "Anne-Marie O'Brien-Ærø J. Lindé"}, GROUPS_OK)
    assert "er oprettet" in _out(saved, KIT.saved, "data")["text"]
    [mail] = _mails(app_config)
    body = mail.get_content()
    # The name is quoted as data, not the mail's first words.
    assert body.startswith("Du er oprettet som bruger") and "Navn: »Anne-Marie O'Brien-Ærø J. Lindé«" in body


def test_user_creation_is_rate_limited_per_administrator(app, app_config, login, cb, client):
    app.config["USER_CREATE_LIMIT"] = "2 per hour"
    login(world.ADMIN_AB)
    for n in ("a", "b"):
        saved = cb.submit(FIELDS_OK | {"email": f"ny.{n}@institution.dk", "b_number": f"B47{ord(n)}"}, GROUPS_OK)
        assert "er oprettet" in _out(saved, KIT.saved, "data")["text"]
    refused = cb.submit(FIELDS_OK | {"email": "ny.c@institution.dk"}, GROUPS_OK)
    assert "mange brugere på kort tid" in _out(refused, KIT.form_alert, "children")
    assert len(_mails(app_config)) == 2
    # Another administrator has their own count.
    client.post("/logout")
    login(world.SA_ADMIN)
    saved = cb.submit(FIELDS_OK | {"email": "ny.c@institution.dk"}, GROUPS_OK)
    assert "er oprettet" in _out(saved, KIT.saved, "data")["text"] and len(_mails(app_config)) == 3
