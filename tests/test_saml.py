"""MitID Erhverv via NemLog-in: the whole browser-less SAML flow against a real pysaml2 IdP in the test process.

Needs Debian's xmlsec1. Skipped with the reason where it is missing, except in CI (REQUIRE_XMLSEC=1), where a
missing xmlsec1 is a broken setup and fails.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests import world

if shutil.which("xmlsec1") is None:
    if os.environ.get("REQUIRE_XMLSEC") == "1":
        raise pytest.UsageError("xmlsec1 mangler (apt-get install xmlsec1), og REQUIRE_XMLSEC=1 kræver det")
    pytest.skip("xmlsec1 mangler (apt-get install xmlsec1): SAML-testene springes over", allow_module_level=True)

from pages.ids import stamdata as stamdata_ids  # noqa: E402

pytestmark = pytest.mark.xmlsec
from tests import saml_idp  # noqa: E402
from tests.saml_idp import TestIdP, identity, post_form  # noqa: E402
from data.workdays import danish_today


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Keys, certificates and IdP metadata made for this test module."""
    return saml_idp.make_pki(tmp_path_factory.mktemp("saml"))


@pytest.fixture
def saml_extra() -> dict:
    """Extra settings a test may change before the app is built."""
    return {}


@pytest.fixture
def app_config(app_config, pki, saml_extra):
    """The test app with MitID Erhverv turned on against the test IdP."""
    return {**app_config, **saml_idp.sp_app_settings(pki), **saml_extra}


@pytest.fixture
def idp(client, pki) -> TestIdP:
    """The IdP, loaded with the portal's own metadata from /saml/metadata."""
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    return TestIdP(pki, response.get_data(as_text=True))


def start_login(client, idp, next_url: str | None = None):
    """GET /saml/login as the browser does; return the AuthnRequest the IdP read from the redirect."""
    response = client.get("/saml/login" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(saml_idp.IDP_SSO)
    return idp.read_request(location)


def audit_reasons(app) -> list[str]:
    from data.db import get_session
    from data.models import AuditLog

    with app.app_context():
        rows = get_session().scalars(select(AuditLog).where(AuditLog.action == "mitid_refused").order_by(AuditLog.id))
        return [row.after["reason"] for row in rows]


def links(app) -> list:
    from data.db import get_session
    from data.models import MitIdLink

    with app.app_context():
        return [(row.user_id, row.cvr, row.person_uuid) for row in get_session().scalars(select(MitIdLink))]


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def sign_in_with_mitid(client, idp, ident, **kwargs):
    request = start_login(client, idp)
    return client.post("/saml/acs", data=post_form(idp.response_xml(request.id, ident, **kwargs)))


def stamdata_tab(dash_client, cvr):
    return dash_client.fire(stamdata_ids.TABS, "value", cvr=cvr, initial=True, values={stamdata_ids.TABS: "generelt"})


def assert_refused(app, client, response, reason: str, text: str):
    assert response.status_code == 403, response.data[:500]
    page = response.get_data(as_text=True)
    assert "Login med MitID Erhverv blev afvist" in page
    assert text in page
    assert "Traceback" not in page
    assert audit_reasons(app)[-1] == reason
    assert not signed_in(client)


# --- configuration, metadata, the button --------------------------------------------------------------------


def test_without_settings_no_button_and_no_endpoints(app_config, pki):
    from app import create_app

    plain = {key: value for key, value in app_config.items() if not key.startswith("SAML_")}
    client = create_app(plain).test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "Log ind med MitID Erhverv" not in page
    assert client.get("/saml/login").status_code == 404
    assert client.get("/saml/metadata").status_code == 404
    assert client.post("/saml/acs", data={"SAMLResponse": "x"}).status_code == 404


def test_partial_settings_stop_the_start(app_config):
    from app import create_app
    from config import ConfigError

    broken = {key: value for key, value in app_config.items() if key != "SAML_SP_KEY"}
    with pytest.raises(ConfigError, match="SAML_SP_KEY"):
        create_app(broken)


def test_login_page_offers_mitid(client):
    page = client.get("/login?next=/stamdata").get_data(as_text=True)
    assert "Log ind med MitID Erhverv" in page
    assert 'href="/saml/login?next=/stamdata"' in page or 'href="/saml/login?next=%2Fstamdata"' in page
    assert 'name="password"' in page  # beside the password form


def test_metadata_names_endpoints_and_both_certificates(client, pki):
    xml = client.get("/saml/metadata").get_data(as_text=True)
    assert f'entityID="{saml_idp.SP_ID}"' in xml
    assert 'AuthnRequestsSigned="true"' in xml and 'WantAssertionsSigned="true"' in xml
    assert 'use="signing"' in xml and 'use="encryption"' in xml
    assert f'Location="{saml_idp.ACS}"' in xml
    assert "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" in xml
    assert "SingleLogoutService" in xml
    assert "ContactPerson" in xml and "kundeportal@statens-adm.dk" in xml
    assert "validUntil" not in xml  # uploaded to NemLog-in by hand: it must not lapse there
    for path in (pki.sp_cert, pki.sp_enc_cert):
        body = "".join(line for line in open(path, encoding="ascii").read().splitlines() if "CERTIFICATE" not in line)
        assert body in xml.replace("\n", "")


def test_authn_request_is_signed_and_asks_for_substantial_and_professional(client, idp):
    request = start_login(client, idp)  # the IdP checked the redirect's signature against the SP metadata
    refs = [ref.text for ref in request.requested_authn_context.authn_context_class_ref]
    assert refs == ["https://data.gov.dk/concept/core/nsis/loa/Substantial", "https://data.gov.dk/eid/Professional"]
    assert request.requested_authn_context.comparison == "minimum"
    assert request.assertion_consumer_service_url in (None, saml_idp.ACS)


# --- the whole flow ---------------------------------------------------------------------------------------


def test_mitid_sign_in_acts_for_the_assertions_cvr_only(app, client, idp, dash_client):
    request = start_login(client, idp, next_url="/stamdata")
    ident = identity(cvr=world.CVR_B, email=world.TWO_CVRS)
    response = client.post("/saml/acs", data=post_form(idp.response_xml(request.id, ident)))
    assert response.status_code == 302, response.data[:800]
    assert response.headers["Location"].endswith("/stamdata")
    assert signed_in(client)
    # The person holds Læser on A too, but this session acts for B only: a forged callback for A is refused.
    assert stamdata_tab(dash_client, world.CVR_B).status_code == 200
    assert stamdata_tab(dash_client, world.CVR_A).status_code == 403
    with client.session_transaction() as cookie:
        assert cookie["mitid_cvr"] == world.CVR_B
        assert cookie["second_factor"] == "mitid"
    (user_id, cvr, person), = links(app)
    assert cvr == world.CVR_B and person == ident[saml_idp.saml.ATTR_UUID][0]
    from data.db import get_session
    from data.models import AuditLog, User

    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == world.TWO_CVRS))
        assert user.id == user_id
        row = get_session().scalar(select(AuditLog).where(AuditLog.action == "mitid_link"))
        assert row.cvr == world.CVR_B and row.entity_id == str(user.id)


def _second_factor_in(app, client) -> bool:
    """Ask auth.session.has_second_factor() inside a request that carries the client's session cookie."""
    from auth.session import has_second_factor

    cookie = client.get_cookie("kundeportal_session")
    headers = {"Cookie": f"kundeportal_session={cookie.value}"} if cookie else {}
    with app.test_request_context("/", headers=headers):
        return has_second_factor()


def test_second_factor_done_after_mitid(app, client, idp):
    assert sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A)).status_code == 302
    assert _second_factor_in(app, client)


def test_password_session_has_no_second_factor(app, client):
    assert client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD}).status_code == 302
    with client.session_transaction() as cookie:
        assert "second_factor" not in cookie and "mitid_cvr" not in cookie
    assert not _second_factor_in(app, client)


def test_password_change_keeps_the_session_to_the_assertions_cvr(client, idp, dash_client):
    assert sign_in_with_mitid(client, idp, identity(cvr=world.CVR_B, email=world.TWO_CVRS)).status_code == 302
    new = "en-helt-ny-og-lang-adgangskode-42"
    response = client.post("/skift-adgangskode", data={"current_password": world.PASSWORD, "new_password": new,
                                                        "new_password_repeat": new})
    assert response.status_code == 302, response.data[:500]
    assert stamdata_tab(dash_client, world.CVR_B).status_code == 200
    assert stamdata_tab(dash_client, world.CVR_A).status_code == 403


def test_mitid_session_of_sa_staff_has_no_sa_powers(client, idp, dash_client):
    # SA staff hold no grant on a customer's CVR: a MitID sign-in for one is refused (no right created from it).
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.SA_STAFF))
    assert response.status_code == 403


def test_encrypted_assertion_is_accepted(client, idp, dash_client):
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A), encrypt=True)
    assert response.status_code == 302, response.data[:800]
    assert stamdata_tab(dash_client, world.CVR_A).status_code == 200


def test_the_link_is_used_again_whatever_the_email(app, client, idp):
    person = "urn:uuid:6f3c1b52-3f7e-4c59-9d0e-6e1c7f0a1b22"
    assert sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A,
                                                     person_uuid=person)).status_code == 302
    client.post("/logout")
    # The e-mail in MitID changed: the recorded link still names the user.
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email="nyt.navn@example.dk",
                                                        person_uuid=person))
    assert response.status_code == 302
    assert len(links(app)) == 1


def test_link_is_shown_to_the_administrator(app, client, idp, login, dash_client):
    from core.formatting import da_date
    from pages.ids.brugeradministration import KIT
    from tests.test_brugeradministration import Callbacks, _out

    assert sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A)).status_code == 302
    client.post("/logout")
    login(world.ADMIN_AB)
    callbacks = Callbacks(app, client, dash_client)
    rows = {row["email"]: row for row in _out(callbacks.load(), KIT.grid, "rowData")}
    import datetime as dt

    today = da_date(danish_today())
    assert rows[world.LAESER_A]["mitid"] in (f"MitID tilknyttet {today}",
                                              f"MitID tilknyttet {da_date(danish_today() - dt.timedelta(days=1))}",
                                              f"MitID tilknyttet {da_date(danish_today() + dt.timedelta(days=1))}")
    assert rows[world.REDIGER_A]["mitid"] == ""
    # On B the same administrator sees no link: it was made for A.
    rows_b = _out(callbacks.load(cvr=world.CVR_B), KIT.grid, "rowData")
    assert all(row["mitid"] == "" for row in rows_b)


# --- refusals ---------------------------------------------------------------------------------------------


def test_refused_bad_signature(app, client, idp):
    request = start_login(client, idp)
    xml = idp.response_xml(request.id, identity(cvr=world.CVR_A, email=world.LAESER_A))
    forged = xml.replace(world.CVR_A, world.CVR_B)  # the signed content changed after signing
    assert forged != xml
    response = client.post("/saml/acs", data=post_form(forged))
    assert_refused(app, client, response, "signature", "ikke korrekt signeret")


def test_refused_missing_signature(app, client, idp):
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A), sign=False)
    assert_refused(app, client, response, "signature", "ikke korrekt signeret")


def test_refused_signed_by_another_key(app, client, idp, tmp_path, pki):
    # A well-formed signature by a key that is not the IdP's in the metadata.
    other = saml_idp.make_pki(tmp_path)
    impostor = TestIdP(saml_idp.Pki(other.idp_key, other.idp_cert, pki.sp_key, pki.sp_cert, pki.sp_enc_key,
                                    pki.sp_enc_cert, other.idp_metadata),
                       client.get("/saml/metadata").get_data(as_text=True))
    request = start_login(client, idp)
    xml = impostor.response_xml(request.id, identity(cvr=world.CVR_A, email=world.LAESER_A))
    assert_refused(app, client, client.post("/saml/acs", data=post_form(xml)), "signature", "ikke korrekt signeret")


def test_refused_wrong_audience(app, client, idp):
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A),
                                  audience="https://another-portal.example/saml")
    assert_refused(app, client, response, "audience", "ikke til Kundeportalen")


def test_refused_wrong_destination(app, client, idp):
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A),
                                  destination="https://another-portal.example/saml/acs")
    assert_refused(app, client, response, "destination", "en anden adresse")


def test_refused_wrong_recipient_inside_the_signed_assertion(app, client, idp):
    def recipient(assertion):
        assertion.subject.subject_confirmation[0].subject_confirmation_data.recipient = "https://evil.example/acs"

    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A), craft=recipient)
    assert_refused(app, client, response, "destination", "en anden adresse")


def _shift_conditions(minutes_before: int, minutes_after: int):
    from saml2.time_util import in_a_while

    def craft(assertion):
        assertion.conditions.not_before = in_a_while(minutes=minutes_before)
        assertion.conditions.not_on_or_after = in_a_while(minutes=minutes_after)
        data = assertion.subject.subject_confirmation[0].subject_confirmation_data
        data.not_on_or_after = in_a_while(minutes=minutes_after)

    return craft


def test_refused_expired_assertion(app, client, idp):
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A),
                                  craft=_shift_conditions(-30, -10))
    assert_refused(app, client, response, "expired", "udløbet")


def test_refused_not_yet_valid_assertion(app, client, idp):
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A),
                                  craft=_shift_conditions(10, 30))
    assert_refused(app, client, response, "not_yet_valid", "ikke gyldigt endnu")


def test_refused_replayed_response(app, client, idp):
    request = start_login(client, idp)
    form = post_form(idp.response_xml(request.id, identity(cvr=world.CVR_A, email=world.LAESER_A)))
    assert client.post("/saml/acs", data=form).status_code == 302
    client.post("/logout")
    assert_refused(app, client, client.post("/saml/acs", data=form), "replay", "allerede brugt")


def test_refused_replayed_assertion_id_on_a_new_request(app, client, idp):
    first = start_login(client, idp)
    assertion_id = {}

    def keep_id(assertion):
        assertion_id["id"] = assertion.id

    assert client.post("/saml/acs", data=post_form(idp.response_xml(
        first.id, identity(cvr=world.CVR_A, email=world.LAESER_A), craft=keep_id))).status_code == 302
    client.post("/logout")
    second = start_login(client, idp)

    def same_id(assertion):
        assertion.id = assertion_id["id"]

    response = client.post("/saml/acs", data=post_form(idp.response_xml(
        second.id, identity(cvr=world.CVR_A, email=world.LAESER_A), craft=same_id)))
    assert_refused(app, client, response, "replay", "allerede brugt")


def test_refused_unknown_in_response_to(app, client, idp):
    start_login(client, idp)
    xml = idp.response_xml("id-never-sent-by-the-portal", identity(cvr=world.CVR_A, email=world.LAESER_A))
    assert_refused(app, client, client.post("/saml/acs", data=post_form(xml)), "unknown_request",
                   "ikke til et login")


def test_refused_response_from_another_browser(app, client, idp):
    # Someone starts a sign-in, gets a valid response for their own request, and has another browser post it.
    request = start_login(client, idp)
    form = post_form(idp.response_xml(request.id, identity(cvr=world.CVR_A, email=world.LAESER_A)))
    other = app.test_client()
    assert_refused(app, other, other.post("/saml/acs", data=form), "browser", "denne browser")
    # The browser that started it may still use it.
    assert client.post("/saml/acs", data=form).status_code == 302


def test_refused_assurance_level_too_low(app, client, idp):
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A, loa="Low"))
    assert_refused(app, client, response, "loa", "sikringsniveau")


def test_refused_cvr_without_a_right(app, client, idp):
    # The user exists and holds rights on A, but the assertion speaks for C.
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_C, email=world.LAESER_A))
    assert_refused(app, client, response, "no_right", "ingen rettigheder")
    assert links(app) == []


def test_refused_no_matching_user(app, client, idp):
    response = sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email="ukendt.person@example.dk"))
    assert_refused(app, client, response, "no_user", "ingen bruger")
    assert links(app) == []


def test_refused_garbage(app, client, idp):
    response = client.post("/saml/acs", data={"SAMLResponse": "ikke base64 <xml"})
    assert_refused(app, client, response, "invalid", "kunne ikke læses")


# --- passwords, logout, throttling ------------------------------------------------------------------------


@pytest.mark.parametrize("saml_extra", [{"SAML_CUSTOMER_PASSWORD_LOGIN": False}])
def test_password_off_for_customer_users(client, saml_extra):
    response = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD})
    assert response.status_code == 403
    assert "Log ind med MitID Erhverv" in response.get_data(as_text=True)
    assert not signed_in(client)
    # SA staff have no MitID Erhverv on a customer's CVR: they keep the password (and the second factor).
    assert client.post("/login", data={"email": world.SA_STAFF, "password": world.PASSWORD}).status_code == 302


def test_logout_ends_single_sign_on_at_the_idp(client, idp):
    assert sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A)).status_code == 302
    response = client.post("/logout")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(saml_idp.IDP_SLO)
    query = parse_qs(urlsplit(location).query)
    assert {"SAMLRequest", "SigAlg", "Signature"} <= set(query)
    parsed = idp.server.parse_logout_request(query["SAMLRequest"][0], saml_idp.saml.BINDING_HTTP_REDIRECT,
                                             sigalg=query["SigAlg"][0], signature=query["Signature"][0])
    assert parsed is not None
    assert not signed_in(client)


def test_idp_initiated_logout_ends_the_session(client, idp):
    person = "urn:uuid:0b8f5a0e-1b7c-4d2a-8d3e-2f1a9c5e7d11"
    assert sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A,
                                                     person_uuid=person)).status_code == 302
    location = idp.logout_request_location(person, saml_idp.BASE_URL + "/saml/slo")
    response = client.get(location[len(saml_idp.BASE_URL):])
    assert response.status_code == 302
    assert response.headers["Location"].startswith(saml_idp.IDP_SLO)
    assert not signed_in(client)


def test_unsigned_idp_logout_request_is_refused(client, idp):
    person = "urn:uuid:0b8f5a0e-1b7c-4d2a-8d3e-2f1a9c5e7d12"
    assert sign_in_with_mitid(client, idp, identity(cvr=world.CVR_A, email=world.LAESER_A,
                                                     person_uuid=person)).status_code == 302
    location = idp.logout_request_location(person, saml_idp.BASE_URL + "/saml/slo")
    stripped = location.split("&Signature=")[0]
    response = client.get(stripped[len(saml_idp.BASE_URL):])
    assert response.status_code == 400
    assert signed_in(client)


@pytest.mark.parametrize("saml_extra", [{"SAML_ACS_LIMIT": "3 per minute", "RATELIMIT_ENABLED": True}])
def test_acs_is_throttled(client, saml_extra):
    answers = [client.post("/saml/acs", data={"SAMLResponse": "x"}).status_code for _ in range(4)]
    assert answers[:3] == [403, 403, 403]
    assert answers[3] == 429
    starts = [client.get("/saml/login").status_code for _ in range(4)]
    assert starts == [302, 302, 302, 429]
