"""The start page (pages/home.py, data/home.py): news since the last visit and due action items, scoped to the user."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from core.topics import Topic
from data.actions import today
from data.announcements import announce
from data.db import get_session, transaction
from data.home import FIRST_VISIT_WINDOW, VISIT_GAP, record_visit
from data.models import ActionItem, Announcement, User, UserVisit, utcnow
from tests import world


def _text(response) -> str:
    assert response.status_code == 200
    return json.dumps(response.get_json(), ensure_ascii=False)


def _announce(app, cvr: str, topic: Topic, title: str, created_at: dt.datetime | None = None) -> None:
    with app.app_context(), transaction() as session:
        row = announce(session, None, cvr, topic, title, f"/{topic.value}?cvr={cvr}")
        if created_at is not None:
            row.created_at = created_at


def _item(app, cvr: str, subject: str, days: int | None, closed: bool = False) -> None:
    with app.app_context(), transaction() as session:
        session.add(ActionItem(cvr=cvr, area="Regnskab", subject=subject, is_closed=closed,
                               deadline=None if days is None else today() + dt.timedelta(days=days)))


def _user_id(app, email: str) -> int:
    with app.app_context():
        return get_session().scalar(select(User.id).where(User.email == email))


def test_news_shows_only_the_users_customers_and_pages(app, login, dash_client):
    _announce(app, world.CVR_A, Topic.MEETINGS, "Referat for A")
    _announce(app, world.CVR_B, Topic.MEETINGS, "Referat for B")
    _announce(app, world.CVR_A, Topic.AGREEMENTS, "Ny kundeaftale for A")
    login(world.LAESER_A)
    text = _text(dash_client.page("/"))
    assert "Nyt siden dit sidste besøg" in text
    assert "Referat for A" in text and "Ny kundeaftale for A" in text
    assert "Referat for B" not in text
    assert f"/moeder?cvr={world.CVR_A}" in text


def test_a_user_without_the_pages_right_sees_no_news_of_it(app, login, dash_client):
    _announce(app, world.CVR_A, Topic.MEETINGS, "Referat for A")
    login(world.RAPPORTER_A)  # Rapporter only: no Møder right
    text = _text(dash_client.page("/"))
    assert "Referat for A" not in text
    assert "Aktionspunkter med frist" not in text


def test_a_forged_cvr_in_the_url_changes_nothing(app, login, dash_client):
    _announce(app, world.CVR_B, Topic.ACTIONS, "Hemmeligt for B")
    _item(app, world.CVR_B, "Opgave hos B", 1)
    login(world.LAESER_A)
    text = _text(dash_client.page("/", f"?cvr={world.CVR_B}"))
    assert "Hemmeligt for B" not in text and "Opgave hos B" not in text


def test_news_since_the_previous_visit_only(app, login, dash_client):
    user_id = _user_id(app, world.LAESER_A)
    now = utcnow()
    with app.app_context():
        # First visit: the last month's news.
        assert record_visit(user_id, now - dt.timedelta(days=2)) == now - dt.timedelta(days=2) - FIRST_VISIT_WINDOW
        # Within the gap: the same visit, the same news.
        assert record_visit(user_id, now - dt.timedelta(days=2) + VISIT_GAP / 2) == (
            now - dt.timedelta(days=2) - FIRST_VISIT_WINDOW)
    _announce(app, world.CVR_A, Topic.RUNBOOKS, "Gammel drejebogsændring", now - dt.timedelta(days=3))
    _announce(app, world.CVR_A, Topic.RUNBOOKS, "Ny drejebogsændring", now - dt.timedelta(days=1))
    login(world.LAESER_A)
    text = _text(dash_client.page("/"))
    assert "Ny drejebogsændring" in text and "Gammel drejebogsændring" not in text
    with app.app_context():
        visit = get_session().get(UserVisit, user_id)
        assert visit.previous_seen_at == now - dt.timedelta(days=2) + VISIT_GAP / 2
        assert visit.last_seen_at > now


def test_due_action_items_near_or_past_deadline(app, login, dash_client):
    _item(app, world.CVR_A, "Overskredet opgave", -3)
    _item(app, world.CVR_A, "Snart opgave", 14)
    _item(app, world.CVR_A, "Fjern opgave", 15)
    _item(app, world.CVR_A, "Lukket opgave", -1, closed=True)
    _item(app, world.CVR_A, "Opgave uden frist", None)
    _item(app, world.CVR_B, "Opgave hos B", 1)
    login(world.LAESER_A)
    text = _text(dash_client.page("/"))
    assert "Aktionspunkter med frist" in text
    assert "Overskredet opgave" in text and "er overskredet" in text and "Snart opgave" in text
    for hidden in ("Fjern opgave", "Lukket opgave", "Opgave uden frist", "Opgave hos B"):
        assert hidden not in text
    assert text.index("Overskredet opgave") < text.index("Snart opgave")


def test_no_approval_section_until_approvals_exist(app, login, dash_client):
    login(world.ADMIN_AB)
    text = _text(dash_client.page("/"))
    assert "godkend" not in text.lower()


def test_sa_sees_the_overview_and_no_visit_is_recorded(app, login, dash_client):
    _announce(app, world.CVR_A, Topic.MEETINGS, "Referat for A")
    _announce(app, world.CVR_B, Topic.MEETINGS, "Referat for B")
    _item(app, world.CVR_B, "Overskredet hos B", -2)
    login(world.SA_STAFF)
    text = _text(dash_client.page("/"))
    assert "Overblik over alle kunder" in text
    assert "2 hos 2 kunder" in text
    assert "Nyt siden dit sidste besøg" not in text
    with app.app_context():
        assert get_session().scalars(select(UserVisit)).all() == []
        assert len(get_session().scalars(select(Announcement)).all()) == 2
