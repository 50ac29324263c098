"""Administrator onboarding (issue 11): a customer asks for its one administrator, SA approves, the
applicant fills in the online form, SA creates the account.

The states of an `AdminApplication`::

    unconfirmed --(e-mail link)--> awaiting --(SA approves)--> approved --(form sent)--> submitted
        --(SA creates the account)--> created;   awaiting / approved / submitted --(SA rejects)--> rejected

Links carry a token "<application id>.<secret>"; only the SHA-256 of the whole token is stored, so a
token of another application, an altered one, an expired one or a used one matches nothing usable.
Every state change is a conditional UPDATE on the row's state and version: of two simultaneous
decisions exactly one wins, and a decision taken on a page shown before another one is refused.
Mails carrying a link are sent by the caller after the commit (their text is not stored); the
rejection, which carries no secret, is queued in the same transaction. Every step is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from stdnum.dk import cvr as stdnum_cvr

from core.access import require_action
from core.formatting import da_date
from core.passwords import hash_password
from core.rights import Action, Right, ordered_rights
from data import audit, validators
from data.customers import ministry_id, who
from data.db import get_session, transaction
from data.errors import Refused, ValidationError
from data.mail import enqueue
from data.models import AdminApplication, Customer, Grant, Ministry, User, normalise_email, utcnow
from data.scoping import unscoped
from data.team import support_email

ENTITY = "admin_application"
USER_ENTITY = "user"  # the account's audit rows, as Brugeradministration writes them

CONFIRM_MAX_AGE = dt.timedelta(hours=24)
FORM_MAX_AGE = dt.timedelta(days=14)
MAX_CVRS = 20
MAX_LENGTHS = {"institution": 200, "cvr": 8, "name": 200, "email": 254, "phone": 20, "reason": 2000,
               "cvrs": 400}
LABELS = {"institution": "Institution", "cvr": "CVR-nummer", "name": "Navn", "email": "E-mailadresse",
          "phone": "Telefon", "reason": "Begrundelse", "cvrs": "CVR-numre", "ministry": "Ministerområde"}

UNCONFIRMED, AWAITING, APPROVED, SUBMITTED, CREATED, REJECTED = (
    "unconfirmed", "awaiting", "approved", "submitted", "created", "rejected")
REJECTABLE = (AWAITING, APPROVED, SUBMITTED)
STATE_LABELS = {
    UNCONFIRMED: "Afventer bekræftelse af e-mail",
    AWAITING: "Afventer godkendelse",
    APPROVED: "Godkendt – afventer formular",
    SUBMITTED: "Formular udfyldt – afventer oprettelse",
    CREATED: "Administrator oprettet",
    REJECTED: "Afvist",
}

_TOKEN = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{20,100})$")
_CVR_SPLIT = re.compile(r"[\s,;]+")

CHANGED_MEANWHILE = ("Ansøgningen er ændret samtidig af en anden. Der er ikke gemt noget — genindlæs siden, "
                     "og prøv igen.")


class LinkRefused(Refused):
    """A link that cannot be used: `kind` is 'invalid', 'expired' or 'used'."""

    def __init__(self, kind: str):
        super().__init__(LINK_MESSAGES[kind])
        self.kind = kind


LINK_MESSAGES = {
    "invalid": "Linket er ugyldigt. Kontrollér, at du har brugt hele linket fra e-mailen.",
    "expired": "Linket er udløbet. Ansøg igen, eller kontakt Statens Administration for et nyt link.",
    "used": "Linket er allerede brugt. Et link kan kun bruges én gang.",
}


class ApplicationConflict(Refused):
    """Someone decided on the application after the page showed it; nothing was written."""

    def __init__(self) -> None:
        super().__init__(CHANGED_MEANWHILE)


class AdministratorExists(Refused):
    """A CVR of the form already has an administrator: SA must choose to replace them (or reject)."""


@dataclass(frozen=True)
class Applicant:
    """Who the audit log names for a step taken on the public pages (no signed-in user)."""

    name: str
    email: str
    id: None = None


# --- tokens ---------------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a link's token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token(application_id: int) -> str:
    return f"{application_id}.{secrets.token_urlsafe(32)}"


def _by_token(session: Session, token: Any, column: Any) -> AdminApplication:
    """Return the application whose stored hash in `column` matches `token`; raise LinkRefused('invalid')."""
    match = _TOKEN.match(token) if isinstance(token, str) else None
    if match is None:
        raise LinkRefused("invalid")
    row = session.get(AdminApplication, int(match.group(1)))
    stored = getattr(row, column.key) if row is not None else None
    # The id only finds the row; the whole token must hash to what that row stored.
    if not stored or not hmac.compare_digest(stored, hash_token(token)):
        raise LinkRefused("invalid")
    return row


def _not_expired(expires_at: dt.datetime | None) -> None:
    if expires_at is None or expires_at <= utcnow():
        raise LinkRefused("expired")


# --- validation -----------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str, errors: dict[str, str], *, required: bool = True,
          multiline: bool = False) -> str:
    value = validators.text_field(raw, key, errors, label=LABELS[key], max_length=MAX_LENGTHS[key],
                                  clean=validators.trimmed if multiline else validators.collapsed,
                                  multiline=multiline)
    if required and not value and key not in errors:
        errors[key] = validators.required_message(LABELS[key])
    return value


def _email(raw: Mapping[str, Any], errors: dict[str, str]) -> str:
    value = _text(raw, "email", errors)
    return validators.email_field(value, "email", errors, invalid="Skriv en gyldig e-mailadresse.",
                                  too_long=validators.too_long_message(LABELS["email"], MAX_LENGTHS["email"]),
                                  max_length=MAX_LENGTHS["email"])


def cvr_error(cvr: str) -> str | None:
    """Return the Danish message for a malformed CVR number (8 digits, modulus-11 check), or None."""
    if not re.fullmatch(r"[0-9]{8}", cvr):
        return f"CVR-nummeret »{cvr[:20]}« skal bestå af 8 cifre."
    if not stdnum_cvr.is_valid(cvr):
        return f"CVR-nummeret {cvr} er ikke gyldigt (kontrolcifferet passer ikke). Tjek nummeret."
    return None


def validate_request(raw: Mapping[str, Any]) -> dict[str, str]:
    """Return the public request's cleaned fields; raise ValidationError with a Danish message per field."""
    errors: dict[str, str] = {}
    data = {"institution": _text(raw, "institution", errors), "name": _text(raw, "name", errors),
            "email": _email(raw, errors)}
    cvr = _text(raw, "cvr", errors).replace(" ", "")
    if cvr and "cvr" not in errors and (message := cvr_error(cvr)):
        errors["cvr"] = message
    data["cvr"] = cvr
    if errors:
        raise ValidationError(errors)
    return data


def _form_cvrs(session: Session, raw: Any, errors: dict[str, str]) -> list[str]:
    if isinstance(raw, (list, tuple)):
        parts = [p for p in raw if isinstance(p, str)]
        if len(parts) != len(raw):
            errors["cvrs"] = validators.INVALID_VALUE
            return []
    elif isinstance(raw, str):
        if len(raw) > MAX_LENGTHS["cvrs"]:
            errors["cvrs"] = validators.too_long_message(LABELS["cvrs"], MAX_LENGTHS["cvrs"])
            return []
        parts = _CVR_SPLIT.split(raw)
    else:
        parts = []
    cvrs = list(dict.fromkeys(p.strip() for p in parts if p.strip()))
    if not cvrs:
        errors["cvrs"] = "Skriv mindst ét CVR-nummer."
        return []
    if len(cvrs) > MAX_CVRS:
        errors["cvrs"] = f"Skriv højst {MAX_CVRS} CVR-numre."
        return []
    for cvr in cvrs:
        if message := cvr_error(cvr):
            errors["cvrs"] = message
            return []
    with unscoped(session, "onboarding form: each CVR must be a customer of SA"):
        known = set(session.scalars(select(Customer.cvr).where(Customer.cvr.in_(cvrs))))
    unknown = [c for c in cvrs if c not in known]
    if unknown:
        errors["cvrs"] = (f"CVR-nummeret {', '.join(unknown)} er ikke kunde hos Statens Administration. "
                          "Kontakt Statens Administration, hvis det er en fejl.")
        return []
    return cvrs


def validate_form(session: Session, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the online form's cleaned fields; raise ValidationError with a Danish message per field."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "ministry_id": ministry_id(session, raw.get("ministry"), "ministry", errors),
        "cvrs": _form_cvrs(session, raw.get("cvrs"), errors),
        "name": _text(raw, "name", errors),
        "email": _email(raw, errors),
    }
    phone = _text(raw, "phone", errors)
    data["phone"] = validators.phone_field(phone, "phone", errors)
    if not phone and "phone" not in errors:
        errors["phone"] = validators.required_message(LABELS["phone"])
    if errors:
        raise ValidationError(errors)
    return data


# --- the public steps -----------------------------------------------------------------------------


def _snapshot(row: AdminApplication) -> dict[str, Any]:
    """Return what the audit log keeps of an application (never a token hash)."""
    return {"state": row.state, "institution": row.institution, "cvr": row.requested_cvr,
            "name": row.applicant_name, "email": row.applicant_email, "reason": row.reason or "",
            "form_cvrs": list(row.form_cvrs or []), "form_name": row.form_name or "",
            "form_email": row.form_email or "", "form_phone": row.form_phone or "",
            "form_ministry_id": row.form_ministry_id, "user_id": row.user_id}


def request_access(data: Mapping[str, str], client_address: str | None) -> str:
    """Store a validated request as unconfirmed (commits, audited) and return its confirmation token."""
    now = utcnow()
    with transaction() as session:
        row = AdminApplication(state=UNCONFIRMED, created_at=now, client_address=(client_address or "")[:45],
                               institution=data["institution"], requested_cvr=data["cvr"],
                               applicant_name=data["name"], applicant_email=data["email"])
        session.add(row)
        session.flush()
        token = _new_token(row.id)
        row.confirm_token_hash = hash_token(token)
        row.confirm_expires_at = now + CONFIRM_MAX_AGE
        audit.record(session, Applicant(data["name"], data["email"]), "request", ENTITY, row.id, None, None,
                     _snapshot(row))
    return token


def confirmation(token: Any) -> dict[str, Any]:
    """Return the request a confirmation link is for; raise LinkRefused (invalid, expired or used)."""
    row = _by_token(get_session(), token, AdminApplication.confirm_token_hash)
    if row.state != UNCONFIRMED:
        raise LinkRefused("used")
    _not_expired(row.confirm_expires_at)
    return {"id": row.id, "institution": row.institution, "cvr": row.requested_cvr, "name": row.applicant_name}


def confirm_email(token: Any) -> dict[str, Any]:
    """Confirm the applicant's address: the request reaches SA (commits, audited); raise LinkRefused."""
    shown = confirmation(token)
    now = utcnow()
    with transaction() as session:
        claimed = session.execute(
            update(AdminApplication)
            .where(AdminApplication.id == shown["id"], AdminApplication.state == UNCONFIRMED)
            .values(state=AWAITING, confirmed_at=now, updated_at=now, version=AdminApplication.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise LinkRefused("used")
        row = session.get(AdminApplication, shown["id"], populate_existing=True)
        audit.record(session, Applicant(row.applicant_name, row.applicant_email), "confirm_email", ENTITY, row.id,
                     None, {"state": UNCONFIRMED}, {"state": AWAITING})
    return shown


def form_application(token: Any) -> dict[str, Any]:
    """Return the application an online-form link is for; raise LinkRefused (invalid, expired or used)."""
    row = _by_token(get_session(), token, AdminApplication.form_token_hash)
    if row.form_used_at is not None or row.state != APPROVED:
        raise LinkRefused("used")
    _not_expired(row.form_expires_at)
    return {"id": row.id, "institution": row.institution, "cvr": row.requested_cvr, "name": row.applicant_name,
            "email": row.applicant_email}


def ministry_options() -> list[dict[str, Any]]:
    """Return the ministerområder of the online form's drop-down (id, label) in number order."""
    rows = get_session().scalars(select(Ministry).order_by(Ministry.number, Ministry.id))
    return [{"id": m.id, "label": m.label} for m in rows]


def submit_form(token: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Store the online form through a valid link, using the link up (commits, audited); raise LinkRefused / ValidationError."""
    shown = form_application(token)
    session = get_session()
    data = validate_form(session, raw)
    now = utcnow()
    with transaction() as session:
        # Claimed with a conditional UPDATE, so two simultaneous posts of one link cannot both succeed.
        claimed = session.execute(
            update(AdminApplication)
            .where(AdminApplication.id == shown["id"], AdminApplication.state == APPROVED,
                   AdminApplication.form_used_at.is_(None))
            .values(state=SUBMITTED, form_used_at=now, submitted_at=now, updated_at=now,
                    form_ministry_id=data["ministry_id"], form_cvrs=data["cvrs"], form_name=data["name"],
                    form_email=data["email"], form_phone=data["phone"], version=AdminApplication.version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise LinkRefused("used")
        row = session.get(AdminApplication, shown["id"], populate_existing=True)
        audit.record(session, Applicant(row.applicant_name, row.applicant_email), "submit_form", ENTITY, row.id,
                     None, {"state": APPROVED}, _snapshot(row))
    return {**shown, "cvrs": data["cvrs"]}


# --- SA's Ansøgninger -----------------------------------------------------------------------------


def administrators_of(session: Session, cvrs: Iterable[str]) -> dict[str, list[str]]:
    """Return, per CVR, the active users holding the Administrator right there ('Navn (e-mail)')."""
    cvrs = sorted(set(cvrs))
    if not cvrs:
        return {}
    rows = session.execute(
        select(Grant.cvr, Grant.rights, User.name, User.email)
        .join(User, User.id == Grant.user_id)
        .where(Grant.cvr.in_(cvrs), User.is_active.is_(True))
        .order_by(User.name)
    )
    found: dict[str, list[str]] = {}
    for r in rows:
        if Right.ADMINISTRATOR.value in (r.rights or []):
            found.setdefault(r.cvr, []).append(f"{r.name} ({r.email})")
    return found


def _view(row: AdminApplication, admins: Mapping[str, list[str]], customers: Mapping[str, str],
          ministries: Mapping[int, str]) -> dict[str, Any]:
    cvrs = list(row.form_cvrs or [])
    return {
        "id": row.id, "version": row.version, "state": row.state, "state_label": STATE_LABELS[row.state],
        "created_at": row.created_at, "institution": row.institution, "cvr": row.requested_cvr,
        "customer": customers.get(row.requested_cvr), "name": row.applicant_name, "email": row.applicant_email,
        "reason": row.reason or "", "decided_by": row.decided_by or "", "decided_at": row.decided_at,
        "form_cvrs": cvrs, "form_customers": {c: customers.get(c, "") for c in cvrs},
        "form_ministry": ministries.get(row.form_ministry_id or 0, ""), "form_name": row.form_name or "",
        "form_email": row.form_email or "", "form_phone": row.form_phone or "",
        # The guide allows one administrator per customer: SA sees who already has it.
        "administrators": {c: admins[c] for c in dict.fromkeys([row.requested_cvr, *cvrs]) if c in admins},
    }


def _views(session: Session, rows: list[AdminApplication]) -> list[dict[str, Any]]:
    cvrs = {r.requested_cvr for r in rows} | {c for r in rows for c in (r.form_cvrs or [])}
    admins = administrators_of(session, cvrs)
    customers = dict(session.execute(select(Customer.cvr, Customer.name).where(Customer.cvr.in_(sorted(cvrs)))).all())
    ministries = {m.id: m.label for m in session.scalars(select(Ministry))}
    return [_view(r, admins, customers, ministries) for r in rows]


def list_applications(actor: Any) -> list[dict[str, Any]]:
    """Return every confirmed application, newest first, for SA's system administrator."""
    require_action(actor, Action.APPROVE_ADMINISTRATORS)
    session = get_session()
    rows = list(session.scalars(select(AdminApplication).where(AdminApplication.state != UNCONFIRMED)
                                .order_by(AdminApplication.created_at.desc(), AdminApplication.id.desc())))
    return _views(session, rows)


def get_application(actor: Any, application_id: Any) -> dict[str, Any] | None:
    """Return one confirmed application for SA's system administrator, or None."""
    require_action(actor, Action.APPROVE_ADMINISTRATORS)
    if not validators.valid_id(application_id):
        return None
    session = get_session()
    row = session.get(AdminApplication, application_id, populate_existing=True)
    if row is None or row.state == UNCONFIRMED:
        return None
    return _views(session, [row])[0]


def _claim(session: Session, application_id: Any, version: Any, states: Iterable[str], **values: Any) -> AdminApplication:
    """Move the application on from one of `states` at `version`; raise ApplicationConflict when another came first."""
    if not validators.valid_id(application_id) or not validators.valid_id(version):
        raise ApplicationConflict()
    claimed = session.execute(
        update(AdminApplication)
        .where(AdminApplication.id == application_id, AdminApplication.version == version,
               AdminApplication.state.in_(list(states)))
        .values(version=version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise ApplicationConflict()
    return session.get(AdminApplication, application_id, populate_existing=True)


def approve(actor: Any, application_id: Any, version: Any) -> dict[str, Any]:
    """Approve an awaiting request, or send an approved one a new form link (commits, audited); return what to mail.

    A new link replaces the earlier one (an expired or lost link): only the newest link's hash is kept.
    """
    require_action(actor, Action.APPROVE_ADMINISTRATORS)
    now = utcnow()
    token = _new_token(application_id) if validators.valid_id(application_id) else ""
    with transaction() as session:
        before = session.get(AdminApplication, application_id) if token else None
        old_state = before.state if before is not None else None
        row = _claim(session, application_id, version, [AWAITING, APPROVED], state=APPROVED, decided_at=now,
                     decided_by=who(actor), form_token_hash=hash_token(token), form_expires_at=now + FORM_MAX_AGE)
        audit.record(session, actor, "approve" if old_state == AWAITING else "new_form_link", ENTITY, row.id, None,
                     {"state": old_state}, {"state": APPROVED, "form_expires_at": row.form_expires_at})
        result = {"id": row.id, "name": row.applicant_name, "email": row.applicant_email,
                  "institution": row.institution, "token": token, "expires_at": row.form_expires_at,
                  "new_link": old_state == APPROVED}
    return result


def validate_reason(raw: Mapping[str, Any]) -> str:
    """Return the rejection's reason; raise ValidationError when it is empty or malformed."""
    errors: dict[str, str] = {}
    reason = _text(raw, "reason", errors, multiline=True)
    if errors:
        raise ValidationError(errors)
    return reason


def reject(actor: Any, application_id: Any, version: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Reject an application not yet decided for good, with a reason mailed to the applicant (commits, audited)."""
    require_action(actor, Action.APPROVE_ADMINISTRATORS)
    reason = validate_reason(raw)
    with transaction() as session:
        before = session.get(AdminApplication, application_id) if validators.valid_id(application_id) else None
        old_state = before.state if before is not None else None
        # An approved application's form link stops working with it (its hash is forgotten).
        row = _claim(session, application_id, version, REJECTABLE, state=REJECTED, reason=reason,
                     decided_at=utcnow(), decided_by=who(actor), form_token_hash=None)
        audit.record(session, actor, "reject", ENTITY, row.id, None, {"state": old_state},
                     {"state": REJECTED, "reason": reason})
        # No secret in it: the mail queue keeps it and retries until it is delivered.
        enqueue(session, row.applicant_email, *rejection_mail(row.applicant_name, row.institution, reason))
        result = {"id": row.id, "name": row.applicant_name, "email": row.applicant_email}
    return result


def create_account(actor: Any, application_id: Any, version: Any, *, replace: bool) -> dict[str, Any]:
    """Create the administrator of a submitted form with Administrator on its CVRs (commits, audited).

    Raises AdministratorExists when a CVR has an administrator and `replace` is false: SA chooses
    explicitly. With `replace`, the earlier administrators lose the Administrator right on those CVRs
    (their other rights stay). Returns the account (`new`: a new user, who gets a set-password link).
    """
    require_action(actor, Action.APPROVE_ADMINISTRATORS)
    session = get_session()
    shown = session.get(AdminApplication, application_id) if validators.valid_id(application_id) else None
    if shown is None or shown.state != SUBMITTED or shown.version != version:
        raise ApplicationConflict()
    cvrs = list(shown.form_cvrs or [])
    with transaction() as session:
        row = _claim(session, application_id, version, [SUBMITTED], state=CREATED, decided_by=who(actor),
                     decided_at=utcnow(), account_created_at=utcnow())
        email = normalise_email(row.form_email)
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and user.is_sa:
            raise Refused("E-mailadressen tilhører en medarbejder i Statens Administration. Afvis ansøgningen, "
                          "eller bed om en anden administrator.")
        own = f"{user.name} ({user.email})" if user is not None else None
        existing = {c: others for c, names in administrators_of(session, cvrs).items()
                    if (others := [n for n in names if n != own])}
        if existing and not replace:
            raise AdministratorExists(existing_message(existing))
        new = user is None
        if new:
            # No password is ever mailed: the account gets an unusable one until the link sets one.
            user = User(email=email, name=row.form_name, password_hash=hash_password(secrets.token_urlsafe(32)),
                        must_change_password=False, is_active=True, is_sa_staff=False, is_sa_admin=False)
            session.add(user)
            session.flush()
        elif not user.is_active:
            user.is_active = True
        if existing:
            _take_administrator_away(session, actor, cvrs, keep_user_id=user.id)
        grants = {g.cvr: g for g in session.scalars(select(Grant).where(Grant.user_id == user.id,
                                                                         Grant.cvr.in_(cvrs)))}
        person = {"name": user.name, "email": user.email, "b_number": user.b_number or "", "active": True}
        for cvr in cvrs:
            grant = grants.get(cvr)
            before = list(grant.rights or []) if grant is not None else None
            if grant is None:
                session.add(Grant(user_id=user.id, cvr=cvr, rights=[Right.ADMINISTRATOR.value]))
                after = [Right.ADMINISTRATOR.value]
            else:
                grant.rights = ordered_rights({*(grant.rights or []), Right.ADMINISTRATOR.value})
                after = grant.rights
            audit.record(session, actor, "create" if new else "grant", USER_ENTITY, user.id, cvr,
                         None if before is None else {**person, "rights": ordered_rights(before)},
                         {**person, "rights": ordered_rights(after)})
        if not new:
            # Forms on this user opened in Brugeradministration before now are stale.
            user.version = (user.version or 0) + 1
        session.flush()
        row.user_id = user.id
        audit.record(session, actor, "create_account", ENTITY, row.id, None, {"state": SUBMITTED},
                     {"state": CREATED, "user_id": user.id, "cvrs": cvrs, "replaced": sorted(existing)})
        customers = dict(session.execute(select(Customer.cvr, Customer.name).where(Customer.cvr.in_(cvrs))).all())
        result = {"id": row.id, "user_id": user.id, "name": user.name, "email": user.email, "new": new,
                  "customers": [f"{customers.get(c, '')} (CVR {c})" for c in cvrs]}
    return result


def _take_administrator_away(session: Session, actor: Any, cvrs: list[str], keep_user_id: int) -> None:
    """Remove the Administrator right of every other user on `cvrs` (audited); an empty grant is deleted."""
    grants = session.scalars(select(Grant).where(Grant.cvr.in_(cvrs), Grant.user_id != keep_user_id))
    for grant in list(grants):
        if Right.ADMINISTRATOR.value not in (grant.rights or []):
            continue
        user = session.get(User, grant.user_id)
        person = {"name": user.name, "email": user.email, "b_number": user.b_number or "", "active": user.is_active}
        before = ordered_rights(grant.rights or [])
        after = [r for r in before if r != Right.ADMINISTRATOR.value]
        if after:
            grant.rights = after
        else:
            session.delete(grant)
        user.version = (user.version or 0) + 1
        audit.record(session, actor, "replace_administrator", USER_ENTITY, user.id, grant.cvr,
                     {**person, "rights": before}, {**person, "rights": after})


def existing_message(existing: Mapping[str, list[str]]) -> str:
    """Return the Danish refusal naming the CVRs that already have an administrator."""
    parts = "; ".join(f"CVR {cvr}: {', '.join(names)}" for cvr, names in sorted(existing.items()))
    return (f"Kunden har allerede en administrator ({parts}). Der gives én administratoradgang pr. kunde: "
            "vælg »Erstat administrator«, hvis den nye skal overtage, eller afvis ansøgningen.")


# --- mails ----------------------------------------------------------------------------------------

_SIGNATURE = "\nVenlig hilsen\nStatens Administration\n"


def confirmation_mail(name: str, institution: str, cvr: str, link: str) -> tuple[str, str]:
    """Return the subject and body of the mail asking the applicant to confirm the address."""
    body = (f"Hej {name}\n\nVi har modtaget en ansøgning om administratoradgang til Kundeportalen for "
            f"{institution} (CVR {cvr}).\n\nBekræft din e-mailadresse ved at åbne dette link:\n{link}\n\n"
            "Linket virker i 24 timer og kan kun bruges én gang. Først når du har bekræftet adressen, "
            "sendes ansøgningen til Statens Administration.\n\n"
            "Har du ikke selv ansøgt, kan du se bort fra denne e-mail.\n" + _SIGNATURE)
    return "Bekræft din ansøgning om administratoradgang til Kundeportalen", body


def approval_mail(name: str, institution: str, link: str, expires_at: dt.datetime) -> tuple[str, str]:
    """Return the subject and body of the mail with the single-use link to the online form."""
    body = (f"Hej {name}\n\nStatens Administration har godkendt ansøgningen om administratoradgang til "
            f"Kundeportalen for {institution}.\n\nUdfyld onlineformularen med ministerområde, CVR-nummer "
            "(der kan angives flere), navn, e-mail og telefonnummer på administrator:\n"
            f"{link}\n\nLinket virker til og med {da_date(expires_at.date())} (14 dage) og kan kun bruges én gang.\n"
            + _SIGNATURE)
    return "Din ansøgning om administratoradgang er godkendt", body


def rejection_mail(name: str, institution: str, reason: str) -> tuple[str, str]:
    """Return the subject and body of the mail telling the applicant that the request was rejected, and why."""
    body = (f"Hej {name}\n\nStatens Administration har afvist ansøgningen om administratoradgang til "
            f"Kundeportalen for {institution}.\n\nBegrundelse:\n{reason}\n\n"
            f"Har du spørgsmål, så skriv til {support_email()}.\n" + _SIGNATURE)
    return "Din ansøgning om administratoradgang er afvist", body


def welcome_mail(name: str, email: str, customers: list[str], *, link: str | None, login_url: str,
                 valid_days: int) -> tuple[str, str]:
    """Return the subject and body of the new administrator's mail: a set-password link, never a password."""
    lines = [f"Hej {name}", "", "Du er oprettet som administrator i Statens Administrations kundeportal for:",
             *[f"- {c}" for c in customers], "", f"Brugernavn: {email}", ""]
    if link:
        lines += ["Vælg din adgangskode ved at åbne dette link:", link, "",
                  f"Linket virker i {valid_days} dage og kan kun bruges én gang. Får du brug for et nyt, så brug "
                  "»Har du glemt din adgangskode?« på siden, hvor du logger ind.", ""]
    lines += [f"Log ind på {login_url}", _SIGNATURE]
    return "Velkommen som administrator i Kundeportalen", "\n".join(lines)
