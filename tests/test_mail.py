"""data/mail.py: outbox rows, .eml files by default, real SMTP (with STARTTLS and login) when MAIL_SERVER is set."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from data.db import get_session
from data.mail import MailError, send_mail
from data.models import MailOutbox

SUBJECT = "Nulstil din adgangskode – prøve"
BODY = "Hej Åse\n\nDette er en prøve med æøå.\n"


class Recorder:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback, without TLS."""
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl findes ikke på maskinen: STARTTLS-testen kræver et selvsigneret certifikat")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


def outbox_rows(app) -> list[MailOutbox]:
    with app.app_context():
        return list(get_session().scalars(select(MailOutbox).order_by(MailOutbox.id)))


def test_default_writes_eml_file_and_outbox_row(app, app_config):
    with app.app_context():
        assert send_mail("bruger@example.dk", SUBJECT, BODY) is True
    files = sorted(Path(app_config["MAIL_OUTBOX_PATH"]).glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "bruger@example.dk"
    assert message["Subject"] == SUBJECT
    assert "noreply@statens-adm.dk" in message["From"]
    assert message["Message-ID"] and message["Date"]
    assert message.get_content() == BODY
    [row] = outbox_rows(app)
    assert (row.recipient, row.subject, row.transport, row.error) == ("bruger@example.dk", SUBJECT, "outbox", None)
    assert row.sent_at is not None
    # No half-written temporary files are left behind.
    assert not list(Path(app_config["MAIL_OUTBOX_PATH"]).glob(".tmp-*"))


def test_outbox_failure_is_recorded_not_raised(app, app_config, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    app.config["MAIL_OUTBOX_PATH"] = str(blocker / "outbox")
    with app.app_context():
        assert send_mail("bruger@example.dk", SUBJECT, BODY) is False
    [row] = outbox_rows(app)
    assert row.sent_at is None
    assert row.error and "Error" in row.error


def test_smtp_delivers_to_real_server(app_config, smtp_server):
    controller, handler = smtp_server
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    from app import create_app
    from data.db import get_db

    app = create_app(app_config)
    try:
        with app.app_context():
            assert send_mail("modtager@example.dk", SUBJECT, BODY) is True
        [envelope] = handler.envelopes
        assert envelope.rcpt_tos == ["modtager@example.dk"]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["Subject"] == SUBJECT
        # SMTP carries CRLF line ends.
        assert message.get_content().replace("\r\n", "\n") == BODY
        [row] = outbox_rows(app)
        assert (row.transport, row.error) == ("smtp", None)
        assert row.sent_at is not None
        # SMTP mode writes no outbox files.
        assert not Path(app_config["MAIL_OUTBOX_PATH"]).exists()
    finally:
        get_db(app).dispose()


def test_smtp_starttls_and_login(app_config, self_signed):
    cert, key = self_signed
    handler = Recorder()
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"portal" and auth_data.password == b"hemmelig-kode"
        # handled=False: aiosmtpd answers 535 itself on failure.
        return AuthResult(success=ok, handled=False)

    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=server_tls,
                            require_starttls=True, authenticator=authenticator, auth_required=True)
    controller.start()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=True,
                      MAIL_USERNAME="portal", MAIL_PASSWORD="hemmelig-kode", MAIL_CA_FILE=str(cert))
    from app import create_app
    from data.db import get_db

    app = create_app(app_config)
    try:
        with app.app_context():
            assert send_mail("modtager@example.dk", SUBJECT, BODY) is True
            app.config["MAIL_PASSWORD"] = "forkert-kode"
            assert send_mail("modtager@example.dk", "Anden", BODY) is False
        # smtplib tries each offered mechanism before it gives up on the wrong password.
        assert logins[0] == (b"portal", b"hemmelig-kode")
        assert set(logins[1:]) == {(b"portal", b"forkert-kode")}
        assert len(handler.envelopes) == 1
        first, second = outbox_rows(app)
        assert first.error is None and first.sent_at is not None
        assert second.sent_at is None and "SMTPAuthenticationError" in second.error
    finally:
        controller.stop()
        get_db(app).dispose()


def test_smtp_tls_refuses_untrusted_certificate(app_config, self_signed):
    cert, key = self_signed
    handler = Recorder()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=server_tls)
    controller.start()
    # No MAIL_CA_FILE: the self-signed certificate is not trusted, so nothing is sent.
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=True)
    from app import create_app
    from data.db import get_db

    app = create_app(app_config)
    try:
        with app.app_context():
            assert send_mail("modtager@example.dk", SUBJECT, BODY) is False
        assert handler.envelopes == []
        [row] = outbox_rows(app)
        assert "SSL" in row.error or "certificate" in row.error.lower()
    finally:
        controller.stop()
        get_db(app).dispose()


def test_smtp_server_down_is_recorded_not_raised(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT_S=2)
    with app.app_context():
        assert send_mail("modtager@example.dk", SUBJECT, BODY) is False
    [row] = outbox_rows(app)
    assert row.transport == "smtp" and row.sent_at is None
    assert "ConnectionRefusedError" in row.error


@pytest.mark.parametrize("recipient", ["", "ingen-snabel-a", "a@example.dk\r\nBcc: ond@example.dk",
                                       "a@example.dk, b@example.dk", "a@exa\x0bmple.dk", "a@exam\u2028ple.dk",
                                       "a\x85@example.dk", "a\x1c@example.dk"])
def test_bad_recipient_is_refused(app, recipient):
    with app.app_context():
        with pytest.raises(MailError):
            send_mail(recipient, SUBJECT, BODY)
    assert outbox_rows(app) == []


def test_subject_cannot_inject_headers(app, app_config):
    with app.app_context():
        assert send_mail("bruger@example.dk", "Hej\r\nBcc: ond@example.dk", BODY) is True
    [path] = Path(app_config["MAIL_OUTBOX_PATH"]).glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hej Bcc: ond@example.dk"


def test_a_danish_subject_keeps_the_space_between_two_non_ascii_words(app):
    from email import message_from_bytes
    from email import policy as email_policy

    from data.mail import build_message

    subject = "Nyt i Kundeportalen: Nyt aktionspunkt: Afstem mellemregninger før årsafslutning på lønområdet"
    with app.app_context():
        raw = build_message("laeser@example.dk", subject, "Tekst").as_bytes()
    assert str(message_from_bytes(raw, policy=email_policy.default)["Subject"]) == subject
