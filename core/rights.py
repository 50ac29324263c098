"""The rights table — the one place that says which right opens which menu item.

Every check in the portal (menu, page layout, callback, download, data scope) reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Mapping


class Right(StrEnum):
    """A right a grant gives on one CVR."""

    ADMINISTRATOR = "Administrator"
    REDIGER = "Rediger"
    LAESER = "Læser"
    RAPPORTER = "Rapporter"


class Menu(StrEnum):
    """A menu item of the portal; the value is its path without the slash."""

    INFORMATION = "information"
    KUNDEAFTALER = "kundeaftaler"
    MOEDER = "moeder"
    AKTIONSLISTE = "aktionsliste"
    DREJEBOEGER = "drejeboeger"
    STAMDATA = "stamdata"
    RAPPORTER = "rapporter"
    KONTAKTPERSONER = "kontaktpersoner"
    BRUGERADMINISTRATION = "brugeradministration"


@dataclass(frozen=True)
class MenuItem:
    """How a menu item is shown and which rights open it."""

    menu: Menu
    label: str
    rights: frozenset[Right]
    needs_b_number: bool = False

    @property
    def path(self) -> str:
        """Return the URL path of the menu item."""
        return f"/{self.menu.value}"


_READ = frozenset({Right.ADMINISTRATOR, Right.REDIGER, Right.LAESER})

# The rights table of DESIGN.md, in menu order.
RIGHTS_TABLE: tuple[MenuItem, ...] = (
    MenuItem(Menu.INFORMATION, "Information", _READ),
    MenuItem(Menu.KUNDEAFTALER, "Kundeaftaler", _READ),
    MenuItem(Menu.MOEDER, "Møder", _READ),
    MenuItem(Menu.AKTIONSLISTE, "Aktionsliste", _READ),
    MenuItem(Menu.DREJEBOEGER, "Drejebøger", _READ),
    MenuItem(Menu.STAMDATA, "Stamdata", _READ),
    MenuItem(Menu.RAPPORTER, "Rapporter", frozenset({Right.ADMINISTRATOR, Right.RAPPORTER}), needs_b_number=True),
    MenuItem(Menu.KONTAKTPERSONER, "Kontaktpersoner", frozenset({Right.ADMINISTRATOR, Right.REDIGER})),
    MenuItem(Menu.BRUGERADMINISTRATION, "Brugeradministration", frozenset({Right.ADMINISTRATOR})),
)

MENU_ITEMS: Mapping[Menu, MenuItem] = {item.menu: item for item in RIGHTS_TABLE}


class Action(StrEnum):
    """Something only Statens Administration does, whatever grants a customer user holds."""

    GRANT_ADMINISTRATOR = "grant_administrator"
    MAINTAIN_SA_USERS = "maintain_sa_users"
    ASSIGN_SA_ONLY_ROLES = "assign_sa_only_roles"
    SEE_ALL_CUSTOMERS_MEDIAN = "see_all_customers_median"
    # The back-office: agreements, meetings, action items, runbooks, master data, service goals,
    # the SA team and case data of every customer.
    EDIT_CONTENT = "edit_content"
    # The privacy log (Persondatalog): who looked up a person, for insight requests.
    READ_PRIVACY_LOG = "read_privacy_log"
    # Ansøgninger: approve or reject a customer's request for its administrator and create the account.
    APPROVE_ADMINISTRATORS = "approve_administrators"
    # Register the customers' and SA's own signatories (tegningsberettigede) per agreement kind.
    REGISTER_SIGNATORIES = "register_signatories"
    # Remove a user's second factor (a lost phone): the user enrols again at the next sign-in.
    RESET_SECOND_FACTOR = "reset_second_factor"


class Staff(StrEnum):
    """Who at SA may do an action."""

    SA_STAFF = "sa_staff"  # every SA employee (system administrators included)
    SA_ADMIN = "sa_admin"  # SA's system administrator only


# The SA part of the rights table: DESIGN.md's "Only SA gives the Administrator right" and the
# issues' "SA staff manage all roles" / "SA staff also see the median of all customers" / DESIGN.md's
# "SA staff also edit every customer's content (the back-office)".
SA_ACTIONS: Mapping[Action, Staff] = {
    Action.GRANT_ADMINISTRATOR: Staff.SA_ADMIN,
    Action.MAINTAIN_SA_USERS: Staff.SA_ADMIN,
    Action.ASSIGN_SA_ONLY_ROLES: Staff.SA_STAFF,
    Action.SEE_ALL_CUSTOMERS_MEDIAN: Staff.SA_STAFF,
    Action.EDIT_CONTENT: Staff.SA_STAFF,
    # Issue 15: SA's system administrator answers insight requests; the log itself names persons.
    Action.READ_PRIVACY_LOG: Staff.SA_ADMIN,
    # The guide: SA's system administrator approves the request for administrator access.
    Action.APPROVE_ADMINISTRATORS: Staff.SA_ADMIN,
    Action.REGISTER_SIGNATORIES: Staff.SA_ADMIN,
    # Issue 13: SA's system administrator resets a second factor (audited, mailed to the user).
    Action.RESET_SECOND_FACTOR: Staff.SA_ADMIN,
}


def staff_may(action: Action, is_sa_staff: bool, is_sa_admin: bool) -> bool:
    """Tell whether SA staff with these flags may do `action` (pure table lookup)."""
    if SA_ACTIONS[action] is Staff.SA_ADMIN:
        return is_sa_admin
    return is_sa_staff or is_sa_admin


# Rights only SA gives or takes away, with the SA action that allows it (DESIGN.md: "Only SA gives the
# Administrator right"). Every other right a customer administrator gives on the CVRs they administer.
SA_GRANTED_RIGHTS: Mapping[Right, Action] = {Right.ADMINISTRATOR: Action.GRANT_ADMINISTRATOR}

# The order rights are offered in the user form (the guide's order) and shown in the grid and audit.
FORM_ORDER: tuple[Right, ...] = (Right.LAESER, Right.REDIGER, Right.RAPPORTER, Right.ADMINISTRATOR)
DISPLAY_ORDER: tuple[Right, ...] = (Right.ADMINISTRATOR, Right.REDIGER, Right.LAESER, Right.RAPPORTER)


def grantable_rights(is_sa_staff: bool, is_sa_admin: bool) -> frozenset[Right]:
    """Return the rights a giver with these SA flags may give or take away (pure table lookup)."""
    return frozenset(r for r in Right
                     if r not in SA_GRANTED_RIGHTS or staff_may(SA_GRANTED_RIGHTS[r], is_sa_staff, is_sa_admin))


def rights_needing_b_number() -> frozenset[Right]:
    """Return the rights that open nothing without a B-number (every menu item they open needs one)."""
    return frozenset(r for r in Right if all(item.needs_b_number for item in RIGHTS_TABLE if r in item.rights))


def ordered_rights(names: Iterable[Right | str]) -> list[str]:
    """Return the known right names among `names` in display order, each once."""
    held = {str(n) for n in names}
    return [r.value for r in DISPLAY_ORDER if r.value in held]


def rights_text(names: Iterable[Right | str]) -> str:
    """Return rights as the grid shows them, in display order: 'Administrator, Læser'."""
    return ", ".join(ordered_rights(names))


def parse_rights(names: Iterable[str]) -> frozenset[Right]:
    """Turn stored right names into `Right` values, ignoring unknown names."""
    valid = {r.value: r for r in Right}
    return frozenset(valid[n] for n in names if n in valid)


def rights_open_menu(menu: Menu, rights: Iterable[Right], has_b_number: bool) -> bool:
    """Tell whether a set of rights on one CVR opens `menu` (pure rights-table lookup)."""
    item = MENU_ITEMS[menu]
    if item.needs_b_number and not has_b_number:
        return False
    return bool(item.rights & frozenset(rights))
