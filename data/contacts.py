"""Scoped reads and writes of a customer's contact persons (Kontaktpersoner) and their roles.

Every function takes the caller's `AccessScope` and the CVR in context and filters in SQL, so a
forged contact id of another customer finds nothing. Writes validate every field, refuse
changes to SA-only roles by customer users, compare the version the form loaded inside the
UPDATE (optimistic locking), and write an audit row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from core.access import AccessScope, can_do
from core.rights import Action
from data import audit, validators
from data.customers import require_customer
from data.db import get_session, transaction
from data.errors import Refused, ValidationError, conflict_message
from data.models import Contact, ContactRole, ContactRoleAssignment
from data.roles_catalogue import TAB_LABELS
from data.team import support_email
from data.validators import valid_id

ENTITY = "contact"

# Bounds match the columns of data/models.py (notes is Text: bounded here so one form cannot fill the disk).
MAX_LENGTHS = {"title": 120, "name": 200, "email": 254, "shared_email": 254, "phone": 30, "notes": 2000}
FIELD_LABELS = {"title": "Titel", "name": "Navn", "email": "E-mail", "shared_email": "Fællesmail",
                "phone": "Telefon", "notes": "Bemærkninger"}
MAX_ROLES = 50


class ContactError(Refused):
    """A contact write that was refused; `message` is Danish and safe to show."""


class ContactValidationError(ValidationError, ContactError):
    """One or more fields are invalid; `errors` maps field name to a Danish message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors, "Kontaktpersonen er ikke gemt. Ret de markerede felter.")


class ContactNotFound(ContactError):
    """The contact does not exist for this customer (or lies outside the scope)."""

    def __init__(self) -> None:
        super().__init__("Kontaktpersonen findes ikke (længere). Genindlæs siden.")


class ContactConflict(ContactError):
    """Someone else saved the contact after the form loaded it; nothing was written."""

    def __init__(self, updated_by: str | None, updated_at: dt.datetime | None):
        super().__init__(conflict_message("Kontaktpersonen", updated_by, updated_at))
        self.updated_by = updated_by
        self.updated_at = updated_at


class SaOnlyRoleError(ContactError):
    """A customer user tried to add or remove a role that only SA assigns."""


@dataclass(frozen=True)
class ContactInput:
    """Validated, normalised form values."""

    title: str
    name: str
    email: str
    shared_email: str
    phone: str
    notes: str
    role_ids: tuple[int, ...] = ()
    tabs: tuple[str, ...] = field(default=())


# --- validation -----------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str, errors: dict[str, str], multiline: bool = False) -> str:
    return validators.text_field(raw, key, errors, label=FIELD_LABELS[key], max_length=MAX_LENGTHS[key],
                                 clean=validators.trimmed if multiline else validators.one_line, multiline=multiline)


def _email(value: str, key: str, errors: dict[str, str]) -> str:
    label = FIELD_LABELS[key]
    return validators.email_field(
        value, key, errors, max_length=MAX_LENGTHS[key],
        invalid=f"{label} er ikke en gyldig e-mailadresse (fx navn@institution.dk).",
        too_long=validators.too_long_message(label, MAX_LENGTHS[key]))


def _ids(raw: Any, errors: dict[str, str]) -> tuple[int, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_ROLES:
        errors["roles"] = "Ugyldigt valg af roller."
        return ()
    ids: list[int] = []
    for item in raw:
        if not valid_id(item):
            errors["roles"] = "Ugyldigt valg af roller."
            return ()
        if item not in ids:
            ids.append(item)
    return tuple(ids)


def _tabs(raw: Any, errors: dict[str, str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, str) and t in TAB_LABELS for t in raw):
        errors["tabs"] = "Ukendt faneblad."
        return ()
    return tuple(t for t in TAB_LABELS if t in raw)


def validate(raw: Mapping[str, Any]) -> ContactInput:
    """Validate and normalise raw form values; raise ContactValidationError with Danish messages."""
    if not isinstance(raw, Mapping):
        raise ContactValidationError({"name": validators.INVALID_VALUE})
    errors: dict[str, str] = {}
    title = _text(raw, "title", errors)
    name = _text(raw, "name", errors)
    if not name and "name" not in errors:
        errors["name"] = validators.required_message(FIELD_LABELS["name"])
    email = _email(_text(raw, "email", errors), "email", errors)
    shared_email = _email(_text(raw, "shared_email", errors), "shared_email", errors)
    if not email and not shared_email and "email" not in errors and "shared_email" not in errors:
        errors["email"] = "Angiv e-mail eller fællesmail, så Statens Administration kan skrive til kontaktpersonen."
    phone = validators.phone_field(_text(raw, "phone", errors), "phone", errors)
    notes = _text(raw, "notes", errors, multiline=True)
    role_ids = _ids(raw.get("role_ids"), errors)
    tabs = _tabs(raw.get("tabs"), errors)
    if errors:
        raise ContactValidationError(errors)
    return ContactInput(title, name, email, shared_email, phone, notes, role_ids, tabs)


# --- reads ----------------------------------------------------------------------------------------


def role_catalogue() -> list[ContactRole]:
    """Return every role of the catalogue in guide order (not customer data: no scope)."""
    return list(get_session().scalars(select(ContactRole).order_by(ContactRole.sort_order, ContactRole.name)))


def _role_dict(role: ContactRole) -> dict[str, Any]:
    return {"id": role.id, "name": role.name, "description": role.description, "sa_only": role.sa_only,
            "personal_data": role.personal_data, "tabs": list(role.tabs or [])}


def roles() -> list[dict[str, Any]]:
    """Return the role catalogue as plain dicts (id, name, description, sa_only, personal_data, tabs)."""
    return [_role_dict(role) for role in role_catalogue()]


def effective_tabs(tabs: Any, roles_: list[ContactRole]) -> list[str]:
    """Return the Stamdata tabs a contact is shown on: the chosen ones plus those its roles decide."""
    chosen = set(tabs or [])
    for role in roles_:
        chosen.update(role.tabs or [])
    return [key for key in TAB_LABELS if key in chosen]


def _snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "cvr": contact.cvr,
        "title": contact.title,
        "name": contact.name,
        "email": contact.email,
        "shared_email": contact.shared_email,
        "phone": contact.phone,
        "notes": contact.notes,
        "tabs": list(contact.tabs or []),
        "roles": [role.name for role in contact.roles],
        "role_ids": [role.id for role in contact.roles],
        "effective_tabs": effective_tabs(contact.tabs, contact.roles),
        "version": contact.version,
        "updated_at": contact.updated_at,
        "updated_by": contact.updated_by,
    }


def _audit_view(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    keep = ("title", "name", "email", "shared_email", "phone", "notes", "tabs", "roles", "version")
    return {key: snapshot[key] for key in keep}


def _scoped(scope: AccessScope, cvr: str):
    return select(Contact).options(selectinload(Contact.roles)).where(scope.clause(Contact.cvr), Contact.cvr == cvr)


def list_contacts(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the contacts of `cvr` (none when outside `scope`), ordered by name."""
    stmt = _scoped(scope, cvr).order_by(Contact.name, Contact.id).execution_options(populate_existing=True)
    return [_snapshot(c) for c in get_session().scalars(stmt)]


def contacts_for_tab(scope: AccessScope, cvr: str, tab: str) -> list[dict[str, Any]]:
    """Return the contacts of `cvr` shown on Stamdata tab `tab` (chosen, or decided by an SA-only role)."""
    if tab not in TAB_LABELS:
        return []
    return [c for c in list_contacts(scope, cvr) if tab in c["effective_tabs"]]


def _load(session: Session, scope: AccessScope, cvr: str, contact_id: Any) -> Contact | None:
    if not valid_id(contact_id):
        return None
    stmt = _scoped(scope, cvr).where(Contact.id == contact_id).execution_options(populate_existing=True)
    return session.scalar(stmt)


def get_contact(scope: AccessScope, cvr: str, contact_id: Any) -> dict[str, Any] | None:
    """Return one contact of `cvr` by id, or None when it is not this customer's (or outside `scope`)."""
    contact = _load(get_session(), scope, cvr, contact_id)
    return _snapshot(contact) if contact is not None else None


def contact_history(scope: AccessScope, cvr: str, contact_id: Any) -> list[dict[str, Any]]:
    """Return the audit trail of one contact of `cvr`, newest first (empty outside `scope`)."""
    if not valid_id(contact_id):
        return []
    rows = audit.history(get_session(), scope, cvr, ENTITY, contact_id)
    return [{"at": r.at, "user": r.user_label, "action": r.action, "before": r.before, "after": r.after} for r in rows]


# --- writes ---------------------------------------------------------------------------------------


def _is_sa(user: Any) -> bool:
    return can_do(user, Action.ASSIGN_SA_ONLY_ROLES)


def _load_roles(session: Session, role_ids: tuple[int, ...]) -> list[ContactRole]:
    if not role_ids:
        return []
    found = list(session.scalars(select(ContactRole).where(ContactRole.id.in_(role_ids))))
    if len(found) != len(set(role_ids)):
        raise ContactValidationError({"roles": "Ukendt rolle."})
    return sorted(found, key=lambda r: (r.sort_order, r.name))


NO_TAB = "Vælg mindst ét faneblad under »Visning af kontaktperson«: ellers vises kontaktpersonen ikke i Stamdata."


def _require_a_tab(tabs: tuple[str, ...], roles_: list[ContactRole]) -> None:
    """Raise ContactValidationError when the contact would show on no Stamdata tab."""
    if not effective_tabs(tabs, roles_):
        raise ContactValidationError({"tabs": NO_TAB})


def _check_sa_only(user: Any, requested: list[ContactRole], current: list[ContactRole], *,
                   deleting: bool = False) -> None:
    """Refuse a customer user's change to SA-only roles (adding or removing one, deleting the contact)."""
    if _is_sa(user):
        return
    wanted = {r.id: r for r in requested if r.sa_only}
    held = {r.id: r for r in current if r.sa_only}
    changed = [r.name for key, r in {**wanted, **held}.items() if (key in wanted) != (key in held)]
    if not changed:
        return
    names = ", ".join(f"»{n}«" for n in sorted(changed))
    if deleting:
        raise SaOnlyRoleError(
            f"Kontaktpersonen har rollen {names}, som kun Statens Administration tildeler og fjerner. "
            f"Skriv til {support_email()} for at få kontaktpersonen slettet."
        )
    raise SaOnlyRoleError(
        f"Rollen {names} tildeles og vedligeholdes kun af Statens Administration. "
        f"Skriv til {support_email()} for ændringer."
    )


def _chosen_tabs(tabs: tuple[str, ...]) -> list[str]:
    # Only the user's own choice is stored: the tabs an SA-only role decides are added when read
    # (effective_tabs), so they go away with the role instead of lingering on the contact.
    return [key for key in TAB_LABELS if key in tabs]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _who(user: Any) -> str:
    return ((getattr(user, "name", "") or getattr(user, "email", "") or "ukendt").strip())[:200]


def create_contact(scope: AccessScope, cvr: str, user: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Create a contact of `cvr`; raise AccessDenied outside `scope`, ContactError when refused."""
    with transaction() as session:
        require_customer(session, scope, cvr, ContactError)
        data = validate(raw)
        roles_ = _load_roles(session, data.role_ids)
        _check_sa_only(user, roles_, [])
        _require_a_tab(data.tabs, roles_)
        contact = Contact(
            cvr=cvr, title=data.title, name=data.name, email=data.email, shared_email=data.shared_email,
            phone=data.phone, notes=data.notes, tabs=_chosen_tabs(data.tabs),
            updated_at=_now(), updated_by=_who(user),
        )
        contact.roles = roles_
        session.add(contact)
        session.flush()
        after = _snapshot(contact)
        audit.record(session, user, "create", ENTITY, contact.id, cvr, None, _audit_view(after))
    return after


def _conflict_from_db(session: Session, scope: AccessScope, cvr: str, contact_id: int) -> ContactError:
    row = session.execute(
        select(Contact.updated_by, Contact.updated_at).where(
            scope.clause(Contact.cvr), Contact.cvr == cvr, Contact.id == contact_id)
    ).first()
    return ContactNotFound() if row is None else ContactConflict(row.updated_by, row.updated_at)


def update_contact(scope: AccessScope, cvr: str, user: Any, contact_id: Any, version: Any,
                   raw: Mapping[str, Any]) -> dict[str, Any]:
    """Save a contact at `version`; raise ContactConflict, ContactNotFound, ContactValidationError, SaOnlyRoleError."""
    # Also raises ContactNotFound for another customer's id, ContactValidationError, SaOnlyRoleError.
    with transaction() as session:
        require_customer(session, scope, cvr, ContactError)
        contact = _load(session, scope, cvr, contact_id)
        if contact is None:
            raise ContactNotFound()
        if not valid_id(version) or contact.version != version:
            raise ContactConflict(contact.updated_by, contact.updated_at)
        before = _snapshot(contact)
        data = validate(raw)
        roles_ = _load_roles(session, data.role_ids)
        _check_sa_only(user, roles_, list(contact.roles))
        _require_a_tab(data.tabs, roles_)
        # The version the form loaded is compared inside the UPDATE itself: if another save
        # committed in between, no row matches and nothing is written.
        result = session.execute(
            update(Contact)
            .where(Contact.id == contact_id, Contact.cvr == cvr, scope.clause(Contact.cvr), Contact.version == version)
            .values(title=data.title, name=data.name, email=data.email, shared_email=data.shared_email,
                    phone=data.phone, notes=data.notes, tabs=_chosen_tabs(data.tabs),
                    version=version + 1, updated_at=_now(), updated_by=_who(user))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.rollback()
            raise _conflict_from_db(session, scope, cvr, contact_id)
        session.execute(delete(ContactRoleAssignment).where(ContactRoleAssignment.contact_id == contact_id))
        if roles_:
            session.execute(insert(ContactRoleAssignment), [{"contact_id": contact_id, "role_id": r.id} for r in roles_])
        session.expire_all()
        after = _snapshot(_load(session, scope, cvr, contact_id))
        audit.record(session, user, "update", ENTITY, contact_id, cvr, _audit_view(before), _audit_view(after))
    return after


def delete_contact(scope: AccessScope, cvr: str, user: Any, contact_id: Any, version: Any) -> dict[str, Any]:
    """Delete a contact of `cvr` shown at `version`; raise ContactConflict / ContactNotFound / SaOnlyRoleError."""
    with transaction() as session:
        require_customer(session, scope, cvr, ContactError)
        contact = _load(session, scope, cvr, contact_id)
        if contact is None:
            raise ContactNotFound()
        if not valid_id(version) or contact.version != version:
            raise ContactConflict(contact.updated_by, contact.updated_at)
        # Deleting a contact would remove its SA-only roles, which only SA may do.
        _check_sa_only(user, [], list(contact.roles), deleting=True)
        before = _snapshot(contact)
        session.execute(delete(ContactRoleAssignment).where(ContactRoleAssignment.contact_id == contact_id))
        result = session.execute(
            delete(Contact)
            .where(Contact.id == contact_id, Contact.cvr == cvr, scope.clause(Contact.cvr), Contact.version == version)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.rollback()
            raise _conflict_from_db(session, scope, cvr, contact_id)
        session.expunge(contact)
        audit.record(session, user, "delete", ENTITY, contact_id, cvr, _audit_view(before), None)
    return before
