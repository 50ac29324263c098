"""data.approvals: signatories, publishing for approval, approving (who, what, password), the seal, the chain."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import current_app
from sqlalchemy import func, select, update

from core.access import AccessDenied, AccessScope, Principal
from data import approvals, seal
from data.db import get_session
from data.errors import Refused, ValidationError
from data.files import get_store
from data.models import Agreement, ApprovalEvent, AuditLog, Customer, MailOutbox, StoredFile, User
from tests import agreements_world as aw
from tests.test_agreement_edits import _pdf_text as pdf_text
from tests import world
from data.workdays import danish_today

ALL = AccessScope(all_customers=True)
SCOPE_A = AccessScope.single(world.CVR_A)
SCOPE_AB = AccessScope(False, frozenset({world.CVR_A, world.CVR_B}))


@dataclass
class W:
    session: object
    sa_admin: Principal
    sa_staff: Principal
    signer: Principal  # the customer's signatory of CVR A's Kundeaftale (ADMIN_AB, who also sees CVR B)
    other: Principal  # a user of CVR A who is no signatory
    rows: aw.Rows


def _principal(session, email: str) -> Principal:
    return Principal.from_user(session.scalar(select(User).where(User.email == email)))


@pytest.fixture
def w(app):
    with app.app_context():
        session = get_session()
        rows = aw.build(session, danish_today())
        admin = _principal(session, world.SA_ADMIN)
        approvals.register_signatory(SCOPE_A, world.CVR_A, admin, "kundeaftale",
                                     {"name": "Ada Tegner", "email": world.ADMIN_AB, "b_number": "B200001"})
        approvals.register_sa_signatory(admin, "kundeaftale",
                                        {"name": "SA Admin", "email": world.SA_ADMIN, "b_number": "B900010"})
        yield W(session, admin, _principal(session, world.SA_STAFF), _principal(session, world.ADMIN_AB),
                _principal(session, world.REDIGER_A), rows)


def _request(w: W, agreement_key: str = "customer_a", cvr: str = world.CVR_A) -> dict:
    row = w.session.get(Agreement, w.rows.agreements[agreement_key])
    return approvals.request_approval(ALL, cvr, w.sa_staff, row.id, row.row_version)


def _approve(w: W, user: Principal, scope: AccessScope = SCOPE_AB, agreement_key: str = "customer_a",
             cvr: str = world.CVR_A, sha=None, password: str = world.PASSWORD, code=None) -> dict:
    agreement_id = w.rows.agreements[agreement_key]
    if sha is None:
        sha = approvals.sha256(approvals.approval_pdf(scope, cvr, agreement_id))
    return approvals.approve(scope, cvr, user, agreement_id, sha, password, code=_fresh_code(w, user, code),
                             client_address="127.0.0.9", user_agent="pytest-browser/1.0")


def _fresh_code(w: W, user: Principal, code):
    """Return `code`, or the signer's current app code with its last used step forgotten (tests approve often)."""
    if code is not None or user.email not in world.TOTP_SECRETS:
        return code
    return world.unspent_totp_code(w.session, user.email)


def _trusted_cert():
    return seal.signing_certificate(seal.seal_key(current_app.config))


# --- signatories ----------------------------------------------------------------------------------


def test_only_sa_system_administrators_register_signatories(w):
    raw = {"name": "X", "email": "x@example.dk", "b_number": "B1"}
    with pytest.raises(AccessDenied):
        approvals.register_signatory(ALL, world.CVR_A, w.sa_staff, "kundeaftale", raw)
    with pytest.raises(AccessDenied):
        approvals.register_signatory(SCOPE_A, world.CVR_A, w.signer, "kundeaftale", raw)
    with pytest.raises(AccessDenied):
        approvals.register_sa_signatory(w.sa_staff, "kundeaftale", raw)


def test_registering_links_an_existing_user_or_creates_one_and_is_audited(w):
    listed = approvals.signatories(SCOPE_A, world.CVR_A)
    assert [(s["key"], s["name"], s["b_number"]) for s in listed] == [("kundeaftale", "Ada Tegner", "B200001")]
    assert listed[0]["user_id"] == w.signer.id
    result = approvals.register_signatory(ALL, world.CVR_A, w.sa_admin, "databehandleraftale",
                                          {"name": "Ny Person", "email": "Ny.Person@Example.dk", "b_number": "B3"})
    assert result["created_user"] is True
    created = w.session.get(User, result["user_id"])
    assert created.email == "ny.person@example.dk" and not created.is_sa
    assert w.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "signatory")) == 2


def test_signatory_form_is_validated_in_danish(w):
    with pytest.raises(ValidationError) as exc:
        approvals.register_signatory(ALL, world.CVR_A, w.sa_admin, "kundeaftale", {"name": "", "email": "nej",
                                                                                   "b_number": ""})
    assert set(exc.value.errors) == {"name", "email", "b_number"}


def test_a_stale_signatory_form_is_refused(w):
    current = approvals.signatories(SCOPE_A, world.CVR_A)[0]
    raw = {"name": "Ada Tegner", "email": world.ADMIN_AB, "b_number": "B200001"}
    approvals.register_signatory(ALL, world.CVR_A, w.sa_admin, "kundeaftale", raw, current["row_version"])
    with pytest.raises(approvals.SignatoryConflict):
        approvals.register_signatory(ALL, world.CVR_A, w.sa_admin, "kundeaftale", {**raw, "name": "Y"},
                                     current["row_version"])
    assert approvals.signatories(SCOPE_A, world.CVR_A)[0]["name"] == "Ada Tegner"


# --- publishing for approval ------------------------------------------------------------------------


def test_request_approval_fixes_the_pdf_mails_both_signatories_and_announces(w):
    result = _request(w)
    assert len(result["pdf_sha256"]) == 64
    state = approvals.state(SCOPE_A, world.CVR_A, result["id"], w.signer)
    assert state["status"] == "pending" and state["can_approve"] and state["party"] == "customer"
    assert approvals.sha256(approvals.approval_pdf(SCOPE_A, world.CVR_A, result["id"])) == result["pdf_sha256"]
    recipients = set(w.session.scalars(select(MailOutbox.recipient)))
    assert {world.ADMIN_AB, world.SA_ADMIN} <= recipients
    assert approvals.pending_for(SCOPE_AB, w.signer) == [{"agreement_id": result["id"], "cvr": world.CVR_A,
                                                           "key": "kundeaftale", "title": "Kundeaftale",
                                                           "version": "3"}]
    assert approvals.pending_for(SCOPE_A, w.other) == []
    with pytest.raises(Refused):
        _request(w)


def test_customers_cannot_publish_for_approval(w):
    row = w.session.get(Agreement, w.rows.agreements["customer_a"])
    with pytest.raises(AccessDenied):
        approvals.request_approval(SCOPE_A, world.CVR_A, w.signer, row.id, row.row_version)


def test_no_approval_without_both_signatories_registered(w):
    with pytest.raises(Refused):
        _request(w, "dpa_a")


# --- approving ------------------------------------------------------------------------------------------


def test_the_right_signatory_approves_and_everything_is_recorded(w):
    _request(w)
    result = _approve(w, w.signer)
    assert result["party"] == "customer" and not result["signed"]
    event = w.session.scalar(select(ApprovalEvent))
    assert (event.signer_user_id, event.signer_name, event.signer_b_number) == (w.signer.id, w.signer.name, "B200001")
    assert (event.cvr, event.agreement_kind, event.agreement_version) == (world.CVR_A, "customer", "3")
    assert event.client_address == "127.0.0.9" and event.user_agent == "pytest-browser/1.0"
    assert event.approved_at.tzinfo is not None and event.prev_hash == approvals.GENESIS
    state = approvals.state(SCOPE_A, world.CVR_A, w.rows.agreements["customer_a"], w.signer)
    assert state["parties"]["customer"]["name"] == w.signer.name and not state["can_approve"]


@pytest.mark.parametrize("who", ["other", "sa_staff", "sa_admin_as_customer_kind_other"])
def test_everyone_else_is_refused(w, who):
    _request(w)
    if who == "other":
        user = w.other
    elif who == "sa_staff":
        user = w.sa_staff  # SA staff, but not SA's registered signatory
    else:
        user = w.sa_admin
        approvals.register_sa_signatory(w.sa_admin, "kundeaftale",
                                        {"name": "SA Medarbejder", "email": world.SA_STAFF, "b_number": "B900009"},
                                        approvals.sa_signatories()[0]["row_version"])
    with pytest.raises(AccessDenied):
        _approve(w, user, scope=ALL if user.is_sa else SCOPE_A)
    assert w.session.scalar(select(func.count()).select_from(ApprovalEvent)) == 0


def test_the_signatory_of_one_cvr_and_kind_cannot_approve_another(w):
    # ADMIN_AB sees CVR B too, and CVR A's Databehandleraftale: neither is theirs to approve.
    approvals.register_signatory(ALL, world.CVR_B, w.sa_admin, "kundeaftale",
                                 {"name": "Bo B", "email": "bo.b@example.dk", "b_number": "B5"})
    _request(w, "customer_b", world.CVR_B)
    with pytest.raises(AccessDenied):
        _approve(w, w.signer, agreement_key="customer_b", cvr=world.CVR_B)
    # A forged payload naming CVR A's context but CVR B's agreement finds nothing.
    with pytest.raises(Refused):
        approvals.approve(SCOPE_AB, world.CVR_A, w.signer, w.rows.agreements["customer_b"], "0" * 64,
                          world.PASSWORD)
    assert w.session.scalar(select(func.count()).select_from(ApprovalEvent)) == 0


def test_the_signatory_of_one_kind_cannot_approve_the_other_kind(w):
    approvals.register_signatory(ALL, world.CVR_A, w.sa_admin, "databehandleraftale",
                                 {"name": "Rita Rediger", "email": world.REDIGER_A, "b_number": "B7"})
    approvals.register_sa_signatory(w.sa_admin, "databehandleraftale",
                                    {"name": "SA Admin", "email": world.SA_ADMIN, "b_number": "B900010"})
    _request(w, "dpa_a")
    with pytest.raises(AccessDenied):
        _approve(w, w.signer, agreement_key="dpa_a")  # Kundeaftale's signatory, not the Databehandleraftale's
    _approve(w, w.other, scope=SCOPE_A, agreement_key="dpa_a")
    assert w.session.scalar(select(func.count()).select_from(ApprovalEvent)) == 1


def test_wrong_password_is_refused(w):
    _request(w)
    with pytest.raises(ValidationError) as exc:
        _approve(w, w.signer, password="forkert")
    assert "password" in exc.value.errors
    assert w.session.scalar(select(func.count()).select_from(ApprovalEvent)) == 0


def test_a_version_changed_after_it_was_shown_is_refused(w):
    _request(w)
    shown = approvals.sha256(approvals.approval_pdf(SCOPE_A, world.CVR_A, w.rows.agreements["customer_a"]))
    with pytest.raises(Refused):
        _approve(w, w.signer, sha="f" * 64)
    # What the PDF shows changed (the parties come from Stamdata): the hash shown no longer holds.
    w.session.execute(update(Customer).where(Customer.cvr == world.CVR_A).values(name="Omdøbt institution"))
    w.session.commit()
    with pytest.raises(Refused):
        _approve(w, w.signer, sha=shown)
    assert w.session.scalar(select(func.count()).select_from(ApprovalEvent)) == 0


def test_a_second_approval_is_refused(w):
    _request(w)
    _approve(w, w.signer)
    with pytest.raises(Refused):
        _approve(w, w.signer)
    assert w.session.scalar(select(func.count()).select_from(ApprovalEvent)) == 1


def test_both_approvals_sign_and_seal_the_version(w):
    _request(w)
    _approve(w, w.signer)
    result = _approve(w, w.sa_admin, scope=ALL)
    assert result["signed"] and result["party"] == "sa"
    row = w.session.get(Agreement, w.rows.agreements["customer_a"])
    w.session.refresh(row)
    assert row.signed_at is not None and row.sealed_file_id is not None and row.signed_electronically
    stored = w.session.get(StoredFile, row.sealed_file_id)
    content = get_store().path_of(stored).read_bytes()
    check = seal.check_seal(content, _trusted_cert())
    assert check.ok and check.whole_document
    text = "".join(pdf_text(content).split())
    assert row.approval_pdf_sha256 in text and w.signer.name.replace(" ", "") in text
    # One changed byte: the seal no longer validates.
    changed = bytearray(content)
    changed[len(changed) // 4] ^= 0x01
    assert not seal.check_seal(bytes(changed), _trusted_cert()).ok
    # Signed: no more approvals, and the panel reads the records.
    with pytest.raises(Refused):
        _approve(w, w.signer)
    state = approvals.state(SCOPE_A, world.CVR_A, row.id)
    assert state["status"] == "signed" and state["parties"]["sa"]["name"] == w.sa_admin.name
    assert approvals.verify_chain(w.session) is None and approvals.verify_sealed_files(w.session) is None
    found = approvals.identify(ALL, w.sa_staff, content)
    assert found["intact"] and found["known"] and found["version"] == "3"
    assert {s["name"] for s in found["signers"]} == {w.sa_admin.name, w.signer.name}
    assert not approvals.identify(ALL, w.sa_staff, bytes(changed))["intact"]


def test_chain_verification_finds_an_altered_or_deleted_event(w):
    _request(w)
    _approve(w, w.signer)
    _approve(w, w.sa_admin, scope=ALL)
    assert approvals.verify_chain(w.session) is None
    first = w.session.scalar(select(ApprovalEvent).order_by(ApprovalEvent.id))
    w.session.execute(update(ApprovalEvent).where(ApprovalEvent.id == first.id).values(signer_name="Mallory"))
    w.session.commit()
    broken = approvals.verify_chain(w.session)
    assert broken is not None and str(first.id) in broken.what


def test_chain_verification_finds_a_deleted_event(w):
    _request(w)
    _approve(w, w.signer)
    _approve(w, w.sa_admin, scope=ALL)
    first = w.session.scalar(select(ApprovalEvent).order_by(ApprovalEvent.id))
    w.session.delete(first)
    w.session.commit()
    assert approvals.verify_chain(w.session) is not None


def test_verify_approvals_command_exits_non_zero_on_a_broken_link(app, w):
    _request(w)
    _approve(w, w.signer)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["verify-approvals"])
    assert ok.exit_code == 0, ok.output
    w.session.execute(update(ApprovalEvent).values(pdf_sha256="0" * 64))
    w.session.commit()
    broken = runner.invoke(args=["verify-approvals"])
    assert broken.exit_code == 1


def test_without_sealing_the_signed_pdf_is_stored_unsealed_and_checked_by_its_hash(w, app):
    """SEALING_DISABLED (production started on purpose without a certificate): signed, unsealed, hash-checked."""
    app.config["SEALING_DISABLED"] = True
    try:
        _request(w)
        _approve(w, w.sa_admin)
        assert _approve(w, w.signer)["signed"]
        row = w.session.get(Agreement, w.rows.agreements["customer_a"])
        stored = w.session.get(StoredFile, row.sealed_file_id)
        content = get_store().path_of(stored).read_bytes()
        assert row.signed_at is not None and not seal.check_seal(content, _trusted_cert()).sealed
        assert approvals.verify_sealed_files(w.session) is None
        found = approvals.identify(ALL, w.sa_staff, content)
        assert found["known"] and not found["sealed"] and found["version"] == row.version
        # One changed byte: the stored hash no longer matches.
        get_store().path_of(stored).write_bytes(content.replace(b"Kundeaftale", b"Kundeaftalf", 1))
        assert approvals.verify_sealed_files(w.session).reason == "den forseglede PDF er ændret"
    finally:
        app.config["SEALING_DISABLED"] = False


def test_the_approval_steps_are_in_the_customers_haendelseslog_in_danish(w):
    from data import event_log

    _request(w)
    _approve(w, w.sa_admin)
    _approve(w, w.signer)
    rows = event_log.changes(SCOPE_A, world.CVR_A)
    actions = [r["action"] for r in rows if r["entity_id"] == str(w.rows.agreements["customer_a"])]
    # Newest first: sealed, the two approvals, the request.
    assert actions[:4] == ["Underskrevet elektronisk og forseglet", "Godkendt af tegningsberettiget",
                           "Godkendt af tegningsberettiget", "Sendt til godkendelse"]
    approvers = [r["who"] for r in rows if r["action"] == "Godkendt af tegningsberettiget"]
    assert {w.signer.email, w.sa_admin.email} <= {who.split("(")[-1].rstrip(")") for who in approvers}
    assert "Tegningsberettiget" in [r["what"] for r in rows]


def test_pyhanko_sign_validate_judges_the_seal_valid_and_a_changed_byte_invalid(app, w, tmp_path):
    """The issue's own check: `pyhanko sign validate`, trusting the certificate `flask seal-certificate` prints."""
    import subprocess
    import sys
    from pathlib import Path

    _request(w)
    _approve(w, w.signer)
    _approve(w, w.sa_admin, scope=ALL)
    row = w.session.get(Agreement, w.rows.agreements["customer_a"])
    content = get_store().path_of(w.session.get(StoredFile, row.sealed_file_id)).read_bytes()
    printed = app.test_cli_runner().invoke(args=["seal-certificate"])
    assert printed.exit_code == 0 and printed.output.startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY" not in printed.output
    (tmp_path / "segl.pem").write_text(printed.output)
    sealed = tmp_path / "aftale.pdf"
    sealed.write_bytes(content)
    changed = tmp_path / "aendret.pdf"
    at = content.index(b"/Contents") - 200  # a byte of the signed page content, not of the signature itself
    changed.write_bytes(content[:at] + bytes([content[at] ^ 0x01]) + content[at + 1:])

    def validate(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([str(Path(sys.executable).parent / "pyhanko"), "sign", "validate", "--pretty-print",
                               "--trust", str(tmp_path / "segl.pem"), "--trust-replace", "--no-revocation-check",
                               str(path)], capture_output=True, text=True, timeout=120)

    good = validate(sealed)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "The signature covers the entire file." in good.stdout and "judged VALID" in good.stdout
    assert "The signer's certificate is trusted." in good.stdout
    bad = validate(changed)
    assert bad.returncode != 0 and "VALID" not in bad.stdout.replace("INVALID", "")


def test_seal_certificate_command_refuses_when_sealing_is_off(app):
    app.config["SEALING_DISABLED"] = True
    try:
        result = app.test_cli_runner().invoke(args=["seal-certificate"])
    finally:
        app.config["SEALING_DISABLED"] = False
    assert result.exit_code == 1 and "SEALING_DISABLED" in result.output


@pytest.mark.parametrize("code", ["", "   ", "000000", "12345678901234567890", 123456])
def test_an_enrolled_signatory_must_give_the_second_factor_code(w, code):
    _request(w)
    # ADMIN_AB has the second factor enrolled: the password alone approves nothing.
    assert w.signer.email in world.TOTP_SECRETS
    if code == "000000" and world.totp_code(w.signer.email) == "000000":
        code = "111111"
    with pytest.raises(ValidationError) as refused:
        _approve(w, w.signer, code=code)
    assert "code" in refused.value.errors and refused.value.message == "Der er ikke godkendt noget."
    assert w.session.scalar(select(func.count()).select_from(ApprovalEvent)) == 0


def test_a_code_used_for_an_approval_is_spent(w):
    from data import second_factor

    _request(w)
    code = _fresh_code(w, w.signer, None)
    assert _approve(w, w.signer, code=code)["party"] == "customer"
    # The code counted once: it cannot be used again, for a sign-in or another approval.
    account = w.session.get(User, w.signer.id)
    assert second_factor.check_code(w.session, account, code) is None


def test_a_signatory_without_a_second_factor_approves_with_the_password(w):
    _request(w)
    account = w.session.get(User, w.signer.id)
    account.totp_secret, account.totp_enabled_at = None, None
    w.session.commit()
    assert approvals.signer_needs_code(w.signer) is False
    assert _approve(w, w.signer, code="")["party"] == "customer"
