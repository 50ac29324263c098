"""data.contacts, data.audit and data.roles_catalogue: validation, scope, SA-only roles, locking, audit."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update

from core.access import AccessDenied, AccessScope, Principal
from data import audit, contacts
from data.db import get_session
from data.models import AuditLog, Contact, ContactRole, User
from data.roles_catalogue import CATALOGUE, ensure_role_catalogue
from tests import world

SCOPE_A = AccessScope.single(world.CVR_A)
SCOPE_B = AccessScope.single(world.CVR_B)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@dataclass
class World:
    session: object
    rediger_a: Principal
    sa_staff: Principal
    roles: dict[str, ContactRole]

    def role_id(self, name: str) -> int:
        return self.roles[name].id


def _principal(session, email: str) -> Principal:
    return Principal.from_user(session.scalar(select(User).where(User.email == email)))


@pytest.fixture
def w(app):
    with app.app_context():
        session = get_session()
        roles = ensure_role_catalogue(session)
        session.commit()
        yield World(session, _principal(session, world.REDIGER_A), _principal(session, world.SA_STAFF),
                    {r.name: r for r in roles})


def _raw(**overrides):
    raw = {"title": "Bogholder", "name": "Hans Hansen", "email": "hans@institution.dk", "shared_email": "",
           "phone": "12345678", "notes": "", "role_ids": [], "tabs": ["regnskab"]}
    raw.update(overrides)
    return raw


def _audit_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditLog))


# --- the role catalogue -------------------------------------------------------------------------


def test_catalogue_has_the_guides_roles(w):
    names = [r.name for r in w.session.scalars(select(ContactRole).order_by(ContactRole.sort_order))]
    assert names[0] == "Deltager – Forum for lønansvarlige"
    assert names[11] == "Fejlindlæsning af lønposter"
    assert len(names) == 15
    sa_only = {r.name: r for r in w.roles.values() if r.sa_only}
    assert set(sa_only) == {"Deltager – Kundeforum", "Primær lønkontakt", "Primær regnskabskontakt"}
    assert sa_only["Deltager – Kundeforum"].tabs == ["generelt"]
    assert sa_only["Primær lønkontakt"].tabs == ["generelt", "loen"]
    assert sa_only["Primær regnskabskontakt"].tabs == ["generelt", "regnskab"]
    personal = {r.name for r in w.roles.values() if r.personal_data}
    assert personal == {"Kontaktperson – Uddata", "Kvitteringsmail – Lønportalen", "Kontaktperson – Refusion"}
    assert all(r.description for r in w.roles.values())


def test_catalogue_is_idempotent(w):
    w.roles["Afstemning Løn"].description = "ændret"
    w.session.commit()
    ensure_role_catalogue(w.session)
    ensure_role_catalogue(w.session)
    w.session.commit()
    assert w.session.scalar(select(func.count()).select_from(ContactRole)) == len(CATALOGUE)
    assert w.session.scalar(select(ContactRole.description).where(ContactRole.name == "Afstemning Løn")).startswith("Denne rolle")


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("given,stored", [
    ("12345678", "12345678"),
    ("12 34 56 78", "12345678"),
    ("+45 12 34 56 78", "12345678"),
    ("+4512345678", "12345678"),
    ("  1234 5678 ", "12345678"),
    ("", ""),
])
def test_phone_is_normalised(given, stored):
    assert contacts.validate(_raw(phone=given)).phone == stored


@pytest.mark.parametrize("bad", ["1234567", "123456789", "+46 12345678", "0045 12345678", "12-34-56-78", "abcdefgh",
                                 "١٢٣٤٥٦٧٨", "１２３４５６７８", "+45", HOSTILE, "1" * 40, 12345678])
def test_bad_phone_is_refused(bad):
    with pytest.raises(contacts.ContactValidationError) as exc:
        contacts.validate(_raw(phone=bad))
    assert "phone" in exc.value.errors


@pytest.mark.parametrize("field", ["email", "shared_email"])
@pytest.mark.parametrize("bad", ["hans", "hans@", "@institution.dk", "hans@@institution.dk", "hans institution.dk",
                                 HOSTILE, "<hans@institution.dk>", "hans@institution.dk\nBcc: x@y.dk",
                                 "a" * 250 + "@x.dk", ["hans@institution.dk"]])
def test_bad_addresses_are_refused(field, bad):
    with pytest.raises(contacts.ContactValidationError) as exc:
        contacts.validate(_raw(**{field: bad, "email": "ok@institution.dk" if field == "shared_email" else bad}))
    assert field in exc.value.errors
    assert "gyldig" in exc.value.errors[field] or "ugyldig" in exc.value.errors[field].lower() or "højst" in exc.value.errors[field]


def test_addresses_are_normalised():
    data = contacts.validate(_raw(email=" Hans@Institution.DK ", shared_email="løn@institution.dk"))
    assert data.email == "Hans@institution.dk"
    assert data.shared_email == "løn@institution.dk"


def test_one_address_is_needed():
    with pytest.raises(contacts.ContactValidationError) as exc:
        contacts.validate(_raw(email="", shared_email=""))
    assert "fællesmail" in exc.value.errors["email"]
    assert contacts.validate(_raw(email="", shared_email="fælles@institution.dk")).shared_email


@pytest.mark.parametrize("name,message", [("", "Navn skal udfyldes."), ("   ", "Navn skal udfyldes."),
                                          ("x" * 201, "Navn må højst være 200 tegn."), (None, "Navn skal udfyldes."),
                                          (42, "Ugyldig værdi."), ("Hans\x00Hansen", "Navn indeholder ugyldige tegn.")])
def test_name_is_required_and_bounded(name, message):
    with pytest.raises(contacts.ContactValidationError) as exc:
        contacts.validate(_raw(name=name))
    assert exc.value.errors["name"] == message


@pytest.mark.parametrize("field,limit", [("title", 120), ("notes", 2000)])
def test_lengths_are_bounded(field, limit):
    assert contacts.validate(_raw(**{field: "x" * limit}))
    with pytest.raises(contacts.ContactValidationError) as exc:
        contacts.validate(_raw(**{field: "x" * (limit + 1)}))
    assert f"højst være {limit} tegn" in exc.value.errors[field]


@pytest.mark.parametrize("roles", ["1", [True], ["1"], [1.5], {"a": 1}, list(range(60)), [2**70], [0], [-3]])
def test_malformed_roles_are_refused(roles):
    with pytest.raises(contacts.ContactValidationError) as exc:
        contacts.validate(_raw(role_ids=roles))
    assert "roles" in exc.value.errors


@pytest.mark.parametrize("tabs", ["generelt", ["Generelt"], ["refusion"], [None], [HOSTILE]])
def test_malformed_tabs_are_refused(tabs):
    with pytest.raises(contacts.ContactValidationError) as exc:
        contacts.validate(_raw(tabs=tabs))
    assert exc.value.errors["tabs"] == "Ukendt faneblad."


def test_unknown_role_id_is_refused(w):
    with pytest.raises(contacts.ContactValidationError) as exc:
        contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw(role_ids=[999999]))
    assert exc.value.errors == {"roles": "Ukendt rolle."}
    assert w.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_hostile_text_is_stored_as_text(w):
    created = contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a,
                                      _raw(title=HOSTILE, name=HOSTILE, notes=HOSTILE + "\nlinje 2"))
    stored = contacts.get_contact(SCOPE_A, world.CVR_A, created["id"])
    assert stored["name"] == HOSTILE and stored["title"] == HOSTILE
    assert stored["notes"] == HOSTILE + "\nlinje 2"


# --- scope ---------------------------------------------------------------------------------------


def _b_contact(w) -> dict:
    return contacts.create_contact(SCOPE_B, world.CVR_B, w.sa_staff, _raw(name="Bøger Kontakt", email="b@boeger.dk"))


def test_other_customers_contact_is_invisible_and_untouchable(w):
    b = _b_contact(w)
    assert contacts.get_contact(SCOPE_A, world.CVR_A, b["id"]) is None
    # A scope of A with the CVR of B finds nothing either: the scope filters in SQL.
    assert contacts.get_contact(SCOPE_A, world.CVR_B, b["id"]) is None
    assert contacts.list_contacts(SCOPE_A, world.CVR_B) == []
    with pytest.raises(contacts.ContactNotFound):
        contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, b["id"], 1, _raw(name="Overtaget"))
    with pytest.raises(contacts.ContactNotFound):
        contacts.delete_contact(SCOPE_A, world.CVR_A, w.rediger_a, b["id"], 1)
    with pytest.raises(AccessDenied):
        contacts.update_contact(SCOPE_A, world.CVR_B, w.rediger_a, b["id"], 1, _raw(name="Overtaget"))
    with pytest.raises(AccessDenied):
        contacts.create_contact(SCOPE_A, world.CVR_B, w.rediger_a, _raw())
    assert contacts.contact_history(SCOPE_A, world.CVR_B, b["id"]) == []
    still = contacts.get_contact(SCOPE_B, world.CVR_B, b["id"])
    assert still["name"] == "Bøger Kontakt" and still["version"] == 1


def test_malformed_ids_find_nothing(w):
    for bad_id in (None, "1", True, -1, 0, 2**70, 1.0, [1], {"id": 1}):
        assert contacts.get_contact(SCOPE_A, world.CVR_A, bad_id) is None
        with pytest.raises(contacts.ContactNotFound):
            contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, bad_id, 1, _raw())
        with pytest.raises(contacts.ContactNotFound):
            contacts.delete_contact(SCOPE_A, world.CVR_A, w.rediger_a, bad_id, 1)


# --- SA-only roles ------------------------------------------------------------------------------


def test_customer_cannot_create_with_sa_only_role(w):
    before = _audit_count(w.session)
    for role in ("Deltager – Kundeforum", "Primær lønkontakt", "Primær regnskabskontakt"):
        with pytest.raises(contacts.SaOnlyRoleError) as exc:
            contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a,
                                    _raw(role_ids=[w.role_id("Afstemning Løn"), w.role_id(role)]))
        assert role in exc.value.message and "kundeportal@statens-adm.dk" in exc.value.message
    assert w.session.scalar(select(func.count()).select_from(Contact)) == 0
    assert _audit_count(w.session) == before


def test_customer_cannot_add_or_remove_sa_only_role_on_change(w):
    mine = contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw(role_ids=[w.role_id("Afstemning Løn")]))
    with pytest.raises(contacts.SaOnlyRoleError):
        contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, mine["id"], 1,
                                _raw(role_ids=[w.role_id("Afstemning Løn"), w.role_id("Primær lønkontakt")]))
    sa_given = contacts.create_contact(SCOPE_A, world.CVR_A, w.sa_staff,
                                       _raw(name="Primær", role_ids=[w.role_id("Primær lønkontakt")]))
    with pytest.raises(contacts.SaOnlyRoleError):
        contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, sa_given["id"], 1, _raw(name="Primær", role_ids=[]))
    with pytest.raises(contacts.SaOnlyRoleError) as refused:
        contacts.delete_contact(SCOPE_A, world.CVR_A, w.rediger_a, sa_given["id"], 1)
    assert "»Primær lønkontakt«" in str(refused.value) and "for at få kontaktpersonen slettet" in str(refused.value)
    assert contacts.get_contact(SCOPE_A, world.CVR_A, mine["id"])["roles"] == ["Afstemning Løn"]
    assert contacts.get_contact(SCOPE_A, world.CVR_A, sa_given["id"])["roles"] == ["Primær lønkontakt"]


def test_customer_may_edit_other_fields_of_contact_with_sa_only_role(w):
    sa_given = contacts.create_contact(SCOPE_A, world.CVR_A, w.sa_staff,
                                       _raw(name="Primær", role_ids=[w.role_id("Primær lønkontakt")]))
    changed = contacts.update_contact(
        SCOPE_A, world.CVR_A, w.rediger_a, sa_given["id"], 1,
        _raw(name="Primær Ny", role_ids=[w.role_id("Primær lønkontakt"), w.role_id("Kontaktperson – Løn")]))
    assert changed["name"] == "Primær Ny" and changed["version"] == 2
    assert changed["roles"] == ["Kontaktperson – Løn", "Primær lønkontakt"]


def test_sa_staff_manage_sa_only_roles_and_they_decide_tabs(w):
    created = contacts.create_contact(SCOPE_A, world.CVR_A, w.sa_staff,
                                      _raw(tabs=[], role_ids=[w.role_id("Primær regnskabskontakt")]))
    assert created["effective_tabs"] == ["generelt", "regnskab"]
    changed = contacts.update_contact(SCOPE_A, world.CVR_A, w.sa_staff, created["id"], 1,
                                      _raw(tabs=[], role_ids=[w.role_id("Deltager – Kundeforum")]))
    assert changed["effective_tabs"] == ["generelt"] and changed["tabs"] == []
    assert contacts.delete_contact(SCOPE_A, world.CVR_A, w.sa_staff, created["id"], 2)["id"] == created["id"]


def test_a_contact_must_show_on_some_stamdata_tab(w):
    # The form decides which Stamdata tab the contact shows on; one on no tab would be lost.
    session = get_session()
    before = _audit_count(session)
    with pytest.raises(contacts.ContactValidationError) as caught:
        contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw(tabs=[]))
    assert caught.value.errors == {"tabs": contacts.NO_TAB}
    assert contacts.list_contacts(SCOPE_A, world.CVR_A) == [] and _audit_count(session) == before
    created = contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw(tabs=["loen"]))
    with pytest.raises(contacts.ContactValidationError):
        contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], 1, _raw(tabs=[]))
    assert contacts.get_contact(SCOPE_A, world.CVR_A, created["id"])["tabs"] == ["loen"]


def test_contacts_for_tab(w):
    contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw(name="Regnskab", tabs=["regnskab"]))
    contacts.create_contact(SCOPE_A, world.CVR_A, w.sa_staff,
                            _raw(name="Løn", tabs=[], role_ids=[w.role_id("Primær lønkontakt")]))
    names = {tab: [c["name"] for c in contacts.contacts_for_tab(SCOPE_A, world.CVR_A, tab)]
             for tab in ("generelt", "regnskab", "loen")}
    assert names == {"generelt": ["Løn"], "regnskab": ["Regnskab"], "loen": ["Løn"]}
    assert contacts.contacts_for_tab(SCOPE_A, world.CVR_A, "ukendt") == []
    assert contacts.contacts_for_tab(SCOPE_B, world.CVR_A, "regnskab") == []


# --- optimistic locking ---------------------------------------------------------------------------


def test_second_concurrent_save_is_refused(w):
    created = contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw())
    other = Principal(**{**w.rediger_a.__dict__, "id": w.sa_staff.id, "name": "Anne Andersen"})
    # Both forms loaded version 1; the first save wins.
    contacts.update_contact(SCOPE_A, world.CVR_A, other, created["id"], 1, _raw(name="Først"))
    with pytest.raises(contacts.ContactConflict) as exc:
        contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], 1, _raw(name="Sidst"))
    assert exc.value.message.startswith("Kontaktpersonen er ændret samtidig af Anne Andersen kl. ")
    assert exc.value.message.endswith("Der er ikke gemt noget — genindlæs og prøv igen.")
    assert re.match(r"\d\d:\d\d\. ", exc.value.message.split(" kl. ")[1])  # HH:MM
    stored = contacts.get_contact(SCOPE_A, world.CVR_A, created["id"])
    assert stored["name"] == "Først" and stored["version"] == 2
    with pytest.raises(contacts.ContactConflict):
        contacts.delete_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], 1)
    assert contacts.get_contact(SCOPE_A, world.CVR_A, created["id"]) is not None


def test_version_is_compared_inside_the_update(w, monkeypatch):
    created = contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw())
    real_validate = contacts.validate

    def validate_while_someone_saves(raw):
        # Another save lands after our read and before our UPDATE.
        w.session.execute(update(Contact).where(Contact.id == created["id"]).values(version=Contact.version + 1))
        return real_validate(raw)

    monkeypatch.setattr(contacts, "validate", validate_while_someone_saves)
    with pytest.raises(contacts.ContactConflict):
        contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], 1, _raw(name="Overskrevet?"))
    monkeypatch.setattr(contacts, "validate", real_validate)
    assert contacts.get_contact(SCOPE_A, world.CVR_A, created["id"])["name"] == "Hans Hansen"


def test_wrong_version_is_a_conflict(w):
    created = contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw())
    for version in (None, "1", 0, 2, True, 1.0):
        with pytest.raises(contacts.ContactConflict):
            contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], version, _raw(name="X"))
    assert contacts.get_contact(SCOPE_A, world.CVR_A, created["id"])["version"] == 1


# --- audit trail ----------------------------------------------------------------------------------


def test_every_change_is_audited(w):
    created = contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a,
                                      _raw(role_ids=[w.role_id("Kontaktperson – Regnskab")]))
    contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], 1, _raw(name="Hans H. Hansen"))
    history = contacts.contact_history(SCOPE_A, world.CVR_A, created["id"])
    assert [h["action"] for h in history] == ["update", "create"]
    update_row, create_row = history
    assert create_row["before"] is None
    assert create_row["after"]["name"] == "Hans Hansen"
    assert create_row["after"]["roles"] == ["Kontaktperson – Regnskab"]
    assert update_row["before"]["name"] == "Hans Hansen" and update_row["after"]["name"] == "Hans H. Hansen"
    assert update_row["before"]["roles"] == ["Kontaktperson – Regnskab"] and update_row["after"]["roles"] == []
    assert world.REDIGER_A in update_row["user"]
    assert update_row["at"] is not None

    contacts.delete_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], 2)
    rows = list(w.session.scalars(select(AuditLog).where(AuditLog.entity == "contact").order_by(AuditLog.id)))
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert rows[-1].before["name"] == "Hans H. Hansen" and rows[-1].after is None
    assert {r.user_id for r in rows} == {w.rediger_a.id}
    assert {r.cvr for r in rows} == {world.CVR_A}
    # The audit trail of A is not visible through B's scope.
    assert audit.history(w.session, SCOPE_B, world.CVR_A, "contact", created["id"]) == []


def test_refused_writes_leave_no_audit_row(w):
    created = contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a, _raw())
    count = _audit_count(w.session)
    for call in (
        lambda: contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], 1, _raw(name="")),
        lambda: contacts.update_contact(SCOPE_A, world.CVR_A, w.rediger_a, created["id"], 7, _raw()),
        lambda: contacts.create_contact(SCOPE_A, world.CVR_A, w.rediger_a,
                                        _raw(role_ids=[w.role_id("Primær lønkontakt")])),
    ):
        with pytest.raises(contacts.ContactError):
            call()
    assert _audit_count(w.session) == count


def test_audit_record_is_generic(w):
    row = audit.record(w.session, None, "import", "thing", 5, None, None, {"when": __import__("datetime").date(2024, 1, 2),
                                                                           "tags": {"b", "a"}})
    w.session.commit()
    assert row.user_label == "system" and row.entity_id == "5"
    assert row.after == {"when": "2024-01-02", "tags": ["a", "b"]}


@pytest.mark.parametrize("cvr", [world.CVR_B, None, ["x"], {"$ne": 1}])
def test_one_customer_check_for_every_write_refuses_other_customers_and_forged_cvrs(app, cvr):
    from data.customers import require_customer

    with app.app_context():
        with pytest.raises(AccessDenied):
            require_customer(get_session(), SCOPE_A, cvr)


def test_the_customer_check_names_a_customer_that_does_not_exist_in_the_screens_own_refusal(app):
    from data.contacts import ContactError
    from data.customers import require_customer
    from data.errors import Refused

    with app.app_context():
        session = get_session()
        require_customer(session, SCOPE_A, world.CVR_A)  # there: nothing raised
        unknown = AccessScope.single("99999999")
        with pytest.raises(ContactError, match="Kunden findes ikke."):
            require_customer(session, unknown, "99999999", ContactError)
        with pytest.raises(Refused, match="Kunden findes ikke."):
            require_customer(session, unknown, "99999999")
