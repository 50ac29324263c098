"""Headless Chromium, end to end: SA publishes a meeting with a referat and an action item, the customer is told.

SA staff create the meeting, upload the referat and publish it on Møder, then add an action item linked
to it on Aktionsliste; the worker's tasks (run here, in the test process) turn the announcements into
mails and deliver them to a real SMTP server on loopback (aiosmtpd). A reader of the customer sees both
and downloads the referat; a reader of another customer sees none of it, and the mails went to exactly
the users with the right who did not opt out and to the contact person whose role concerns the topic.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests import world
from tests.browser.conftest import assert_no_serious_axe_violations, fresh_page, settle, sign_in, wait_for_dash
from tests.test_mail import Recorder, free_port

pytestmark = pytest.mark.browser

BASE_URL = "https://kundeportal.example.dk"
# The portal's one date format (core/formatting.py) in titles, mails and links alike.
HELD_DATE, HELD_TIME, HELD_LONG, HELD_DA = "2026-11-20", "10:00", "20. nov. 2026", "20. nov. 2026"
MEETING_KIND, MEETING_TITLE = "Driftsmøde", "Driftsmøde november"
SUBJECT = "Afstem mellemregninger efter driftsmødet"
CONTACT_A, CONTACT_B = "primaer.kontakt@kunde-a.dk", "primaer.kontakt@kunde-b.dk"
# Both primary contacts' roles concern meetings and action items (data/roles_catalogue.py).
CONTACT_ROLE = "Primær regnskabskontakt"
# Users of customer A whose rights open Møder and Aktionsliste (Administrator, Rediger, Læser), active.
READERS_A = {world.LAESER_A, world.REDIGER_A, world.RAPPORTER_NO_B, world.ADMIN_AB, world.TWO_CVRS}
# Opts out of meeting news only (through the data layer, as /notifikationer saves it).
OPTED_OUT = world.REDIGER_A


@pytest.fixture
def smtp():
    """A real SMTP server on a free loopback port that keeps every message it receives."""
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def app_config(app_config, smtp):
    """Point the live app's mail at the loopback SMTP server (set before the app is created)."""
    controller, _handler = smtp
    return {**app_config, "MAIL_SERVER": controller.hostname, "MAIL_PORT": controller.port,
            "MAIL_TIMEOUT_S": 5, "PUBLIC_BASE_URL": BASE_URL}


@pytest.fixture
def recipients_world(live_app):
    """Give A and B a primary contact person, and let one reader of A opt out of meeting news."""
    from core.topics import Topic
    from data.db import transaction
    from data.models import Contact, User
    from data.notifications import save_preferences
    from data.roles_catalogue import ensure_role_catalogue

    with live_app.app_context():
        with transaction() as session:
            role = next(r for r in ensure_role_catalogue(session) if r.name == CONTACT_ROLE)
            session.add(Contact(cvr=world.CVR_A, name="Primær Kontakt A", email=CONTACT_A, roles=[role]))
            session.add(Contact(cvr=world.CVR_B, name="Primær Kontakt B", email=CONTACT_B, roles=[role]))
        with transaction() as session:
            user = session.scalar(select(User).where(User.email == OPTED_OUT))
        save_preferences(user, [t.value for t in Topic if t is not Topic.MEETINGS], None)


@pytest.fixture
def referat(tmp_path: Path) -> Path:
    """A small real PDF, made with fpdf2."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Referat af driftsmøde november 2026")
    path = tmp_path / "referat-driftsmoede.pdf"
    pdf.output(str(path))
    return path


def _grid_row(page, grid_id: str, text: str):
    return page.locator(f"#{grid_id} .ag-center-cols-container .ag-row").filter(has_text=text).first


def _run_worker(app) -> None:
    """Run the worker's rounds until it is idle (bounded), as `flask worker` would."""
    from data.worker import run_round

    for _ in range(10):
        if not run_round(app):
            return
    pytest.fail("Baggrundsarbejderen blev ved med at have arbejde")


def _publish_meeting(page, base: str, referat: Path) -> None:
    page.goto(f"{base}/moeder?cvr={world.CVR_A}")
    wait_for_dash(page)
    page.get_by_role("checkbox", name="Rediger").check()
    panel = page.locator("#moeder-edit-panel")
    panel.get_by_role("heading", name="Rediger møder").wait_for()
    wait_for_dash(page)
    settle(page)
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="Nyt møde").click()
    form = page.locator("#moeder-form-modal")
    form.get_by_role("heading", name="Nyt møde").wait_for()
    page.fill("#moeder-held-date", HELD_DATE)
    page.fill("#moeder-held-time", HELD_TIME)
    page.fill("#moeder-kind", MEETING_KIND)
    page.fill("#moeder-title", MEETING_TITLE)
    settle(page)
    assert_no_serious_axe_violations(page)
    form.get_by_role("button", name="Gem").click()
    page.locator("#moeder-status").get_by_text(f"Mødet »{MEETING_TITLE}« er oprettet som kladde.").wait_for()
    form.wait_for(state="hidden")

    row = _grid_row(page, "moeder-grid", MEETING_TITLE)
    row.locator("[col-id=title]").click()
    page.locator("#moeder-selected").get_by_text(f"Dokumenter til »{MEETING_TITLE}«").wait_for()
    page.select_option("#moeder-upload-kind", "referat")
    page.wait_for_function("() => !document.querySelector('#moeder-upload input[type=file]').disabled")
    # The drop zone's text is the file input's label: a click on it opens the file dialog.
    with page.expect_file_chooser() as chooser:
        page.locator("#moeder-upload").get_by_text("vælg filer").click()
    assert chooser.value.is_multiple()
    page.set_input_files("#moeder-upload input[type=file]", str(referat))
    page.locator("#moeder-status").get_by_text(f"1 fil (referat) er tilføjet til »{MEETING_TITLE}«").wait_for()
    _grid_row(page, "moeder-document-grid", referat.name).wait_for()
    # The customer does not see the draft yet: the reader's list below is the page as they read it.
    assert MEETING_TITLE not in page.locator("#moeder-content").inner_text()

    page.get_by_role("button", name="Offentliggør").click()
    confirm = page.locator("#moeder-confirm-modal")
    confirm.get_by_text(f"Vil du offentliggøre mødet »{MEETING_TITLE}« med referat »referat-driftsmoede«?").wait_for()
    settle(page)
    assert_no_serious_axe_violations(page)
    confirm.get_by_role("button", name="Offentliggør").click()
    page.locator("#moeder-status").get_by_text(f"Mødet »{MEETING_TITLE}« er offentliggjort.").wait_for()
    confirm.wait_for(state="hidden")
    _grid_row(page, "moeder-grid", MEETING_TITLE).get_by_text("Offentliggjort").wait_for()
    assert page.js_errors == []


def _add_action_item(page, base: str, meeting_id: int) -> None:
    page.goto(f"{base}/aktionsliste?cvr={world.CVR_A}")
    wait_for_dash(page)
    page.get_by_role("button", name="Nyt aktionspunkt").click()
    form = page.locator("#aktionsliste-form-modal")
    form.get_by_role("heading", name="Nyt aktionspunkt").wait_for()
    form.locator("#aktionsliste-form-area").get_by_label("Regnskab", exact=True).check()
    page.fill("#aktionsliste-subject", SUBJECT)
    page.fill("#aktionsliste-deadline", "2027-01-15")
    page.fill("#aktionsliste-owner", "Kunden")
    page.fill("#aktionsliste-process-area", "Finans")
    page.select_option("#aktionsliste-form-status", "I gang")
    page.fill("#aktionsliste-description", "Mellemregningerne afstemmes inden årsafslutningen.")
    page.fill("#aktionsliste-status-detail", "Aftalt på driftsmødet i november.")
    page.select_option("#aktionsliste-form-meeting", str(meeting_id))
    settle(page)
    assert_no_serious_axe_violations(page)
    form.get_by_role("button", name="Gem").click()
    page.locator("#aktionsliste-status").get_by_text(f"»{SUBJECT}« er gemt, og kunden får besked.").wait_for()
    form.wait_for(state="hidden")
    page.locator("#aktionsliste-grid").get_by_text(SUBJECT).wait_for()
    wait_for_dash(page)
    settle(page)
    assert_no_serious_axe_violations(page)
    assert page.js_errors == []


def _messages(handler) -> list[tuple[list[str], email.message.EmailMessage]]:
    return [(list(env.rcpt_tos), email.message_from_bytes(env.original_content or env.content,
                                                          policy=email.policy.default))
            for env in handler.envelopes]


def _check_mails(handler, subject: str, link: str, expected: set[str]) -> dict[str, str]:
    """Assert one mail per expected address with `subject`, plain text and HTML both linking to `link`; return the texts."""
    # Exactly, spaces included: Python's default folding at 78 columns lost or doubled the space
    # around a Danish word (data/mail.py's MESSAGE_POLICY folds at SMTP's limit instead).
    got = [(to, msg) for to, msg in _messages(handler) if msg["Subject"] == subject]
    addresses = [address for to, _msg in got for address in to]
    assert sorted(addresses) == sorted(expected), subject
    for to, msg in got:
        assert [msg["To"]] == to
        assert msg.get_content_type() == "multipart/alternative"
        text = msg.get_body(("plain",)).get_content()
        body = msg.get_body(("html",)).get_content()
        assert text.startswith("Kære ") and f"Se det i Kundeportalen: {link}" in text
        assert f'href="{link.replace("&", "&amp;")}"' in body and '<html lang="da">' in body
        assert "Statens Administration" in text and "Statens Administration" in body
    return {to[0]: msg.get_body(("plain",)).get_content() for to, msg in got}


def test_sa_publishes_a_meeting_and_an_action_item_and_the_customer_is_told(recipients_world, smtp, live_app,
                                                                          live_server, browser, page, referat):
    from data.db import get_session
    from data.models import Meeting, MeetingDocument

    _controller, handler = smtp

    # SA staff: the meeting with its referat, published; then an action item agreed at it.
    sign_in(page, live_server, world.SA_STAFF)
    _publish_meeting(page, live_server, referat)
    with live_app.app_context():
        session = get_session()
        meeting = session.scalar(select(Meeting).where(Meeting.cvr == world.CVR_A, Meeting.title == MEETING_TITLE))
        meeting_id = meeting.id
        file_id = session.scalar(select(MeetingDocument.file_id).where(MeetingDocument.meeting_id == meeting_id))
    _add_action_item(page, live_server, meeting_id)

    # The worker queues the announcements' mails and delivers them to the SMTP server.
    assert handler.envelopes == []
    _run_worker(live_app)
    meeting_link = f"{BASE_URL}/moeder?cvr={world.CVR_A}&aar=2026"
    action_link = f"{BASE_URL}/aktionsliste?cvr={world.CVR_A}"
    # The user who opted out of meeting news still hears of the action item.
    meeting_to, action_to = (READERS_A - {OPTED_OUT}) | {CONTACT_A}, READERS_A | {CONTACT_A}
    texts = _check_mails(handler, f"Nyt i Kundeportalen: Referat fra mødet {HELD_LONG} er offentliggjort",
                         meeting_link, meeting_to)
    _check_mails(handler, f"Nyt i Kundeportalen: Nyt aktionspunkt: {SUBJECT}", action_link, action_to)
    assert "du er kontaktperson for Statens Administration" in " ".join(texts[CONTACT_A].split())
    assert "Brugermenu › Notifikationer" in texts[world.LAESER_A]
    # Nothing else was sent: never B's users or contact, never a user of A without the right.
    assert len(handler.envelopes) == len(meeting_to) + len(action_to)
    everyone = {address for env in handler.envelopes for address in env.rcpt_tos}
    assert not everyone & {world.LAESER_B, CONTACT_B, world.RAPPORTER_A, world.INACTIVE, world.SA_STAFF}

    # A reader of A follows the mail's link: the meeting, its referat, and the item with its meeting.
    expected_pdf = referat.read_bytes()
    with fresh_page(browser) as reader:
        sign_in(reader, live_server, world.LAESER_A)
        link = urlsplit(re.search(r"Se det i Kundeportalen: (\S+)", texts[world.LAESER_A]).group(1))
        reader.goto(f"{live_server}{link.path}?{link.query}")
        wait_for_dash(reader)
        main = reader.locator("#moeder-content")
        main.get_by_role("heading", name=MEETING_TITLE).wait_for()
        assert MEETING_KIND in main.inner_text()
        assert reader.locator("#moeder-edit-panel").count() == 0
        with reader.expect_download() as info:
            main.get_by_role("link", name="Hent referat: referat-driftsmoede").click()
        download = info.value
        assert download.suggested_filename == referat.name
        assert Path(download.path()).read_bytes() == expected_pdf

        reader.goto(f"{live_server}/aktionsliste?cvr={world.CVR_A}")
        wait_for_dash(reader)
        grid = reader.locator("#aktionsliste-grid")
        grid.get_by_text(SUBJECT).wait_for()
        assert reader.get_by_role("button", name="Nyt aktionspunkt").count() == 0
        item_id = _grid_row(reader, "aktionsliste-grid", SUBJECT).get_attribute("row-id").removeprefix("m-")
        grid.get_by_role("button", name=re.compile(f"aktion {item_id}$")).click()
        detail = reader.locator(".aktion-detail")
        detail.get_by_text("Aftalt på driftsmødet i november.").wait_for()
        meeting_anchor = detail.get_by_role("link", name=re.compile(re.escape(MEETING_TITLE)))
        assert meeting_anchor.get_attribute("href") == f"/moeder?cvr={world.CVR_A}&aar=2026"
        assert HELD_DA in meeting_anchor.inner_text()
        meeting_anchor.click()
        reader.wait_for_url(re.compile(r"/moeder\?cvr=\d+&aar=2026"))
        reader.locator("#moeder-content").get_by_role("heading", name=MEETING_TITLE).wait_for()
        assert reader.js_errors == []

    # A reader of B sees none of it, not even by asking for A's pages or the file by its id.
    with fresh_page(browser) as other:
        sign_in(other, live_server, world.LAESER_B)
        for path in (f"/moeder?cvr={world.CVR_A}", f"/aktionsliste?cvr={world.CVR_A}",
                     f"/moeder?cvr={world.CVR_B}", f"/aktionsliste?cvr={world.CVR_B}"):
            other.goto(live_server + path)
            content = other.locator("#_pages_content")
            # Wait for the page itself (the refusal, or B's own heading), not only for Dash to be idle.
            if world.CVR_A in path:
                content.get_by_text("Ingen adgang").first.wait_for()
            else:
                content.get_by_role("heading", level=1).first.wait_for()
            wait_for_dash(other)
            body = content.inner_text()
            assert MEETING_TITLE not in body and SUBJECT not in body, path
            if world.CVR_A in path:
                assert "Ingen adgang" in body, path
        assert other.request.get(f"{live_server}/filer/{file_id}").status == 404
        assert other.js_errors == []
