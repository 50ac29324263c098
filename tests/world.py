"""A small, fixed test world: three customers and one user per kind of access."""

from __future__ import annotations

import functools

from sqlalchemy.orm import Session

from core.passwords import hash_password
from data import second_factor
from data.models import AccountingUnit, Customer, Grant, Ministry, PayrollGroup, User

PASSWORD = "korrekt-hest-batteri-klips"

CVR_A = "33391005"  # Statens Administration
CVR_B = "20000007"
CVR_C = "20000015"

LAESER_A = "laeser.a@example.dk"
REDIGER_A = "rediger.a@example.dk"
RAPPORTER_A = "rapporter.a@example.dk"
RAPPORTER_NO_B = "rapporter.uden.b@example.dk"
ADMIN_AB = "admin.ab@example.dk"
LAESER_B = "laeser.b@example.dk"
TWO_CVRS = "to.kunder@example.dk"
SA_STAFF = "sa.medarbejder@statens-adm.dk"
SA_ADMIN = "sa.admin@statens-adm.dk"
INACTIVE = "inaktiv@example.dk"

# Users enrolled in the second factor, with the secret their authenticator app holds (base32).
# SA staff and administrators must have one.
TOTP_SECRETS: dict[str, str] = {
    "sa.medarbejder@statens-adm.dk": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXA",
    "sa.admin@statens-adm.dk": "KRUGS4ZANFZSAYJAORSXG5BAONSWG4TF",
    "admin.ab@example.dk": "MFZWIZTHNBVGW3DNNZXXA4LSON2HK5TX",
}

USERS: dict[str, dict] = {
    LAESER_A: {"grants": {CVR_A: ["Læser"]}},
    REDIGER_A: {"grants": {CVR_A: ["Rediger"]}},
    RAPPORTER_A: {"grants": {CVR_A: ["Rapporter"]}, "b_number": "B123456"},
    RAPPORTER_NO_B: {"grants": {CVR_A: ["Rapporter", "Læser"]}},
    ADMIN_AB: {"grants": {CVR_A: ["Administrator"], CVR_B: ["Administrator"]}, "b_number": "B200001"},
    LAESER_B: {"grants": {CVR_B: ["Læser"]}},
    TWO_CVRS: {"grants": {CVR_A: ["Læser"], CVR_B: ["Læser", "Rapporter"]}, "b_number": "B300003"},
    SA_STAFF: {"grants": {}, "sa_staff": True, "b_number": "B900009"},
    SA_ADMIN: {"grants": {}, "sa_staff": True, "sa_admin": True, "b_number": "B900010"},
    INACTIVE: {"grants": {CVR_A: ["Læser"]}, "active": False},
}


@functools.cache
def password_hash() -> str:
    """Return the argon2 hash of PASSWORD, computed once per test process (argon2 is slow on purpose)."""
    return hash_password(PASSWORD)


def build(session: Session, secret_key: str | None = None) -> None:
    """Fill an empty database with the test world."""
    fin = Ministry(id=1, number=7, name="Finansministeriet")
    skat = Ministry(id=2, number=9, name="Skatteministeriet")
    session.add_all([fin, skat])
    session.add_all([
        Customer(cvr=CVR_A, name="Statens Administration", ministry_id=1, address="Arenavej 33, 5800 Hjørring",
                 description="Statens administrative fællesskab"),
        Customer(cvr=CVR_B, name="Styrelsen for Bøger", ministry_id=2, address="Bogvej 1, 2100 København Ø"),
        Customer(cvr=CVR_C, name="Center for Cirkler", ministry_id=2),
    ])
    session.add_all([
        AccountingUnit(cvr=CVR_A, code="10001", name="SA Drift", ministry_id=1, server_name="SRV-A1", database_name="NAV_A1"),
        AccountingUnit(cvr=CVR_A, code="10002", name="SA Projekter", ministry_id=1, server_name="SRV-A2", database_name="NAV_A2"),
        AccountingUnit(cvr=CVR_B, code="20001", name="Bøger Hovedkreds", ministry_id=2, server_name="SRV-B1", database_name="NAV_B1"),
        PayrollGroup(cvr=CVR_A, code="LG100", name="SA Løn", ministry_id=1),
        PayrollGroup(cvr=CVR_B, code="LG200", name="Bøger Løn", ministry_id=2),
    ])
    for email, spec in USERS.items():
        user = User(
            email=email,
            name=email.split("@")[0].replace(".", " ").title(),
            b_number=spec.get("b_number"),
            password_hash=password_hash(),
            is_active=spec.get("active", True),
            is_sa_staff=spec.get("sa_staff", False),
            is_sa_admin=spec.get("sa_admin", False),
        )
        user.grants = [Grant(cvr=cvr, rights=rights) for cvr, rights in spec["grants"].items()]
        if email in TOTP_SECRETS:
            second_factor.enrol_with_secret(session, user, TOTP_SECRETS[email], secret_key)
        session.add(user)
    session.commit()


def unspent_totp_code(session: Session, email: str) -> str:
    """Return `email`'s current app code with the user's last used step forgotten (tests that sign in and approve at once)."""
    from sqlalchemy import update

    session.execute(update(User).where(User.email == email).values(totp_last_step=None))
    session.commit()
    return totp_code(email)


def totp_code(email: str, offset_steps: int = 0) -> str:
    """Return the code `email`'s authenticator app shows now (or `offset_steps` steps later)."""
    import time

    import pyotp

    return pyotp.TOTP(TOTP_SECRETS[email]).at(time.time() + 30 * offset_steps)


def unscoped_outside_requests(db) -> None:
    """Let sessions a test opens outside a request (setup, checks of what was stored) read every customer."""
    # Requests through the test client and the browser tests' live server keep the real rule: the
    # access wrapper binds the scope, and a query without one raises. tests/test_scoping.py tests
    # that rule on sessions of its own.
    from flask import has_request_context

    from data.scoping import mark_unscoped

    factory = db.sessionmaker

    def session_outside_requests(**kwargs):
        session = factory(**kwargs)
        if not has_request_context():
            mark_unscoped(session, "tests: setup and checks outside a request")
        return session

    db.sessionmaker = session_outside_requests


def set_user(app, email: str, **values) -> None:
    """Change columns of one test-world user directly in the database."""
    from sqlalchemy import select

    from data.db import get_session

    with app.app_context():
        db = get_session()
        user = db.scalar(select(User).where(User.email == email))
        for name, value in values.items():
            setattr(user, name, value)
        db.commit()


def user_row(app, email: str) -> User:
    """Return one test-world user as stored, read in an app context of its own."""
    from sqlalchemy import select

    from data.db import get_session

    with app.app_context():
        return get_session().scalar(select(User).where(User.email == email))
