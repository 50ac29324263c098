"""MitID Erhverv through NemLog-in: a SAML 2.0 service provider under the OIOSAML 3 profile (pysaml2 + xmlsec1).

Off unless configured (config.py: SAML_IDP_METADATA, SAML_SP_ENTITY_ID, SAML_SP_KEY, SAML_SP_CERT). Then:
`/saml/login` sends a signed AuthnRequest (HTTP-Redirect) asking for assurance level Substantial and the
professional ID type; `/saml/acs` takes the IdP's response (HTTP-POST), requires a signed assertion (an
encrypted one is decrypted with the SP's encryption key), and signs the person in as the portal user linked to
them, acting for the assertion's CVR only; `/saml/metadata` serves the SP's metadata; `/saml/slo` is the single
logout endpoint. Every refusal is a Danish page, a log line and an audit row.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
import os
import secrets
import shutil
from typing import Any

from defusedxml import ElementTree as SafeET
from flask import Blueprint, Flask, current_app, flash, make_response, redirect, render_template, request, session
from flask_login import login_user
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, time_util
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.ident import code as encode_name_id
from saml2.ident import decode as decode_name_id
from saml2.metadata import create_metadata_string
from saml2.response import StatusError, UnsolicitedResponse, VerificationError
from saml2.samlp import RequestedAuthnContext
from saml2.saml import AuthnContextClassRef, NAME_FORMAT_URI
from saml2.sigver import SignatureError, SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from auth.extensions import csrf, limiter
from auth.session import MITID_CVR_KEY, MFA_MITID, end_session, principal_for, second_factor_done, start_session
from core.access import Principal, valid_cvr_format
from data import mitid

bp = Blueprint("saml", __name__, template_folder="templates")

# OIOSAML 3 attribute names (OIOSAML Web SSO Profile 3.0, attribute profile) and assurance levels (NSIS).
ATTR_UUID = "https://data.gov.dk/model/core/eid/professional/uuid/persistent"
ATTR_CVR = "https://data.gov.dk/model/core/eid/professional/cvr"
ATTR_EMAIL = "https://data.gov.dk/model/core/eid/email"
ATTR_NAME = "https://data.gov.dk/model/core/eid/fullName"
ATTR_LOA = "https://data.gov.dk/concept/core/nsis/loa"
ATTR_SPEC_VERSION = "https://data.gov.dk/model/core/specVersion"
LOA_SUBSTANTIAL_CLASS = "https://data.gov.dk/concept/core/nsis/loa/Substantial"
PROFESSIONAL_CLASS = "https://data.gov.dk/eid/Professional"
# NSIS levels in order; Substantial or High is accepted (and counts as two factors).
LOA_ORDER = ("Low", "Substantial", "High")
ACCEPTED_LOA = frozenset({"Substantial", "High"})

ACS_PATH = "/saml/acs"
SLO_PATH = "/saml/slo"
MAX_RESPONSE_CHARS = 500_000
CLOCK_SKEW_S = 60

# The cookie that ties a response to the browser that started the sign-in; sent to /saml/ only.
BROWSER_COOKIE = "kundeportal_saml"
NAME_ID_KEY = "saml_name_id"
SESSION_INDEX_KEY = "saml_session_index"

# Why a sign-in was refused: the Danish text a person reads. The reason code goes to the log and the audit row.
REFUSALS: dict[str, str] = {
    "invalid": "Svaret fra MitID kunne ikke læses. Prøv at logge ind igen.",
    "signature": "Svaret fra MitID var ikke korrekt signeret og blev afvist. Prøv at logge ind igen.",
    "audience": "Svaret fra MitID var ikke til Kundeportalen og blev afvist.",
    "destination": "Svaret fra MitID var sendt til en anden adresse end Kundeportalens og blev afvist.",
    "expired": "Svaret fra MitID var udløbet. Prøv at logge ind igen.",
    "not_yet_valid": "Svaret fra MitID er ikke gyldigt endnu (tjek din computers ur). Prøv igen om lidt.",
    "browser": "Svaret fra MitID hører ikke til et login, der er startet i denne browser. Start et nyt login.",
    "replay": "Svaret fra MitID er allerede brugt. Start et nyt login.",
    "unknown_request": "Svaret fra MitID hører ikke til et login, der er startet fra Kundeportalen. Start et nyt login.",
    "idp_status": "Login med MitID blev ikke gennemført. Prøv igen, eller log ind på en anden måde.",
    "attributes": "Svaret fra MitID manglede oplysninger om dig eller din organisation (CVR-nummer).",
    "loa": ("Dit login har ikke et højt nok sikringsniveau. Kundeportalen kræver MitID Erhverv på "
            "sikringsniveau Betydelig."),
    "no_user": ("Der findes ingen bruger i Kundeportalen med din e-mailadresse og adgang til din organisation. "
                "Bed din lokale administrator om at oprette dig."),
    "no_right": ("Din bruger i Kundeportalen har ingen rettigheder for den organisation (CVR-nummer), du er logget "
                 "ind for med MitID. Bed din lokale administrator om adgang."),
    "user_inactive": "Din bruger i Kundeportalen er deaktiveret. Kontakt din lokale administrator.",
    "uuid_other_cvr": ("Din MitID-identitet er knyttet til en anden organisation i Kundeportalen. "
                       "Kontakt din lokale administrator."),
    "user_linked_to_other": ("Brugeren med din e-mailadresse er allerede knyttet til en anden MitID-identitet. "
                             "Kontakt din lokale administrator."),
    "uuid_taken": "Din MitID-identitet er allerede knyttet til en anden bruger. Kontakt din lokale administrator.",
}


class Refused(Exception):
    """Raised inside the ACS when a response is refused; `reason` is a key of REFUSALS."""

    def __init__(self, reason: str, cvr: str | None = None, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.cvr = cvr
        self.detail = detail


# --- configuration ----------------------------------------------------------------------------------------


def enabled() -> bool:
    """Tell whether MitID Erhverv sign-in is configured for the current app."""
    return bool(current_app.config.get("SAML_ENABLED"))


def _base_url(app: Flask) -> str:
    base = (app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base:
        from config import ConfigError

        # The ACS address is in the metadata NemLog-in holds and in every response's Destination: it must be fixed.
        raise ConfigError("PUBLIC_BASE_URL skal være sat, når MitID Erhverv (SAML) er sat op.")
    return base


def _xmlsec_binary(app: Flask) -> str:
    binary = app.config.get("SAML_XMLSEC_BINARY") or shutil.which("xmlsec1") or ""
    if not binary or not os.access(binary, os.X_OK):
        from config import ConfigError

        raise ConfigError("MitID Erhverv (SAML) kræver programmet xmlsec1 (apt-get install xmlsec1).")
    return binary


def sp_settings(app: Flask) -> dict[str, Any]:
    """Return the pysaml2 SP configuration dict built from the app's SAML_* settings."""
    cfg = app.config
    base = _base_url(app)
    for key in ("SAML_IDP_METADATA", "SAML_SP_KEY", "SAML_SP_CERT", "SAML_SP_ENC_KEY", "SAML_SP_ENC_CERT"):
        if cfg.get(key) and not os.path.isfile(cfg[key]):
            from config import ConfigError

            raise ConfigError(f"{key} peger på en fil, der ikke findes: {cfg[key]}")
    enc_key = cfg.get("SAML_SP_ENC_KEY") or cfg["SAML_SP_KEY"]
    enc_cert = cfg.get("SAML_SP_ENC_CERT") or cfg["SAML_SP_CERT"]
    requested = [
        {"name": name, "name_format": NAME_FORMAT_URI, "required": required}
        for name, required in ((ATTR_UUID, True), (ATTR_CVR, True), (ATTR_EMAIL, True), (ATTR_NAME, False),
                               (ATTR_LOA, True))
    ]
    return {
        "entityid": cfg["SAML_SP_ENTITY_ID"],
        "xmlsec_binary": _xmlsec_binary(app),
        "key_file": cfg["SAML_SP_KEY"],
        "cert_file": cfg["SAML_SP_CERT"],
        "encryption_keypairs": [{"key_file": enc_key, "cert_file": enc_cert}],
        "metadata": {"local": [cfg["SAML_IDP_METADATA"]]},
        # OIOSAML 3's attribute names are URIs pysaml2 has no map for: they are kept as they are.
        "allow_unknown_attributes": True,
        "accepted_time_diff": CLOCK_SKEW_S,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "name_form": NAME_FORMAT_URI,
        # Who NemLog-in's operators contact about this service provider (in the metadata).
        "organization": {"name": "Statens Administration", "display_name": "Statens Administration", "url": base},
        "contact_person": [{"contact_type": "technical", "given_name": "Kundeportalen",
                            "email_address": [cfg.get("SUPPORT_EMAIL") or "kundeportal@statens-adm.dk"]}],
        "service": {
            "sp": {
                "name": "Kundeportalen",
                "endpoints": {
                    "assertion_consumer_service": [(base + ACS_PATH, BINDING_HTTP_POST)],
                    "single_logout_service": [(base + SLO_PATH, BINDING_HTTP_REDIRECT),
                                              (base + SLO_PATH, BINDING_HTTP_POST)],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "logout_responses_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "want_assertions_or_response_signed": False,
                "allow_unsolicited": False,
                "requested_attributes": requested,
            },
        },
    }


def _client() -> Saml2Client:
    # A client per request on the configuration loaded once at create_app (parsing the IdP metadata and the
    # certificates takes ~0.1 s): the client's own in-memory per-user state is never shared between requests,
    # and the portal keeps outstanding requests and seen assertions in the database instead.
    return Saml2Client(config=current_app.extensions["saml_config"])


def _idp_entity_id(client: Saml2Client) -> str:
    idps = sorted(client.metadata.identity_providers())
    if len(idps) != 1:
        raise RuntimeError(f"SAML_IDP_METADATA must describe exactly one identity provider, found {len(idps)}")
    return idps[0]


def acs_url() -> str:
    """Return the absolute address of the assertion consumer service, as it stands in the metadata."""
    return _base_url(current_app) + ACS_PATH


# --- pages ------------------------------------------------------------------------------------------------


def _refusal_page(reason: str, status: int = 403):
    page = render_template("auth/error.html", title="Login med MitID Erhverv blev afvist",
                           message=REFUSALS.get(reason, REFUSALS["invalid"]), back_url="/login",
                           back_text="Til login")
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse(exc: Refused):
    current_app.logger.warning("MitID sign-in refused: %s (cvr %s) %s", exc.reason, exc.cvr or "-", exc.detail)
    try:
        mitid.record_refusal(exc.reason, exc.cvr, {"detail": exc.detail[:300], "client": request.remote_addr or ""})
    except Exception:  # the refusal stands even if the audit row cannot be written
        current_app.logger.exception("MitID refusal could not be audited")
    return _refusal_page(exc.reason)


def _not_configured():
    page = render_template("auth/error.html", title="Siden findes ikke", message="Siden eller filen findes ikke.",
                           back_url="/login", back_text="Til login")
    return page, 404


@bp.route("/saml/metadata")
def metadata():
    """Serve the SP's metadata (entity id, ACS and SLO endpoints, signing and encryption certificates)."""
    if not enabled():
        return _not_configured()
    config = current_app.extensions["saml_config"]
    # No validUntil: NemLog-in holds the file that was uploaded by hand, and it must not lapse there.
    xml = create_metadata_string(None, config=config, valid=None, sign=False)
    response = make_response(xml)
    response.mimetype = "application/samlmetadata+xml"
    return response


@bp.route("/saml/login")
# Each request signs a message and stores a row: throttled per client like the ACS.
@limiter.limit(lambda: current_app.config["SAML_ACS_LIMIT"])
def login():
    """Send the browser to NemLog-in with a signed AuthnRequest for MitID Erhverv at assurance Substantial."""
    if not enabled():
        return _not_configured()
    from auth.views import safe_next

    next_url = safe_next(request.args.get("next"))
    client = _client()
    context = RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=LOA_SUBSTANTIAL_CLASS),
                                 AuthnContextClassRef(text=PROFESSIONAL_CLASS)],
        comparison="minimum",
    )
    request_id, info = client.prepare_for_authenticate(
        entityid=_idp_entity_id(client), binding=BINDING_HTTP_REDIRECT, sign=True, sigalg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256, requested_authn_context=context, relay_state="")
    token = secrets.token_urlsafe(32)
    mitid.remember_request(request_id, next_url, token)
    location = dict(info["headers"])["Location"]
    response = redirect(location)
    response.headers["Cache-Control"] = "no-store"
    # The IdP's answer is a cross-site POST: over HTTPS only SameSite=None (with Secure) lets the cookie come
    # along. Over plain HTTP (development, IdP on the same site) Lax does, and None would be dropped.
    https = _base_url(current_app).startswith("https://")
    response.set_cookie(BROWSER_COOKIE, token, max_age=int(mitid.REQUEST_LIFETIME.total_seconds()), path="/saml/",
                        secure=https, httponly=True, samesite="None" if https else "Lax")
    return response


def _decode(raw: str) -> bytes:
    try:
        return base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        raise Refused("invalid", detail="base64") from None


def _outer(xml: bytes) -> tuple[str | None, str | None]:
    """Return the response's InResponseTo and Destination (read before verification, only to route the refusal)."""
    try:
        root = SafeET.fromstring(xml)
    except Exception:
        raise Refused("invalid", detail="xml") from None
    if not root.tag.endswith("}Response"):
        raise Refused("invalid", detail=f"root {root.tag[:80]}")
    return root.get("InResponseTo"), root.get("Destination")


def _verify(client: Saml2Client, raw: str, request_id: str, next_url: str):
    """Verify the response with pysaml2 (signature, audience, time, recipient); map its errors to reasons."""
    try:
        response = client.parse_authn_request_response(
            raw, BINDING_HTTP_POST, outstanding={request_id: next_url},
            conv_info={"entity_id": current_app.config["SAML_SP_ENTITY_ID"]})
    except (ResponseLifetimeExceed,) as exc:
        raise Refused("expired", detail=str(exc)[:200]) from None
    except ToEarly as exc:
        raise Refused("not_yet_valid", detail=str(exc)[:200]) from None
    except (SignatureError, SigverError) as exc:
        raise Refused("signature", detail=f"{type(exc).__name__}: {exc}"[:200]) from None
    except UnsolicitedResponse as exc:
        raise Refused("unknown_request", detail=str(exc)[:200]) from None
    except StatusError as exc:
        raise Refused("idp_status", detail=str(exc)[:200]) from None
    except VerificationError as exc:
        text = str(exc)
        reason = "destination" if "recipient" in text.lower() else "invalid"
        raise Refused(reason, detail=text[:200]) from None
    except Exception as exc:
        text = str(exc)
        if "AudienceRestrictions" in text:
            raise Refused("audience", detail=text[:200]) from None
        if "Signature" in text or "signed" in text.lower() or type(exc).__name__ in ("IncorrectlySigned",):
            raise Refused("signature", detail=f"{type(exc).__name__}: {text}"[:200]) from None
        if "recall" in text:
            raise Refused("unknown_request", detail=text[:200]) from None
        raise Refused("invalid", detail=f"{type(exc).__name__}: {text}"[:200]) from None
    if response is None or response.assertion is None:
        raise Refused("invalid", detail="no verified assertion")
    # want_assertions_signed makes pysaml2 refuse an unsigned assertion, encrypted or not; checked again here
    # because a signed response around an unsigned assertion is not enough under OIOSAML 3.
    if not getattr(response.assertion, "signature", None):
        raise Refused("signature", detail="assertion not signed")
    # pysaml2 checks the Recipient only when given conversation info, and then also accepts the entity id:
    # OIOSAML 3 wants the ACS address in every bearer confirmation, so that is checked here.
    confirmations = response.assertion.subject.subject_confirmation if response.assertion.subject else []
    recipients = [c.subject_confirmation_data.recipient if c.subject_confirmation_data else None
                  for c in confirmations]
    if not recipients or any(recipient != acs_url() for recipient in recipients):
        raise Refused("destination", detail=f"Recipient {recipients!r}"[:200])
    return response


def _one(ava: dict, name: str) -> str:
    values = ava.get(name) or []
    if isinstance(values, str):
        values = [values]
    values = [str(v).strip() for v in values if str(v).strip()]
    return values[0] if len(values) == 1 else ""


def _expiry(response: Any) -> dt.datetime:
    conditions = response.assertion.conditions
    if conditions is not None and conditions.not_on_or_after:
        stamp = calendar.timegm(time_util.str_to_time(conditions.not_on_or_after))
        return dt.datetime.fromtimestamp(stamp + CLOCK_SKEW_S, dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)


def _consume(raw: str | None) -> tuple[Principal, str, Any]:
    """Check one posted response end to end; return the principal to sign in, where to go, and the response."""
    if not raw or not isinstance(raw, str) or len(raw) > MAX_RESPONSE_CHARS:
        raise Refused("invalid", detail="no SAMLResponse")
    xml = _decode(raw)
    in_response_to, destination = _outer(xml)
    state = mitid.request_state(in_response_to)
    if not state.known:
        raise Refused("unknown_request", detail=f"InResponseTo {str(in_response_to)[:100]}")
    if state.used:
        raise Refused("replay", detail=f"request {in_response_to} answered before")
    if not state.from_browser(request.cookies.get(BROWSER_COOKIE)):
        raise Refused("browser", detail=f"request {in_response_to} started in another browser")
    if destination != acs_url():
        raise Refused("destination", detail=f"Destination {str(destination)[:200]}")
    client = _client()
    response = _verify(client, raw, in_response_to, state.next_url)
    assertion = response.assertion
    if not mitid.remember_assertion(str(assertion.id), _expiry(response)):
        raise Refused("replay", detail=f"assertion {assertion.id}")
    if not mitid.use_request(in_response_to):
        raise Refused("replay", detail=f"request {in_response_to} answered before")
    ava = response.ava or {}
    cvr = _one(ava, ATTR_CVR)
    person_uuid = _one(ava, ATTR_UUID)
    email = _one(ava, ATTR_EMAIL)
    loa = _one(ava, ATTR_LOA)
    if not person_uuid or not valid_cvr_format(cvr):
        raise Refused("attributes", cvr=cvr or None, detail=f"uuid {bool(person_uuid)}, cvr {cvr[:20]!r}")
    if loa not in ACCEPTED_LOA:
        raise Refused("loa", cvr=cvr, detail=f"loa {loa[:30]!r}")
    try:
        user, new_link = mitid.link_person(person_uuid, cvr, email)
    except mitid.LinkRefused as exc:
        raise Refused(exc.reason, cvr=cvr, detail=f"uuid {person_uuid[:80]}") from None
    if new_link:
        current_app.logger.info("MitID identity linked to user %s on %s", user.id, cvr)
    return principal_for(user).acting_for(cvr), state.next_url, response


@bp.route(ACS_PATH, methods=["POST"])
@csrf.exempt  # the IdP's form POST carries no portal token: the signed, single-use response is the proof
@limiter.limit(lambda: current_app.config["SAML_ACS_LIMIT"])
def acs():
    """Accept NemLog-in's response: sign the person in for the assertion's CVR, or refuse with a Danish page."""
    if not enabled():
        return _not_configured()
    from auth.views import safe_next

    try:
        principal, next_url, response = _consume(request.form.get("SAMLResponse"))
    except Refused as exc:
        return _refuse(exc)
    # A new session: nothing from before survives (session fixation), and it acts for one CVR only.
    session.clear()
    login_user(principal)
    start_session()
    session[MITID_CVR_KEY] = principal.acting_cvr
    second_factor_done(MFA_MITID)
    session[NAME_ID_KEY] = encode_name_id(response.name_id) if response.name_id is not None else ""
    statements = response.assertion.authn_statement or []
    session[SESSION_INDEX_KEY] = (statements[0].session_index or "") if statements else ""
    response = redirect(safe_next(next_url))
    response.delete_cookie(BROWSER_COOKIE, path="/saml/")
    return response


# --- single logout ----------------------------------------------------------------------------------------


def mitid_markers() -> dict[str, Any]:
    """Return this session's MitID keys (CVR acted for, SLO name id), to keep across a renewal."""
    # The second factor's mark is kept by the renewal itself, whichever way it was met (auth/views.py).
    if not session.get(MITID_CVR_KEY):
        return {}
    return {key: session[key] for key in (MITID_CVR_KEY, NAME_ID_KEY, SESSION_INDEX_KEY) if key in session}


def _idp_slo(client: Saml2Client, idp: str) -> str:
    """Return the IdP's single logout address for HTTP-Redirect, or '' when its metadata names none."""
    try:
        endpoints = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
    except Exception:
        return ""
    return endpoints[0]["location"] if endpoints else ""


def logout_redirect() -> str | None:
    """Return the IdP address that ends a MitID session's single sign-on (signed LogoutRequest), else None."""
    if not enabled() or not session.get(MITID_CVR_KEY) or not session.get(NAME_ID_KEY):
        return None
    try:
        client = _client()
        idp = _idp_entity_id(client)
        destination = _idp_slo(client, idp)
        if not destination:
            return None
        request_id, logout_request = client.create_logout_request(
            destination, idp, name_id=decode_name_id(session[NAME_ID_KEY]),
            session_indexes=[session.get(SESSION_INDEX_KEY)] if session.get(SESSION_INDEX_KEY) else None,
            sign=False, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
        info = client.apply_binding(BINDING_HTTP_REDIRECT, str(logout_request), destination, relay_state="",
                                    sign=True, sigalg=SIG_RSA_SHA256)
        return dict(info["headers"])["Location"]
    except Exception:
        # Local sign-out never fails because the IdP cannot be told: the portal session ends regardless.
        current_app.logger.exception("MitID single logout request could not be built")
        return None


@bp.route(SLO_PATH, methods=["GET", "POST"])
@csrf.exempt  # the IdP's messages carry no portal token; their signatures are checked instead
def single_logout():
    """Take the IdP's LogoutResponse (after our sign-out) or LogoutRequest (sign-out started elsewhere)."""
    if not enabled():
        return _not_configured()
    binding = BINDING_HTTP_POST if request.method == "POST" else BINDING_HTTP_REDIRECT
    values = request.form if request.method == "POST" else request.args
    client = _client()
    if values.get("SAMLResponse"):
        try:
            client.parse_logout_request_response(values["SAMLResponse"], binding)
        except Exception as exc:  # the local session is over either way
            current_app.logger.warning("MitID logout response not accepted: %s", str(exc)[:200])
        flash("Du er logget ud.", "info")
        return redirect("/login")
    if not values.get("SAMLRequest"):
        return _refusal_page("invalid", 400)
    try:
        parsed = client.parse_logout_request(values["SAMLRequest"], binding, relay_state=values.get("RelayState"),
                                             sigalg=values.get("SigAlg"), signature=values.get("Signature"))
    except Exception as exc:
        current_app.logger.warning("MitID logout request refused: %s", str(exc)[:200])
        return _refusal_page("signature", 400)
    if parsed is None or (binding == BINDING_HTTP_REDIRECT and not values.get("Signature")):
        current_app.logger.warning("MitID logout request refused: unsigned or unreadable")
        return _refusal_page("signature", 400)
    logout_request = parsed.message
    name_id = logout_request.name_id
    if session.get(NAME_ID_KEY) and name_id is not None and encode_name_id(name_id) == session.get(NAME_ID_KEY):
        end_session()
    idp = _idp_entity_id(client)
    destination = _idp_slo(client, idp)
    if not destination:
        return redirect("/login")
    answer = client.create_logout_response(logout_request, [BINDING_HTTP_REDIRECT], sign=False)
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(answer), destination,
                                relay_state=values.get("RelayState") or "", response=True, sign=True,
                                sigalg=SIG_RSA_SHA256)
    return redirect(dict(info["headers"])["Location"])


# --- password sign-in policy ------------------------------------------------------------------------------


def password_sign_in_refused(user: Any) -> str | None:
    """Return why `user` may not sign in with a password (customer users when MitID replaces passwords), else None."""
    if not enabled() or current_app.config.get("SAML_CUSTOMER_PASSWORD_LOGIN", True):
        return None
    if user is not None and (user.is_sa_staff or user.is_sa_admin):
        return None
    return "Log ind med MitID Erhverv. Kundeportalen bruger ikke længere adgangskoder for kundebrugere."


def init_app(app: Flask) -> None:
    """Register the SAML endpoints; with SAML configured, load and check its settings now (fail at start)."""
    app.register_blueprint(bp)
    if app.config.get("SAML_ENABLED"):
        settings = sp_settings(app)
        config = SPConfig()
        config.load(settings)  # reads the IdP metadata: a broken file stops the start, not the first sign-in
        app.extensions["saml_settings"] = settings
        app.extensions["saml_config"] = config
        app.jinja_env.globals["mitid_enabled"] = True
    else:
        app.jinja_env.globals.setdefault("mitid_enabled", False)
