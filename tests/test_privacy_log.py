"""The privacy log (issue 15): every view of a person is logged, searched and exported by SA's system
administrator only, and purged after the retention period; Hændelseslog for customer administrators."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import event, func, select

from data import privacy, worker
from data.db import get_db, get_session
from data.roles_catalogue import TAB_GENERELT
from data.models import AuditLog, Contact, Meeting, PrivacyLogEntry, TeamMember, User, utcnow
from pages.ids import brugeradministration as UserIds
from pages.ids import haendelseslog as EventIds
from pages.ids import kontaktpersoner as ContactIds
from pages.ids import sa_persondatalog as Ids
from pages.ids import stamdata as StamdataIds
from tests import world
from data.workdays import danish_today


@pytest.fixture
def people(app):
    with app.app_context():
        session = get_session()
        rows = [Contact(cvr=world.CVR_A, name="Åse Ørum", email="aase@example.dk", tabs=[TAB_GENERELT]),
                Contact(cvr=world.CVR_A, name="Bent Bo", email="bent@example.dk", tabs=[TAB_GENERELT]),
                Contact(cvr=world.CVR_B, name="Hemmelig B", email="b@example.dk", tabs=[TAB_GENERELT]),
                TeamMember(cvr=world.CVR_A, name="Anne Andersen", role="Kundeansvarlig", email="anne@statens-adm.dk")]
        session.add_all(rows)
        session.commit()
        return {row.name: row.id for row in rows}


def _entries(app, **where):
    with app.app_context():
        stmt = select(PrivacyLogEntry).filter_by(**where).order_by(PrivacyLogEntry.id)
        return [(e.viewer_label, e.cvr, e.source, e.entity, e.entity_id, e.person_name, e.person_email,
                 e.client_address) for e in get_session().scalars(stmt)]


def _text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


# --- writing ---------------------------------------------------------------------------------


def test_one_view_of_many_persons_is_one_insert(app):
    statements: list[str] = []
    engine = get_db(app).engine

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO PRIVACY_LOG"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with app.test_request_context():
            persons = [privacy.PersonRef(privacy.CONTACT, i, f"Person {i}", f"p{i}@example.dk") for i in range(60)]
            # A person shown twice in one view is one entry.
            assert privacy.log_views(None, "Test", world.CVR_A, persons + persons[:5]) == 60
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(PrivacyLogEntry)) == 60


def test_contacts_grid_logs_each_contact_shown_with_viewer_page_cvr_and_address(app, login, dash_client, people):
    login(world.REDIGER_A)
    response = dash_client.fire(ContactIds.KIT.saved, "data", cvr=world.CVR_A)
    assert response.status_code == 200 and "Åse Ørum" in _text(response)
    got = _entries(app)
    assert sorted(got) == sorted([
        ("Rediger A (rediger.a@example.dk)", world.CVR_A, "Kontaktpersoner", "contact", str(people[name]), name, email,
         "127.0.0.1")
        for name, email in (("Åse Ørum", "aase@example.dk"), ("Bent Bo", "bent@example.dk"))])


def test_refused_view_logs_nothing(app, login, dash_client, people):
    login(world.REDIGER_A)
    response = dash_client.fire(ContactIds.KIT.saved, "data", cvr=world.CVR_B)
    assert response.status_code == 403
    assert _entries(app) == []


def test_contact_export_is_logged_as_an_export(app, login, dash_client, people):
    login(world.REDIGER_A)
    response = dash_client.fire(ContactIds.EXPORT_CSV, "n_clicks", cvr=world.CVR_A,
                                values={ContactIds.EXPORT_CSV: 1})
    assert response.status_code == 200
    sources = {(e[2], e[5]) for e in _entries(app)}
    assert sources == {("Kontaktpersoner – eksport (CSV)", "Åse Ørum"), ("Kontaktpersoner – eksport (CSV)", "Bent Bo")}


def test_stamdata_tab_logs_its_contacts(app, login, dash_client, people):
    login(world.LAESER_A)
    response = dash_client.fire(StamdataIds.TABS, "value", cvr=world.CVR_A, values={StamdataIds.TABS: TAB_GENERELT})
    assert response.status_code == 200
    assert "Åse Ørum" in _text(response)
    got = _entries(app)
    assert {e[5] for e in got} == {"Åse Ørum", "Bent Bo"}
    assert {e[2] for e in got} == {"Stamdata – Generelt"}


def test_user_grid_logs_each_user_shown(app, login, dash_client):
    login(world.ADMIN_AB)
    response = dash_client.fire(UserIds.KIT.saved, "data", cvr=world.CVR_B)
    assert response.status_code == 200
    got = _entries(app)
    emails = {e[6] for e in got}
    assert emails == {world.ADMIN_AB, world.LAESER_B, world.TWO_CVRS}
    assert {(e[2], e[3], e[1]) for e in got} == {("Brugeradministration", "user", world.CVR_B)}


def test_team_page_logs_the_team_members(app, login, dash_client, people):
    login(world.LAESER_A)
    response = dash_client.page("/kontakt", f"?cvr={world.CVR_A}")
    assert "Anne Andersen" in _text(response)
    assert [(e[2], e[3], e[5]) for e in _entries(app)] == [("Kontakt dit team", "team_member", "Anne Andersen")]


# --- searching and exporting (SA's system administrator only) ----------------------------------


def _seed_views(app):
    with app.test_request_context():
        privacy.log_views(None, "Kontaktpersoner", world.CVR_A,
                          [privacy.PersonRef(privacy.CONTACT, 1, "Åse Ørum", "aase@example.dk"),
                           privacy.PersonRef(privacy.CONTACT, 2, "Bent Bo", "bent@example.dk")])
        privacy.log_views(None, "Brugeradministration", world.CVR_B,
                          [privacy.PersonRef(privacy.USER, 7, "Åse Ørum", "aase@example.dk")])


def test_search_by_name_folds_danish_letters_and_by_email(app):
    _seed_views(app)
    with app.app_context():
        by_name = privacy.search("ÅSE ør")
        by_email = privacy.search("AASE@example")
        assert [(e["source"], e["cvr"]) for e in by_name] == [("Brugeradministration", world.CVR_B),
                                                               ("Kontaktpersoner", world.CVR_A)]
        assert by_email == by_name
        assert privacy.search("%") == [] and privacy.search("_") == []
        assert privacy.search("zz%") == [] and privacy.search(None) == []


def test_sa_admin_searches_and_exports_and_the_export_is_logged(app, login, dash_client):
    _seed_views(app)
    login(world.SA_ADMIN)
    page = dash_client.page(Ids.PATH)
    assert "Persondatalog" in _text(page) and "Ingen adgang" not in _text(page)
    found = dash_client.fire(Ids.SEARCH, "n_clicks", values={Ids.SEARCH: 1, Ids.QUERY: "åse"})
    assert found.status_code == 200
    text = _text(found)
    assert "2 opslag" in text and "Brugeradministration" in text and "Bent Bo" not in text
    searched = _entries(app, source="Persondatalog – søgning")
    assert sorted((e[1], e[3], e[4]) for e in searched) == sorted([(world.CVR_A, "contact", "1"), (world.CVR_B, "user", "7")])
    export = dash_client.fire(Ids.EXPORT_CSV, "n_clicks", values={Ids.EXPORT_CSV: 1, Ids.QUERY: "åse"})
    assert export.status_code == 200
    data = export.get_json()["response"][Ids.DOWNLOAD]["data"]
    assert data["filename"].startswith("Persondatalog_")
    assert "Åse Ørum" in data["content"] and "Bent Bo" not in data["content"]
    logged = _entries(app, source="Persondatalog – eksport (CSV)")
    assert sorted((e[1], e[3], e[4]) for e in logged) == sorted([(world.CVR_A, "contact", "1"), (world.CVR_B, "user", "7")])
    assert all(e[0] == "Sa Admin (sa.admin@statens-adm.dk)" for e in logged)


@pytest.mark.parametrize("email", [world.SA_STAFF, world.ADMIN_AB, world.LAESER_A])
def test_everyone_but_the_sa_admin_is_refused(app, login, dash_client, email):
    _seed_views(app)
    login(email)
    page = _text(dash_client.page(Ids.PATH))
    assert "Ingen adgang" in page and "Åse" not in page
    for button, values in ((Ids.SEARCH, {Ids.SEARCH: 1, Ids.QUERY: "åse"}),
                           (Ids.EXPORT_CSV, {Ids.EXPORT_CSV: 1, Ids.QUERY: "åse"})):
        response = dash_client.fire(button, "n_clicks", values=values)
        assert response.status_code == 403 and "Åse".encode() not in response.data


def test_only_the_sa_admin_sees_the_privacy_log_in_the_navbar():
    from core.access import Principal
    from pages._nav import SA_PAGES
    from core.access import can_do

    page = next(p for p in SA_PAGES if p.path == Ids.PATH)

    def principal(sa_staff, sa_admin):
        return Principal(1, "x@example.dk", "X", None, sa_staff, sa_admin, 1, False)

    assert can_do(principal(True, True), page.action)
    assert not can_do(principal(True, False), page.action)
    assert not can_do(principal(False, False), page.action)


# --- retention ----------------------------------------------------------------------------------


def _age_entries(app, days: int):
    with app.app_context():
        session = get_session()
        for entry in session.scalars(select(PrivacyLogEntry)):
            entry.at = utcnow() - dt.timedelta(days=days)
        session.commit()


def test_purge_removes_only_entries_older_than_the_retention(app):
    _seed_views(app)
    _age_entries(app, 400)
    with app.app_context():
        privacy.log_views(None, "Kontaktpersoner", world.CVR_A, [privacy.PersonRef(privacy.CONTACT, 3, "Ny Person")])
        assert privacy.retention_days() == 365
        assert privacy.purge() == 3
        assert [e["name"] for e in privacy.search("ny person")] == ["Ny Person"]


def test_retention_is_configurable(app_config):
    from app import create_app

    app_config["PRIVACY_LOG_RETENTION_DAYS"] = 30
    flask_app = create_app(app_config)
    try:
        world.unscoped_outside_requests(get_db(flask_app))
        _seed_views(flask_app)
        _age_entries(flask_app, 31)
        with flask_app.test_request_context():
            assert privacy.purge() == 3
    finally:
        get_db(flask_app).dispose()


def test_purge_command(app, runner):
    _seed_views(app)
    _age_entries(app, 400)
    result = runner.invoke(args=["purge-privacy-log"])
    assert result.exit_code == 0, result.output
    assert "3 registreringer ældre end 365 dage er slettet" in result.output
    assert _entries(app) == []


def test_the_worker_purges_once_a_day(app):
    assert privacy.purge_if_due in worker.tasks()
    _seed_views(app)
    _age_entries(app, 400)
    now = utcnow()
    with app.app_context():
        assert privacy.purge_if_due(now) is True
    _seed_views(app)
    _age_entries(app, 400)
    with app.app_context():
        # Within the day: nothing, whatever is due.
        assert privacy.purge_if_due(now + dt.timedelta(hours=23)) is False
    assert len(_entries(app)) == 3
    with app.app_context():
        assert privacy.purge_if_due(now + dt.timedelta(hours=25)) is True
    assert _entries(app) == []


# --- Hændelseslog -----------------------------------------------------------------------------


@pytest.fixture
def changes(app):
    with app.app_context():
        session = get_session()
        published = Meeting(cvr=world.CVR_A, held_at=utcnow(), title="Styregruppe", kind="Styregruppemøde",
                            published_at=utcnow())
        draft = Meeting(cvr=world.CVR_A, held_at=utcnow(), title="Udkast", kind="Styregruppemøde")
        session.add_all([published, draft])
        session.flush()
        session.add_all([
            AuditLog(user_label="Sa Medarbejder (sa.medarbejder@statens-adm.dk)", cvr=world.CVR_A, action="update",
                     entity="contact", entity_id="5", before={"name": "A", "phone": "1"},
                     after={"name": "B", "phone": "1"}),
            AuditLog(user_label="SA", cvr=world.CVR_A, action="publish", entity="meeting",
                     entity_id=str(published.id), before={}, after={"published": True}),
            AuditLog(user_label="SA", cvr=world.CVR_A, action="create", entity="meeting",
                     entity_id=str(draft.id), before=None, after={"title": "HEMMELIGT-UDKAST"}),
            AuditLog(user_label="Laeser A", cvr=world.CVR_A, action="download", entity="annex", entity_id="1"),
            AuditLog(user_label="SA", cvr=world.CVR_B, action="update", entity="contact", entity_id="9",
                     before={"name": "x"}, after={"name": "HEMMELIG-B"}),
        ])
        session.commit()


def test_administrator_sees_the_changes_on_the_own_cvr(login, dash_client, changes):
    login(world.ADMIN_AB)
    text = _text(dash_client.page(EventIds.PATH, f"?cvr={world.CVR_A}"))
    assert "Hændelseslog" in text
    assert "Sa Medarbejder (sa.medarbejder@statens-adm.dk)" in text
    assert "Kontaktperson" in text and "Ændret" in text and "Udgivet" in text
    # The changed fields' names, never their values; downloads are no changes; drafts stay hidden.
    assert "name" in text and "phone" not in text
    assert "Udkast" not in text and "HEMMELIGT-UDKAST" not in text and "Laeser A" not in text
    assert "HEMMELIG-B" not in text


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A])
def test_non_administrators_get_ingen_adgang(login, dash_client, changes, email):
    login(email)
    text = _text(dash_client.page(EventIds.PATH, f"?cvr={world.CVR_A}"))
    assert "Ingen adgang" in text and "Sa Medarbejder" not in text


def test_administrator_of_one_customer_cannot_read_another(login, dash_client, changes):
    login(world.ADMIN_AB)
    text = _text(dash_client.page(EventIds.PATH, f"?cvr={world.CVR_C}"))
    assert "Ingen adgang" in text and "HEMMELIG" not in text


def test_event_log_query_stays_in_the_scope(app, changes):
    from core.access import AccessScope
    from data import event_log

    from data.scoping import bind_scope

    with app.test_request_context():
        # The request's scope, as the wrapper binds it: Administrator on B only.
        bind_scope(get_session(), AccessScope.single(world.CVR_B))
        assert event_log.changes(AccessScope.single(world.CVR_B), world.CVR_A) == []
        assert [c["what"] for c in event_log.changes(AccessScope.single(world.CVR_B), world.CVR_B)] == ["Kontaktperson"]


# --- signatories --------------------------------------------------------------------------------


def test_signatures_shown_and_downloaded_are_logged(app, login, dash_client):
    from pages.ids import kundeaftaler as AgreementIds
    from tests import agreements_world as aw

    with app.app_context():
        aw.build(get_session(), danish_today())
    login(world.LAESER_A)
    shown = dash_client.fire(AgreementIds.TABS, "value", cvr=world.CVR_A, initial=True, values={AgreementIds.TABS: "kundeaftale"})
    assert "Karen Kunde" in _text(shown)
    pdf = dash_client.client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}")
    assert pdf.status_code == 200
    got = {(e[2], e[3], e[5]) for e in _entries(app)}
    assert got == {(source, "signatory", name) for source in ("Kundeaftaler", "Kundeaftaler – hent aftale (PDF)")
                   for name in ("Søren Direktør", "Karen Kunde")}


def test_opening_a_contact_or_user_and_its_history_is_logged(app, login, dash_client, people):
    contact = people["Åse Ørum"]
    login(world.ADMIN_AB)
    selected = [{"id": contact}]
    opened = dash_client.fire(ContactIds.KIT.edit, "n_clicks", cvr=world.CVR_A,
                              values={ContactIds.KIT.edit: 1, ContactIds.KIT.grid: selected})
    assert opened.status_code == 200 and "aase@example.dk" in _text(opened)
    history = dash_client.fire(ContactIds.HISTORY, "n_clicks", cvr=world.CVR_A,
                               values={ContactIds.HISTORY: 1, ContactIds.KIT.grid: selected})
    assert history.status_code == 200
    with app.app_context():
        laeser = get_session().scalar(select(User.id).where(User.email == world.LAESER_A))
    user_opened = dash_client.fire(UserIds.KIT.edit, "n_clicks", cvr=world.CVR_A,
                                   values={UserIds.KIT.edit: 1, UserIds.KIT.grid: [{"id": laeser}]})
    assert user_opened.status_code == 200
    user_history = dash_client.fire(UserIds.HISTORY, "n_clicks", cvr=world.CVR_A,
                                    values={UserIds.HISTORY: 1, UserIds.KIT.grid: [{"id": laeser}]})
    assert user_history.status_code == 200
    assert [(e[2], e[3], e[4]) for e in _entries(app)] == [
        ("Kontaktpersoner – redigering", "contact", str(contact)),
        ("Kontaktpersoner – historik", "contact", str(contact)),
        ("Brugeradministration – redigering", "user", str(laeser)),
        ("Brugeradministration – historik", "user", str(laeser)),
    ]
