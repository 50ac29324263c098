"""Headless Chromium signs in with MitID Erhverv: the button, the IdP round trip, and a session for one CVR.

The IdP is the test process's pysaml2 IdP (tests/saml_idp.py); Playwright answers the browser's visit to its
sign-on address with the page an IdP shows after authentication: a form that POSTs the signed response to the
portal's ACS. The IdP's address is on the portal's own site (127.0.0.1, another port), as a development IdP
would be: over plain HTTP the browser-binding cookie is SameSite=Lax and only comes back from the same site.
"""

from __future__ import annotations

import html
import shutil

import pytest

from tests import world
from tests.browser.conftest import LiveServer, assert_no_serious_axe_violations, wait_for_dash

pytestmark = [pytest.mark.browser, pytest.mark.xmlsec]

if shutil.which("xmlsec1") is None:
    import os

    if os.environ.get("REQUIRE_XMLSEC") == "1":
        raise pytest.UsageError("xmlsec1 mangler (apt-get install xmlsec1), og REQUIRE_XMLSEC=1 kræver det")
    pytest.skip("xmlsec1 mangler (apt-get install xmlsec1): SAML-browsertesten springes over", allow_module_level=True)

from tests import saml_idp  # noqa: E402

IDP_BASE = "http://127.0.0.1:9"  # never contacted: Playwright answers for it


@pytest.fixture
def mitid_portal(app_config, tmp_path):
    """A live portal with MitID Erhverv on against the test IdP; yields (base URL, IdP)."""
    from app import create_app
    from data.db import get_db, get_session

    holder = {}
    # The port is bound first: the portal's public address (in its metadata and checks) must name it.
    server = LiveServer(lambda environ, start_response: holder["app"](environ, start_response))
    pki = saml_idp.make_pki(tmp_path, idp_sso=IDP_BASE + "/sso", idp_slo=IDP_BASE + "/slo")
    config = {**app_config, **saml_idp.sp_app_settings(pki, base_url=server.url),
              "WTF_CSRF_ENABLED": True, "TESTING": False}
    flask_app = create_app(config)
    world.unscoped_outside_requests(get_db(flask_app))
    with flask_app.app_context():
        world.build(get_session())
    holder["app"] = flask_app
    server.start()
    idp = saml_idp.TestIdP(pki, flask_app.test_client().get("/saml/metadata").get_data(as_text=True))
    try:
        yield server.url, idp
    finally:
        server.stop()
        get_db(flask_app).dispose()


def test_mitid_sign_in_in_the_browser_acts_for_the_assertions_cvr(mitid_portal, page):
    base, idp = mitid_portal
    acs = base + "/saml/acs"

    def idp_page(route):
        request = idp.read_request(route.request.url)  # the portal's redirect, its signature checked
        xml = idp.response_xml(request.id, saml_idp.identity(cvr=world.CVR_B, email=world.TWO_CVRS),
                               destination=acs)
        value = html.escape(saml_idp.post_form(xml)["SAMLResponse"])
        body = (f'<!DOCTYPE html><html lang="da"><head><title>NemLog-in (test)</title></head><body><main>'
                f'<form method="post" action="{acs}"><input type="hidden" name="SAMLResponse" value="{value}">'
                f'<button id="fortsaet" type="submit">Fortsæt til Kundeportalen</button></form></main></body></html>')
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    page.route(IDP_BASE + "/sso**", idp_page)
    page.goto(f"{base}/login?next=/stamdata")
    button = page.get_by_role("link", name="Log ind med MitID Erhverv")
    assert button.is_visible()
    assert_no_serious_axe_violations(page)
    button.click()
    page.wait_for_url(IDP_BASE + "/sso**")
    page.click("#fortsaet")
    page.wait_for_url(lambda url: url.startswith(base) and "/saml/" not in url and "/login" not in url)
    page.wait_for_selector("#shell-search-customer", state="attached")
    wait_for_dash(page)
    assert "/stamdata" in page.url
    page.get_by_text("Styrelsen for Bøger").first.wait_for()
    # The person also holds Læser on A, but this session acts for B only.
    page.goto(f"{base}/stamdata?cvr={world.CVR_A}")
    wait_for_dash(page)
    # The refusal is drawn by the page's callback, after the shell: wait for it, not for a fixed moment.
    page.get_by_text("Ingen adgang").first.wait_for()
    assert "Ingen adgang" in page.inner_text("body") and world.CVR_A not in page.inner_text("main")
    assert page.js_errors == []


def test_login_page_without_mitid_shows_no_button(live_server, page):
    page.goto(f"{live_server}/login")
    assert page.get_by_role("link", name="Log ind med MitID Erhverv").count() == 0
