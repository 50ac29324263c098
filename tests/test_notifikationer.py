"""Notifikationer (user menu): each signed-in user opts out of and back in to topics, saved with the editing kit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.topics import Topic
from data.db import get_session
from data.models import AuditLog, NotificationPreference, User
from pages.ids import notifikationer as Ids
from pages.ids.notifikationer import KIT
from tests import world

ALL = [t.value for t in Topic]


def _save(dash_client, topics, version):
    return dash_client.fire(KIT.save, "n_clicks", values={
        (KIT.save, "n_clicks"): 1, Ids.TOPICS: topics, KIT.form_state: {"version": version}})


def _out(response) -> dict:
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"]


def _stored(app, email: str) -> NotificationPreference | None:
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == email))
        return session.get(NotificationPreference, user.id)


@pytest.mark.parametrize("email", [world.LAESER_A, world.RAPPORTER_A, world.SA_STAFF])
def test_every_signed_in_user_sees_every_topic_followed_until_they_opt_out(login, dash_client, email):
    login(email)
    response = dash_client.page("/notifikationer")
    text = json.dumps(response.get_json(), ensure_ascii=False)
    assert response.status_code == 200 and "Ingen adgang" not in text
    assert "Mødedokumenter og referater" in text and "Send mig en e-mail om" in text
    assert f'"value": {json.dumps(ALL)}' in text


def test_the_user_menu_links_to_the_page(login, client):
    login(world.LAESER_A)
    layout = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert '"href": "/notifikationer"' in layout and '"children": "Notifikationer"' in layout


def test_opt_out_and_back_in_is_saved_on_the_users_own_row_and_audited(app, login, dash_client):
    login(world.LAESER_A)
    out = _out(_save(dash_client, [Topic.ACTIONS.value, Topic.RUNBOOKS.value], None))
    assert out[KIT.saved]["data"]["text"] == "Dine valg er gemt."
    assert "Dine valg er gemt." in json.dumps(out[KIT.status]["children"], ensure_ascii=False)
    assert out[KIT.form_alert]["is_open"] is False
    row = _stored(app, world.LAESER_A)
    assert sorted(row.opted_out) == sorted([Topic.MEETINGS.value, Topic.AGREEMENTS.value])
    assert out[KIT.form_state]["data"] == {"version": row.version}
    # Back in, from the version the page now shows.
    _out(_save(dash_client, ALL, row.version))
    assert _stored(app, world.LAESER_A).opted_out == []
    assert _stored(app, world.REDIGER_A) is None
    with app.app_context():
        audits = list(get_session().scalars(select(AuditLog).where(AuditLog.action == "notifikationer")))
    assert len(audits) == 2 and audits[0].after == {"fravalgt": sorted([Topic.AGREEMENTS.value, Topic.MEETINGS.value])}


def test_a_stale_page_is_refused_and_the_first_save_kept(app, login, dash_client):
    login(world.LAESER_A)
    _out(_save(dash_client, [Topic.ACTIONS.value], None))
    first = sorted(_stored(app, world.LAESER_A).opted_out)
    # A second window still shows the page from before the first save.
    out = _out(_save(dash_client, ALL, None))
    assert out[KIT.form_alert]["is_open"] is True
    assert "ændret samtidig" in out[KIT.form_alert]["children"]
    assert sorted(_stored(app, world.LAESER_A).opted_out) == first


@pytest.mark.parametrize("topics", [["ukendt"], "moeder", [1], None])
def test_forged_topics_are_refused_beside_the_field(app, login, dash_client, topics):
    login(world.LAESER_A)
    out = _out(_save(dash_client, topics, None))
    assert out[KIT.feedback("topics")]["children"] == "Vælg blandt emnerne på listen."
    assert _stored(app, world.LAESER_A) is None


def test_anonymous_cannot_save(app, dash_client):
    response = _save(dash_client, [], None)
    assert response.status_code in (401, 403)
    with app.app_context():
        assert get_session().scalars(select(NotificationPreference)).all() == []
