"""data/users.py: the administered scope, scoped reads, creation with a mailed password, merging by e-mail,
edits that never touch (or reveal) grants on other customers' CVRs, deactivation, removal, validation, audit."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.access import AccessDenied, Principal
from core.passwords import verify_password
from data import users
from data.db import get_session
from data.models import AuditLog, Grant, MailOutbox, User
from tests import world

SHARED = "delt.bruger@example.dk"  # grants on A (administered by ADMIN_AB) and C (not)
ONLY_C = "kun.c@example.dk"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def extra(app):
    """Add a user shared between A and C, and one only on C, to aim forged payloads at."""
    with app.app_context():
        session = get_session()
        shared = User(email=SHARED, name="Delt Bruger", password_hash=world.password_hash(),
                      grants=[Grant(cvr=world.CVR_A, rights=["Læser"]), Grant(cvr=world.CVR_C, rights=["Rediger", "Rapporter"])])
        only_c = User(email=ONLY_C, name="Kun Cirkler", password_hash=world.password_hash(),
                      grants=[Grant(cvr=world.CVR_C, rights=["Læser"])])
        session.add_all([shared, only_c])
        session.commit()
        return {"shared": shared.id, "only_c": only_c.id}


def principal(email_: str) -> Principal:
    """Load a principal as the sign-in does."""
    user = get_session().scalar(select(User).options(selectinload(User.grants)).where(User.email == email_))
    return Principal.from_user(user)


def user_row(email_: str) -> User | None:
    session = get_session()
    session.expire_all()
    return session.scalar(select(User).where(User.email == email_))


def grants_of(user_id: int) -> dict[str, list[str]]:
    session = get_session()
    session.expire_all()
    return {g.cvr: sorted(g.rights) for g in session.scalars(select(Grant).where(Grant.user_id == user_id))}


def outbox(app_config) -> list[email.message.EmailMessage]:
    folder = Path(app_config["MAIL_OUTBOX_PATH"])
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def form(**kw):
    base = {"name": "Ny Bruger", "email": "ny.bruger@institution.dk", "b_number": "",
            "groups": [{"cvr": world.CVR_A, "rights": ["Læser"]}]}
    return base | kw


def update_now(actor, cvr, user_id, raw):
    """Save as a form opened just now does: at the user's current version."""
    known = isinstance(user_id, int) and not isinstance(user_id, bool) and user_id < 2**63
    version = get_session().scalar(select(User.version).where(User.id == user_id)) if known else None
    return users.update_user(actor, cvr, user_id, raw, version=version or 1)


# --- scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("email_, expected", [
    (world.ADMIN_AB, {world.CVR_A, world.CVR_B}),
    (world.LAESER_A, set()),
    (world.REDIGER_A, set()),
    (world.RAPPORTER_A, set()),
    (world.TWO_CVRS, set()),
])
def test_admin_scope_is_the_administrator_cvrs(app, email_, expected):
    with app.app_context():
        scope = users.admin_scope(principal(email_))
        assert not scope.all_customers and scope.cvrs == frozenset(expected)


@pytest.mark.parametrize("email_", [world.SA_STAFF, world.SA_ADMIN])
def test_sa_staff_administer_every_cvr(app, email_):
    with app.app_context():
        assert users.admin_scope(principal(email_)).all_customers


@pytest.mark.parametrize("email_, grantable", [
    (world.ADMIN_AB, {"Læser", "Rediger", "Rapporter"}),
    (world.SA_STAFF, {"Læser", "Rediger", "Rapporter"}),
    (world.SA_ADMIN, {"Læser", "Rediger", "Rapporter", "Administrator"}),
])
def test_only_sa_system_administrators_may_give_administrator(app, email_, grantable):
    with app.app_context():
        assert {r.value for r in users.grantable_rights(principal(email_))} == grantable


# --- reads ---------------------------------------------------------------------------------------


def test_list_users_shows_rights_on_this_cvr_only(app, extra):
    with app.app_context():
        rows = {r["email"]: r for r in users.list_users(principal(world.ADMIN_AB), world.CVR_A)}
        assert world.LAESER_A in rows and world.LAESER_B not in rows and ONLY_C not in rows
        assert rows[world.TWO_CVRS]["rights"] == ["Læser"]  # not B's Rapporter
        assert rows[SHARED]["rights"] == ["Læser"]  # nothing of C
        assert rows[world.INACTIVE]["active"] is False


@pytest.mark.parametrize("email_, cvr", [
    (world.ADMIN_AB, world.CVR_C), (world.LAESER_A, world.CVR_A), (world.REDIGER_A, world.CVR_A),
    (world.RAPPORTER_A, world.CVR_A), (world.ADMIN_AB, "12345678"), (world.ADMIN_AB, None),
])
def test_reads_outside_the_administered_cvrs_are_denied(app, extra, email_, cvr):
    with app.app_context():
        actor = principal(email_)
        for call in (lambda: users.list_users(actor, cvr), lambda: users.get_user(actor, cvr, extra["shared"]),
                     lambda: users.customer_choices(actor, cvr)):
            with pytest.raises(AccessDenied):
                call()


def test_get_user_hides_grants_on_other_customers(app, extra):
    with app.app_context():
        user = users.get_user(principal(world.ADMIN_AB), world.CVR_A, extra["shared"])
        assert user["groups"] == [{"cvr": world.CVR_A, "rights": ["Læser"]}]
        # A user without a grant on the CVR in context is not found, whatever their id.
        assert users.get_user(principal(world.ADMIN_AB), world.CVR_A, extra["only_c"]) is None
        assert users.get_user(principal(world.ADMIN_AB), world.CVR_B, extra["shared"]) is None
        for forged in (True, "1", -1, 2**70, None, [1], {"id": 1}):
            assert users.get_user(principal(world.ADMIN_AB), world.CVR_A, forged) is None
        # SA staff see every grant.
        sa_view = users.get_user(principal(world.SA_STAFF), world.CVR_A, extra["shared"])
        assert {g["cvr"] for g in sa_view["groups"]} == {world.CVR_A, world.CVR_C}


def test_customer_choices(app):
    with app.app_context():
        assert [c["cvr"] for c in users.customer_choices(principal(world.ADMIN_AB), world.CVR_B)] == [world.CVR_B, world.CVR_A]
        assert {c["cvr"] for c in users.customer_choices(principal(world.SA_STAFF), world.CVR_C)} == {
            world.CVR_A, world.CVR_B, world.CVR_C}


# --- create --------------------------------------------------------------------------------------


def test_create_user_with_generated_password_mail_and_audit(app, app_config):
    with app.app_context():
        result = users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(
            b_number="b 123456", groups=[{"cvr": world.CVR_A, "rights": ["Læser", "Rapporter"]},
                                         {"cvr": world.CVR_B, "rights": ["Rediger"]}]))
        assert result.created and result.mail_sent and result.warnings == ()
        user = user_row("ny.bruger@institution.dk")
        assert user.must_change_password and user.is_active and not user.is_sa_staff and not user.is_sa_admin
        assert user.b_number == "B123456"
        assert grants_of(user.id) == {world.CVR_A: ["Læser", "Rapporter"], world.CVR_B: ["Rediger"]}
        [message] = outbox(app_config)
        assert message["To"] == "ny.bruger@institution.dk" and message["Subject"] == "Din adgang til Kundeportalen"
        body = message.get_content()
        assert "Brugernavn: ny.bruger@institution.dk" in body and "første gang du logger ind" in body
        password = next(line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("Adgangskode: "))
        assert verify_password(user.password_hash, password)
        assert get_session().scalar(select(MailOutbox).where(MailOutbox.recipient == user.email)).sent_at is not None
        rows = list(get_session().scalars(select(AuditLog).where(AuditLog.entity == "user", AuditLog.entity_id == str(user.id))))
        assert {(r.action, r.cvr) for r in rows} == {("create", world.CVR_A), ("create", world.CVR_B)}
        row_a = next(r for r in rows if r.cvr == world.CVR_A)
        assert row_a.before is None and row_a.after["rights"] == ["Læser", "Rapporter"]
        assert row_a.user_label.endswith(f"({world.ADMIN_AB})")
        assert password not in str(row_a.after)


@pytest.mark.parametrize("rights", [["Rapporter"], ["Læser", "Rapporter"]])
def test_rapporter_needs_a_b_number_the_administrator_can_fill_in(app, app_config, rights):
    # The guide: "B-nummeret skal udfyldes, hvis brugeren skal have rettigheden Rapporter".
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(groups=[{"cvr": world.CVR_A, "rights": rights}]))
        assert caught.value.errors == {"b_number": users.B_NUMBER_FOR_RAPPORTER}
        assert user_row("ny.bruger@institution.dk") is None and outbox(app_config) == []
        users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(b_number="B123"))
        target = user_row("ny.bruger@institution.dk").id
        with pytest.raises(users.UserValidationError):
            update_now(principal(world.ADMIN_AB), world.CVR_A, target, form(groups=[{"cvr": world.CVR_A, "rights": rights}]))
        update_now(principal(world.ADMIN_AB), world.CVR_A, target,
                   form(b_number="B123", groups=[{"cvr": world.CVR_A, "rights": rights}]))
        assert grants_of(target) == {world.CVR_A: sorted(rights)}


def test_rapporter_for_a_user_known_elsewhere_without_b_number_is_a_warning(app, extra):
    # The administrator cannot set that person's B-number, so the right is given with a note.
    with app.app_context():
        result = update_now(principal(world.ADMIN_AB), world.CVR_A, extra["shared"], form(
            name="Delt Bruger", groups=[{"cvr": world.CVR_A, "rights": ["Læser", "Rapporter"]}]))
        assert "kræver et B-nummer" in result.warnings[0]


@pytest.mark.parametrize("groups", [
    [{"cvr": world.CVR_C, "rights": ["Læser"]}],
    [{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_C, "rights": ["Læser"]}],
    [{"cvr": "12345678", "rights": ["Læser"]}],
    [{"cvr": "33391006", "rights": ["Læser"]}],
])
def test_customer_admin_cannot_grant_on_other_cvrs(app, app_config, groups):
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(groups=groups))
        bad = [i for i, g in enumerate(groups) if g["cvr"] != world.CVR_A]
        assert set(caught.value.group_errors) == set(bad)
        assert all("administrator for" in caught.value.group_errors[i]["cvr"] for i in bad)
        assert user_row("ny.bruger@institution.dk") is None and outbox(app_config) == []


@pytest.mark.parametrize("email_", [world.ADMIN_AB, world.SA_STAFF])
def test_administrator_is_refused_to_all_but_sa_system_administrators(app, app_config, email_):
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            users.create_user(principal(email_), world.CVR_A,
                              form(groups=[{"cvr": world.CVR_A, "rights": ["Administrator"]}]))
        assert "Kun Statens Administration" in caught.value.group_errors[0]["rights"]
        assert user_row("ny.bruger@institution.dk") is None and outbox(app_config) == []


def test_sa_system_administrator_grants_administrator(app):
    with app.app_context():
        users.create_user(principal(world.SA_ADMIN), world.CVR_C,
                          form(groups=[{"cvr": world.CVR_C, "rights": ["Administrator"]}]))
        assert grants_of(user_row("ny.bruger@institution.dk").id) == {world.CVR_C: ["Administrator"]}


def test_existing_email_gets_the_grant_merged_not_a_duplicate(app, app_config, extra):
    with app.app_context():
        before_hash = user_row(SHARED).password_hash
        result = users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(
            name="Et Andet Navn", email=SHARED.upper(),
            groups=[{"cvr": world.CVR_A, "rights": ["Rediger"]}, {"cvr": world.CVR_B, "rights": ["Læser"]}]))
        assert not result.created and result.name == "Delt Bruger"
        user = user_row(SHARED)
        assert user.password_hash == before_hash and not user.must_change_password and user.name == "Delt Bruger"
        assert grants_of(user.id) == {world.CVR_A: ["Læser", "Rediger"], world.CVR_B: ["Læser"],
                                      world.CVR_C: ["Rapporter", "Rediger"]}
        assert len(list(get_session().scalars(select(User).where(User.email.ilike(SHARED))))) == 1
        [message] = outbox(app_config)
        body = message.get_content()
        assert message["Subject"] == "Nye rettigheder i Kundeportalen" and "Adgangskode" not in body
        assert world.CVR_C not in body and "Center for Cirkler" not in body
        rows = list(get_session().scalars(select(AuditLog).where(AuditLog.entity_id == str(user.id))))
        assert {(r.action, r.cvr) for r in rows} == {("grant", world.CVR_A), ("grant", world.CVR_B)}
        for row in rows:
            assert "Rapporter" not in str(row.before) + str(row.after) or row.cvr != world.CVR_A
            assert world.CVR_C not in str(row.before) + str(row.after)


def test_existing_user_known_elsewhere_keeps_their_b_number(app, extra):
    # A B-number opens Rapporter at every customer of the user: an administrator of A alone must not
    # set one for a user who is also at C.
    with app.app_context():
        result = users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(
            email=SHARED, b_number="B424242", groups=[{"cvr": world.CVR_B, "rights": ["Læser"]}]))
        assert user_row(SHARED).b_number is None
        assert users.B_NUMBER_KEPT.format(mailbox="kundeportal@statens-adm.dk") in result.warnings
        assert grants_of(extra["shared"]) == {world.CVR_A: ["Læser"], world.CVR_B: ["Læser"],
                                              world.CVR_C: ["Rapporter", "Rediger"]}


def test_user_known_only_at_other_customers_is_not_attached(app, app_config, extra):
    # Attaching would show the administrator of A the name and B-number of a user of C alone.
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(
                email=ONLY_C.upper(), groups=[{"cvr": world.CVR_A, "rights": ["Læser"]}]))
        message = caught.value.errors["email"]
        assert message == users.KNOWN_ELSEWHERE.format(mailbox="kundeportal@statens-adm.dk")
        assert "Kun Cirkler" not in message and world.CVR_C not in message
        assert grants_of(extra["only_c"]) == {world.CVR_C: ["Læser"]}
        assert outbox(app_config) == []
        assert ONLY_C not in [r["email"] for r in users.list_users(principal(world.ADMIN_AB), world.CVR_A)]


def test_user_without_any_grant_is_not_attached_by_a_customer_administrator(app, extra):
    with app.app_context():
        session = get_session()
        session.add(User(email="uden.adgang@example.dk", name="Uden Adgang", password_hash=world.password_hash()))
        session.commit()
        with pytest.raises(users.UserValidationError):
            users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(email="uden.adgang@example.dk"))
        orphan = user_row("uden.adgang@example.dk")
        assert grants_of(orphan.id) == {}


def test_sa_staff_attach_a_user_known_at_another_customer(app, extra):
    with app.app_context():
        result = users.create_user(principal(world.SA_ADMIN), world.CVR_A, form(
            email=ONLY_C, groups=[{"cvr": world.CVR_A, "rights": ["Læser"]}]))
        assert not result.created and result.name == "Kun Cirkler"
        assert grants_of(extra["only_c"]) == {world.CVR_A: ["Læser"], world.CVR_C: ["Læser"]}


def test_existing_user_only_at_own_customers_gets_a_missing_b_number(app, extra):
    with app.app_context():
        users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(email="ny@institution.dk"))
        result = users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(
            email="ny@institution.dk", b_number="B424242", groups=[{"cvr": world.CVR_B, "rights": ["Læser"]}]))
        assert user_row("ny@institution.dk").b_number == "B424242" and not result.warnings


def test_email_of_sa_staff_is_refused(app):
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(email=world.SA_STAFF))
        assert "Statens Administration" in caught.value.errors["email"]
        assert grants_of(user_row(world.SA_STAFF).id) == {}


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, field, text", [
    ({"name": ""}, "name", "skal udfyldes"),
    ({"name": "   "}, "name", "skal udfyldes"),
    ({"name": "x" * 201}, "name", "højst være 200"),
    ({"name": "Ny\x00Bruger"}, "name", "ugyldige tegn"),
    ({"name": 42}, "name", "Ugyldig"),
    ({"email": ""}, "email", "skal udfyldes"),
    ({"email": "ikke-en-adresse"}, "email", "ikke gyldig"),
    ({"email": "a@b"}, "email", "ikke gyldig"),
    ({"email": "navn@institution.dk\r\nBcc: x@y.dk"}, "email", "ugyldige tegn"),
    ({"email": ["x@y.dk"]}, "email", "Ugyldig"),
    ({"b_number": "123456"}, "b_number", "B efterfulgt af cifre"),
    ({"b_number": "B12A"}, "b_number", "B efterfulgt af cifre"),
    ({"b_number": "B"}, "b_number", "B efterfulgt af cifre"),
    ({"b_number": "B١٢٣"}, "b_number", "B efterfulgt af cifre"),
    ({"b_number": "B" + "1" * 30}, "b_number", "højst være 20"),
    ({"groups": []}, "groups", "mindst én rettighedsgruppe"),
    ({"groups": "x"}, "groups", "Ugyldige"),
    ({"groups": [{"cvr": world.CVR_A, "rights": []}] * 51}, "groups", "Ugyldige"),
])
def test_field_validation(app, changes, field, text):
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            users.validate(principal(world.ADMIN_AB), form(**changes))
        assert text in caught.value.errors[field]


@pytest.mark.parametrize("groups, index, key, text", [
    ([{"cvr": world.CVR_A, "rights": []}], 0, "rights", "mindst én rettighed"),
    ([{"cvr": world.CVR_A}], 0, "rights", "mindst én rettighed"),
    ([{"cvr": world.CVR_A, "rights": ["Superbruger"]}], 0, "rights", "Ugyldigt"),
    ([{"cvr": world.CVR_A, "rights": "Læser"}], 0, "rights", "Ugyldigt"),
    ([{"cvr": None, "rights": ["Læser"]}], 0, "cvr", "Vælg et CVR-nummer"),
    ([{"cvr": {"$ne": 1}, "rights": ["Læser"]}], 0, "cvr", "administrator for"),
    ([{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_A, "rights": ["Rediger"]}], 1, "cvr", "allerede valgt"),
    (["x"], 0, "cvr", "Ugyldig"),
])
def test_group_validation(app, groups, index, key, text):
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            users.validate(principal(world.ADMIN_AB), form(groups=groups))
        assert text in caught.value.group_errors[index][key]


def test_valid_input_is_normalised(app):
    with app.app_context():
        data = users.validate(principal(world.ADMIN_AB), form(name="  Anne   Berg ", email=" Anne@Institution.DK ",
                                                              b_number=" b42 "))
        assert (data.name, data.email, data.b_number) == ("Anne Berg", "anne@institution.dk", "B42")
        assert users.validate(principal(world.ADMIN_AB), form(b_number="")).b_number is None


def test_addresses_differing_only_in_danish_capitals_are_one_user(app, app_config):
    # SQLite's lower() leaves Æ, Ø and Å alone: comparing in SQL made these two accounts.
    with app.app_context():
        first = users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(name="Åse Ørum", email="ÅSE.Ørum@Example.dk"))
        again = users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(
            name="Åse Ørum", email="åse.ørum@example.dk", groups=[{"cvr": world.CVR_B, "rights": ["Læser"]}]))
        assert first.created and not again.created and again.user_id == first.user_id
        assert user_row("åse.ørum@example.dk") is not None
        assert len(get_session().scalars(select(User).where(User.name == "Åse Ørum")).all()) == 1


def test_hostile_name_is_stored_as_text(app):
    # The form refuses such a name now (test_a_users_name_is_validated_as_a_name); one stored before
    # that rule stays as it is, as text, when the user is attached again.
    with app.app_context():
        session = get_session()
        session.add(User(email="ny.bruger@institution.dk", name=HOSTILE, password_hash=world.password_hash(),
                         grants=[Grant(cvr=world.CVR_A, rights=["Læser"])]))
        session.commit()
        users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(
            groups=[{"cvr": world.CVR_B, "rights": ["Læser"]}]))
        assert user_row("ny.bruger@institution.dk").name == HOSTILE


# --- update --------------------------------------------------------------------------------------


# --- stale forms and races -----------------------------------------------------------------------


def test_a_form_opened_before_another_save_is_refused(app, extra):
    with app.app_context():
        only_a = users.list_users(principal(world.ADMIN_AB), world.CVR_A)
        target = next(r["id"] for r in only_a if r["email"] == SHARED)
        opened = users.get_user(principal(world.ADMIN_AB), world.CVR_A, target)["version"]
        # Someone else saves first (SA adds Rediger) ...
        users.update_user(principal(world.SA_ADMIN), world.CVR_A, target, form(
            name="Delt Bruger", groups=[{"cvr": world.CVR_A, "rights": ["Læser", "Rediger"]}]), version=opened)
        # ... so the administrator's stale form cannot quietly take it away again.
        with pytest.raises(users.UserConflict) as caught:
            users.update_user(principal(world.ADMIN_AB), world.CVR_A, target, form(
                name="Delt Bruger", groups=[{"cvr": world.CVR_A, "rights": ["Læser"]}]), version=opened)
        assert "ændret af en anden" in caught.value.message
        assert grants_of(target)[world.CVR_A] == ["Læser", "Rediger"]
        fresh = users.get_user(principal(world.ADMIN_AB), world.CVR_A, target)["version"]
        assert fresh == opened + 1
        users.update_user(principal(world.ADMIN_AB), world.CVR_A, target, form(
            name="Delt Bruger", groups=[{"cvr": world.CVR_A, "rights": ["Læser"]}]), version=fresh)
        assert grants_of(target)[world.CVR_A] == ["Læser"]


@pytest.mark.parametrize("version", [None, "1", True, 1.0, 99, -1])
def test_a_forged_version_is_refused(app, extra, version):
    with app.app_context():
        with pytest.raises(users.UserConflict):
            users.update_user(principal(world.ADMIN_AB), world.CVR_A, extra["shared"], form(name="Delt Bruger"),
                              version=version)
        assert grants_of(extra["shared"])[world.CVR_A] == ["Læser"]


@pytest.mark.parametrize("other_action", ["remove", "deactivate", "grant"])
def test_other_actions_make_an_open_form_stale(app, extra, other_action):
    with app.app_context():
        admin = principal(world.ADMIN_AB)
        users.create_user(admin, world.CVR_A, form(email="ny@institution.dk"))
        target = user_row("ny@institution.dk").id
        opened = users.get_user(admin, world.CVR_A, target)["version"]
        if other_action == "remove":
            users.update_user(admin, world.CVR_A, target, form(email="ny@institution.dk", groups=[
                {"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_B, "rights": ["Læser"]}]), version=opened)
            opened = users.get_user(admin, world.CVR_A, target)["version"]
            users.remove_grant(admin, world.CVR_B, target)
        elif other_action == "deactivate":
            users.set_active(admin, world.CVR_A, target, False)
        else:
            users.create_user(admin, world.CVR_A, form(email="ny@institution.dk",
                                                       groups=[{"cvr": world.CVR_B, "rights": ["Læser"]}]))
        with pytest.raises(users.UserConflict):
            users.update_user(admin, world.CVR_A, target, form(email="ny@institution.dk", groups=[
                {"cvr": world.CVR_A, "rights": ["Rediger"]}]), version=opened)


def test_a_grant_removed_during_a_save_is_a_danish_conflict_not_a_500(app, extra, monkeypatch):
    # The race the version check closes: another request removes the grant after this one read it.
    with app.app_context():
        admin = principal(world.ADMIN_AB)
        opened = users.get_user(admin, world.CVR_A, extra["shared"])["version"]
        real_validate = users.validate

        def interleaved(*args, **kwargs):
            session = get_session()
            session.execute(Grant.__table__.delete().where(Grant.user_id == extra["shared"], Grant.cvr == world.CVR_A))
            return real_validate(*args, **kwargs)

        monkeypatch.setattr(users, "validate", interleaved)
        with pytest.raises(users.UserAdminError) as caught:
            users.update_user(admin, world.CVR_A, extra["shared"], form(
                name="Delt Bruger", groups=[{"cvr": world.CVR_A, "rights": ["Rediger"]}]), version=opened)
        assert caught.value.message == users.CHANGED_MEANWHILE
        assert grants_of(extra["shared"])[world.CVR_A] == ["Læser"]  # rolled back, nothing half-written


def test_adding_rights_a_user_already_holds_changes_nothing_and_sends_nothing(app, app_config, extra):
    with app.app_context():
        before = get_session().scalar(select(User.version).where(User.id == extra["shared"]))
        for _ in range(3):
            result = users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(email=SHARED))
            assert not result.changed and result.mail_sent is None
        assert outbox(app_config) == []
        assert list(get_session().scalars(select(AuditLog).where(AuditLog.entity_id == str(extra["shared"])))) == []
        assert get_session().scalar(select(User.version).where(User.id == extra["shared"])) == before


def test_update_replaces_grants_on_administered_cvrs_only(app, extra):
    with app.app_context():
        actor = principal(world.ADMIN_AB)
        update_now(actor, world.CVR_A, extra["shared"], form(
            name="Delt Bruger", email="ignored@x.dk", b_number="",
            groups=[{"cvr": world.CVR_A, "rights": ["Rediger", "Rapporter"]}, {"cvr": world.CVR_B, "rights": ["Læser"]}]))
        user = user_row(SHARED)
        assert (user.name, user.email, user.b_number) == ("Delt Bruger", SHARED, None)
        assert grants_of(user.id) == {world.CVR_A: ["Rapporter", "Rediger"], world.CVR_B: ["Læser"],
                                      world.CVR_C: ["Rapporter", "Rediger"]}
        rows = list(get_session().scalars(select(AuditLog).where(AuditLog.entity_id == str(user.id))))
        assert {(r.action, r.cvr) for r in rows} == {("update", world.CVR_A), ("update", world.CVR_B)}
        row_a = next(r for r in rows if r.cvr == world.CVR_A)
        assert row_a.before == {"name": "Delt Bruger", "email": SHARED, "b_number": "", "active": True, "rights": ["Læser"]}
        assert row_a.after["rights"] == ["Rediger", "Rapporter"] and row_a.after["name"] == "Delt Bruger"
        assert world.CVR_C not in str([(r.before, r.after) for r in rows])
        # Dropping B again deletes that grant only.
        update_now(actor, world.CVR_A, extra["shared"], form(
            name="Delt Bruger", b_number="", groups=[{"cvr": world.CVR_A, "rights": ["Rediger"]}]))
        assert grants_of(user.id) == {world.CVR_A: ["Rediger"], world.CVR_C: ["Rapporter", "Rediger"]}


@pytest.mark.parametrize("fields", [{"name": "Delt Bruger Ny", "b_number": ""}, {"name": "Delt Bruger", "b_number": "B77"}])
def test_update_of_shared_user_keeps_the_person(app, extra, fields):
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            update_now(principal(world.ADMIN_AB), world.CVR_A, extra["shared"], form(
                **fields, groups=[{"cvr": world.CVR_A, "rights": ["Rediger"]}]))
        assert set(caught.value.errors) == ({"name"} if fields["b_number"] == "" else {"b_number"})
        assert "andre kunder" in next(iter(caught.value.errors.values()))
        user = user_row(SHARED)
        assert (user.name, user.b_number) == ("Delt Bruger", None)
        assert grants_of(user.id) == {world.CVR_A: ["Læser"], world.CVR_C: ["Rapporter", "Rediger"]}
        # SA staff see every CVR, so for them the user is not shared outside their scope.
        update_now(principal(world.SA_STAFF), world.CVR_A, extra["shared"], form(
            **fields, groups=[{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_C, "rights": ["Rediger", "Rapporter"]}]))
        assert user_row(SHARED).name == fields["name"]


def test_update_cannot_touch_grants_on_c(app, extra):
    with app.app_context():
        with pytest.raises(users.UserValidationError) as caught:
            update_now(principal(world.ADMIN_AB), world.CVR_A, extra["shared"], form(
                groups=[{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_C, "rights": ["Læser"]}]))
        assert "administrator for" in caught.value.group_errors[1]["cvr"]
        assert grants_of(extra["shared"])[world.CVR_C] == ["Rapporter", "Rediger"]


@pytest.mark.parametrize("forged", ["only_c", 10**9, True, "1", None])
def test_update_of_a_user_without_grant_on_the_cvr_is_not_found(app, extra, forged):
    user_id = extra.get(forged, forged) if isinstance(forged, str) else forged
    with app.app_context():
        with pytest.raises(users.UserNotFound):
            update_now(principal(world.ADMIN_AB), world.CVR_A, user_id, form())
        for action in (lambda: users.set_active(principal(world.ADMIN_AB), world.CVR_A, user_id, False),
                       lambda: users.remove_grant(principal(world.ADMIN_AB), world.CVR_A, user_id)):
            with pytest.raises(users.UserNotFound):
                action()
        assert grants_of(extra["only_c"]) == {world.CVR_C: ["Læser"]}
        assert user_row(ONLY_C).is_active


def test_customer_admin_cannot_add_or_remove_administrator_on_update(app):
    with app.app_context():
        actor = principal(world.ADMIN_AB)
        laeser = user_row(world.LAESER_A)
        with pytest.raises(users.UserValidationError) as caught:
            update_now(actor, world.CVR_A, laeser.id, form(
                name="Laeser A", email=world.LAESER_A, groups=[{"cvr": world.CVR_A, "rights": ["Læser", "Administrator"]}]))
        assert "Kun Statens Administration" in caught.value.group_errors[0]["rights"]
        admin = user_row(world.ADMIN_AB)
        # Own Administrator right: neither unticked nor dropped with its group.
        for groups in ([{"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_B, "rights": ["Administrator"]}],
                       [{"cvr": world.CVR_B, "rights": ["Administrator"]}]):
            with pytest.raises(users.UserAdminError):
                update_now(actor, world.CVR_A, admin.id, form(name="Admin Ab", groups=groups))
        assert grants_of(admin.id) == {world.CVR_A: ["Administrator"], world.CVR_B: ["Administrator"]}
        # Keeping it (a locked, ticked box) while changing other things is fine.
        update_now(actor, world.CVR_A, admin.id, form(name="Admin AB", b_number="B200001", groups=[
            {"cvr": world.CVR_A, "rights": ["Administrator", "Læser"]}, {"cvr": world.CVR_B, "rights": ["Administrator"]}]))
        assert grants_of(admin.id)[world.CVR_A] == ["Administrator", "Læser"] and user_row(world.ADMIN_AB).name == "Admin AB"


def test_sa_admin_may_remove_administrator_but_not_their_own(app):
    with app.app_context():
        sa_admin = user_row(world.SA_ADMIN)
        get_session().add(Grant(user_id=sa_admin.id, cvr=world.CVR_C, rights=["Administrator"]))
        get_session().commit()
        actor = principal(world.SA_ADMIN)
        admin = user_row(world.ADMIN_AB)
        update_now(actor, world.CVR_A, admin.id, form(name="Admin Ab", groups=[
            {"cvr": world.CVR_A, "rights": ["Læser"]}, {"cvr": world.CVR_B, "rights": ["Administrator"]}]))
        assert grants_of(admin.id) == {world.CVR_A: ["Læser"], world.CVR_B: ["Administrator"]}
        with pytest.raises(users.UserAdminError, match="egen administratorrettighed"):
            update_now(actor, world.CVR_C, sa_admin.id, form(name="Sa Admin", groups=[
                {"cvr": world.CVR_C, "rights": ["Læser"]}]))
        with pytest.raises(users.UserAdminError, match="egen administratorrettighed"):
            users.remove_grant(actor, world.CVR_C, sa_admin.id)


def test_sa_staff_users_are_kept_by_sa(app):
    with app.app_context():
        staff = user_row(world.SA_STAFF)
        get_session().add(Grant(user_id=staff.id, cvr=world.CVR_A, rights=["Læser"]))
        get_session().commit()
        actor = principal(world.ADMIN_AB)
        for action in (lambda: update_now(actor, world.CVR_A, staff.id, form(name="X")),
                       lambda: users.set_active(actor, world.CVR_A, staff.id, False),
                       lambda: users.remove_grant(actor, world.CVR_A, staff.id)):
            with pytest.raises(users.UserAdminError, match="Statens Administration"):
                action()
        assert user_row(world.SA_STAFF).is_active


# --- activation and removal ----------------------------------------------------------------------


def test_deactivate_bumps_session_version_and_reactivate(app):
    with app.app_context():
        actor = principal(world.ADMIN_AB)
        user = user_row(world.TWO_CVRS)  # A and B: both administered
        version = user.session_version
        assert users.set_active(actor, world.CVR_A, user.id, False)["changed"]
        user = user_row(world.TWO_CVRS)
        assert not user.is_active and user.session_version == version + 1
        assert users.set_active(actor, world.CVR_A, user.id, False)["changed"] is False
        users.set_active(actor, world.CVR_B, user.id, True)
        user = user_row(world.TWO_CVRS)
        assert user.is_active and user.session_version == version + 1
        rows = list(get_session().scalars(select(AuditLog).where(AuditLog.entity_id == str(user.id)).order_by(AuditLog.id)))
        assert sorted((r.action, r.cvr) for r in rows) == [("deactivate", world.CVR_B), ("deactivate", world.CVR_A),
                                                           ("reactivate", world.CVR_B), ("reactivate", world.CVR_A)]
        off = {r.cvr: r for r in rows if r.action == "deactivate"}
        assert off[world.CVR_A].before["active"] is True and off[world.CVR_A].after["active"] is False
        assert off[world.CVR_A].after["rights"] == ["Læser"] and off[world.CVR_B].after["rights"] == ["Læser", "Rapporter"]


def test_deactivation_refusals(app, extra):
    with app.app_context():
        actor = principal(world.ADMIN_AB)
        with pytest.raises(users.UserAdminError, match="dig selv"):
            users.set_active(actor, world.CVR_A, actor.id, False)
        with pytest.raises(users.UserAdminError) as caught:
            users.set_active(actor, world.CVR_A, extra["shared"], False)
        assert "andre kunder" in caught.value.message and world.CVR_C not in caught.value.message
        assert "Cirkler" not in caught.value.message
        with pytest.raises(users.UserAdminError):
            users.set_active(actor, world.CVR_A, user_row(world.LAESER_A).id, "false")
        assert user_row(SHARED).is_active
        # SA staff may switch off a user shared between customers.
        users.set_active(principal(world.SA_STAFF), world.CVR_A, extra["shared"], False)
        assert not user_row(SHARED).is_active


def test_customer_admin_cannot_deactivate_another_administrator(app):
    with app.app_context():
        other = User(email="admin2@example.dk", name="Anden Admin", password_hash=world.password_hash(),
                     grants=[Grant(cvr=world.CVR_A, rights=["Administrator"])])
        get_session().add(other)
        get_session().commit()
        with pytest.raises(users.UserAdminError, match="Administratorer"):
            users.set_active(principal(world.ADMIN_AB), world.CVR_A, other.id, False)
        with pytest.raises(users.UserAdminError, match="Kun Statens Administration"):
            users.remove_grant(principal(world.ADMIN_AB), world.CVR_A, other.id)
        users.set_active(principal(world.SA_ADMIN), world.CVR_A, other.id, False)
        assert not user_row("admin2@example.dk").is_active


def test_remove_grant_keeps_other_access(app, extra):
    with app.app_context():
        users.remove_grant(principal(world.ADMIN_AB), world.CVR_A, extra["shared"])
        assert grants_of(extra["shared"]) == {world.CVR_C: ["Rapporter", "Rediger"]}
        row = get_session().scalar(select(AuditLog).where(AuditLog.entity_id == str(extra["shared"])))
        assert (row.action, row.cvr, row.before["rights"], row.after["rights"]) == (
            "remove_grant", world.CVR_A, ["Læser"], None)
        with pytest.raises(users.UserNotFound):
            users.remove_grant(principal(world.ADMIN_AB), world.CVR_A, extra["shared"])


@pytest.mark.parametrize("is_sa_staff, is_sa_admin, expected", [
    (False, False, False), (True, False, True), (False, True, True), (True, True, True)])
def test_user_is_sa_for_staff_and_system_administrators(is_sa_staff, is_sa_admin, expected):
    assert User(email="x@example.dk", name="X", is_sa_staff=is_sa_staff, is_sa_admin=is_sa_admin).is_sa is expected


# --- the link in the mails -----------------------------------------------------------------------


@pytest.mark.parametrize("base_url, public, expected", [
    ("https://kundeportal.example.dk/", "", "https://kundeportal.example.dk/login"),
    ("https://kundeportal.example.dk", "https://andet.example.dk", "https://kundeportal.example.dk/login"),
    (None, "https://kundeportal.statens-adm.dk/", "https://kundeportal.statens-adm.dk/login"),
    (None, "", "/login"),
])
def test_mail_links_to_the_address_the_caller_gives(app, app_config, extra, base_url, public, expected):
    app.config["PUBLIC_BASE_URL"] = public
    with app.app_context():
        users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(), base_url=base_url)
        users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(
            email=SHARED, groups=[{"cvr": world.CVR_B, "rights": ["Læser"]}]), base_url=base_url)
    welcome, granted = outbox(app_config)
    assert f"Log ind her: {expected}\n" in welcome.get_content()
    assert f"Log ind med din sædvanlige adgangskode her: {expected}\n" in granted.get_content()


def test_every_address_that_cannot_be_attached_gets_one_neutral_answer(app, app_config, extra):
    # Which of SA staff / another customer's user / a user without access an address belongs to is
    # not the customer administrator's to learn from the form.
    with app.app_context():
        session = get_session()
        session.add(User(email="uden.adgang@example.dk", name="Uden Adgang", password_hash=world.password_hash()))
        session.commit()
        answers = set()
        for address in (world.SA_STAFF, world.SA_ADMIN, ONLY_C, "uden.adgang@example.dk"):
            with pytest.raises(users.UserValidationError) as caught:
                users.create_user(principal(world.ADMIN_AB), world.CVR_A, form(email=address.upper()))
            answers.add(caught.value.errors["email"])
        assert len(answers) == 1
        [answer] = answers
        assert "Statens Administration (kundeportal@statens-adm.dk)" in answer
        assert "medarbejder" not in answer and "bruger" not in answer.lower()
        assert outbox(app_config) == []
