"""Notifications (data/notifications.py): who is told of an announcement, the mails, the worker's task, opt-outs."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from sqlalchemy import select

from core.topics import Topic
from data import mail, notifications, worker
from data.announcements import announce
from data.db import get_session, transaction
from data.models import Contact, MailOutbox, NotificationPreference, User
from data.roles_catalogue import ensure_role_catalogue, roles_for_topic
from tests import world

PRIMARY = "Primær regnskabskontakt"
PAYROLL = "Kontaktperson – Løn"
FORUM = "Deltager – Forum for RPA"


def _contact(session, cvr: str, name: str, role_names: list[str], email_: str = "", shared: str = "") -> None:
    roles = {r.name: r for r in ensure_role_catalogue(session)}
    session.add(Contact(cvr=cvr, name=name, email=email_, shared_email=shared,
                        roles=[roles[n] for n in role_names]))


def _user(session, email_: str) -> User:
    return session.scalar(select(User).where(User.email == email_))


@pytest.fixture
def contacts(app):
    """Contact persons of customer A (and one of B) with roles that do and do not concern meetings."""
    with app.app_context(), transaction() as session:
        _contact(session, world.CVR_A, "Primær Person", [PRIMARY], "primaer@kunde.dk")
        _contact(session, world.CVR_A, "Fælles Postkasse", [PRIMARY], shared="faelles@kunde.dk")
        _contact(session, world.CVR_A, "Løn Person", [PAYROLL], "loen@kunde.dk")
        _contact(session, world.CVR_A, "Forum Person", [FORUM], "forum@kunde.dk")
        # Contacts whose address is a user account: that user's right and choice decide.
        _contact(session, world.CVR_A, "Rapporter Som Kontakt", [PRIMARY], world.RAPPORTER_A.upper())
        _contact(session, world.CVR_A, "Læser Som Kontakt", [PRIMARY], world.LAESER_A)
        _contact(session, world.CVR_A, "Inaktiv Som Kontakt", [PRIMARY], world.INACTIVE)
        _contact(session, world.CVR_B, "Kunde B", [PRIMARY], "primaer@b.dk")


def _opt_out(app, email_: str, topics: list[str]) -> None:
    with app.app_context(), transaction() as session:
        session.add(NotificationPreference(user_id=_user(session, email_).id, opted_out=topics))


def _addresses(app, cvr: str, topic: Topic) -> list[str]:
    with app.app_context():
        return [r.email for r in notifications.recipients(get_session(), cvr, topic)]


# Users of customer A with a read right (Møder, Aktionsliste, … are open to Administrator, Rediger, Læser).
READERS_A = sorted([world.LAESER_A, world.REDIGER_A, world.RAPPORTER_NO_B, world.ADMIN_AB, world.TWO_CVRS])


def test_role_topics_follow_the_guide():
    assert PRIMARY in roles_for_topic(Topic.AGREEMENTS)
    assert "Primær lønkontakt" not in roles_for_topic(Topic.AGREEMENTS)
    assert PAYROLL in roles_for_topic(Topic.RUNBOOKS) and PAYROLL not in roles_for_topic(Topic.MEETINGS)
    assert not any(FORUM in roles_for_topic(t) for t in Topic)


def test_recipients_are_users_with_the_right_and_contacts_with_a_role_of_the_topic(app, contacts):
    assert _addresses(app, world.CVR_A, Topic.MEETINGS) == sorted(
        READERS_A + ["primaer@kunde.dk", "faelles@kunde.dk"])
    # Kontaktperson – Løn hears of runbooks, not meetings.
    assert "loen@kunde.dk" in _addresses(app, world.CVR_A, Topic.RUNBOOKS)


def test_never_a_user_without_the_right_even_as_a_contact(app, contacts):
    told = _addresses(app, world.CVR_A, Topic.MEETINGS)
    # Rapporter only: no Møder right. Inactive: no access at all. SA staff: no grant, not a contact.
    # Læser B and customer B's contact: another customer.
    for address in (world.RAPPORTER_A, world.INACTIVE, world.SA_STAFF, world.LAESER_B, "primaer@b.dk"):
        assert address not in told


def test_each_address_once(app, contacts):
    told = _addresses(app, world.CVR_A, Topic.MEETINGS)
    assert len(told) == len(set(told))
    assert told.count(world.LAESER_A) == 1


def test_an_opted_out_user_is_not_told_of_that_topic_also_as_a_contact(app, contacts):
    _opt_out(app, world.REDIGER_A, [Topic.MEETINGS.value])
    _opt_out(app, world.LAESER_A, [Topic.MEETINGS.value])
    told = _addresses(app, world.CVR_A, Topic.MEETINGS)
    assert world.REDIGER_A not in told and world.LAESER_A not in told
    assert world.REDIGER_A in _addresses(app, world.CVR_A, Topic.ACTIONS)


def _announce(app, cvr: str = world.CVR_A, topic: Topic = Topic.MEETINGS, title: str = "Referat af styregruppemøde"):
    with app.app_context(), transaction() as session:
        row = announce(session, None, cvr, topic, title, f"/moeder?cvr={cvr}", summary="Referatet er lagt op.",
                       entity="meeting", entity_id=7)
        session.flush()
        return row.id


def _queued(app) -> list[MailOutbox]:
    with app.app_context():
        return list(get_session().scalars(select(MailOutbox).order_by(MailOutbox.recipient)))


def test_the_worker_mails_each_announcement_once(app, app_config, contacts):
    app.config["PUBLIC_BASE_URL"] = "https://kundeportal.example"
    announcement_id = _announce(app)
    assert worker.tasks()[:2] == [notifications.notify_pending, mail.send_due]
    with app.app_context():
        assert notifications.notify_pending() is True
        # A second worker, or the next round, finds nothing left to notify.
        assert notifications.notify_pending() is False
    rows = _queued(app)
    assert [r.recipient for r in rows] == sorted(READERS_A + ["primaer@kunde.dk", "faelles@kunde.dk"])
    assert {r.announcement_id for r in rows} == {announcement_id}
    assert {r.status for r in rows} == {mail.STATUS_QUEUED}
    assert worker.run_round(app) is True
    files = sorted(Path(app_config["MAIL_OUTBOX_PATH"]).glob("*.eml"))
    assert len(files) == len(rows)
    messages = {m["To"]: m for m in (email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                                     for f in files)}
    message = messages[world.LAESER_A]
    assert message["Subject"] == "Nyt i Kundeportalen: Referat af styregruppemøde"
    text = message.get_body(("plain",)).get_content()
    body = message.get_body(("html",)).get_content()
    link = f"https://kundeportal.example/moeder?cvr={world.CVR_A}"
    assert link in text and "Referatet er lagt op." in text
    assert "https://kundeportal.example/notifikationer" in text
    assert f'href="{link}"' in body and "#14143c" in body
    assert "<img" not in body and "http://" not in body
    # A contact person without an account is told why, and is not sent to a settings page they cannot open.
    contact_text = messages["primaer@kunde.dk"].get_body(("plain",)).get_content()
    assert "kontaktperson" in contact_text and "/notifikationer" not in contact_text


def test_hostile_titles_are_escaped_in_the_html(app, contacts):
    _announce(app, title='<script>alert(1)</script> & "x"')
    with app.app_context():
        notifications.notify_pending()
    row = next(r for r in _queued(app) if r.recipient == world.LAESER_A)
    assert "<script>" not in row.body_html and "&lt;script&gt;" in row.body_html


def test_another_customers_announcement_reaches_only_its_own_people(app, contacts):
    _announce(app, cvr=world.CVR_B)
    with app.app_context():
        notifications.notify_pending()
    assert [r.recipient for r in _queued(app)] == sorted([world.ADMIN_AB, world.LAESER_B, world.TWO_CVRS,
                                                         "primaer@b.dk"])


def test_a_failing_round_leaves_the_announcement_for_the_next(app, contacts, monkeypatch):
    _announce(app)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(notifications, "_queue_for", broken)
    with app.app_context(), pytest.raises(RuntimeError):
        notifications.notify_pending()
    assert _queued(app) == []
    monkeypatch.undo()
    with app.app_context():
        assert notifications.notify_pending() is True
    assert len(_queued(app)) == len(READERS_A) + 2


def test_every_role_of_the_catalogue_has_its_topics_named():
    from data.roles_catalogue import CATALOGUE, role_topics

    mapping = role_topics()
    assert set(mapping) == {spec.name for spec in CATALOGUE}
    assert mapping["Primær regnskabskontakt"] == frozenset(Topic)
