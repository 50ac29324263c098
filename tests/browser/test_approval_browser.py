"""Headless Chromium: the customer's signatory approves on Kundeaftaler and downloads the sealed PDF."""

from __future__ import annotations


import pytest
from sqlalchemy import select

from tests import agreements_world as aw
from tests import world
from tests.browser.conftest import assert_no_serious_axe_violations, settle, sign_in, wait_for_dash
from data.workdays import danish_today

pytestmark = pytest.mark.browser


@pytest.fixture
def awaiting(live_app):
    """CVR A's Kundeaftale sent for approval and already approved by SA's signatory (SA_ADMIN)."""
    from core.access import AccessScope, Principal
    from data import approvals
    from data.db import get_session
    from data.models import Agreement, User

    everyone = AccessScope(all_customers=True)
    with live_app.app_context():
        session = get_session()
        rows = aw.build(session, danish_today())
        admin = Principal.from_user(session.scalar(select(User).where(User.email == world.SA_ADMIN)))
        approvals.register_signatory(everyone, world.CVR_A, admin, "kundeaftale",
                                     {"name": "Ada Tegner", "email": world.ADMIN_AB, "b_number": "B200001"})
        approvals.register_sa_signatory(admin, "kundeaftale",
                                        {"name": "SA Admin", "email": world.SA_ADMIN, "b_number": "B900010"})
        row = session.get(Agreement, rows.agreements["customer_a"])
        requested = approvals.request_approval(everyone, world.CVR_A, admin, row.id, row.row_version)
        code = world.totp_code(admin.email) if admin.email in world.TOTP_SECRETS else None
        approvals.approve(everyone, world.CVR_A, admin, row.id, requested["pdf_sha256"], world.PASSWORD, code=code)
        return row.id


def _fresh_code(live_app, email: str) -> str:
    """Return the app's current code for `email`, its sign-in's step forgotten (the test approves at once)."""
    from data.db import get_session

    with live_app.app_context():
        return world.unspent_totp_code(get_session(), email)


def test_the_signatory_approves_and_downloads_the_sealed_pdf(live_app, awaiting, live_server, page):
    from data import seal

    sign_in(page, live_server, world.ADMIN_AB)
    page.goto(f"{live_server}/kundeaftaler?cvr={world.CVR_A}")
    wait_for_dash(page)
    main = page.locator("#kundeaftaler-content")
    main.get_by_text("Afventer godkendelse.").wait_for()
    settle(page)
    assert_no_serious_axe_violations(page)
    page.get_by_label("Din adgangskode").fill(world.PASSWORD)
    page.get_by_label("Kode fra din godkendelsesapp").fill(_fresh_code(live_app, world.ADMIN_AB))
    main.get_by_role("button", name="Godkend aftalen").click()
    page.get_by_text("Aftalen er godkendt af begge parter og forseglet.").wait_for()
    main.get_by_text("godkendt elektronisk af begge parter").wait_for()
    with page.expect_download() as info:
        main.get_by_role("link", name="Hent aftale").click()
    with open(info.value.path(), "rb") as handle:
        content = handle.read()
    with live_app.app_context():
        check = seal.check_seal(content, seal.signing_certificate(seal.seal_key(live_app.config)))
    assert check.ok and check.whole_document


def test_the_signatory_approves_on_a_phone(live_app, awaiting, live_server, page):
    """On a 390 px screen the approval card fits, passes axe, and the approval goes through."""
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, world.ADMIN_AB)
    page.goto(f"{live_server}/kundeaftaler?cvr={world.CVR_A}")
    wait_for_dash(page)
    main = page.locator("#kundeaftaler-content")
    main.get_by_role("button", name="Godkend aftalen").wait_for()
    settle(page)
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{scroll_width - inner_width} px bredere end telefonens skærm"
    assert_no_serious_axe_violations(page)
    page.get_by_label("Din adgangskode").fill(world.PASSWORD)
    page.get_by_label("Kode fra din godkendelsesapp").fill(_fresh_code(live_app, world.ADMIN_AB))
    main.get_by_role("button", name="Godkend aftalen").click()
    page.get_by_text("Aftalen er godkendt af begge parter og forseglet.").wait_for()
    main.get_by_text("godkendt elektronisk af begge parter").wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
