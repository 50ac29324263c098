"""A PKCS#12 sealing certificate for tests, made the way a CA-issued one is packed (key, certificate, passphrase)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def make_p12(path: Path, passphrase: str | None, *, days: int = 365) -> Path:
    """Write a self-signed seal certificate and its key to `path` (encrypted with `passphrase`); return `path`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Statens Administration (test)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Kundeportalen testsegl")])
    now = dt.datetime.now(dt.timezone.utc)
    # A negative `days` gives a certificate that has already expired.
    start = min(now, now + dt.timedelta(days=days)) - dt.timedelta(days=2)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"kundeportalen-test", key, cert, None, encryption))
    return path
