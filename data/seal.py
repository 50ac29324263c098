"""The PAdES seal of signed agreements, made and checked with pyHanko using SA's signing certificate.

Production reads a PKCS#12 file from configuration (`SIGNING_P12_PATH`, `SIGNING_P12_PASSWORD`); development
creates a self-signed certificate once under instance/ (like the development secret key) and trusts it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

DEV_P12_NAME = "signing-dev.p12"
SEAL_FIELD = "KundeportalenSegl"
SEAL_REASON = "Elektronisk godkendt aftale, forseglet af Statens Administration"


class SealError(RuntimeError):
    """The signing certificate is missing or unreadable, or a PDF could not be sealed."""


def _create_dev_p12(path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DK"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Statens Administration (udvikling)"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Kundeportalen udviklingssegl"),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # Non-repudiation (content commitment) is what pyHanko asks of a signer's certificate by default.
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(b"kundeportalen-dev", key, cert, None,
                                                 serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Owner-only, and created once: O_EXCL loses a race to a parallel worker instead of overwriting.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@dataclass(frozen=True)
class SealKey:
    """Where the signing certificate is, and its passphrase."""

    path: Path
    passphrase: bytes | None


def seal_key(config: Mapping[str, Any]) -> SealKey:
    """Return the configured PKCS#12 (production) or the development one, creating the latter once."""
    # The app's settings first (tests, overrides), else the environment, read when sealing, not at import.
    configured = config.get("SIGNING_P12_PATH") or os.environ.get("SIGNING_P12_PATH", "")
    if configured:
        password = config.get("SIGNING_P12_PASSWORD") or os.environ.get("SIGNING_P12_PASSWORD", "")
        return SealKey(Path(configured), password.encode("utf-8") if password else None)
    if config.get("PORTAL_ENV") == "production":
        raise SealError("SIGNING_P12_PATH skal være sat i produktion (SA's segl-certifikat, PKCS#12).")
    path = Path(config["INSTANCE_PATH"]) / DEV_P12_NAME
    if not path.exists():
        _create_dev_p12(path)
    return SealKey(path, None)


def _signer(key: SealKey) -> Any:
    from pyhanko.sign import signers

    if not key.path.is_file():
        raise SealError(f"Segl-certifikatet findes ikke: {key.path}")
    signer = signers.SimpleSigner.load_pkcs12(str(key.path), passphrase=key.passphrase)
    if signer is None:
        raise SealError("Segl-certifikatet kunne ikke læses (forkert fil eller adgangskode).")
    return signer


def signing_certificate(key: SealKey) -> Any:
    """Return the seal's certificate (asn1crypto), e.g. to trust it when validating."""
    return _signer(key).signing_cert


def certificate_pem(key: SealKey) -> str:
    """Return the seal's certificate as PEM text (no key), for validators such as `pyhanko sign validate`."""
    from asn1crypto import pem

    return pem.armor("CERTIFICATE", signing_certificate(key).dump()).decode("ascii")


def seal_pdf(pdf: bytes, key: SealKey) -> bytes:
    """Return `pdf` with a PAdES signature (an approval seal) over the whole document."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name=SEAL_FIELD, reason=SEAL_REASON, location="Danmark",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    signer = _signer(key)
    return _off_loop(lambda: signers.PdfSigner(meta, signer=signer).sign_pdf(writer).getvalue())


def _off_loop(work: Callable[[], Any]) -> Any:
    """Run `work` here, or in a worker thread when this thread runs an event loop (e.g. Playwright's)."""
    # pyHanko signs and validates with asyncio.run, which refuses to run inside a running event loop.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


@dataclass(frozen=True)
class SealCheck:
    """What validating a PDF's seal found."""

    sealed: bool  # has a signature in our seal field
    intact: bool  # the signed bytes are unchanged
    trusted: bool  # made with the trusted certificate
    whole_document: bool  # the signature covers the entire file (nothing appended)
    signer: str = ""

    @property
    def ok(self) -> bool:
        """Tell whether the seal is ours, intact, trusted and covers the whole file."""
        return self.sealed and self.intact and self.trusted and self.whole_document


def check_seal(pdf: bytes, trusted_cert: Any) -> SealCheck:
    """Validate the seal of `pdf` trusting `trusted_cert` only; a malformed or unsealed PDF is 'not sealed'."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = [s for s in reader.embedded_signatures if s.field_name == SEAL_FIELD]
    except Exception:  # noqa: BLE001 - any unreadable upload is simply not a sealed agreement
        return SealCheck(False, False, False, False)
    if len(sigs) != 1:
        return SealCheck(False, False, False, False)
    try:
        status = _off_loop(lambda: validate_pdf_signature(sigs[0], ValidationContext(trust_roots=[trusted_cert])))
    except Exception:  # noqa: BLE001 - pyHanko raises many kinds on a tampered file: all mean "changed"
        return SealCheck(True, False, False, False)
    return SealCheck(True, bool(status.intact and status.valid), bool(status.trusted),
                     status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                     signer=status.signing_cert.subject.human_friendly if status.signing_cert else "")
