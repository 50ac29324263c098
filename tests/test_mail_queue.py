"""The mail queue (data/mail.py): rows claimed in SQL, sent by the worker, retried with back-off while SMTP is down."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

from data import mail
from data.db import get_db, get_session, transaction
from data.models import MailOutbox, utcnow
from tests.test_mail import Recorder, free_port

HTML = "<p>Hej <strong>Åse</strong></p>"


def _rows(app) -> list[MailOutbox]:
    with app.app_context():
        return list(get_session().scalars(select(MailOutbox).order_by(MailOutbox.id)))


def _queue(app, *recipients: str) -> None:
    with app.app_context(), transaction() as session:
        for to in recipients:
            mail.enqueue(session, to, "Nyt referat", f"Hej {to}\n", HTML)


def test_queued_mail_waits_for_the_worker_and_goes_to_the_outbox(app, app_config):
    _queue(app, "bruger@example.dk")
    [row] = _rows(app)
    assert (row.status, row.attempts, row.sent_at) == (mail.STATUS_QUEUED, 0, None)
    assert not Path(app_config["MAIL_OUTBOX_PATH"]).exists()
    with app.app_context():
        assert mail.send_due() is True
        assert mail.send_due() is False
    [row] = _rows(app)
    assert (row.status, row.attempts, row.error) == (mail.STATUS_SENT, 1, None)
    [path] = Path(app_config["MAIL_OUTBOX_PATH"]).glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "bruger@example.dk"
    assert message.get_body(("plain",)).get_content() == "Hej bruger@example.dk\n"
    assert message.get_body(("html",)).get_content().strip() == HTML


def test_a_row_is_claimed_by_one_worker_only(app):
    _queue(app, "bruger@example.dk")
    [row] = _rows(app)
    now = utcnow()
    with app.app_context():
        session = get_session()
        assert mail.claim(session, row.id, now) is True
        # A second worker racing for the same row gets nothing: the UPDATE's condition no longer holds.
        assert mail.claim(session, row.id, now) is False
        # The claim runs out only when the claiming worker has died mid-send.
        later = now + dt.timedelta(seconds=mail.CLAIM_SECONDS + 1)
        assert mail.claim(session, row.id, later) is True


def test_back_off_doubles_and_is_capped():
    cfg = {"MAIL_RETRY_BASE_S": 30, "MAIL_RETRY_MAX_S": 3600}
    assert [mail.retry_delay(n, cfg).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert mail.retry_delay(40, cfg).total_seconds() == 3600


def test_smtp_down_loses_nothing_and_everything_arrives_when_it_returns(app_config):
    port = free_port()
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    controller.stop()  # the SMTP server is down
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_S=2, MAIL_RETRY_BASE_S=60)
    from app import create_app

    app = create_app(app_config)
    try:
        recipients = ["a@example.dk", "b@example.dk", "c@example.dk"]
        _queue(app, *recipients)
        start = utcnow()
        with app.app_context():
            assert mail.send_due(now=start) is True
        rows = _rows(app)
        assert {r.status for r in rows} == {mail.STATUS_QUEUED}
        assert all(r.attempts == 1 and "ConnectionRefusedError" in r.error for r in rows)
        assert all(r.next_attempt_at >= start + dt.timedelta(seconds=60) for r in rows)
        # Not due yet: the worker leaves them alone.
        with app.app_context():
            assert mail.send_due(now=start + dt.timedelta(seconds=30)) is False
            # Still down at the second attempt: the wait doubles.
            assert mail.send_due(now=start + dt.timedelta(seconds=61)) is True
        rows = _rows(app)
        assert all(r.attempts == 2 and r.status == mail.STATUS_QUEUED for r in rows)
        assert all(r.next_attempt_at >= start + dt.timedelta(seconds=61 + 120) for r in rows)

        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()  # the SMTP server is back
        try:
            with app.app_context():
                assert mail.send_due(now=start + dt.timedelta(seconds=200)) is True
                assert mail.send_due(now=start + dt.timedelta(seconds=10_000)) is False
        finally:
            controller.stop()
        assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == recipients
        rows = _rows(app)
        assert all(r.status == mail.STATUS_SENT and r.attempts == 3 and r.error is None for r in rows)
    finally:
        get_db(app).dispose()


def test_a_permanent_refusal_is_not_retried(app_config):
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            return "550 No such user"

    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    from app import create_app

    app = create_app(app_config)
    try:
        _queue(app, "ukendt@example.dk")
        with app.app_context():
            assert mail.send_due() is True
        [row] = _rows(app)
        assert row.status == mail.STATUS_FAILED and "SMTPRecipientsRefused" in row.error
    finally:
        controller.stop()
        get_db(app).dispose()


def test_a_direct_sign_in_mail_keeps_no_body_and_is_never_sent_by_the_worker(app):
    with app.app_context():
        assert mail.send_mail("bruger@example.dk", "Nulstil din adgangskode", "hemmeligt link") is True
        assert mail.send_due() is False
    [row] = _rows(app)
    assert (row.status, row.body_text, row.body_html) == (mail.STATUS_SENT, None, None)


def test_two_workers_at_once_send_each_mail_once(app_config):
    import threading

    port = free_port()
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    from app import create_app

    app = create_app(app_config)
    try:
        recipients = [f"modtager{n:02d}@example.dk" for n in range(30)]
        _queue(app, *recipients)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                with app.app_context():
                    while mail.send_due(limit=5):
                        pass
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(60)
        assert errors == []
        assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == recipients
        assert {(r.status, r.attempts) for r in _rows(app)} == {(mail.STATUS_SENT, 1)}
    finally:
        controller.stop()
        get_db(app).dispose()
