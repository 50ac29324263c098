"""Settings for Kundeportalen, read from the environment when the app is created."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """Raised when the app is started with settings that are unsafe or incomplete."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(instance_path: Path) -> str:
    """Return the development secret key, generating it once under instance/."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created with owner-only permissions: the key signs every session.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the settings from environment variables, safe defaults and `overrides`."""
    env = os.environ
    overrides = dict(overrides or {})
    instance_path = Path(overrides.get("INSTANCE_PATH") or env.get("INSTANCE_PATH") or PROJECT_ROOT / "instance")
    portal_env = overrides.get("PORTAL_ENV") or env.get("PORTAL_ENV", "development")
    cfg: dict[str, Any] = {
        "PORTAL_ENV": portal_env,
        "INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'kundeportal.db'}",
        "REDIS_URL": env.get("REDIS_URL", ""),
        "FILE_STORE_PATH": env.get("FILE_STORE_PATH") or str(instance_path / "files"),
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_SENDER": env.get("MAIL_SENDER", "Kundeportalen <noreply@statens-adm.dk>"),
        "MAIL_OUTBOX_PATH": env.get("MAIL_OUTBOX_PATH") or str(instance_path / "outbox"),
        "SUPPORT_EMAIL": env.get("SUPPORT_EMAIL", "kundeportal@statens-adm.dk"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", ""),
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
        "PROXY_FIX_HOPS": int(env.get("PROXY_FIX_HOPS", "0")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), portal_env == "production"),
        "SESSION_COOKIE_NAME": "kundeportal_session",
        "REMEMBER_COOKIE_DURATION": 0,
        "SESSION_IDLE_TIMEOUT_S": int(env.get("SESSION_IDLE_TIMEOUT_S", str(30 * 60))),
        "SESSION_ABSOLUTE_TIMEOUT_S": int(env.get("SESSION_ABSOLUTE_TIMEOUT_S", str(12 * 3600))),
        "RESET_TOKEN_MAX_AGE_S": 3600,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_CHECK_DEFAULT": True,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        # The largest callback body (a JSON payload, parsed whole): refused from Content-Length before parsing.
        "CALLBACK_MAX_BYTES": int(env.get("CALLBACK_MAX_BYTES", str(1024 * 1024))),
        # One process only (no gunicorn workers): in-process rate limits are then the whole picture.
        "SINGLE_WORKER": _bool(env.get("SINGLE_WORKER")),
        # The largest document SA may upload (meeting papers, annexes, runbook attachments).
        "UPLOAD_MAX_BYTES": int(float(env.get("UPLOAD_MAX_MB", "25")) * 1024 * 1024),
        # The largest case file SA may upload on /sa/sagsimport (streamed to disk, never held in memory).
        "CASE_IMPORT_MAX_BYTES": int(float(env.get("CASE_IMPORT_MAX_MB", "1024")) * 1024 * 1024),
        # How long the privacy log keeps who looked up whom (issue 15: 12 months by default).
        "PRIVACY_LOG_RETENTION_DAYS": int(env.get("PRIVACY_LOG_RETENTION_DAYS", "365")),
        # SA's sealing certificate for signed agreements (PKCS#12) and its passphrase; empty in development,
        # where data.seal creates a self-signed one under instance/.
        "SIGNING_P12_PATH": env.get("SIGNING_P12_PATH", ""),
        "SIGNING_P12_PASSWORD": env.get("SIGNING_P12_PASSWORD", ""),
        # The explicit choice to run production without sealing signed agreements (their PDFs are stored unsealed).
        "SEALING_DISABLED": _bool(env.get("SEALING_DISABLED")),
        # MitID Erhverv through NemLog-in (SAML 2.0, OIOSAML 3): off unless the IdP metadata, the SP's entity id,
        # key and certificate are all given (see auth/saml.py and the README).
        "SAML_IDP_METADATA": env.get("SAML_IDP_METADATA", ""),
        "SAML_SP_ENTITY_ID": env.get("SAML_SP_ENTITY_ID", ""),
        "SAML_SP_KEY": env.get("SAML_SP_KEY", ""),
        "SAML_SP_CERT": env.get("SAML_SP_CERT", ""),
        "SAML_SP_ENC_KEY": env.get("SAML_SP_ENC_KEY", ""),
        "SAML_SP_ENC_CERT": env.get("SAML_SP_ENC_CERT", ""),
        "SAML_XMLSEC_BINARY": env.get("SAML_XMLSEC_BINARY", ""),
        # Customer users may then be refused password sign-in (SA staff keep it: they have no MitID Erhverv on
        # a customer's CVR).
        "SAML_CUSTOMER_PASSWORD_LOGIN": _bool(env.get("SAML_CUSTOMER_PASSWORD_LOGIN"), True),
        "SAML_ACS_LIMIT": env.get("SAML_ACS_LIMIT", "30 per minute;300 per hour"),
        "TESTING": False,
    }
    # Waits of the background worker, in seconds, when set: the mail queue's first retry delay and its
    # cap, and how long a running case import may go without progress before its worker counts as dead.
    for name in ("MAIL_RETRY_BASE_S", "MAIL_RETRY_MAX_S", "CASE_JOB_STALE_AFTER_S"):
        if env.get(name):
            cfg[name] = float(env[name])
    if cfg["REDIS_URL"]:
        cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"]
    else:
        cfg["RATELIMIT_STORAGE_URI"] = "memory://"
    cfg.update(overrides)
    secret = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret:
        if cfg["PORTAL_ENV"] == "production":
            raise ConfigError("SECRET_KEY skal være sat i produktion (miljøvariablen SECRET_KEY).")
        secret = _dev_secret_key(Path(cfg["INSTANCE_PATH"]))
    cfg["SECRET_KEY"] = secret
    if cfg["PORTAL_ENV"] == "production" and not cfg["PUBLIC_BASE_URL"]:
        # Reset links are built from it; the Host header of a request can be forged.
        raise ConfigError("PUBLIC_BASE_URL skal være sat i produktion (fx https://kundeportal.statens-adm.dk).")
    if cfg["PORTAL_ENV"] == "production" and not cfg["REDIS_URL"] and not cfg["SINGLE_WORKER"]:
        # In-process sign-in throttles count per worker: N workers would allow N times the attempts.
        raise ConfigError("REDIS_URL skal være sat i produktion (delte grænser for login på tværs af workers), "
                          "eller SINGLE_WORKER=1, hvis portalen kører i én proces.")
    _check_signing(cfg)
    saml_keys = ("SAML_IDP_METADATA", "SAML_SP_ENTITY_ID", "SAML_SP_KEY", "SAML_SP_CERT")
    given = [key for key in saml_keys if cfg.get(key)]
    if given and len(given) < len(saml_keys):
        missing = ", ".join(key for key in saml_keys if not cfg.get(key))
        raise ConfigError(f"MitID Erhverv (SAML) er kun delvist sat op: {missing} mangler.")
    if bool(cfg.get("SAML_SP_ENC_KEY")) != bool(cfg.get("SAML_SP_ENC_CERT")):
        raise ConfigError("SAML_SP_ENC_KEY og SAML_SP_ENC_CERT skal sættes sammen.")
    cfg["SAML_ENABLED"] = len(given) == len(saml_keys)
    if not cfg["SAML_ENABLED"]:
        # Without MitID there is no other way in: password sign-in cannot be turned off.
        cfg["SAML_CUSTOMER_PASSWORD_LOGIN"] = True
    return cfg


def _check_signing(cfg: Mapping[str, Any]) -> None:
    """Refuse to start with no usable sealing certificate in production, unless sealing is explicitly off."""
    path = cfg.get("SIGNING_P12_PATH") or ""
    if cfg.get("SEALING_DISABLED"):
        if path:
            raise ConfigError("SEALING_DISABLED og SIGNING_P12_PATH er begge sat: vælg enten forsegling med "
                              "certifikatet eller bevidst drift uden segl.")
        return
    if not path:
        if cfg["PORTAL_ENV"] == "production":
            raise ConfigError("SIGNING_P12_PATH skal være sat i produktion: Statens Administrations segl-certifikat "
                              "(PKCS#12-fil), som underskrevne aftaler forsegles med; adgangskoden til filen sættes i "
                              "SIGNING_P12_PASSWORD. Sæt SEALING_DISABLED=1 for bevidst at køre uden segl.")
        return
    # Opened now, not at the first approval: a wrong path or passphrase must stop the start, not a signatory.
    _load_p12(Path(path), cfg.get("SIGNING_P12_PASSWORD") or "")


def _load_p12(path: Path, passphrase: str) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Segl-certifikatet i SIGNING_P12_PATH kan ikke læses ({path}): "
                          f"{exc.strerror or exc}.") from None
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8") if passphrase else None)
    except (ValueError, TypeError):
        raise ConfigError(f"Segl-certifikatet i SIGNING_P12_PATH kan ikke åbnes ({path}): forkert "
                          "SIGNING_P12_PASSWORD, eller filen er ikke en PKCS#12-fil.") from None
    if key is None or cert is None:
        raise ConfigError(f"Segl-certifikatet i SIGNING_P12_PATH ({path}) skal indeholde både nøgle og certifikat.")
    if cert.not_valid_after_utc < dt.datetime.now(dt.timezone.utc):
        raise ConfigError(f"Segl-certifikatet i SIGNING_P12_PATH ({path}) er udløbet "
                          f"{cert.not_valid_after_utc:%Y-%m-%d}.")
