"""Outgoing e-mail: every message gets a MailOutbox row, then goes to the outbox folder or to SMTP.

By default a message is written as an `.eml` file under MAIL_OUTBOX_PATH (development, tests);
when MAIL_SERVER is set it is sent over SMTP (STARTTLS when MAIL_USE_TLS, login when
MAIL_USERNAME). A delivery failure is logged and recorded on the row; it never reaches the user.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, current_app

from data.db import transaction
from data.models import MailOutbox, utcnow

TRANSPORT_OUTBOX = "outbox"
TRANSPORT_SMTP = "smtp"
MAX_SUBJECT = 300
MAX_ERROR = 2000
DEFAULT_TIMEOUT_S = 15.0


class MailError(ValueError):
    """Raised when a message cannot even be built (bad recipient); a caller bug, not a delivery failure."""


@dataclass(frozen=True)
class PendingMail:
    """A message whose MailOutbox row is written but which is not delivered yet."""

    outbox_id: int
    message: EmailMessage


def init_app(app: Flask) -> None:
    """Bind the mail settings of `app` (the outbox folder is created on first use, not here)."""
    app.extensions["mail"] = {"transport": transport_of(app.config)}


def transport_of(config: Mapping[str, Any]) -> str:
    """Return 'smtp' when MAIL_SERVER is set, else 'outbox'."""
    return TRANSPORT_SMTP if config.get("MAIL_SERVER") else TRANSPORT_OUTBOX


def _clean_header(value: str) -> str:
    # Header injection: a line break in a header would let the value add headers of its own.
    return " ".join(str(value).split())


def build_message(to: str, subject: str, body_text: str) -> EmailMessage:
    """Return the plain-text message; raise MailError when `to` is not one plain e-mail address."""
    cfg = current_app.config
    recipient = (to or "").strip()
    _name, address = parseaddr(recipient)
    # Any whitespace but a plain space (\v, \f, U+2028 …) is refused too: the email package would
    # raise a bare ValueError on it, which callers do not expect.
    if (not address or "@" not in address or any(c in recipient for c in ",;") or len(recipient) > 254
            or any(c.isspace() and c != " " for c in recipient) or not recipient.isprintable()):
        raise MailError("Ugyldig modtageradresse.")
    sender = cfg.get("MAIL_SENDER") or "Kundeportalen <noreply@statens-adm.dk>"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = _clean_header(sender)
    message["To"] = recipient
    message["Subject"] = _clean_header(subject)[:MAX_SUBJECT]
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body_text, charset="utf-8")
    return message


def queue_mail(to: str, subject: str, body_text: str) -> PendingMail:
    """Write the MailOutbox row for a message (commits the context's session) and return it undelivered."""
    message = build_message(to, subject, body_text)
    with transaction() as session:
        row = MailOutbox(recipient=message["To"], subject=message["Subject"], transport=transport_of(current_app.config))
        session.add(row)
        session.flush()
        outbox_id = row.id
    return PendingMail(outbox_id=outbox_id, message=message)


def deliver(pending: PendingMail) -> bool:
    """Deliver a queued message and record the outcome on its row; return False (logged) on failure."""
    cfg = current_app.config
    transport = transport_of(cfg)
    error: str | None = None
    try:
        if transport == TRANSPORT_SMTP:
            _send_smtp(cfg, pending.message)
        else:
            _write_eml(Path(cfg["MAIL_OUTBOX_PATH"]), pending.outbox_id, pending.message)
    except (OSError, smtplib.SMTPException, ssl.SSLError, socket.timeout, ValueError) as exc:
        current_app.logger.exception("mail %s to outbox row %s failed", transport, pending.outbox_id)
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    with transaction() as session:
        row = session.get(MailOutbox, pending.outbox_id)
        if row is not None:
            row.transport = transport
            if error is None:
                row.sent_at = utcnow()
                row.error = None
            else:
                row.error = error
    return error is None


def send_mail(to: str, subject: str, body_text: str) -> bool:
    """Record and deliver one e-mail now (commits); return False if it failed, raise MailError for a bad recipient."""
    # Commits the context's session: call it after your own unit of work. Raises MailError for a bad recipient.
    return deliver(queue_mail(to, subject, body_text))


def _write_eml(folder: Path, outbox_id: int, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    target = folder / f"{stamp}-{outbox_id:06d}.eml"
    # Written to a temporary name first, so a reader of the folder never sees half a message.
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def _tls_context(cfg: Mapping[str, Any]) -> ssl.SSLContext:
    # MAIL_CA_FILE lets a site trust an internal CA; certificates and host names are always checked.
    return ssl.create_default_context(cafile=cfg.get("MAIL_CA_FILE") or None)


def _send_smtp(cfg: Mapping[str, Any], message: EmailMessage) -> None:
    timeout = float(cfg.get("MAIL_TIMEOUT_S") or DEFAULT_TIMEOUT_S)
    with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT") or 25), timeout=timeout) as smtp:
        smtp.ehlo()
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls(context=_tls_context(cfg))
            smtp.ehlo()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
