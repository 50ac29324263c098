"""Scoped reads of the SA team that serves a customer (Kontakt dit team), and SA's maintenance of it.

Every read takes the caller's `AccessScope` and filters by it in SQL. Writes (SA staff, through the
back-office callbacks) validate every field with a Danish message beside it, compare the version the
form loaded inside the UPDATE or DELETE (a stale form writes nothing), and are audited in the same
transaction.
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import current_app, has_app_context
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.access import AccessScope
from data import audit, validators
from data.customers import MasterDataConflict, now, require_customer, who
from data.db import get_session, transaction
from data.errors import Refused, ValidationError, conflict_message
from data.models import TeamMember

DEFAULT_SUPPORT_EMAIL = "kundeportal@statens-adm.dk"

ENTITY = "team_member"
SUBJECT = "Teammedlemmet"
# Bounds match the columns of data/models.py (phone is stored as its digits).
MAX_LENGTHS = {"name": 200, "role": 120, "email": 254, "phone": 30}
FIELD_LABELS = {"name": "Navn", "role": "Rolle", "email": "E-mail", "phone": "Telefon"}


def support_email() -> str:
    """Return the address users are told to write to (the SUPPORT_EMAIL setting)."""
    if has_app_context():
        return current_app.config.get("SUPPORT_EMAIL") or DEFAULT_SUPPORT_EMAIL
    return DEFAULT_SUPPORT_EMAIL


def _member_dict(row: TeamMember) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "role": row.role, "email": row.email, "phone": row.phone or "",
            "version": row.version}


def team_members(scope: AccessScope, cvr: str) -> list[dict[str, Any]]:
    """Return the SA team members of customer `cvr` if it lies in `scope`, ordered by role and name."""
    stmt = (
        select(TeamMember)
        .where(scope.clause(TeamMember.cvr), TeamMember.cvr == cvr)
        .order_by(TeamMember.role, TeamMember.name, TeamMember.id)
        .execution_options(populate_existing=True)
    )
    return [_member_dict(row) for row in get_session().scalars(stmt)]


def _load(session: Session, scope: AccessScope, cvr: str, member_id: Any) -> TeamMember | None:
    if not validators.valid_id(member_id):
        return None
    stmt = (select(TeamMember).where(scope.clause(TeamMember.cvr), TeamMember.cvr == cvr, TeamMember.id == member_id)
            .execution_options(populate_existing=True))
    return session.scalar(stmt)


def get_member(scope: AccessScope, cvr: str, member_id: Any) -> dict[str, Any] | None:
    """Return one team member of `cvr` by id, or None when it is not this customer's (or outside `scope`)."""
    member = _load(get_session(), scope, cvr, member_id)
    return _member_dict(member) if member is not None else None


def validate(raw: Mapping[str, Any]) -> dict[str, str]:
    """Return the cleaned name, role, e-mail and phone; raise ValidationError with Danish messages."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"name": validators.INVALID_VALUE})
    errors: dict[str, str] = {}

    def text(key: str) -> str:
        return validators.text_field(raw, key, errors, label=FIELD_LABELS[key], max_length=MAX_LENGTHS[key],
                                     clean=validators.collapsed if key != "email" else validators.trimmed)

    values = {key: text(key) for key in ("name", "role", "email", "phone")}
    for key in ("name", "role", "email"):
        if not values[key] and key not in errors:
            errors[key] = validators.required_message(FIELD_LABELS[key])
    # The address becomes a mailto: link every user of the customer sees: nothing may add recipients to it.
    values["email"] = validators.email_field(
        values["email"], "email", errors, max_length=MAX_LENGTHS["email"], mailto_safe=True,
        invalid="E-mail er ikke en gyldig e-mailadresse (fx navn@statens-adm.dk).",
        too_long=validators.too_long_message(FIELD_LABELS["email"], MAX_LENGTHS["email"]))
    values["phone"] = validators.phone_field(values["phone"], "phone", errors)
    if errors:
        raise ValidationError(errors)
    return values


def _audit_view(member: TeamMember) -> dict[str, Any]:
    return {"name": member.name, "role": member.role, "email": member.email, "phone": member.phone,
            "version": member.version}


def _gone() -> Refused:
    return Refused(f"{SUBJECT} findes ikke (længere). Genindlæs siden.")


def _conflict(session: Session, scope: AccessScope, cvr: str, member_id: Any) -> Refused:
    current = _load(session, scope, cvr, member_id)
    if current is None:
        return _gone()
    return MasterDataConflict(conflict_message(SUBJECT, current.updated_by, current.updated_at))


def create_member(scope: AccessScope, cvr: Any, user: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Add a member to the team of `cvr`; raise AccessDenied outside `scope`, Refused / ValidationError when refused."""
    with transaction() as session:
        require_customer(session, scope, cvr)
        values = validate(raw)
        member = TeamMember(cvr=cvr, **values, updated_at=now(), updated_by=who(user))
        session.add(member)
        session.flush()
        audit.record(session, user, "create", ENTITY, member.id, cvr, None, _audit_view(member))
        return _member_dict(member)


def update_member(scope: AccessScope, cvr: Any, user: Any, member_id: Any, version: Any,
                  raw: Mapping[str, Any]) -> dict[str, Any]:
    """Save a team member of `cvr` shown at `version`; raise MasterDataConflict, ValidationError, Refused."""
    with transaction() as session:
        require_customer(session, scope, cvr)
        member = _load(session, scope, cvr, member_id)
        if member is None:
            raise _gone()
        if not validators.valid_id(version) or member.version != version:
            raise MasterDataConflict(conflict_message(SUBJECT, member.updated_by, member.updated_at))
        before = _audit_view(member)
        values = validate(raw)
        result = session.execute(
            update(TeamMember)
            .where(TeamMember.id == member_id, TeamMember.cvr == cvr, scope.clause(TeamMember.cvr),
                   TeamMember.version == version)
            .values(**values, version=version + 1, updated_at=now(), updated_by=who(user))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.rollback()
            raise _conflict(session, scope, cvr, member_id)
        member = _load(session, scope, cvr, member_id)
        audit.record(session, user, "update", ENTITY, member_id, cvr, before, _audit_view(member))
        return _member_dict(member)


def delete_member(scope: AccessScope, cvr: Any, user: Any, member_id: Any, version: Any) -> dict[str, Any]:
    """Remove a team member of `cvr` shown at `version`; raise MasterDataConflict or Refused."""
    with transaction() as session:
        require_customer(session, scope, cvr)
        member = _load(session, scope, cvr, member_id)
        if member is None:
            raise _gone()
        if not validators.valid_id(version) or member.version != version:
            raise MasterDataConflict(conflict_message(SUBJECT, member.updated_by, member.updated_at))
        before = _member_dict(member)
        result = session.execute(
            delete(TeamMember)
            .where(TeamMember.id == member_id, TeamMember.cvr == cvr, scope.clause(TeamMember.cvr),
                   TeamMember.version == version)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.rollback()
            raise _conflict(session, scope, cvr, member_id)
        session.expunge(member)
        audit.record(session, user, "delete", ENTITY, member_id, cvr, _audit_view_dict(before), None)
    return before


def _audit_view_dict(member: Mapping[str, Any]) -> dict[str, Any]:
    return {key: member[key] for key in ("name", "role", "email", "phone", "version")}
