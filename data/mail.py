"""Outgoing e-mail: every message gets a MailOutbox row, then goes to the outbox folder or to SMTP.

By default a message is written as an `.eml` file under MAIL_OUTBOX_PATH (development, tests);
when MAIL_SERVER is set it is sent over SMTP (STARTTLS when MAIL_USE_TLS, login when
MAIL_USERNAME). A delivery failure is logged and recorded on the row; it never reaches the user.

Two ways out:
- `enqueue(session, ...)`: the queue. The row keeps the message (text and HTML) and is written in
  the caller's transaction; the worker's `send_due` claims due rows in SQL (a conditional UPDATE,
  so several workers never send one row twice), sends them and retries with exponential back-off:
  with the SMTP server down nothing is lost, and everything goes when it answers again.
- `send_mail` / `queue_mail` + `deliver`: the sign-in mails (reset link, a new user's password),
  sent by the request at once. They do not wait for the worker's next round, and their body, which
  holds a secret, is never stored; a failure is recorded and the user asks again.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from data.db import get_session, transaction
from data.models import MailOutbox, utcnow

TRANSPORT_OUTBOX = "outbox"
TRANSPORT_SMTP = "smtp"
MAX_SUBJECT = 300
MAX_ERROR = 2000
DEFAULT_TIMEOUT_S = 15.0
# Python's folding at 78 characters encodes two adjacent Danish words as two encoded-words and the
# space between them is lost ("før årsafslutning" arrives as "førårsafslutning"); folding only at
# SMTP's own limit keeps a subject of MAX_SUBJECT characters on one line, space and all.
MESSAGE_POLICY = policy.default.clone(max_line_length=998)

# MailOutbox.status values.
STATUS_DIRECT = "direct"  # a sign-in mail the request is sending itself
STATUS_QUEUED = "queued"
STATUS_SENDING = "sending"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"

# Back-off: 30 s, 1 min, 2 min … capped at an hour; given up after two days of trying (48 hourly
# attempts after the first few), so a long SMTP outage loses nothing.
DEFAULT_RETRY_BASE_S = 30.0
DEFAULT_RETRY_MAX_S = 3600.0
DEFAULT_MAX_ATTEMPTS = 55
# Longer than an SMTP conversation can take (its timeout is 15 s): a claim older than this belongs
# to a worker that died mid-send, and the row is sent again.
CLAIM_SECONDS = 300
BATCH = 50


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


def check_recipient(to: str) -> str:
    """Return `to` trimmed; raise MailError when it is not one plain e-mail address."""
    recipient = (to or "").strip()
    _name, address = parseaddr(recipient)
    # Any whitespace but a plain space (\v, \f, U+2028 …) is refused too: the email package would
    # raise a bare ValueError on it, which callers do not expect.
    if (not address or "@" not in address or any(c in recipient for c in ",;") or len(recipient) > 254
            or any(c.isspace() and c != " " for c in recipient) or not recipient.isprintable()):
        raise MailError("Ugyldig modtageradresse.")
    return recipient


def build_message(to: str, subject: str, body_text: str, body_html: str | None = None) -> EmailMessage:
    """Return the message (plain text, with an HTML alternative when given); raise MailError for a bad `to`."""
    cfg = current_app.config
    recipient = check_recipient(to)
    sender = cfg.get("MAIL_SENDER") or "Kundeportalen <noreply@statens-adm.dk>"
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["From"] = _clean_header(sender)
    message["To"] = recipient
    message["Subject"] = _clean_header(subject)[:MAX_SUBJECT]
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body_text, charset="utf-8")
    if body_html:
        message.add_alternative(body_html, subtype="html", charset="utf-8")
    return message


def queue_mail(to: str, subject: str, body_text: str) -> PendingMail:
    """Write the MailOutbox row for a message (commits the context's session) and return it undelivered."""
    message = build_message(to, subject, body_text)
    with transaction() as session:
        row = MailOutbox(recipient=message["To"], subject=message["Subject"], transport=transport_of(current_app.config),
                         status=STATUS_DIRECT)
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
            row.attempts = (row.attempts or 0) + 1
            if error is None:
                row.sent_at = utcnow()
                row.error = None
                row.status = STATUS_SENT
            else:
                row.error = error
                row.status = STATUS_FAILED
    return error is None


def send_mail(to: str, subject: str, body_text: str) -> bool:
    """Record and deliver one e-mail now (commits); return False if it failed, raise MailError for a bad recipient."""
    # Commits the context's session: call it after your own unit of work. Raises MailError for a bad recipient.
    return deliver(queue_mail(to, subject, body_text))


# --- the queue ----------------------------------------------------------------------------------


def enqueue(session: Session, to: str, subject: str, body_text: str, body_html: str | None = None, *,
            announcement_id: int | None = None) -> MailOutbox:
    """Add a queued mail to `session` (sent by the worker after the caller commits); raise MailError for a bad `to`."""
    recipient = check_recipient(to)
    row = MailOutbox(recipient=recipient, subject=" ".join(str(subject).split())[:MAX_SUBJECT],
                     transport=transport_of(current_app.config), status=STATUS_QUEUED, body_text=body_text,
                     body_html=body_html, attempts=0, next_attempt_at=utcnow(), announcement_id=announcement_id)
    session.add(row)
    return row


def retry_delay(attempts: int, cfg: Mapping[str, Any]) -> dt.timedelta:
    """Return how long to wait after the `attempts`-th failed attempt: doubling from the base, capped."""
    base = float(cfg.get("MAIL_RETRY_BASE_S") or DEFAULT_RETRY_BASE_S)
    cap = float(cfg.get("MAIL_RETRY_MAX_S") or DEFAULT_RETRY_MAX_S)
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, min(attempts - 1, 30))))


def _due(now: dt.datetime):
    # Queued and due, or claimed by a worker whose claim ran out (it died while sending).
    return or_(and_(MailOutbox.status == STATUS_QUEUED, MailOutbox.next_attempt_at <= now),
               and_(MailOutbox.status == STATUS_SENDING, MailOutbox.locked_until < now))


def claim(session: Session, outbox_id: int, now: dt.datetime) -> bool:
    """Claim one due row for this worker (commits); False when another worker took it first or it is not due."""
    # A conditional UPDATE: of two workers racing for the row, the database lets exactly one match.
    result = session.execute(
        update(MailOutbox)
        .where(MailOutbox.id == outbox_id, _due(now))
        .values(status=STATUS_SENDING, locked_until=now + dt.timedelta(seconds=CLAIM_SECONDS),
                attempts=MailOutbox.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def _permanent(exc: BaseException) -> bool:
    # A 5xx answer (unknown mailbox, refused recipient) will not change by waiting; anything else
    # (connection refused, timeouts, 4xx) might.
    if isinstance(exc, MailError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError)
    return False


def send_due(now: dt.datetime | None = None, limit: int = BATCH) -> bool:
    """Send the queued mails that are due (the worker's task); return whether there were any."""
    cfg = current_app.config
    now = now or utcnow()
    session = get_session()
    ids = list(session.scalars(select(MailOutbox.id).where(_due(now))
                               .order_by(MailOutbox.next_attempt_at, MailOutbox.id).limit(limit)))
    session.commit()
    if not ids:
        return False
    transport = transport_of(cfg)
    for outbox_id in ids:
        if not claim(session, outbox_id, now):
            continue
        row = session.get(MailOutbox, outbox_id)
        if row is None:
            continue
        error: BaseException | None = None
        try:
            message = build_message(row.recipient, row.subject, row.body_text or "", row.body_html)
            if transport == TRANSPORT_SMTP:
                _send_smtp(cfg, message)
            else:
                _write_eml(Path(cfg["MAIL_OUTBOX_PATH"]), row.id, message)
        except (OSError, smtplib.SMTPException, ssl.SSLError, socket.timeout, ValueError) as exc:
            error = exc
            current_app.logger.warning("queued mail %s via %s failed (attempt %s): %s", row.id, transport,
                                       row.attempts, exc)
        row.transport = transport
        row.locked_until = None
        if error is None:
            row.status, row.sent_at, row.error = STATUS_SENT, utcnow(), None
        else:
            row.error = f"{type(error).__name__}: {error}"[:MAX_ERROR]
            max_attempts = int(cfg.get("MAIL_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
            if _permanent(error) or row.attempts >= max_attempts:
                row.status = STATUS_FAILED
            else:
                row.status = STATUS_QUEUED
                row.next_attempt_at = now + retry_delay(row.attempts, cfg)
        session.commit()
    return True


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
