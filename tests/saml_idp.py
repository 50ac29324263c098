"""A real SAML identity provider for the tests: pysaml2's IdP classes with certificates made for the test run.

It plays NemLog-in: reads the portal's signed AuthnRequest from the redirect address, and answers with a
response built and signed by pysaml2's `Server` (optionally encrypted for the SP). `craft` changes a field of
the assertion and signs it again with the IdP's key, so that each refusal is tested on a correctly signed
assertion that is wrong in exactly one way.
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import response_from_string
from saml2.server import Server
from saml2.sigver import pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from auth import saml

XMLSEC = shutil.which("xmlsec1")
IDP_ID = "https://saml.test-nemlog-in.example/idp"
IDP_SSO = "https://saml.test-nemlog-in.example/sso"
IDP_SLO = "https://saml.test-nemlog-in.example/slo"
SP_ID = "https://kundeportal.example/saml"
BASE_URL = "http://localhost"
ACS = BASE_URL + "/saml/acs"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"


def _key_and_cert(directory: Path, name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


@dataclass(frozen=True)
class Pki:
    """The files of one test run: IdP and SP keys and certificates, and the IdP's metadata."""

    idp_key: str
    idp_cert: str
    sp_key: str
    sp_cert: str
    sp_enc_key: str
    sp_enc_cert: str
    idp_metadata: str
    idp_sso: str = IDP_SSO
    idp_slo: str = IDP_SLO


def idp_settings(pki_or_keys: Any, sp_metadata: str | None = None) -> dict[str, Any]:
    """Return the pysaml2 IdP configuration (the SP's metadata inline, when given)."""
    conf: dict[str, Any] = {
        "entityid": IDP_ID,
        "xmlsec_binary": XMLSEC,
        "key_file": pki_or_keys.idp_key,
        "cert_file": pki_or_keys.idp_cert,
        "allow_unknown_attributes": True,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(pki_or_keys.idp_sso, BINDING_HTTP_REDIRECT)],
                          "single_logout_service": [(pki_or_keys.idp_slo, BINDING_HTTP_REDIRECT)]},
            "want_authn_requests_signed": True,
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI,
                                   "attribute_restrictions": None, "fail_on_missing_requested": False}},
        }},
    }
    if sp_metadata:
        conf["metadata"] = {"inline": [sp_metadata]}
    return conf


def make_pki(directory: Path, idp_sso: str = IDP_SSO, idp_slo: str = IDP_SLO) -> Pki:
    """Generate the IdP's and the SP's keys and certificates, and write the IdP's metadata file."""
    idp_key, idp_cert = _key_and_cert(directory, "idp")
    sp_key, sp_cert = _key_and_cert(directory, "sp-signing")
    sp_enc_key, sp_enc_cert = _key_and_cert(directory, "sp-encryption")
    partial = Pki(idp_key, idp_cert, sp_key, sp_cert, sp_enc_key, sp_enc_cert, "", idp_sso, idp_slo)
    config = IdPConfig()
    config.load(idp_settings(partial))
    metadata_path = directory / "idp-metadata.xml"
    metadata_path.write_text(create_metadata_string(None, config=config, valid=24, sign=False).decode("utf-8"),
                             encoding="utf-8")
    return Pki(idp_key, idp_cert, sp_key, sp_cert, sp_enc_key, sp_enc_cert, str(metadata_path), idp_sso, idp_slo)


def sp_app_settings(pki: Pki, base_url: str = BASE_URL, **extra: Any) -> dict[str, Any]:
    """Return the portal settings that turn MitID Erhverv on against this IdP."""
    return {
        "PUBLIC_BASE_URL": base_url,
        "SAML_IDP_METADATA": pki.idp_metadata,
        "SAML_SP_ENTITY_ID": SP_ID,
        "SAML_SP_KEY": pki.sp_key,
        "SAML_SP_CERT": pki.sp_cert,
        "SAML_SP_ENC_KEY": pki.sp_enc_key,
        "SAML_SP_ENC_CERT": pki.sp_enc_cert,
        **extra,
    }


def identity(*, cvr: str, email: str, person_uuid: str | None = None, loa: str = "Substantial",
             name: str = "Test Person") -> dict[str, list[str]]:
    """Return an OIOSAML 3 professional identity as the IdP sends it."""
    return {
        saml.ATTR_SPEC_VERSION: ["OIO-SAML-3.0"],
        saml.ATTR_UUID: [person_uuid or f"urn:uuid:{uuid.uuid4()}"],
        saml.ATTR_CVR: [cvr],
        saml.ATTR_EMAIL: [email],
        saml.ATTR_NAME: [name],
        saml.ATTR_LOA: [loa],
    }


class TestIdP:
    """The identity provider: parses the portal's AuthnRequests and builds signed responses."""

    __test__ = False  # not a test class, whatever pytest's name rule says

    def __init__(self, pki: Pki, sp_metadata: str):
        config = IdPConfig()
        config.load(idp_settings(pki, sp_metadata))
        self.server = Server(config=config)

    def read_request(self, location: str):
        """Return the AuthnRequest in the portal's redirect address, its signature checked."""
        query = parse_qs(urlsplit(location).query)
        assert {"SAMLRequest", "SigAlg", "Signature"} <= set(query), query.keys()
        parsed = self.server.parse_authn_request(
            query["SAMLRequest"][0], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState", [None])[0],
            sigalg=query["SigAlg"][0], signature=query["Signature"][0])
        assert parsed is not None
        return parsed.message

    def response_xml(self, request_id: str, ident: dict, *, destination: str = ACS, audience: str = SP_ID,
                     sign: bool = True, encrypt: bool = False, craft: Callable[[Any], None] | None = None) -> str:
        """Return a response to `request_id`; `craft` changes the assertion before the IdP signs it."""
        name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=ident[saml.ATTR_UUID][0])
        authn = {"class_ref": saml.LOA_SUBSTANTIAL_CLASS, "authn_auth": IDP_ID}
        if craft is None and audience == SP_ID:
            return str(self.server.create_authn_response(
                ident, request_id, destination, SP_ID, name_id=name_id, authn=authn, sign_assertion=sign,
                sign_response=False, encrypt_assertion=encrypt, sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256))
        unsigned = str(self.server.create_authn_response(
            ident, request_id, destination, SP_ID, name_id=name_id, authn=authn, sign_assertion=False,
            sign_response=False, encrypt_assertion=False))
        response = response_from_string(unsigned)
        assertion = response.assertion[0]
        if audience != SP_ID:
            assertion.conditions.audience_restriction[0].audience[0].text = audience
        if craft is not None:
            craft(assertion)
        if not sign:
            return str(response)
        assertion.signature = pre_signature_part(assertion.id, self.server.sec.my_cert, 1,
                                                 sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
        return self.server.sec.sign_statement(str(response), ASSERTION, node_id=assertion.id)

    def logout_request_location(self, name_id_text: str, destination: str) -> str:
        """Return the address of an IdP-initiated, signed LogoutRequest to the portal (HTTP-Redirect)."""
        name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id_text)
        _, request = self.server.create_logout_request(destination, SP_ID, name_id=name_id, sign=False)
        info = self.server.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, relay_state="",
                                         sign=True, sigalg=SIG_RSA_SHA256)
        return dict(info["headers"])["Location"]


def post_form(xml: str) -> dict[str, str]:
    """Return the form the browser POSTs to the ACS (HTTP-POST binding)."""
    return {"SAMLResponse": base64.b64encode(xml.encode("utf-8")).decode("ascii")}


__all__ = ["ACS", "BINDING_HTTP_POST", "IDP_ID", "IDP_SLO", "Pki", "SP_ID", "TestIdP", "XMLSEC", "identity",
           "make_pki", "post_form", "sp_app_settings"]
