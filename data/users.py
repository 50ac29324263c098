"""Scoped user administration (Brugeradministration): users, their grants and their rights.

A customer's local administrator maintains users on the CVRs they hold Administrator on; SA staff on
every CVR. Every function takes the acting principal and derives the administered CVRs from the rights
table (`menu_scope(actor, Menu.BRUGERADMINISTRATION)`), then filters every read and write of grants by
that scope in SQL. A user's grants on other CVRs are never read into a result, an audit row or a mail,
so a forged user id, CVR or rettighedsgruppe finds or changes nothing outside the actor's customers.
Only an SA system administrator gives or takes the Administrator right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from flask import current_app
from sqlalchemy import delete, func, not_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm import Session

from core.access import AccessDenied, AccessScope, can_do, menu_scope, rights_grantable_by, valid_cvr_format
from core.passwords import generate_password, hash_password
from core.rights import FORM_ORDER, Action, Menu, Right, ordered_rights, rights_needing_b_number, rights_text
from data import audit, mitid, validators
from data.db import get_session, transaction
from data.errors import Refused, ValidationError
from data.mail import MailError, send_mail
from data.mail_texts import grant_mail, login_link, welcome_mail
from data.models import Customer, Grant, User, normalise_email
from data.scoping import unscoped
from data.team import support_email
from data.validators import valid_id

ENTITY = "user"

# The order rights are offered in the form (the guide's order); the rights vocabulary keeps it.
FORM_RIGHTS: tuple[Right, ...] = FORM_ORDER

MAX_LENGTHS = {"name": 200, "email": 254, "b_number": 20}
FIELD_LABELS = {"name": "Fulde navn", "email": "E-mailadresse", "b_number": "B-nummer"}
MAX_GROUPS = 50
# ASCII digits only: `\d` would accept other scripts' digits too.
B_NUMBER_PATTERN = re.compile(r"^B[0-9]{1,19}$")

ADMIN_ONLY_SA = "Kun Statens Administration kan tildele eller fjerne rettigheden Administrator."


class UserAdminError(Refused):
    """A user-administration write that was refused; `message` is Danish and safe to show."""


class UserValidationError(ValidationError, UserAdminError):
    """Fields are invalid: `errors` maps a field to a message, `group_errors` a group index to its messages."""

    def __init__(self, errors: dict[str, str], group_errors: dict[int, dict[str, str]] | None = None,
                 message: str = "Brugeren er ikke gemt. Ret de markerede felter."):
        super().__init__(errors, message)
        self.group_errors = group_errors or {}


class UserConflict(UserAdminError):
    """Someone else saved the user after the form was opened; nothing was written."""

    def __init__(self) -> None:
        super().__init__("Brugeren er ændret af en anden, siden du åbnede formularen. Luk formularen, og åbn "
                         "brugeren igen for at se ændringerne.")


class UserNotFound(UserAdminError):
    """The user holds no grant on the CVR in context (or on any CVR the actor administers)."""

    def __init__(self) -> None:
        super().__init__("Brugeren findes ikke (længere) på dette CVR-nummer. Genindlæs siden.")


@dataclass(frozen=True)
class GroupInput:
    """One validated rettighedsgruppe: a CVR and the rights on it."""

    cvr: str
    rights: frozenset[Right]


@dataclass(frozen=True)
class UserInput:
    """Validated, normalised form values."""

    name: str
    email: str
    b_number: str | None
    groups: tuple[GroupInput, ...]


CHANGED_MEANWHILE = "Brugeren blev ændret samtidig af en anden. Genindlæs siden og prøv igen."
# Said without naming anyone: the administrator learns only that the address is taken, not by whom or where.
# The one answer a customer administrator gets for every address that cannot be attached (SA staff,
# a user of other customers only, a user without access): which of these it is would tell them who
# holds an account where.
CANNOT_ATTACH = ("E-mailadressen kan ikke tilføjes her, da den ikke er oprettet hos jeres CVR-numre. "
                 "Skriv til Statens Administration ({mailbox}), hvis personen skal have adgang hos jer.")
KNOWN_ELSEWHERE = CANNOT_ATTACH
B_NUMBER_KEPT = ("B-nummeret er ikke ændret: brugeren findes allerede, og B-nummeret på en eksisterende bruger "
                 "ændres af Statens Administration ({mailbox}).")


@dataclass(frozen=True)
class SaveResult:
    """What a create or update did, for the page's status message."""

    user_id: int
    name: str
    created: bool
    mail_sent: bool | None
    warnings: tuple[str, ...] = ()
    changed: bool = True  # False: an existing user already held every right asked for


# --- scope and choices ----------------------------------------------------------------------------


def admin_scope(actor: Any) -> AccessScope:
    """Return the CVRs `actor` administers users on (SA staff: every CVR; nobody else: none)."""
    return menu_scope(actor, Menu.BRUGERADMINISTRATION)


def grantable_rights(actor: Any) -> frozenset[Right]:
    """Return the rights `actor` may give: Læser, Rediger, Rapporter; Administrator only for SA system admins."""
    return rights_grantable_by(actor)


def _require_admin_of(actor: Any, cvr: Any) -> AccessScope:
    """Return the actor's admin scope; raise AccessDenied unless `cvr` lies in it."""
    scope = admin_scope(actor)
    if not valid_cvr_format(cvr) or not scope.allows(cvr):
        raise AccessDenied()
    return scope


def customer_choices(actor: Any, cvr: str) -> list[dict[str, str]]:
    """Return the customers `actor` may grant rights on (cvr, name), page CVR first; raise AccessDenied."""
    scope = _require_admin_of(actor, cvr)
    rows = get_session().execute(
        select(Customer.cvr, Customer.name).where(scope.clause(Customer.cvr)).order_by(Customer.name, Customer.cvr)
    ).all()
    choices = [{"cvr": r.cvr, "name": r.name} for r in rows]
    return sorted(choices, key=lambda c: c["cvr"] != cvr)


# --- reads ----------------------------------------------------------------------------------------


def list_users(actor: Any, cvr: str) -> list[dict[str, Any]]:
    """Return the users holding a grant on `cvr` with their rights on it; raise AccessDenied unless administered."""
    scope = _require_admin_of(actor, cvr)
    stmt = (
        select(User, Grant)
        .join(Grant, Grant.user_id == User.id)
        .where(Grant.cvr == cvr, scope.clause(Grant.cvr))
        .order_by(func.lower(User.name), User.id)
    )
    rows = get_session().execute(stmt).all()
    # The MitID Erhverv identities linked on this CVR (issue 13): the administrator sees who signs in with MitID.
    linked = mitid.links_for_users(AccessScope.single(cvr), [user.id for user, _grant in rows])
    return [
        {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "b_number": user.b_number or "",
            "rights": ordered_rights(grant.rights or []),
            "active": bool(user.is_active),
            "created_at": user.created_at,
            "is_sa": user.is_sa,
            "mitid_linked_at": linked.get(user.id),
        }
        for user, grant in rows
    ]


def _load_user(session: Session, scope: AccessScope, cvr: str, user_id: Any) -> User | None:
    """Return the user only when they hold a grant on `cvr` inside `scope` (checked in SQL)."""
    if not valid_id(user_id):
        return None
    stmt = (
        select(User)
        .join(Grant, Grant.user_id == User.id)
        .where(User.id == user_id, Grant.cvr == cvr, scope.clause(Grant.cvr))
        .execution_options(populate_existing=True)
    )
    return session.scalar(stmt)


def _require_user(session: Session, scope: AccessScope, cvr: str, user_id: Any) -> User:
    """Return the user as `_load_user` finds them; raise UserNotFound when it finds none."""
    user = _load_user(session, scope, cvr, user_id)
    if user is None:
        raise UserNotFound()
    return user


def _scoped_grants(session: Session, scope: AccessScope, user_id: int) -> dict[str, Grant]:
    """Return the user's grants on CVRs inside `scope` only, by CVR."""
    stmt = select(Grant).where(Grant.user_id == user_id, scope.clause(Grant.cvr)).order_by(Grant.cvr)
    return {g.cvr: g for g in session.scalars(stmt)}


def _has_grants_outside(session: Session, scope: AccessScope, user_id: int) -> bool:
    stmt = select(func.count(Grant.id)).where(Grant.user_id == user_id, not_(scope.clause(Grant.cvr)))
    # The one look past the actor's customers: whether any grant exists there, never which.
    with unscoped(session, "Brugeradministration: does the user have grants at other customers (yes/no)"):
        return bool(session.scalar(stmt))


def get_user(actor: Any, cvr: str, user_id: Any) -> dict[str, Any] | None:
    """Return a user with a grant on `cvr` and their grants on the actor's CVRs only; raise AccessDenied."""
    scope = _require_admin_of(actor, cvr)
    session = get_session()
    user = _load_user(session, scope, cvr, user_id)
    if user is None:
        return None
    grants = _scoped_grants(session, scope, user.id)
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "b_number": user.b_number or "",
        "active": bool(user.is_active),
        "is_sa": user.is_sa,
        "created_at": user.created_at,
        "version": user.version,
        # Grants elsewhere make the person read-only for this actor; which customers is not said.
        "shared": _has_grants_outside(session, scope, user.id),
        # The CVR in context first, as the form shows it.
        "groups": [{"cvr": c, "rights": ordered_rights(g.rights or [])}
                   for c, g in sorted(grants.items(), key=lambda item: item[0] != cvr)],
    }


def user_history(actor: Any, cvr: str, user_id: Any) -> list[dict[str, Any]]:
    """Return the audit rows of a user on `cvr`, newest first; raise AccessDenied unless administered."""
    scope = _require_admin_of(actor, cvr)
    if not valid_id(user_id):
        return []
    rows = audit.history(get_session(), scope, cvr, ENTITY, user_id)
    return [{"at": r.at, "user": r.user_label, "action": r.action, "before": r.before, "after": r.after} for r in rows]


# --- validation -----------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str, errors: dict[str, str]) -> str:
    # A name's inner whitespace (line breaks too) becomes single spaces; other fields are only trimmed,
    # so a line break inside an address is refused instead of quietly mended.
    clean = validators.collapsed if key == "name" else validators.trimmed
    return validators.text_field(raw, key, errors, label=FIELD_LABELS[key], max_length=MAX_LENGTHS[key], clean=clean)


def _email(value: str, errors: dict[str, str]) -> str:
    if not value and "email" not in errors:
        errors["email"] = validators.required_message(FIELD_LABELS["email"])
        return ""
    normalised = validators.email_field(
        value, "email", errors, max_length=MAX_LENGTHS["email"],
        invalid="E-mailadressen er ikke gyldig (fx navn@institution.dk).",
        too_long=validators.too_long_message("E-mailadressen", MAX_LENGTHS["email"]))
    return normalise_email(normalised) if normalised else ""


def normalise_b_number(value: str) -> str | None:
    """Return a B-number as 'B' + digits (a lower-case b is accepted), '' for empty, None when malformed."""
    compact = value.replace(" ", "").upper()
    if not compact:
        return ""
    return compact if B_NUMBER_PATTERN.match(compact) else None


def _groups(actor: Any, scope: AccessScope, raw: Any, group_errors: dict[int, dict[str, str]],
            errors: dict[str, str], admin_kept: frozenset[str] = frozenset()) -> tuple[GroupInput, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_GROUPS:
        errors["groups"] = "Ugyldige rettighedsgrupper."
        return ()
    if not raw:
        errors["groups"] = "Tilføj mindst én rettighedsgruppe."
        return ()
    allowed = grantable_rights(actor)
    valid_names = {r.value: r for r in Right}
    seen: set[str] = set()
    out: list[GroupInput] = []
    wanted_cvrs = [g.get("cvr") for g in raw if isinstance(g, Mapping) and valid_cvr_format(g.get("cvr"))]
    # Which of the named CVRs exist and are administered by the actor: asked in SQL, within the scope.
    known = set(get_session().scalars(
        select(Customer.cvr).where(Customer.cvr.in_(wanted_cvrs), scope.clause(Customer.cvr))
    )) if wanted_cvrs else set()
    for index, group in enumerate(raw):
        # Problems found before (Administrator changed by an actor who may not) are kept and added to.
        problems: dict[str, str] = dict(group_errors.get(index, {}))
        if not isinstance(group, Mapping):
            group_errors[index] = {"cvr": "Ugyldig rettighedsgruppe."}
            continue
        cvr = group.get("cvr")
        if cvr in (None, ""):
            problems["cvr"] = "Vælg et CVR-nummer."
        elif not valid_cvr_format(cvr) or cvr not in known:
            # The same answer for a CVR that does not exist and one of another customer: no oracle.
            problems["cvr"] = "Vælg et CVR-nummer, som du er administrator for."
        elif cvr in seen:
            problems["cvr"] = "CVR-nummeret er allerede valgt i en anden rettighedsgruppe."
        rights_raw = group.get("rights")
        if rights_raw is None:
            rights_raw = []
        rights: set[Right] = set()
        if not isinstance(rights_raw, list) or not all(isinstance(r, str) and r in valid_names for r in rights_raw):
            problems.setdefault("rights", "Ugyldigt valg af rettigheder.")
        else:
            rights = {valid_names[r] for r in rights_raw}
            # Administrator the user already holds here may stay even when the actor may not give it.
            may_give = allowed | ({Right.ADMINISTRATOR} if isinstance(cvr, str) and cvr in admin_kept else set())
            if not rights:
                problems.setdefault("rights", "Vælg mindst én rettighed.")
            elif not rights <= may_give:
                problems.setdefault("rights", ADMIN_ONLY_SA)
        if problems:
            group_errors[index] = problems
            continue
        seen.add(cvr)
        out.append(GroupInput(cvr, frozenset(rights)))
    return tuple(out)


def validate(actor: Any, raw: Mapping[str, Any], *, scope: AccessScope | None = None,
             held_admin: Mapping[str, bool] | None = None) -> UserInput:
    """Validate and normalise form values; raise UserValidationError with Danish messages per field and group."""
    # `held_admin` maps a CVR to whether the user already holds Administrator there (editing): for an actor
    # who may not give Administrator, that flag must stay exactly as it is (a disabled box in the form).
    if not isinstance(raw, Mapping):
        raise UserValidationError({"name": validators.INVALID_VALUE})
    scope = scope if scope is not None else admin_scope(actor)
    errors: dict[str, str] = {}
    group_errors: dict[int, dict[str, str]] = {}
    name = _text(raw, "name", errors)
    if not name and "name" not in errors:
        errors["name"] = validators.required_message(FIELD_LABELS["name"])
    # The name opens SA's mails to the new user: a sentence with a link there would be phishing.
    name = validators.person_name_field(name, "name", errors, label=FIELD_LABELS["name"])
    email = _email(_text(raw, "email", errors), errors)
    b_number_text = _text(raw, "b_number", errors)
    b_number: str | None = None
    if "b_number" not in errors:
        normalised = normalise_b_number(b_number_text)
        if normalised is None:
            errors["b_number"] = "B-nummer skal være et B efterfulgt af cifre (fx B123456), eller tomt."
        else:
            b_number = normalised or None
    groups_raw = raw.get("groups")
    kept: frozenset[str] = frozenset()
    if held_admin is not None and Right.ADMINISTRATOR not in grantable_rights(actor) and isinstance(groups_raw, list):
        kept = frozenset(c for c, held in held_admin.items() if held)
        for index, group in enumerate(groups_raw):
            if isinstance(group, Mapping) and isinstance(group.get("rights"), list):
                has_admin = Right.ADMINISTRATOR.value in group["rights"]
                cvr = group.get("cvr")
                if has_admin != (isinstance(cvr, str) and cvr in kept):
                    group_errors[index] = {"rights": ADMIN_ONLY_SA}
    groups = _groups(actor, scope, groups_raw, group_errors, errors, kept)
    if errors or group_errors:
        raise UserValidationError(errors, group_errors)
    return UserInput(name, email, b_number, groups)


# --- audit ----------------------------------------------------------------------------------------


def _person(user: User) -> dict[str, Any]:
    return {"name": user.name, "email": user.email, "b_number": user.b_number or "", "active": bool(user.is_active)}


def _view(person: Mapping[str, Any] | None, rights: Iterable[str] | None) -> dict[str, Any] | None:
    """Return what an audit row of one CVR holds: the person and their rights on that CVR only."""
    if person is None:
        return None
    return {**person, "rights": ordered_rights(rights) if rights is not None else None}


def _audit_changes(session: Session, actor: Any, action: str, user_id: int, before_person: dict | None,
                   after_person: dict, before: Mapping[str, list[str]], after: Mapping[str, list[str]]) -> None:
    """Write one audit row per administered CVR whose view of the user changed (before and after)."""
    for cvr in sorted(set(before) | set(after)):
        old = _view(before_person, before.get(cvr)) if before_person is not None else None
        new = _view(after_person, after.get(cvr))
        if old != new:
            audit.record(session, actor, action, ENTITY, user_id, cvr, old, new)


# --- mail -----------------------------------------------------------------------------------------


def _customer_names(session: Session, cvrs: Iterable[str]) -> list[str]:
    cvrs = sorted(set(cvrs))
    if not cvrs:
        return []
    rows = session.execute(select(Customer.cvr, Customer.name).where(Customer.cvr.in_(cvrs)).order_by(Customer.name))
    return [f"{r.name} (CVR {r.cvr})" for r in rows]


def _send(to: str, subject_body: tuple[str, str]) -> bool:
    try:
        return send_mail(to, *subject_body)
    except MailError:
        current_app.logger.warning("user administration mail to a malformed address was not sent")
        return False


# --- writes ---------------------------------------------------------------------------------------


B_NUMBER_FOR_RAPPORTER = "B-nummer skal udfyldes, når brugeren skal have rettigheden Rapporter."


def _require_b_number_for_rapporter(b_number: str | None, groups: Iterable[GroupInput]) -> None:
    """Raise UserValidationError when Rapporter is given without a B-number the actor can fill in."""
    # The guide: the B-number must be filled in if the user is to have Rapporter; without it the right
    # opens nothing. Only where the actor cannot set the B-number (a user known elsewhere) is it a warning.
    if not b_number and _needs_b_number(groups):
        raise UserValidationError({"b_number": B_NUMBER_FOR_RAPPORTER})


def _needs_b_number(groups: Iterable[GroupInput]) -> bool:
    """Tell whether a group gives a right that opens nothing without a B-number (Rapporter)."""
    needing = rights_needing_b_number()
    return any(g.rights & needing for g in groups)


def _rapporter_warning(b_number: str | None, groups: Iterable[GroupInput]) -> tuple[str, ...]:
    if not b_number and _needs_b_number(groups):
        return ("Bemærk: Rettigheden Rapporter kræver et B-nummer. Brugeren kan ikke se Rapporter, "
                "før B-nummeret er udfyldt.",)
    return ()


def _grant_rights(group: GroupInput, extra: Iterable[str] = ()) -> list[str]:
    return ordered_rights({*(r.value for r in group.rights), *extra})


def _find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(actor: Any, cvr: str, raw: Mapping[str, Any], *, base_url: str | None = None) -> SaveResult:
    """Create a user (password mailed) or grant an existing one; raise AccessDenied, User{Validation,Admin}Error."""
    # Raises AccessDenied unless `actor` administers `cvr`, UserValidationError for bad fields or groups
    # (every group's CVR must be one the actor administers; Administrator only for SA system admins;
    # an e-mail of SA staff, or of a user without a grant on any CVR the actor administers).
    # `base_url` is the portal's public address for the link in the mail, decided by the web layer;
    # without it the link is on PUBLIC_BASE_URL (or the bare path), never on a request's host.
    scope = _require_admin_of(actor, cvr)
    data = validate(actor, raw, scope=scope)
    password: str | None = None
    notes: tuple[str, ...] = ()
    try:
        with transaction() as session:
            existing = _find_by_email(session, data.email)
            if existing is not None and existing.is_sa:
                if not scope.all_customers:
                    raise UserValidationError({"email": CANNOT_ATTACH.format(mailbox=support_email())})
                raise UserValidationError({"email": "E-mailadressen tilhører en medarbejder i Statens "
                                                    "Administration, som allerede har adgang."})
            if existing is None:
                _require_b_number_for_rapporter(data.b_number, data.groups)
                password = generate_password()
                user = User(email=data.email, name=data.name, b_number=data.b_number,
                            password_hash=hash_password(password), must_change_password=True, is_active=True,
                            is_sa_staff=False, is_sa_admin=False)
                session.add(user)
                session.flush()
                before_person = None
                before: dict[str, list[str]] = {}
                action = "create"
            else:
                user = existing
                # Attaching a user only known at other customers would show the administrator that
                # person's name and B-number and take their own administrator's say over them away.
                if not scope.all_customers and not _scoped_grants(session, scope, user.id):
                    raise UserValidationError({"email": CANNOT_ATTACH.format(mailbox=support_email())})
                before_person = _person(user)
                before = {c: list(g.rights or []) for c, g in _scoped_grants(session, scope, user.id).items()}
                # The person stays as they are. A missing B-number is filled in only for a user known at the
                # actor's customers alone: elsewhere it would open Rapporter at customers the actor does not
                # administer (update_user refuses the same change).
                if data.b_number and data.b_number != user.b_number:
                    if not user.b_number and not _has_grants_outside(session, scope, user.id):
                        user.b_number = data.b_number
                    else:
                        notes = (B_NUMBER_KEPT.format(mailbox=support_email()),)
                action = "grant"
            current = _scoped_grants(session, scope, user.id)
            for group in data.groups:
                grant = current.get(group.cvr)
                if grant is None:
                    session.add(Grant(user_id=user.id, cvr=group.cvr, rights=_grant_rights(group)))
                else:
                    # Rights add up: merging never takes a right away.
                    grant.rights = _grant_rights(group, grant.rights or [])
            session.flush()
            after = {c: list(g.rights or []) for c, g in _scoped_grants(session, scope, user.id).items()}
            touched = {g.cvr for g in data.groups}
            changed = (existing is None or _person(user) != before_person
                       or any(sorted(before.get(c, [])) != sorted(after.get(c, [])) for c in touched))
            if not changed:
                # The user already held every right asked for: nothing to record, and no mail to send.
                # The flushed no-op is rolled back; the transaction's commit then has nothing to write.
                unchanged = SaveResult(user.id, user.name, False, None, notes, changed=False)
                session.rollback()
                return unchanged
            if existing is not None:
                _bump_version(session, user)
            _audit_changes(session, actor, action, user.id, before_person, _person(user),
                           {c: r for c, r in before.items() if c in touched},
                           {c: r for c, r in after.items() if c in touched})
            result_id, result_name, result_email, b_number = user.id, user.name, user.email, user.b_number
    except (IntegrityError, StaleDataError):
        raise UserAdminError(CHANGED_MEANWHILE) from None
    customers = _customer_names(session, touched)
    link = login_link(base_url if base_url is not None else current_app.config.get("PUBLIC_BASE_URL") or "")
    if password is not None:
        sent = _send(result_email, welcome_mail(result_name, result_email, password, customers, login_url=link))
    else:
        sent = _send(result_email, grant_mail(result_name, customers, login_url=link))
    return SaveResult(result_id, result_name, password is not None, sent,
                      notes + _rapporter_warning(b_number, data.groups))


def _refuse_sa_target(actor: Any, user: User) -> None:
    if user.is_sa and not can_do(actor, Action.MAINTAIN_SA_USERS):
        raise UserAdminError("Medarbejdere i Statens Administration vedligeholdes af Statens Administrations "
                             "systemadministrator.")


def _claim_version(session: Session, user: User, version: Any) -> None:
    """Bump the user's version from `version`, or raise UserConflict when another save came first."""
    # Compared inside the UPDATE: it takes the row's write lock, so of two saves from forms opened at
    # the same version exactly one matches, and the grants are read only after it.
    if not isinstance(version, int) or isinstance(version, bool) or user.version != version:
        raise UserConflict()
    claimed = session.execute(
        update(User).where(User.id == user.id, User.version == version).values(version=version + 1)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if claimed != 1:
        raise UserConflict()


def _bump_version(session: Session, user: User) -> None:
    """Make every form opened on `user` before now stale."""
    session.execute(update(User).where(User.id == user.id).values(version=User.version + 1)
                    .execution_options(synchronize_session="fetch"))


def update_user(actor: Any, cvr: str, user_id: Any, raw: Mapping[str, Any], *, version: Any) -> SaveResult:
    """Save a user opened at `version`; raise AccessDenied, UserNotFound, UserConflict, User{Validation,Admin}Error."""
    # The rettighedsgrupper replace the user's grants on CVRs the actor administers; grants elsewhere are
    # untouched. Raises AccessDenied, UserNotFound (no grant on `cvr`), UserValidationError, UserAdminError
    # (own Administrator right, SA staff users).
    scope = _require_admin_of(actor, cvr)
    try:
        with transaction() as session:
            user = _require_user(session, scope, cvr, user_id)
            _refuse_sa_target(actor, user)
            _claim_version(session, user, version)
            current = _scoped_grants(session, scope, user.id)
            held_admin = {c: Right.ADMINISTRATOR.value in (g.rights or []) for c, g in current.items()}
            # The e-mail is the username and is not changed here; the form shows it read-only.
            raw = {**raw, "email": user.email} if isinstance(raw, Mapping) else raw
            data = validate(actor, raw, scope=scope, held_admin=held_admin)
            wanted = {g.cvr: g for g in data.groups}
            if user.id == getattr(actor, "id", None):
                lost = [c for c, admin in held_admin.items()
                        if admin and (c not in wanted or Right.ADMINISTRATOR not in wanted[c].rights)]
                if lost:
                    raise UserAdminError("Du kan ikke fjerne din egen administratorrettighed.")
            if not can_do(actor, Action.GRANT_ADMINISTRATOR):
                dropped = [c for c, admin in held_admin.items() if admin and c not in wanted]
                if dropped:
                    raise UserAdminError(ADMIN_ONLY_SA)
            if _has_grants_outside(session, scope, user.id):
                # Name and B-number belong to the person, not to one customer: changing them here would change
                # what other customers see and whether Rapporter opens there. Which customers is not said.
                shared = ("Brugeren har også adgang hos andre kunder. Ændringer af dette felt foretages af "
                          f"Statens Administration ({support_email()}).")
                errors = {}
                if data.name != " ".join((user.name or "").split()):
                    errors["name"] = shared
                if (data.b_number or None) != (user.b_number or None):
                    errors["b_number"] = shared
                if errors:
                    raise UserValidationError(errors)
            else:
                # Only where Rapporter is given now: a right held from before is left alone, with the warning.
                newly = [g for g in data.groups
                         if Right.RAPPORTER.value not in (current[g.cvr].rights or [] if g.cvr in current else [])]
                _require_b_number_for_rapporter(data.b_number, newly)
            before_person = _person(user)
            before = {c: list(g.rights or []) for c, g in current.items()}
            user.name = data.name
            user.b_number = data.b_number
            for c, grant in current.items():
                if c not in wanted:
                    session.delete(grant)
            for c, group in wanted.items():
                rights = _grant_rights(group)
                if c in current:
                    current[c].rights = rights
                else:
                    session.add(Grant(user_id=user.id, cvr=c, rights=rights))
            session.flush()
            after = {c: list(g.rights or []) for c, g in _scoped_grants(session, scope, user.id).items()}
            _audit_changes(session, actor, "update", user.id, before_person, _person(user), before, after)
            result = SaveResult(user.id, user.name, False, None, _rapporter_warning(user.b_number, data.groups))
    except (IntegrityError, StaleDataError):
        raise UserAdminError(CHANGED_MEANWHILE) from None
    return result


def set_active(actor: Any, cvr: str, user_id: Any, active: Any) -> dict[str, Any]:
    """Deactivate (ending all sessions) or reactivate a user; raise AccessDenied, UserNotFound, UserAdminError."""
    # Raises AccessDenied, UserNotFound, UserAdminError: not oneself; a customer administrator may not
    # (de)activate an administrator, SA staff, or a user who also has access at other customers.
    if not isinstance(active, bool):
        raise UserAdminError("Ugyldig handling.")
    scope = _require_admin_of(actor, cvr)
    with transaction() as session:
        user = _require_user(session, scope, cvr, user_id)
        if user.id == getattr(actor, "id", None):
            raise UserAdminError("Du kan ikke deaktivere dig selv.")
        _refuse_sa_target(actor, user)
        grants = _scoped_grants(session, scope, user.id)
        if not can_do(actor, Action.GRANT_ADMINISTRATOR):
            if any(Right.ADMINISTRATOR.value in (g.rights or []) for g in grants.values()):
                raise UserAdminError("Administratorer deaktiveres og genaktiveres af Statens Administration.")
        # The account is shared with customers the actor does not administer: switching it off would
        # lock the user out there too. Which customers those are is not said.
        if _has_grants_outside(session, scope, user.id):
            raise UserAdminError(
                "Brugeren har også adgang hos andre kunder og kan kun deaktiveres eller genaktiveres af "
                f"Statens Administration ({support_email()}). "
                "Du kan i stedet fjerne brugerens adgang til dit CVR-nummer."
            )
        if bool(user.is_active) == active:
            return {"id": user.id, "name": user.name, "active": active, "changed": False}
        before_person = _person(user)
        _bump_version(session, user)
        user.is_active = active
        if not active:
            # Every session minted before carries the old version and is refused from the next request on.
            user.session_version = (user.session_version or 1) + 1
        rights = {c: list(g.rights or []) for c, g in grants.items()}
        _audit_changes(session, actor, "reactivate" if active else "deactivate", user.id, before_person,
                       _person(user), rights, rights)
        result = {"id": user.id, "name": user.name, "active": active, "changed": True}
    return result


def remove_grant(actor: Any, cvr: str, user_id: Any) -> dict[str, Any]:
    """Remove a user's grant on `cvr` (they keep other access); raise AccessDenied, UserNotFound, UserAdminError."""
    scope = _require_admin_of(actor, cvr)
    with transaction() as session:
        user = _require_user(session, scope, cvr, user_id)
        _refuse_sa_target(actor, user)
        grant = session.scalar(select(Grant).where(Grant.user_id == user.id, Grant.cvr == cvr, scope.clause(Grant.cvr)))
        if grant is None:
            raise UserNotFound()
        has_admin = Right.ADMINISTRATOR.value in (grant.rights or [])
        if has_admin and user.id == getattr(actor, "id", None):
            raise UserAdminError("Du kan ikke fjerne din egen administratorrettighed.")
        if has_admin and not can_do(actor, Action.GRANT_ADMINISTRATOR):
            raise UserAdminError(ADMIN_ONLY_SA)
        before_rights = list(grant.rights or [])
        _bump_version(session, user)
        session.execute(delete(Grant).where(Grant.id == grant.id, Grant.cvr == cvr, scope.clause(Grant.cvr)))
        person = _person(user)
        audit.record(session, actor, "remove_grant", ENTITY, user.id, cvr, _view(person, before_rights),
                     _view(person, None))
        result = {"id": user.id, "name": user.name}
    return result


__all__ = [
    "FORM_RIGHTS",
    "GroupInput",
    "SaveResult",
    "UserAdminError",
    "UserInput",
    "UserNotFound",
    "UserValidationError",
    "admin_scope",
    "create_user",
    "customer_choices",
    "get_user",
    "grantable_rights",
    "list_users",
    "remember_context",
    "remove_grant",
    "rights_text",
    "set_active",
    "update_user",
    "user_history",
    "validate",
]


def remember_context(user: Any, cvr: str | None, unit: str | None) -> None:
    """Remember the customer and unit `user` works on, to open them at the next visit (written only on a change)."""
    # A preference, not a right or a change anyone audits: default_cvr checks it against the scope on use.
    if (getattr(user, "last_cvr", None), getattr(user, "last_unit", None)) == (cvr, unit):
        return
    with transaction() as session:
        session.execute(update(User).where(User.id == user.id).values(last_cvr=cvr, last_unit=unit)
                        .execution_options(synchronize_session=False))


def reset_second_factor(actor: Any, cvr: str, user_id: Any) -> dict[str, Any]:
    """Remove the second factor of a user on `cvr` (SA's system administrator only); raise AccessDenied, UserNotFound."""
    from data import second_factor

    if not can_do(actor, Action.RESET_SECOND_FACTOR):
        raise AccessDenied("Kun Statens Administrations systemadministrator kan nulstille to-trinsbekræftelse.")
    scope = _require_admin_of(actor, cvr)
    with transaction() as session:
        user = _require_user(session, scope, cvr, user_id)
        enrolled = second_factor.is_enrolled(user)
        # Audited as a change of the user on this CVR, so Brugeradministration's history shows it.
        second_factor.reset(session, actor, user.id, cvr, ENTITY)
        return {"id": user.id, "name": user.name, "was_enrolled": enrolled}
