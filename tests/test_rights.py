"""The rights table, exhaustively: every right × every menu item × own / other CVR."""

import itertools

import pytest

from core.access import (
    AccessDenied,
    AccessScope,
    NotSignedIn,
    Principal,
    can_access,
    can_do,
    menu_scope,
    require_access,
    require_action,
    rights_grantable_by,
)
from core.rights import (
    DISPLAY_ORDER,
    FORM_ORDER,
    RIGHTS_TABLE,
    SA_ACTIONS,
    SA_GRANTED_RIGHTS,
    Action,
    Menu,
    Right,
    grantable_rights,
    ordered_rights,
    rights_needing_b_number,
    rights_text,
)

OWN = "33391005"
OTHER = "20000007"

# DESIGN.md's table, written out independently of auth/rights.py.
EXPECTED = {
    Menu.INFORMATION: {"Administrator", "Rediger", "Læser"},
    Menu.KUNDEAFTALER: {"Administrator", "Rediger", "Læser"},
    Menu.MOEDER: {"Administrator", "Rediger", "Læser"},
    Menu.AKTIONSLISTE: {"Administrator", "Rediger", "Læser"},
    Menu.DREJEBOEGER: {"Administrator", "Rediger", "Læser"},
    Menu.STAMDATA: {"Administrator", "Rediger", "Læser"},
    Menu.RAPPORTER: {"Administrator", "Rapporter"},
    Menu.KONTAKTPERSONER: {"Administrator", "Rediger"},
    Menu.BRUGERADMINISTRATION: {"Administrator"},
}


def principal(grants, b_number="B1", sa=False, admin=False):
    return Principal(id=1, email="u@x.dk", name="U", b_number=b_number, is_sa_staff=sa, is_sa_admin=admin,
                     session_version=1, must_change_password=False, grants=grants)


def test_table_covers_every_menu_once():
    assert [item.menu for item in RIGHTS_TABLE] == list(Menu)
    assert {item.path for item in RIGHTS_TABLE} == {f"/{m.value}" for m in Menu}


@pytest.mark.parametrize("right,menu,cvr", list(itertools.product(list(Right), list(Menu), [OWN, OTHER])))
def test_each_right_each_menu_own_and_other(right, menu, cvr):
    user = principal({OWN: frozenset({right})})
    expected = cvr == OWN and right.value in EXPECTED[menu]
    assert can_access(user, menu, cvr) is expected
    if expected:
        assert require_access(user, menu, cvr) == AccessScope.single(cvr)
    else:
        with pytest.raises(AccessDenied):
            require_access(user, menu, cvr)


@pytest.mark.parametrize("right", [Right.RAPPORTER, Right.ADMINISTRATOR])
def test_rapporter_needs_b_number(right):
    assert not can_access(principal({OWN: frozenset({right})}, b_number=None), Menu.RAPPORTER, OWN)
    assert not can_access(principal({OWN: frozenset({right})}, b_number="  "), Menu.RAPPORTER, OWN)
    assert can_access(principal({OWN: frozenset({right})}), Menu.RAPPORTER, OWN)


def test_rights_add_up_across_grants():
    user = principal({OWN: frozenset({Right.LAESER, Right.RAPPORTER}), OTHER: frozenset({Right.REDIGER})})
    assert can_access(user, Menu.RAPPORTER, OWN) and can_access(user, Menu.INFORMATION, OWN)
    assert not can_access(user, Menu.KONTAKTPERSONER, OWN)
    assert can_access(user, Menu.KONTAKTPERSONER, OTHER) and not can_access(user, Menu.RAPPORTER, OTHER)


@pytest.mark.parametrize("menu", list(Menu))
def test_sa_staff_every_menu_every_cvr(menu):
    for user in (principal({}, sa=True), principal({}, admin=True)):
        assert can_access(user, menu, OWN) and can_access(user, menu, OTHER)
        assert menu_scope(user, menu).all_customers


@pytest.mark.parametrize("bad", [None, "", "3339100", "333910055", "33391006", "3339100a", " 33391005", ["33391005"], 33391005])
def test_malformed_cvr_is_denied(bad):
    user = principal({OWN: frozenset(Right)}, sa=True)
    assert not can_access(user, Menu.STAMDATA, bad)


def test_anonymous_is_not_signed_in():
    with pytest.raises(NotSignedIn):
        require_access(None, Menu.STAMDATA, OWN)


def test_menu_scope_lists_only_cvrs_with_the_right():
    user = principal({OWN: frozenset({Right.LAESER}), OTHER: frozenset({Right.RAPPORTER})})
    assert menu_scope(user, Menu.STAMDATA).cvrs == {OWN}
    assert menu_scope(user, Menu.RAPPORTER).cvrs == {OTHER}
    assert menu_scope(user, Menu.BRUGERADMINISTRATION).cvrs == frozenset()


def test_scope_clause_filters_in_sql():
    from sqlalchemy import column, select

    sql = str(select(column("x")).where(AccessScope.single(OWN).clause(column("cvr"))).compile(compile_kwargs={"literal_binds": True}))
    assert "cvr IN ('33391005')" in sql


# --- what only SA does ---------------------------------------------------------------------------

SA_ADMIN_ONLY = {Action.GRANT_ADMINISTRATOR, Action.MAINTAIN_SA_USERS, Action.READ_PRIVACY_LOG,
                 Action.APPROVE_ADMINISTRATORS, Action.REGISTER_SIGNATORIES, Action.RESET_SECOND_FACTOR}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("who", ["customer_admin", "sa_staff", "sa_admin", "anonymous"])
def test_sa_actions_every_kind_of_user(action, who):
    users = {"customer_admin": principal({OWN: frozenset(Right)}), "sa_staff": principal({}, sa=True),
             "sa_admin": principal({}, admin=True), "anonymous": None}
    user = users[who]
    expected = who == "sa_admin" or (who == "sa_staff" and action not in SA_ADMIN_ONLY)
    assert can_do(user, action) is expected
    if expected:
        require_action(user, action)
    else:
        with pytest.raises(AccessDenied):
            require_action(user, action)


def test_every_sa_action_is_in_the_table():
    assert set(SA_ACTIONS) == set(Action)


# --- who gives which right -----------------------------------------------------------------------

CUSTOMER_GIVES = {"Læser", "Rediger", "Rapporter"}


@pytest.mark.parametrize("is_sa_staff, is_sa_admin, expected", [
    (False, False, CUSTOMER_GIVES),
    (True, False, CUSTOMER_GIVES),
    (False, True, CUSTOMER_GIVES | {"Administrator"}),
    (True, True, CUSTOMER_GIVES | {"Administrator"}),
])
def test_only_sa_system_administrators_give_administrator(is_sa_staff, is_sa_admin, expected):
    assert {r.value for r in grantable_rights(is_sa_staff, is_sa_admin)} == expected


@pytest.mark.parametrize("who, expected", [
    ("customer_admin", CUSTOMER_GIVES),
    ("sa_staff", CUSTOMER_GIVES),
    ("sa_admin", CUSTOMER_GIVES | {"Administrator"}),
    ("anonymous", CUSTOMER_GIVES),
])
def test_rights_grantable_by_every_kind_of_user(who, expected):
    users = {"customer_admin": principal({OWN: frozenset(Right)}), "sa_staff": principal({}, sa=True),
             "sa_admin": principal({}, admin=True), "anonymous": None}
    assert {r.value for r in rights_grantable_by(users[who])} == expected


def test_every_sa_granted_right_needs_an_sa_admin_action():
    assert SA_GRANTED_RIGHTS == {Right.ADMINISTRATOR: Action.GRANT_ADMINISTRATOR}
    assert all(SA_ACTIONS[action] == "sa_admin" for action in SA_GRANTED_RIGHTS.values())


def test_only_rapporter_opens_nothing_without_a_b_number():
    assert rights_needing_b_number() == {Right.RAPPORTER}


def test_rights_in_form_and_display_order():
    assert [r.value for r in FORM_ORDER] == ["Læser", "Rediger", "Rapporter", "Administrator"]
    assert set(FORM_ORDER) == set(DISPLAY_ORDER) == set(Right)
    assert ordered_rights(["Rapporter", "Læser", "Administrator", "Læser", "ukendt"]) == [
        "Administrator", "Læser", "Rapporter"]
    assert ordered_rights([Right.REDIGER]) == ["Rediger"]
    assert rights_text(["Læser", "Administrator"]) == "Administrator, Læser"
    assert rights_text([]) == ""


def test_only_sa_staff_edit_content():
    from core.rights import Action, staff_may

    assert staff_may(Action.EDIT_CONTENT, is_sa_staff=True, is_sa_admin=False)
    assert staff_may(Action.EDIT_CONTENT, is_sa_staff=False, is_sa_admin=True)
    assert not staff_may(Action.EDIT_CONTENT, is_sa_staff=False, is_sa_admin=False)
