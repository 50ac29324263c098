"""Who may see what: the signed-in principal, access scopes, and the checks every lock uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from flask_login import UserMixin
from stdnum.dk import cvr as stdnum_cvr
from sqlalchemy import ColumnElement, bindparam, true
from werkzeug.exceptions import Forbidden, Unauthorized

from core.rights import (
    MENU_ITEMS,
    RIGHTS_TABLE,
    Action,
    Menu,
    MenuItem,
    Right,
    grantable_rights,
    parse_rights,
    rights_open_menu,
    staff_may,
)

CVR_PATTERN = re.compile(r"^[0-9]{8}$")

DENIED_MESSAGE = "Ingen adgang: du har ikke rettighed til denne side for den valgte kunde."


class AccessDenied(Forbidden):
    """Raised when the signed-in user lacks the right for a menu item on a CVR."""

    description = DENIED_MESSAGE


class NotSignedIn(Unauthorized):
    """Raised when a protected resource is requested without a valid session."""

    description = "Du skal logge ind for at bruge Kundeportalen."


@dataclass(frozen=True)
class AccessScope:
    """The CVRs a user may see for one purpose; data-layer queries filter by it in SQL."""

    all_customers: bool = False
    cvrs: frozenset[str] = frozenset()

    def clause(self, column: Any) -> ColumnElement[bool]:
        """Return the SQL condition that keeps `column` (a CVR column) inside the scope."""
        if self.all_customers:
            return true()
        return column.in_(sorted(self.cvrs))

    def bound_params(self) -> dict[str, list[str]]:
        """Return the values of `bound_clause`'s parameter for this scope (none when it is all customers)."""
        return {} if self.all_customers else {SCOPE_PARAM: sorted(self.cvrs)}

    def allows(self, cvr: str) -> bool:
        """Tell whether one CVR lies in the scope."""
        return self.all_customers or cvr in self.cvrs

    @staticmethod
    def single(cvr: str) -> "AccessScope":
        """Return a scope of exactly one CVR."""
        return AccessScope(False, frozenset({cvr}))


EMPTY_SCOPE = AccessScope()

# The bound parameter `bound_clause` reads the scope's CVRs from.
SCOPE_PARAM = "scope_cvrs"


def bound_clause(column: Any, all_customers: bool) -> ColumnElement[bool]:
    """Return `AccessScope.clause` with the CVRs as a bound parameter, for a statement built once and run often."""
    # The statement is built without a scope (once per shape: all customers or not); every run passes
    # `AccessScope.bound_params()`, and a run without them fails in SQLAlchemy, never reads unscoped.
    if all_customers:
        return true()
    return column.in_(bindparam(SCOPE_PARAM, expanding=True))


@dataclass
class Principal(UserMixin):
    """The signed-in user with their grants, loaded once per request."""

    id: int
    email: str
    name: str
    b_number: str | None
    is_sa_staff: bool
    is_sa_admin: bool
    session_version: int
    must_change_password: bool
    grants: Mapping[str, frozenset[Right]] = field(default_factory=dict)
    # The customer and unit the user last worked on (a preference; `default_cvr` checks it against the scope).
    last_cvr: str | None = None
    last_unit: str | None = None
    # Set in a MitID Erhverv session: the one CVR the person acts for (see `acting_for`).
    acting_cvr: str | None = None

    def get_id(self) -> str:
        """Return the session id: user id and session version, so old sessions die on bump."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_sa(self) -> bool:
        """Tell whether the user is SA staff (system administrators are staff too)."""
        return self.is_sa_staff or self.is_sa_admin

    @property
    def has_b_number(self) -> bool:
        """Tell whether the user has a B-number, needed for Rapporter."""
        return bool(self.b_number and self.b_number.strip())

    def rights_on(self, cvr: str) -> frozenset[Right]:
        """Return the user's rights on one CVR (SA staff hold every right on every CVR)."""
        if self.is_sa:
            return frozenset(Right)
        return self.grants.get(cvr, frozenset())

    def acting_for(self, cvr: str) -> "Principal":
        """Return this principal narrowed to one CVR: its grants there only, and no SA staff powers."""
        # A MitID Erhverv assertion speaks for one organisation: the session must not reach the user's
        # other customers, nor act as SA staff, whatever else the account may do with a password.
        rights = self.grants.get(cvr, frozenset())
        # The password was not used: a password change it may owe does not hold the MitID session up.
        return replace(self, grants={cvr: rights} if rights else {}, is_sa_staff=False, is_sa_admin=False,
                       acting_cvr=cvr, last_cvr=cvr, must_change_password=False)

    @classmethod
    def from_user(cls, user: Any, grants: Iterable[Any] | None = None) -> "Principal":
        """Build a principal from a `data.models.User` row (or a row of its columns) and its grants (default `user.grants`)."""
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            b_number=user.b_number,
            is_sa_staff=user.is_sa_staff,
            is_sa_admin=user.is_sa_admin,
            session_version=user.session_version,
            must_change_password=user.must_change_password,
            grants={g.cvr: parse_rights(g.rights) for g in (user.grants if grants is None else grants)},
            last_cvr=getattr(user, "last_cvr", None),
            last_unit=getattr(user, "last_unit", None),
        )


def valid_cvr_format(cvr: Any) -> bool:
    """Tell whether a value is a well-formed CVR number: 8 digits with a valid modulus-11 check."""
    return isinstance(cvr, str) and bool(CVR_PATTERN.match(cvr)) and stdnum_cvr.is_valid(cvr)


def can_access(user: Any, menu: Menu, cvr: Any) -> bool:
    """Answer for the UI whether `user` may open `menu` for `cvr`."""
    if user is None or not getattr(user, "is_authenticated", False) or not isinstance(user, Principal):
        return False
    if not valid_cvr_format(cvr):
        return False
    return rights_open_menu(menu, user.rights_on(cvr), user.has_b_number)


def require_access(user: Any, menu: Menu, cvr: Any) -> AccessScope:
    """Return the one-CVR scope for `menu`; raise NotSignedIn or AccessDenied otherwise."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotSignedIn()
    if not can_access(user, menu, cvr):
        raise AccessDenied()
    return AccessScope.single(cvr)


def can_do(user: Any, action: Action) -> bool:
    """Tell whether `user` may do an SA-only `action` (for what the UI offers)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    return staff_may(action, bool(getattr(user, "is_sa_staff", False)), bool(getattr(user, "is_sa_admin", False)))


def rights_grantable_by(user: Any) -> frozenset[Right]:
    """Return the rights `user` may give or take away on CVRs they administer (no SA-granted right unless allowed)."""
    if user is None or not getattr(user, "is_authenticated", True):
        return grantable_rights(False, False)
    return grantable_rights(bool(getattr(user, "is_sa_staff", False)), bool(getattr(user, "is_sa_admin", False)))


def require_action(user: Any, action: Action, message: str | None = None) -> None:
    """Enforce `can_do`; raise AccessDenied (with `message` when given) when the user may not."""
    if not can_do(user, action):
        raise AccessDenied(message) if message else AccessDenied()


def menu_items_for(user: Any, cvr: Any) -> list[MenuItem]:
    """Return the menu items `user` may open for `cvr`, in menu order."""
    return [item for item in RIGHTS_TABLE if can_access(user, item.menu, cvr)]


def customer_scope(user: Any) -> AccessScope:
    """Return the CVRs the user may see at all (for search and context), SA staff: every CVR."""
    if user is None or not getattr(user, "is_authenticated", False) or not isinstance(user, Principal):
        return EMPTY_SCOPE
    if user.is_sa:
        return AccessScope(all_customers=True)
    return AccessScope(False, frozenset(cvr for cvr, rights in user.grants.items() if rights))


def menu_scope(user: Any, menu: Menu) -> AccessScope:
    """Return the CVRs on which the user may open `menu`."""
    base = customer_scope(user)
    if base.all_customers:
        item = MENU_ITEMS[menu]
        return base if (not item.needs_b_number or user.has_b_number) else EMPTY_SCOPE
    return AccessScope(False, frozenset(c for c in base.cvrs if can_access(user, menu, c)))


def default_cvr(user: Any) -> str | None:
    """Return the CVR a user lands on: their only customer, else the one they last worked on (if still theirs)."""
    scope = customer_scope(user)
    if not scope.all_customers and len(scope.cvrs) == 1:
        return next(iter(scope.cvrs))
    # Remembered, not trusted: a right taken away since then (or a forged value) opens nothing.
    last = getattr(user, "last_cvr", None)
    return last if valid_cvr_format(last) and scope.allows(last) else None
