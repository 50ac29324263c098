"""Headless Chromium: SA publishes a meeting with a referat and an action item; the customer reads both and is mailed.

The mail goes through the real path: announcements → the worker's tasks → SMTP, here an aiosmtpd
server on a loopback port.
"""

from __future__ import annotations

import datetime as dt
import email
import socket
from email import policy
from typing import Any

import pytest

from tests import world
from tests.browser.conftest import LiveServer, assert_no_serious_axe_violations, sign_in, wait_for_dash

pytestmark = pytest.mark.browser

MEETING_TITLE = "Driftsmøde om årsafslutningen"
ITEM_SUBJECT = "Afstem mellemregninger før årsafslutning"
CONTACT_EMAIL = "primaer.regnskab@institution.dk"


class _Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    """Run a real SMTP server on a loopback port and yield (port, inbox)."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def portal(app_config, smtp):
    """Serve the test world with mail to the loopback SMTP server; yield (app, base URL)."""
    from app import create_app
    from data.db import get_db, get_session
    from data.models import Contact, ContactRole, ContactRoleAssignment
    from data.roles_catalogue import ensure_role_catalogue
    from sqlalchemy import select

    port, _ = smtp
    config = dict(app_config, WTF_CSRF_ENABLED=True, TESTING=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                  PUBLIC_BASE_URL="https://kundeportal.example.dk")
    flask_app = create_app(config)
    world.unscoped_outside_requests(get_db(flask_app))
    with flask_app.app_context():
        session = get_session()
        world.build(session)
        ensure_role_catalogue(session)
        role = session.scalar(select(ContactRole).where(ContactRole.name == "Primær regnskabskontakt"))
        contact = Contact(cvr=world.CVR_A, name="Rikke Regnskab", email=CONTACT_EMAIL, tabs=["generelt"])
        session.add(contact)
        session.flush()
        session.add(ContactRoleAssignment(contact_id=contact.id, role_id=role.id))
        session.commit()
    server = LiveServer(flask_app).start()
    try:
        yield flask_app, server.url
    finally:
        server.stop()
        get_db(flask_app).dispose()


def _referat_pdf(path) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Referat af driftsmode")
    path.write_bytes(bytes(pdf.output()))
    return path.read_bytes()


def _run_worker(app) -> None:
    from data import worker

    for _ in range(10):
        if not worker.run_round(app):
            return


def _opt_out(app, email_address: str, topic) -> None:
    from sqlalchemy import select

    from data.db import get_session
    from data.models import NotificationPreference, User

    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == email_address))
        session.add(NotificationPreference(user_id=user.id, opted_out=[topic.value]))
        session.commit()


def _sa_publishes_meeting_with_referat(page: Any, base: str, referat_path) -> None:
    from pages.ids import moeder as ids

    page.goto(f"{base}/moeder?cvr={world.CVR_A}")
    page.get_by_role("heading", name="Møder", level=1).wait_for()
    wait_for_dash(page)
    page.locator(f"label[for={ids.EDIT_MODE}]").click()
    page.locator(f"#{ids.EDIT_PANEL}").wait_for(state="visible")
    page.locator(f"#{ids.KIT.add}").click()
    form = page.locator(f"#{ids.KIT.form_modal}")
    form.get_by_role("heading", name="Møde").wait_for()
    page.fill(f"#{ids.KIT.field('held_date')}", (dt.date.today() - dt.timedelta(days=2)).isoformat())
    page.fill(f"#{ids.KIT.field('held_time')}", "09:30")
    page.fill(f"#{ids.KIT.field('kind')}", "Driftsmøde")
    page.fill(f"#{ids.KIT.field('title')}", MEETING_TITLE)
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)
    form.get_by_role("button", name="Gem").click()
    page.locator(f"#{ids.KIT.status}").get_by_text("er oprettet som kladde").wait_for()
    page.locator(f"#{ids.KIT.grid} .ag-row").filter(has_text=MEETING_TITLE).first.locator("[col-id=title]").click()
    page.locator(f"#{ids.SELECTED}").get_by_text(MEETING_TITLE).wait_for()
    page.select_option(f"#{ids.UPLOAD_KIND}", "referat")
    page.locator(f"#{ids.UPLOAD} input[type=file]").set_input_files(str(referat_path))
    page.locator(f"#{ids.DOCUMENT_GRID} .ag-row").filter(has_text="referat.pdf").first.wait_for()
    wait_for_dash(page)
    page.locator(f"#{ids.PUBLISH}").click()
    dialog = page.locator(f"#{ids.KIT.confirm_modal}")
    dialog.get_by_role("button", name="Offentliggør").wait_for()
    assert_no_serious_axe_violations(page)
    dialog.get_by_role("button", name="Offentliggør").click()
    page.locator(f"#{ids.KIT.status}").get_by_text("er offentliggjort").wait_for()


def _sa_adds_action_item(page: Any, base: str) -> None:
    from pages.ids import aktionsliste as ids

    page.goto(f"{base}/aktionsliste?cvr={world.CVR_A}")
    page.get_by_role("heading", name="Aktionsliste", level=1).wait_for()
    wait_for_dash(page)
    page.locator(f"#{ids.KIT.add}").click()
    form = page.locator(f"#{ids.KIT.form_modal}")
    form.locator(f"#{ids.KIT.field('subject')}").wait_for(state="visible")
    form.locator(f"#{ids.FORM_AREA}").get_by_text("Regnskab", exact=True).click()
    page.fill(f"#{ids.KIT.field('subject')}", ITEM_SUBJECT)
    page.fill(f"#{ids.KIT.field('deadline')}", (dt.date.today() + dt.timedelta(days=30)).isoformat())
    page.fill(f"#{ids.KIT.field('owner')}", "Statens Administration")
    page.fill(f"#{ids.KIT.field('description')}", "Mellemregningerne afstemmes og differencer forklares.")
    meeting = page.locator(f"#{ids.FORM_MEETING} option").filter(has_text=MEETING_TITLE).first.get_attribute("value")
    page.select_option(f"#{ids.FORM_MEETING}", meeting)
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)
    form.get_by_role("button", name="Gem").click()
    page.locator(f"#{ids.KIT.grid} .ag-row").filter(has_text=ITEM_SUBJECT).first.wait_for()


def test_sa_publishes_a_meeting_and_an_action_item_and_the_customer_reads_and_is_told(portal, smtp, browser,
                                                                                      tmp_path):
    from core.topics import Topic

    app, base = portal
    _, inbox = smtp
    referat_path = tmp_path / "referat.pdf"
    referat = _referat_pdf(referat_path)
    # Rediger of customer A has opted out of action items: told of the meeting, not of the item.
    _opt_out(app, world.REDIGER_A, Topic.ACTIONS)

    sa = browser.new_context(locale="da-DK", viewport={"width": 1366, "height": 900}, reduced_motion="reduce")
    sa_page = sa.new_page()
    try:
        sign_in(sa_page, base, world.SA_STAFF)
        _sa_publishes_meeting_with_referat(sa_page, base, referat_path)
        _sa_adds_action_item(sa_page, base)
    finally:
        sa.close()

    _run_worker(app)

    reader = browser.new_context(locale="da-DK", viewport={"width": 1366, "height": 900}, reduced_motion="reduce",
                                 accept_downloads=True)
    page = reader.new_page()
    try:
        sign_in(page, base, world.LAESER_A)
        page.goto(f"{base}/moeder?cvr={world.CVR_A}")
        meeting = page.locator("article").filter(has_text=MEETING_TITLE).first
        meeting.wait_for()
        link = meeting.get_by_role("link", name="referat", exact=False).first
        with page.expect_download() as download:
            link.click()
        assert download.value.path().read_bytes() == referat
        page.goto(f"{base}/aktionsliste?cvr={world.CVR_A}")
        row = page.locator(".ag-row").filter(has_text=ITEM_SUBJECT).first
        row.wait_for()
        wait_for_dash(page)
        # The item's second line names the meeting it came from, as a link to Møder.
        page.get_by_role("button", name="Udvid alle").click()
        page.locator(".ag-row").filter(has_text=MEETING_TITLE).first.wait_for()
        assert_no_serious_axe_violations(page)
    finally:
        reader.close()

    other = browser.new_context(locale="da-DK", viewport={"width": 1366, "height": 900})
    page = other.new_page()
    try:
        sign_in(page, base, world.LAESER_B)
        page.goto(f"{base}/moeder?cvr={world.CVR_B}")
        wait_for_dash(page)
        assert MEETING_TITLE not in page.content()
    finally:
        other.close()

    recipients: dict[str, list[str]] = {}
    for rcpts, message in inbox.messages:
        for rcpt in rcpts:
            recipients.setdefault(rcpt, []).append(str(message["Subject"]))
        assert message.get_body(preferencelist=("plain",)) is not None
        assert message.get_body(preferencelist=("html",)) is not None
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "https://kundeportal.example.dk/" in text
    # A's users with the pages' right (to.kunder reads A too) and the contact whose role concerns both
    # topics, each mail once; the opted-out user only the meeting's; never a user of B alone, never SA.
    for address in (world.LAESER_A, world.TWO_CVRS, world.ADMIN_AB, CONTACT_EMAIL):
        assert len(recipients.get(address, [])) == 2, (address, recipients)
    assert len(recipients.get(world.REDIGER_A, [])) == 1, recipients
    assert world.LAESER_B not in recipients and world.SA_STAFF not in recipients
    assert world.INACTIVE not in recipients
    subjects = recipients[world.LAESER_A]
    assert any("Referat fra mødet" in subject for subject in subjects), subjects
    assert any(ITEM_SUBJECT in subject for subject in subjects), subjects
