"""Signatories (tegningsberettigede) and the electronic approval of agreement versions.

SA's system administrator registers, per CVR and agreement kind, the customer's signatory, and SA's own
signatory per kind (`Action.REGISTER_SIGNATORIES`). SA publishes a published agreement version for
approval: the exact PDF both parties are shown is fixed then (its SHA-256 is stored). Only the registered
signatory of that CVR and kind (and SA's signatory of that kind) can approve, after re-entering the
password, and only the PDF they were shown. Each approval is an `ApprovalEvent` in a hash chain over all
customers (each event's hash covers the previous one). When both parties approved, the version is signed:
immutable, and "Hent aftale" serves the PDF with both signatures and the document hash, sealed (PAdES).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access import AccessDenied, AccessScope, require_action
from core.formatting import da_date, da_datetime
from core.passwords import hash_password, verify_password
from core.rights import Action, Menu
from core.topics import Topic
from data import agreements, audit, seal, second_factor, validators
from data.agreement_pdf import agreement_pdf
from data.announcements import announce
from data.db import get_session, transaction
from data.errors import Refused, ValidationError
from data.files import get_store
from data.mail import enqueue
from data.models import Agreement, ApprovalEvent, Customer, SaSignatory, Signatory, StoredFile, User, normalise_email
from data.scoping import unscoped
from data.validators import valid_id

PARTIES = ("sa", "customer")
KIND_KEYS = {kind: key for key, kind in agreements.AGREEMENT_KINDS.items()}
GENESIS = "0" * 64
MAX_USER_AGENT = 500


class ApprovalRefused(Refused):
    """An approval that was not recorded; the message is Danish and safe to show."""


class SignatoryConflict(Refused):
    """The signatory was saved by someone else after the form loaded it; nothing was written."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _who(user: Any) -> str:
    return ((getattr(user, "name", "") or getattr(user, "email", "") or "ukendt").strip())[:200]


def _kind(key: Any) -> str:
    kind = agreements.AGREEMENT_KINDS.get(key) if isinstance(key, str) else None
    if kind is None:
        raise Refused("Ukendt aftaletype.")
    return kind


# --- signatories ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatoryInput:
    """A signatory form's values, validated."""

    name: str
    email: str
    b_number: str


def validate_signatory(raw: Mapping[str, Any]) -> SignatoryInput:
    """Return the form's values cleaned, or raise ValidationError with Danish messages per field."""
    errors: dict[str, str] = {}
    name = validators.text_field(raw, "name", errors, label="Navn", max_length=200, clean=validators.one_line)
    if not name and "name" not in errors:
        errors["name"] = validators.required_message("Navn")
    email = validators.text_field(raw, "email", errors, label="E-mail", max_length=254, clean=validators.one_line)
    if not email and "email" not in errors:
        errors["email"] = validators.required_message("E-mail")
    elif email and "email" not in errors and "@" not in email.strip("@"):
        errors["email"] = "Skriv en gyldig e-mailadresse, fx navn@institution.dk."
    b_number = validators.text_field(raw, "b_number", errors, label="B-nummer", max_length=20,
                                     clean=validators.one_line)
    if not b_number and "b_number" not in errors:
        errors["b_number"] = validators.required_message("B-nummer")
    if errors:
        raise ValidationError(errors)
    return SignatoryInput(name, normalise_email(email), b_number)


def _link_user(session: Session, values: SignatoryInput, *, sa: bool) -> tuple[User, bool]:
    """Return the account of `values.email`, creating it (no usable password) when there is none."""
    user = session.scalar(select(User).where(User.email == values.email))
    if user is not None:
        if bool(user.is_sa) != sa:
            raise ValidationError({"email": "Adressen tilhører en bruger hos "
                                            f"{'kunden' if not user.is_sa else 'Statens Administration'}: "
                                            "vælg en anden."})
        if not user.b_number:
            user.b_number = values.b_number
        return user, False
    # A fresh account gets an unguessable password nobody knows: the welcome mail's link sets the real one.
    user = User(email=values.email, name=values.name, b_number=values.b_number,
                password_hash=hash_password(secrets.token_urlsafe(32)), must_change_password=False,
                is_active=True, is_sa_staff=sa)
    session.add(user)
    session.flush()
    return user, True


def _signatory_view(row: Any) -> dict[str, Any]:
    return {"agreement_kind": row.agreement_kind, "name": row.name, "email": row.email, "b_number": row.b_number,
            "user_id": row.user_id}


def register_signatory(scope: AccessScope, cvr: str, user: Any, key: Any, raw: Mapping[str, Any],
                       version: Any = None) -> dict[str, Any]:
    """Register (or change, version-checked) the customer's signatory of `cvr` for agreement `key`."""
    require_action(user, Action.REGISTER_SIGNATORIES)
    kind = _kind(key)
    values = validate_signatory(raw)
    with transaction() as session:
        if not isinstance(cvr, str) or not scope.allows(cvr):
            raise AccessDenied()
        if session.scalar(select(Customer.cvr).where(scope.clause(Customer.cvr), Customer.cvr == cvr)) is None:
            raise ValidationError({"cvr": "Der findes ingen kunde med det CVR-nummer."})
        row = session.scalar(select(Signatory).where(scope.clause(Signatory.cvr), Signatory.cvr == cvr,
                                                     Signatory.agreement_kind == kind)
                             .execution_options(populate_existing=True))
        account, created = _link_user(session, values, sa=False)
        if row is None:
            row = Signatory(cvr=cvr, agreement_kind=kind, name=values.name, email=values.email,
                            b_number=values.b_number, user_id=account.id, approved_by_id=getattr(user, "id", None),
                            row_version=1, updated_at=_now(), updated_by=_who(user))
            session.add(row)
            session.flush()
            audit.record(session, user, "create", "signatory", row.id, cvr, None, _signatory_view(row))
        else:
            before = _signatory_view(row)
            done = session.execute(
                update(Signatory).where(Signatory.id == row.id, Signatory.row_version == version)
                .values(name=values.name, email=values.email, b_number=values.b_number, user_id=account.id,
                        approved_by_id=getattr(user, "id", None), row_version=Signatory.row_version + 1,
                        updated_at=_now(), updated_by=_who(user))
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:
                raise SignatoryConflict("Den tegningsberettigede er ændret samtidig af en anden bruger. Der er "
                                        "ikke gemt noget — genindlæs og prøv igen.")
            session.refresh(row)
            audit.record(session, user, "update", "signatory", row.id, cvr, before, _signatory_view(row))
        return {"id": row.id, "user_id": account.id, "created_user": created, "name": row.name,
                "email": row.email}


def register_sa_signatory(user: Any, key: Any, raw: Mapping[str, Any], version: Any = None) -> dict[str, Any]:
    """Register (or change, version-checked) SA's own signatory for agreement `key`."""
    require_action(user, Action.REGISTER_SIGNATORIES)
    kind = _kind(key)
    values = validate_signatory(raw)
    with transaction() as session:
        row = session.scalar(select(SaSignatory).where(SaSignatory.agreement_kind == kind)
                             .execution_options(populate_existing=True))
        account, created = _link_user(session, values, sa=True)
        if row is None:
            row = SaSignatory(agreement_kind=kind, name=values.name, email=values.email, b_number=values.b_number,
                              user_id=account.id, row_version=1, updated_at=_now(), updated_by=_who(user))
            session.add(row)
            session.flush()
            audit.record(session, user, "create", "sa_signatory", row.id, None, None, _signatory_view(row))
        else:
            before = _signatory_view(row)
            done = session.execute(
                update(SaSignatory).where(SaSignatory.id == row.id, SaSignatory.row_version == version)
                .values(name=values.name, email=values.email, b_number=values.b_number, user_id=account.id,
                        row_version=SaSignatory.row_version + 1, updated_at=_now(), updated_by=_who(user))
                .execution_options(synchronize_session=False))
            if done.rowcount != 1:
                raise SignatoryConflict("SA's tegningsberettigede er ændret samtidig af en anden bruger. Der er "
                                        "ikke gemt noget — genindlæs og prøv igen.")
            session.refresh(row)
            audit.record(session, user, "update", "sa_signatory", row.id, None, before, _signatory_view(row))
        return {"id": row.id, "user_id": account.id, "created_user": created, "name": row.name,
                "email": row.email}


def signatories(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the customer's signatories of `cvr` in `scope`, Kundeaftale before Databehandleraftale."""
    rows = get_session().scalars(select(Signatory).where(scope.clause(Signatory.cvr), Signatory.cvr == cvr)
                                 .order_by(Signatory.agreement_kind, Signatory.id)
                                 .execution_options(populate_existing=True))
    return [{"id": row.id, "key": KIND_KEYS.get(row.agreement_kind, row.agreement_kind),
             "title": agreements.AGREEMENT_TITLES.get(KIND_KEYS.get(row.agreement_kind, ""), row.agreement_kind),
             "name": row.name, "email": row.email, "b_number": row.b_number or "", "user_id": row.user_id,
             "row_version": row.row_version} for row in rows]


def all_signatories(scope: AccessScope) -> list[dict[str, Any]]:
    """Return the customers' signatories in `scope`, by CVR then agreement kind (SA's register)."""
    rows = get_session().scalars(select(Signatory).where(scope.clause(Signatory.cvr))
                                 .order_by(Signatory.cvr, Signatory.agreement_kind, Signatory.id))
    return [{"cvr": row.cvr, "title": agreements.AGREEMENT_TITLES.get(KIND_KEYS.get(row.agreement_kind, ""),
                                                                       row.agreement_kind),
             "name": row.name, "email": row.email, "b_number": row.b_number or ""} for row in rows]


def sa_signatories() -> list[dict[str, Any]]:
    """Return SA's own signatories, one per agreement kind registered."""
    rows = get_session().scalars(select(SaSignatory).order_by(SaSignatory.agreement_kind)
                                 .execution_options(populate_existing=True))
    return [{"id": row.id, "key": KIND_KEYS.get(row.agreement_kind, row.agreement_kind), "name": row.name,
             "email": row.email, "b_number": row.b_number or "", "user_id": row.user_id,
             "row_version": row.row_version} for row in rows]


# --- the PDF both parties are shown ------------------------------------------------------------------


def _item(session: Session, scope: AccessScope, cvr: str, agreement_id: Any) -> tuple[Agreement, dict[str, Any]]:
    if not valid_id(agreement_id) or not isinstance(cvr, str) or not scope.allows(cvr):
        raise ApprovalRefused("Aftalen findes ikke.")
    row = session.scalar(select(Agreement).where(scope.clause(Agreement.cvr), Agreement.cvr == cvr,
                                                 Agreement.id == agreement_id,
                                                 Agreement.published_at.is_not(None))
                         .execution_options(populate_existing=True))
    if row is None or row.kind not in KIND_KEYS:
        raise ApprovalRefused("Aftalen findes ikke.")
    return row, agreements.agreement_dict(row, KIND_KEYS[row.kind])


def _pdf(scope: AccessScope, item: dict[str, Any], created: dt.datetime, signatures: dict[str, Any] | None = None,
         document_hash: str | None = None) -> bytes:
    customer = agreements.customer_facts(scope, item["cvr"])
    if customer is None:
        raise ApprovalRefused("Kunden findes ikke.")
    shown = {**item, "sa_signed_by": None, "sa_signed_at": None, "customer_signed_by": None,
             "customer_signed_at": None, "signed_electronically": True,
             # The same PDF before and after the request is recorded: never a paper signature's wording.
             "signature_status": agreements.ELECTRONIC if signatures else agreements.PENDING, **(signatures or {})}
    return agreement_pdf(shown, customer, da_datetime, da_date, created=created, document_hash=document_hash)


def approval_pdf(scope: AccessScope, cvr: str, agreement_id: Any) -> bytes:
    """Return the exact PDF the signatories approve (no signatures yet); the same bytes every time."""
    session = get_session()
    row, item = _item(session, scope, cvr, agreement_id)
    if row.approval_requested_at is None:
        raise ApprovalRefused("Aftalen er ikke sendt til godkendelse.")
    return _pdf(scope, item, row.approval_requested_at)


def sha256(content: bytes) -> str:
    """Return the hex SHA-256 of `content`."""
    return hashlib.sha256(content).hexdigest()


# --- state ------------------------------------------------------------------------------------------


def _events(session: Session, agreement_id: int) -> dict[str, ApprovalEvent]:
    rows = session.scalars(select(ApprovalEvent).where(ApprovalEvent.agreement_id == agreement_id)
                           .execution_options(populate_existing=True))
    return {row.party: row for row in rows}


def state(scope: AccessScope, cvr: str, agreement_id: Any, user: Any = None) -> dict[str, Any]:
    """Return the approval state of a published version: status, each party's approval, and what `user` may do."""
    session = get_session()
    row, item = _item(session, scope, cvr, agreement_id)
    events = _events(session, row.id) if row.approval_requested_at is not None else {}
    status = "signed" if row.signed_at is not None else ("pending" if row.approval_requested_at else "none")
    parties = {party: ({"name": ev.signer_name, "b_number": ev.signer_b_number, "at": ev.approved_at}
                       if (ev := events.get(party)) else None) for party in PARTIES}
    my_party = _party_of(session, row, user) if user is not None and status == "pending" else None
    return {"agreement_id": row.id, "version": row.version, "status": status, "parties": parties,
            "pdf_sha256": row.approval_pdf_sha256, "sealed_file_id": row.sealed_file_id,
            "can_approve": my_party is not None and parties[my_party] is None, "party": my_party,
            "title": item["title"]}


def _party_of(session: Session, row: Agreement, user: Any) -> str | None:
    """Return the party `user` signs for on agreement `row` ('sa' or 'customer'), or None."""
    user_id = getattr(user, "id", None)
    if not isinstance(user_id, int):
        return None
    if getattr(user, "is_sa", False):
        sa_row = session.scalar(select(SaSignatory).where(SaSignatory.agreement_kind == row.kind,
                                                          SaSignatory.user_id == user_id))
        return "sa" if sa_row is not None else None
    signatory = session.scalar(select(Signatory).where(Signatory.cvr == row.cvr, Signatory.agreement_kind == row.kind,
                                                       Signatory.user_id == user_id))
    return "customer" if signatory is not None else None


def pending_for(scope: AccessScope, user: Any) -> list[dict[str, Any]]:
    """Return the agreement versions awaiting `user`'s own approval (for Kundeaftaler and the start page)."""
    session = get_session()
    rows = session.scalars(select(Agreement).where(scope.clause(Agreement.cvr), Agreement.published_at.is_not(None),
                                                   Agreement.approval_requested_at.is_not(None),
                                                   Agreement.signed_at.is_(None))
                           .order_by(Agreement.cvr, Agreement.kind, Agreement.id))
    out = []
    for row in rows:
        party = _party_of(session, row, user)
        if party is not None and party not in _events(session, row.id):
            out.append({"agreement_id": row.id, "cvr": row.cvr, "key": KIND_KEYS[row.kind], "title": row.title,
                        "version": row.version})
    return out


# --- SA publishes for approval ----------------------------------------------------------------------


def request_approval(scope: AccessScope, cvr: str, user: Any, agreement_id: Any, version: Any) -> dict[str, Any]:
    """Publish a published version for approval (version-checked): fix its PDF, mail both signatories, announce."""
    require_action(user, Action.EDIT_CONTENT)
    with transaction() as session:
        row, item = _item(session, scope, cvr, agreement_id)
        if row.approval_requested_at is not None:
            raise ApprovalRefused("Versionen er allerede sendt til godkendelse.")
        signatory = session.scalar(select(Signatory).where(Signatory.cvr == cvr, Signatory.agreement_kind == row.kind,
                                                           Signatory.user_id.is_not(None)))
        sa_signatory = session.scalar(select(SaSignatory).where(SaSignatory.agreement_kind == row.kind))
        if signatory is None or sa_signatory is None:
            raise ApprovalRefused("Registrér først kundens og Statens Administrations tegningsberettigede for "
                                  f"{item['title'].lower()}.")
        now = _now().replace(microsecond=0)
        pdf_hash = sha256(_pdf(scope, item, now))
        done = session.execute(
            update(Agreement).where(Agreement.id == row.id, Agreement.row_version == version,
                                    Agreement.approval_requested_at.is_(None))
            .values(approval_requested_at=now, approval_pdf_sha256=pdf_hash, row_version=Agreement.row_version + 1,
                    updated_at=now, updated_by=_who(user))
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            raise ApprovalRefused("Aftalen er ændret samtidig af en anden bruger. Der er ikke gemt noget — "
                                  "genindlæs og prøv igen.")
        key = KIND_KEYS[row.kind]
        audit.record(session, user, "request_approval", "agreement", row.id, cvr, None,
                     {"version": row.version, "pdf_sha256": pdf_hash})
        path = f"/kundeaftaler?cvr={cvr}&tab={key}"
        announce(session, user, cvr, Topic.AGREEMENTS, f"{item['title']} version {row.version} afventer godkendelse",
                 path, summary="Aftalen er sendt til elektronisk godkendelse hos de tegningsberettigede.",
                 entity="agreement", entity_id=row.id)
        base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        for person in (signatory, sa_signatory):
            enqueue(session, person.email, f"Godkend {item['title'].lower()} version {row.version}",
                    f"Kære {person.name}\n\n{item['title']} version {row.version} for CVR {cvr} afventer din "
                    f"godkendelse i Kundeportalen.\n\nLog ind og vælg »Godkend aftalen« under Kundeaftaler:\n"
                    f"{base}{path}\n\nVenlig hilsen\nStatens Administration\n")
        return {"id": row.id, "version": row.version, "pdf_sha256": pdf_hash}


# --- approving ---------------------------------------------------------------------------------------


def event_hash(fields: Mapping[str, Any]) -> str:
    """Return the hash of one approval event: SHA-256 of its canonical JSON, which includes the previous hash."""
    return sha256(json.dumps(dict(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())


def _event_fields(ev: ApprovalEvent) -> dict[str, Any]:
    at = ev.approved_at if ev.approved_at.tzinfo else ev.approved_at.replace(tzinfo=dt.timezone.utc)
    return {"cvr": ev.cvr, "agreement_id": ev.agreement_id, "agreement_kind": ev.agreement_kind,
            "agreement_version": ev.agreement_version, "party": ev.party, "signer_user_id": ev.signer_user_id,
            "signer_name": ev.signer_name, "signer_b_number": ev.signer_b_number,
            "approved_at": at.astimezone(dt.timezone.utc).isoformat(), "client_address": ev.client_address,
            "user_agent": ev.user_agent, "pdf_sha256": ev.pdf_sha256, "prev_hash": ev.prev_hash}


def confirm_signer(session: Session, user: Any, password: Any, code: Any = None) -> User:
    """Return the signer's active account once they confirmed the approval; raise ValidationError if not.

    The one confirmation step of an approval: the password re-asked here, and the second factor's code
    (an app code or a recovery code) where the signer has one enrolled.
    """
    account = session.get(User, getattr(user, "id", None)) if isinstance(getattr(user, "id", None), int) else None
    if account is None or not account.is_active or not isinstance(password, str) \
            or not verify_password(account.password_hash, password):
        raise ValidationError({"password": "Adgangskoden er forkert."}, "Der er ikke godkendt noget.")
    if second_factor.is_enrolled(account):
        # Spent (and committed) at once, as at sign-in: a code counts once even if the approval then fails.
        if not isinstance(code, str) or second_factor.check_code(session, account, code) is None:
            raise ValidationError({"code": "Koden er forkert eller allerede brugt. Brug den nye kode fra din "
                                           "godkendelsesapp eller en gendannelseskode."},
                                  "Der er ikke godkendt noget.")
    return account


def signer_needs_code(user: Any) -> bool:
    """Tell whether approving as `user` asks for the second factor's code too (they have one enrolled)."""
    account = get_session().get(User, getattr(user, "id", None)) if isinstance(getattr(user, "id", None), int) else None
    return account is not None and second_factor.is_enrolled(account)


def approve(scope: AccessScope, cvr: str, user: Any, agreement_id: Any, shown_sha256: Any, password: Any, *,
            code: Any = None, client_address: str = "", user_agent: str = "") -> dict[str, Any]:
    """Record `user`'s approval of the version shown (PDF hash `shown_sha256`) after checking password and code."""
    with transaction() as session:
        row, item = _item(session, scope, cvr, agreement_id)
        party = _party_of(session, row, user)
        if party is None:
            # Wrong person, other CVR or other kind: the same refusal, whatever the payload said.
            raise AccessDenied("Du er ikke tegningsberettiget for denne aftale.")
        if row.signed_at is not None or row.approval_requested_at is None:
            raise ApprovalRefused("Aftalen afventer ikke godkendelse.")
        if party in _events(session, row.id):
            raise ApprovalRefused("Du har allerede godkendt denne version.")
        if not isinstance(shown_sha256, str) or shown_sha256 != row.approval_pdf_sha256 \
                or sha256(_pdf(scope, item, row.approval_requested_at)) != row.approval_pdf_sha256:
            raise ApprovalRefused("Aftalen er ændret, efter den blev vist. Der er ikke godkendt noget — "
                                  "genindlæs siden og læs den gældende version.")
        account = confirm_signer(session, user, password, code)
        with unscoped(session, "the approval chain spans every customer: its head is the newest event of all"):
            head = session.scalar(select(ApprovalEvent.event_hash).order_by(ApprovalEvent.id.desc()).limit(1))
        event = ApprovalEvent(cvr=cvr, agreement_id=row.id, agreement_kind=row.kind, agreement_version=row.version,
                              party=party, signer_user_id=account.id, signer_name=account.name,
                              signer_b_number=account.b_number or "", approved_at=_now(),
                              client_address=(client_address or "")[:45],
                              user_agent=(user_agent or "")[:MAX_USER_AGENT], pdf_sha256=row.approval_pdf_sha256,
                              prev_hash=head or GENESIS, event_hash="")
        event.event_hash = event_hash(_event_fields(event))
        session.add(event)
        try:
            session.flush()
        except IntegrityError as exc:
            # Another approval took the chain's head (or this party's place) first: nothing is written.
            raise ApprovalRefused("En anden godkendelse blev registreret samtidig. Prøv igen.") from exc
        audit.record(session, user, "approve", "agreement", row.id, cvr, None,
                     {"party": party, "version": row.version, "pdf_sha256": row.approval_pdf_sha256,
                      "event_hash": event.event_hash})
        events = _events(session, row.id)
        signed = all(p in events for p in PARTIES)
        if signed:
            _seal(session, scope, row, item, events)
        return {"id": event.id, "party": party, "signed": signed, "sealed": signed and not sealing_disabled(),
                "event_hash": event.event_hash}


def _signatures(events: Mapping[str, ApprovalEvent]) -> dict[str, Any]:
    sa_ev, customer_ev = events["sa"], events["customer"]
    return {"sa_signed_by": sa_ev.signer_name, "sa_signed_at": sa_ev.approved_at,
            "customer_signed_by": customer_ev.signer_name, "customer_signed_at": customer_ev.approved_at}


def _seal(session: Session, scope: AccessScope, row: Agreement, item: dict[str, Any],
          events: Mapping[str, ApprovalEvent]) -> None:
    """Make the version signed: the sealed PDF with both signatures and the document hash, stored and linked."""
    signed_at = max(ev.approved_at for ev in events.values())
    pdf = _pdf(scope, item, signed_at, _signatures(events), document_hash=row.approval_pdf_sha256)
    # Unsealed only where production was explicitly started without a certificate (config: SEALING_DISABLED).
    sealed = pdf if sealing_disabled() else seal.seal_pdf(pdf, seal.seal_key(current_app.config))
    key = KIND_KEYS[row.kind]
    stored = get_store().put(session, sealed, f"{agreements.AGREEMENT_TITLES[key]}_{row.cvr}_v{row.version}.pdf",
                             cvr=row.cvr, menu=Menu.KUNDEAFTALER.value, content_type="application/pdf")
    stored.sha256 = sha256(sealed)
    session.flush()
    done = session.execute(update(Agreement).where(Agreement.id == row.id, Agreement.signed_at.is_(None))
                           .values(signed_at=signed_at, sealed_file_id=stored.id, signed_electronically=True)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ApprovalRefused("Aftalen er allerede underskrevet.")
    audit.record(session, None, "sign", "agreement", row.id, row.cvr, None,
                 {"version": row.version, "sealed_file_id": stored.id, "sealed_sha256": stored.sha256,
                  "sealed": not sealing_disabled()})


def sealing_disabled() -> bool:
    """Tell whether this installation was explicitly configured to sign agreements without a seal."""
    return bool(current_app.config.get("SEALING_DISABLED"))


def _trusted_certificate() -> Any:
    """Return SA's seal certificate to trust, or None where sealing is explicitly off."""
    return None if sealing_disabled() else seal.signing_certificate(seal.seal_key(current_app.config))


# --- verification ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """The first broken link found: which event or file, and what is wrong (Danish)."""

    what: str
    reason: str


def verify_chain(session: Session) -> Broken | None:
    """Check every approval event's hash and link to the one before; return the first broken link, or None."""
    prev = GENESIS
    with unscoped(session, "verifying the approval chain across every customer"):
        for ev in session.scalars(select(ApprovalEvent).order_by(ApprovalEvent.id)
                                  .execution_options(populate_existing=True)):
            if ev.prev_hash != prev:
                return Broken(f"godkendelse {ev.id}", "peger ikke på den forrige godkendelse (slettet eller flyttet)")
            if event_hash(_event_fields(ev)) != ev.event_hash:
                return Broken(f"godkendelse {ev.id}", "er ændret efter den blev registreret")
            prev = ev.event_hash
    return None


def verify_sealed_files(session: Session) -> Broken | None:
    """Check every signed agreement's sealed PDF on file (seal intact and trusted, hash as stored)."""
    # Without a certificate (SEALING_DISABLED) only the stored hashes are checked.
    cert = _trusted_certificate()
    with unscoped(session, "verifying every sealed agreement on file"):
        rows = session.execute(select(Agreement.id, StoredFile).join(StoredFile, StoredFile.id == Agreement.sealed_file_id)
                               .order_by(Agreement.id)).all()
        for agreement_id, stored in rows:
            try:
                content = get_store().path_of(stored).read_bytes()
            except Exception:  # noqa: BLE001 - a missing file is a broken link like any other
                return Broken(f"aftale {agreement_id}", "den forseglede PDF mangler")
            if sha256(content) != stored.sha256:
                return Broken(f"aftale {agreement_id}", "den forseglede PDF er ændret")
            if cert is not None and not seal.check_seal(content, cert).ok:
                return Broken(f"aftale {agreement_id}", "seglet er brudt")
    return None


def identify(scope: AccessScope, user: Any, content: bytes) -> dict[str, Any]:
    """Tell SA whether `content` is a sealed agreement of this portal: seal, version, signers and times."""
    require_action(user, Action.EDIT_CONTENT)
    cert = _trusted_certificate()
    check = seal.check_seal(content, cert) if cert is not None else seal.SealCheck(False, False, False, False)
    digest = sha256(content)
    session = get_session()
    found = session.execute(select(Agreement, StoredFile).join(StoredFile, StoredFile.id == Agreement.sealed_file_id)
                            .where(scope.clause(Agreement.cvr), StoredFile.sha256 == digest)).first()
    result: dict[str, Any] = {"sealed": check.sealed, "intact": check.ok, "known": found is not None}
    if found is not None:
        row = found[0]
        events = _events(session, row.id)
        result.update({"cvr": row.cvr, "title": row.title, "version": row.version,
                       "signers": [{"party": p, "name": events[p].signer_name, "b_number": events[p].signer_b_number,
                                    "at": events[p].approved_at} for p in PARTIES if p in events]})
    return result
