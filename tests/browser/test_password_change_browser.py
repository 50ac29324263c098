"""Headless Chromium: the forced first sign-in change asks only for the new password and says it succeeded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import world
from tests.browser.conftest import assert_no_serious_axe_violations

pytestmark = pytest.mark.browser

NEW_PASSWORD = "en-helt-ny-og-lang-adgangskode"


def test_forced_change_without_the_current_password(live_app, live_server, page):
    from data.db import get_session
    from data.models import User

    with live_app.app_context():
        db = get_session()
        db.scalar(select(User).where(User.email == world.LAESER_A)).must_change_password = True
        db.commit()
    page.goto(f"{live_server}/login")
    page.fill("#email", world.LAESER_A)
    page.fill("#password", world.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/skift-adgangskode")
    assert page.locator("#current_password").count() == 0
    assert "skal ikke skrive den igen" in page.inner_text("main")
    assert_no_serious_axe_violations(page)

    # A weak password is refused with the reason, and the form still does not ask for the old one.
    page.fill("#new_password", "password1234567890")
    page.fill("#new_password_repeat", "password1234567890")
    page.click("button[type=submit]")
    page.locator(".auth-error").wait_for()
    assert "almindelige eller lækkede adgangskoder" in page.inner_text(".auth-error")
    assert page.locator("#current_password").count() == 0

    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#new_password_repeat", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/adgangskode-aendret")
    assert "Din adgangskode er ændret." in page.inner_text("main")
    assert_no_serious_axe_violations(page)
    page.get_by_role("link", name="Fortsæt til Kundeportalen").click()
    page.wait_for_selector("#shell-search-customer", state="attached")
