"""Deterministic Danish demo data: `flask seed-demo` and `flask demo-accounts`.

Every choice comes from a seeded generator (one per part, so adding content to one part never
shifts another), so two seeds of empty databases give the same customers, units, users and
passwords. Dates are placed relative to today: the demo always has two years of history up to
now and meetings ahead.

The demo accounts (e-mail, password, rights) are kept in AppMeta "demo_accounts" so that
`flask demo-accounts` can print them; storing these passwords is intended, they are demo data.
AppMeta "demo" = "1" marks a demo database; `demo_accounts()` refuses on any other.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import textwrap
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping
from zoneinfo import ZoneInfo

import click
import numpy as np
import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from stdnum.dk import cvr as cvr_check

from core.passwords import hash_password, policy_errors
from data import second_factor
from core.rights import Menu, Right
from data import demo_content as C
from data.models import (
    AccountingUnit,
    ActionItem,
    AddOn,
    Agreement,
    Annex,
    AppMeta,
    Contact,
    Customer,
    Exemption,
    Grant,
    Meeting,
    MeetingDocument,
    Ministry,
    PayrollGroup,
    Runbook,
    RunbookVersion,
    ServiceGoal,
    Signatory,
    StoredFile,
    TeamMember,
    ThirdPartyTask,
    User,
)
from data.scoping import unscoped
from data.workdays import danish_today

SEED = "kundeportal-demo-v1"
DEFAULT_CASES = 60_000
META_DEMO = "demo"
META_ACCOUNTS = "demo_accounts"
# Base32: the alphabet of a TOTP secret (demo secrets come from the seeded random generator).
TOTP_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
TZ = ZoneInfo("Europe/Copenhagen")
HISTORY_MONTHS = 26  # whole months of cases before the current one: "2+ years"
CASE_BLOCK = 50_000  # most records built at once: memory stays flat for benchmark sizes

# Share of the case volume per goal code; goals not listed get DEFAULT_GOAL_WEIGHT.
GOAL_WEIGHTS = {"A1": 30, "A2": 10, "A3": 14, "A4": 5, "L1": 14, "L2": 8, "R1": 10, "RF1": 5}
DEFAULT_GOAL_WEIGHT = 5
# The demo customers (the first three) show a healthy report with one or two goals missed;
# every other customer gets the random mix of _chance.
DEMO_MISSES: tuple[frozenset[str], ...] = (frozenset({"A2"}), frozenset({"A3", "R1"}), frozenset({"A1"}))
# Months where SA is slower (year-end, summer holidays): lower chance of meeting a goal.
MONTH_DIP = {1: 0.02, 7: 0.03, 8: 0.01, 12: 0.01}


def _chance(nrng: np.random.Generator, target_pct: float, forced: float | None = None) -> float:
    """Return the chance that a case meets its goal: mostly above target, some just below, a few far below.

    `forced` replaces the random roll (0.0 = comfortably met, 0.9 = just below target).
    """
    target = target_pct / 100
    roll = nrng.random()
    roll = roll if forced is None else forced
    if roll < 0.8:
        return 1.0 if target >= 1 else min(0.998, target + nrng.uniform(0.02, 0.05))
    if roll < 0.95:
        return target - nrng.uniform(0.0, 0.04) if target < 1 else nrng.uniform(0.96, 0.99)
    return target - nrng.uniform(0.05, 0.15)


class DemoSeedError(click.ClickException):
    """Raised when demo data cannot be loaded (e.g. the database already has customers)."""


# --- the plan of customers ----------------------------------------------------------------------


@dataclass
class CustomerPlan:
    """One demo customer with its units, as planned before the rows are written."""

    cvr: str
    name: str
    short: str
    ministry_number: int
    rich: bool
    weight: float
    domain: str
    units: list[tuple[str, str]] = field(default_factory=list)  # bogføringskredse: (code, name)
    groups: list[tuple[str, str]] = field(default_factory=list)  # løngrupper: (code, name)
    goal_codes: set[str] = field(default_factory=set)
    team: list[str] = field(default_factory=list)  # names of the SA team


def _rng(part: str) -> random.Random:
    return random.Random(f"{SEED}/{part}")


def _ascii(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text if ch.isalnum() or ch in ".-")


def _cvr_numbers(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    numbers: list[str] = []
    while len(numbers) < count:
        candidate = str(rng.randint(10_000_000, 99_999_999))
        if candidate not in taken and cvr_check.is_valid(candidate):
            taken.add(candidate)
            numbers.append(candidate)
    return numbers


def plan_customers() -> list[CustomerPlan]:
    """Return the demo customers with CVR numbers, units and goals (no database needed)."""
    rng = _rng("customers")
    others = _cvr_numbers(rng, len(C.CUSTOMERS) - 1, {C.SA_CVR})
    unit_seq: dict[int, int] = {}
    plans: list[CustomerPlan] = []
    for index, (name, short, ministry, _desc) in enumerate(C.CUSTOMERS):
        rich = index < 3
        cvr = C.SA_CVR if index == 0 else others[index - 1]
        domain = C.SA_MAIL_DOMAIN if index == 0 else f"{_ascii(short)}.dk"
        plan = CustomerPlan(cvr, name, short, ministry, rich, weight=6.0 if rich else round(rng.uniform(0.4, 2.0), 2),
                            domain=domain)
        n_units = 3 if rich else rng.choice((1, 1, 2, 2, 3))
        n_groups = 2 if rich else rng.choice((1, 1, 2))
        for suffix in C.ACCOUNTING_UNIT_SUFFIXES[:n_units]:
            unit_seq[ministry] = unit_seq.get(ministry, 0) + 1
            plan.units.append((f"{ministry:02d}{unit_seq[ministry]:03d}", f"{short} {suffix}"))
        for i, suffix in enumerate(C.PAYROLL_GROUP_SUFFIXES[:n_groups], start=1):
            plan.groups.append((f"L{ministry:02d}{len(plans) + 1:02d}{i}", f"{short} {suffix}"))
        plans.append(plan)
    return plans


# --- public entry points -------------------------------------------------------------------------


def has_customers(session: Session) -> bool:
    """Tell whether the database already holds any customer."""
    with unscoped(session, "demo data: is any customer there at all"):
        return session.scalar(select(Customer.cvr).limit(1)) is not None


def demo_accounts(session: Session) -> list[dict[str, Any]] | None:
    """Return the demo accounts, or None when the database was not seeded as demo."""
    if session.get(AppMeta, META_DEMO) is None:
        return None
    row = session.get(AppMeta, META_ACCOUNTS)
    return json.loads(row.value) if row is not None else []


def seed(session: Session, cases: int | None = None, today: dt.date | None = None,
         now: dt.datetime | None = None) -> str:
    """Fill an empty database with the demo and return a Danish summary; raise DemoSeedError if not empty."""
    # Runs inside an app context (files go to the app's file store). `cases` is the number of
    # cases for the volume goals (default DEFAULT_CASES); the monthly goals add one case per unit
    # and month; 0 loads no cases at all. `now` (naive Copenhagen wall clock, default the real one):
    # nothing is received or completed after it.
    if has_customers(session):
        raise DemoSeedError("Databasen har allerede kunder; demodata indlæses kun i en tom database.")
    started = time.perf_counter()
    today = today or danish_today()
    cases = DEFAULT_CASES if cases is None else int(cases)
    try:
        with unscoped(session, "demo data: builds every demo customer"):
            seeder = _Seeder(session, today, now)
            counts = seeder.run(cases)
            session.commit()
            _approve_electronically(session, seeder.plans)
    except Exception:
        session.rollback()
        raise
    seconds = time.perf_counter() - started
    return (
        f"{counts['customers']} kunder, {counts['users']} brugere, {counts['cases']} sager, "
        f"{counts['meetings']} møder, {counts['action_items']} aktionspunkter, {counts['runbooks']} drejebøger, "
        f"{counts['contacts']} kontaktpersoner, {counts['files']} filer ({seconds:.1f} s)."
    )


def _approve_electronically(session: Session, plans: list[CustomerPlan]) -> None:
    """Sign the demo's electronic agreements through the real approval path: signatories, request, approvals, seal.

    SA's own agreements (both kinds) and DIGST's Kundeaftale are signed by both parties; DIGST's renewed
    Databehandleraftale is approved by SA's signatory and awaits the customer's (Louise Dahl, a demo account).
    Every other demo agreement was signed on paper (`_Seeder._agreements`).
    """
    from core.access import AccessScope, Principal
    from data import approvals

    accounts = {a["email"]: a for a in json.loads(session.get(AppMeta, META_ACCOUNTS).value)}
    sa_email = "sa.systemadministrator@statens-adm.dk"
    signers = {plans[0].cvr: "kundeadmin@example.dk", plans[2].cvr: "to.kunder@example.dk"}
    users = {u.email: Principal.from_user(u) for u in session.scalars(select(User).where(
        User.email.in_([sa_email, *signers.values()])))}
    everyone = AccessScope(all_customers=True)
    admin = users[sa_email]
    for key in ("kundeaftale", "databehandleraftale"):
        approvals.register_sa_signatory(admin, key, {"name": admin.name, "email": admin.email,
                                                     "b_number": admin.b_number})
    for cvr, email in signers.items():
        customer = users[email]
        for key, kind in (("kundeaftale", "customer"), ("databehandleraftale", "data_processing")):
            registered = next(r for r in approvals.signatories(everyone, cvr) if r["key"] == key)
            approvals.register_signatory(everyone, cvr, admin, key, {"name": customer.name, "email": customer.email,
                                                                     "b_number": customer.b_number},
                                         registered["row_version"])
            agreement = session.scalar(select(Agreement).where(Agreement.cvr == cvr, Agreement.kind == kind))
            requested = approvals.request_approval(everyone, cvr, admin, agreement.id, agreement.row_version)
            # The renewed DIGST Databehandleraftale waits for its customer signatory; the rest are signed.
            waiting = cvr == plans[2].cvr and kind == "data_processing"
            for who in (sa_email,) if waiting else (email, sa_email):
                approvals.approve(everyone, cvr, users[who], agreement.id, requested["pdf_sha256"],
                                  accounts[who]["password"], code=_demo_code(session, accounts[who]),
                                  client_address="127.0.0.1", user_agent="flask seed-demo")
    # The seed's codes are not the demo user's: their sign-in right after the seed takes the current code.
    session.execute(update(User).where(User.email.in_(list(users))).values(totp_last_step=None))
    session.commit()


def _demo_code(session: Session, account: Mapping[str, Any]) -> str | None:
    """Return the current app code of a demo account with a second factor (its last used step forgotten)."""
    secret = account.get("totp_secret")
    if not secret:
        return None
    # One signatory approves several agreements within one 30-second step while seeding.
    session.execute(update(User).where(User.email == account["email"]).values(totp_last_step=None))
    session.commit()
    return pyotp.TOTP(secret).now()


# --- the seeder ----------------------------------------------------------------------------------


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """Return a Copenhagen wall-clock time as an aware UTC datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(dt.timezone.utc)


def _danish_date(day: dt.date) -> str:
    months = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
              "november", "december")
    return f"{day.day}. {months[day.month - 1]} {day.year}"


def _pdf(title: str, subtitle: str, paragraphs: list[str]) -> bytes:
    """Return a small real PDF with a heading and paragraphs (core font, Latin-1 text)."""
    from fpdf import FPDF

    def clean(text: str) -> str:
        for src, dst in (("–", "-"), ("—", "-"), ("…", "..."), ("’", "'"), ("“", '"'), ("”", '"')):
            text = text.replace(src, dst)
        return text.encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))  # same bytes on every seed
    pdf.set_title(clean(title))
    pdf.set_author(C.SA_NAME)
    pdf.add_page()
    # Lines are wrapped here and written with cell(): fpdf's multi_cell measures every glyph and
    # would make the PDFs the slowest part of the seed.
    for text, style, size, width, height in (
        ("STATENS ADMINISTRATION", "B", 9, 100, 6),
        (title, "B", 15, 60, 8),
        (subtitle, "", 10, 95, 6),
    ):
        pdf.set_font("Helvetica", style, size)
        for line in textwrap.wrap(clean(text), width) or [""]:
            pdf.cell(0, height, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font("Helvetica", "", 11)
    for paragraph in paragraphs:
        for line in textwrap.wrap(clean(paragraph), 88) or [""]:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


class _Seeder:
    """Write the demo, part by part, into one session (committed by `seed`)."""

    def __init__(self, session: Session, today: dt.date, now: dt.datetime | None = None):
        from data.files import get_store

        self.session = session
        self.today = today
        self.now = now or dt.datetime.now(TZ).replace(tzinfo=None)
        self.store = get_store()
        self.plans = plan_customers()
        self.by_cvr = {p.cvr: p for p in self.plans}
        self.counts: dict[str, int] = {"files": 0}
        self.sa_staff_names = self._sa_staff_names()
        self.sa_admin_id: int | None = None

    # helpers ------------------------------------------------------------------------------------

    def _put(self, content: bytes, filename: str, cvr: str, menu: Menu, flush: bool = True) -> StoredFile:
        row = self.store.put(self.session, content, filename, cvr=cvr, menu=menu.value, content_type="application/pdf")
        if flush:
            self.session.flush()
        self.counts["files"] += 1
        return row

    def _person(self, rng: random.Random) -> tuple[str, str]:
        return rng.choice(C.FIRST_NAMES), rng.choice(C.LAST_NAMES)

    def _sa_staff_names(self) -> list[str]:
        rng = _rng("sa-staff")
        names: list[str] = []
        while len(names) < 16:
            first, last = self._person(rng)
            name = f"{first} {last}"
            if name not in names:
                names.append(name)
        return names

    def _phone(self, rng: random.Random, prefix: str = "") -> str:
        if prefix:
            return prefix + f"{rng.randint(0, 9999):04d}"
        return str(rng.choice((2, 3, 4, 5, 6, 7, 8))) + f"{rng.randint(0, 9_999_999):07d}"

    # parts --------------------------------------------------------------------------------------

    def run(self, cases: int) -> dict[str, int]:
        self._customers()
        self._users()
        self._signatories()
        self._team()
        self._contacts()
        self._agreements()
        self._meetings()
        self._action_items()
        self._runbooks()
        self.session.flush()
        self.counts["cases"] = self._cases(cases)
        self.session.merge(AppMeta(key=META_DEMO, value="1"))
        return self.counts

    def _customers(self) -> None:
        rng = _rng("customer-facts")
        ministries = {number: Ministry(number=number, name=name) for number, name in C.MINISTRIES}
        self.session.add_all(ministries.values())
        self.session.flush()
        descriptions = {name: desc for name, _s, _m, desc in C.CUSTOMERS}
        server_no = 0
        for plan in self.plans:
            ministry = ministries[plan.ministry_number]
            if plan.cvr == C.SA_CVR:
                address, ean = C.SA_ADDRESS, C.SA_EAN
            else:
                address = f"{rng.choice(C.STREETS)} {rng.randint(1, 60)}, {rng.choice(C.CITIES)}"
                ean = f"579800{rng.randint(0, 9_999_999):07d}"
            kind = "Selvejende institution" if "Universitet" in plan.name else "Statslig"
            self.session.add(Customer(cvr=plan.cvr, name=plan.name, ministry_id=ministry.id, customer_type=kind,
                                      address=address, description=descriptions[plan.name], ean=ean))
            for code, name in plan.units:
                server_no += 1
                self.session.add(AccountingUnit(
                    cvr=plan.cvr, code=code, name=name, ministry_id=ministry.id,
                    server_name=f"SA-NSSQL{(server_no % 6) + 1:02d}", database_name=f"NS_{code}_PROD"))
            for code, name in plan.groups:
                self.session.add(PayrollGroup(cvr=plan.cvr, code=code, name=name, ministry_id=ministry.id))
        self.session.flush()
        self.counts["customers"] = len(self.plans)

    def _users(self) -> None:
        """Create the demo accounts (one per kind of access) and a few other users."""
        sa, oes, digst = (p.cvr for p in self.plans[:3])
        L, E, A, R = Right.LAESER.value, Right.REDIGER.value, Right.ADMINISTRATOR.value, Right.RAPPORTER.value
        specs: list[dict[str, Any]] = [
            {"email": "kundeadmin@example.dk", "name": "Karen Lund", "b_number": "B104211",
             "grants": {sa: [A], oes: [A]}},
            {"email": "laeser@example.dk", "name": "Mette Hansen", "b_number": None, "grants": {sa: [L]}},
            {"email": "rediger@example.dk", "name": "Søren Madsen", "b_number": None, "grants": {sa: [E]}},
            {"email": "rapporter@example.dk", "name": "Ida Kjær", "b_number": "B203377", "grants": {sa: [R]}},
            {"email": "rapporter.uden.bnummer@example.dk", "name": "Jakob Holm", "b_number": None,
             "grants": {sa: [L, R]}},
            {"email": "to.kunder@example.dk", "name": "Louise Dahl", "b_number": "B318840",
             "grants": {oes: [L], digst: [L, R]}},
            {"email": "ny.bruger@example.dk", "name": "Rasmus Bach", "b_number": None, "grants": {digst: [L]},
             "must_change_password": True},
            {"email": "sa.medarbejder@statens-adm.dk", "name": "Helle Vestergaard", "b_number": "B900112",
             "grants": {}, "sa_staff": True},
            {"email": "sa.systemadministrator@statens-adm.dk", "name": "Niels Østergaard", "b_number": "B900007",
             "grants": {}, "sa_staff": True, "sa_admin": True},
        ]
        rng = _rng("passwords")
        # A generator of its own: the demo passwords stay what they were before secrets were added.
        totp_rng = _rng("totp-secrets")
        accounts: list[dict[str, Any]] = []
        used: set[str] = set()
        for spec in specs:
            while True:
                words = rng.sample(C.PASSWORD_WORDS, 3)
                password = "-".join(words) + f"-{rng.randint(10, 99)}"
                if password not in used and not policy_errors(password, email=spec["email"], name=spec["name"]):
                    break
            used.add(password)
            user = User(email=spec["email"], name=spec["name"], b_number=spec["b_number"],
                        password_hash=hash_password(password),
                        must_change_password=spec.get("must_change_password", False),
                        is_sa_staff=spec.get("sa_staff", False), is_sa_admin=spec.get("sa_admin", False))
            user.grants = [Grant(cvr=cvr, rights=list(rights)) for cvr, rights in spec["grants"].items()]
            account = {
                "email": spec["email"], "password": password, "sa_staff": spec.get("sa_staff", False),
                "sa_admin": spec.get("sa_admin", False), "b_number": spec["b_number"],
                "grants": {cvr: list(rights) for cvr, rights in spec["grants"].items()},
            }
            if spec.get("sa_staff") or any(A in rights for rights in spec["grants"].values()):
                # SA staff and administrators must have a second factor: the demo enrols them with a
                # secret printed by `flask demo-accounts`, so anyone trying the demo can compute a code.
                secret = "".join(totp_rng.choice(TOTP_ALPHABET) for _ in range(32))
                second_factor.enrol_with_secret(self.session, user, secret)
                account["totp_secret"] = secret
            self.session.add(user)
            accounts.append(account)
        # Users who cannot sign in with a known password: a deactivated one and colleagues for
        # the user administration page. One hash of an unknown random password serves them all.
        unknown = hash_password(f"{random.SystemRandom().getrandbits(128):032x}-ukendt")
        extra = [("tidligere.medarbejder@example.dk", "Ole Knudsen", {sa: [L]}, False)]
        people = _rng("extra-users")
        for plan in self.plans[:3]:
            for _ in range(2):
                first, last = self._person(people)
                extra.append((f"{_ascii(first)}.{_ascii(last)}@{plan.domain}", f"{first} {last}",
                              {plan.cvr: people.choice(([L], [L, E], [L, R]))}, True))
        seen = {a["email"] for a in accounts}
        for email, name, grants, active in extra:
            if email in seen:
                continue
            seen.add(email)
            user = User(email=email, name=name, password_hash=unknown, is_active=active,
                        b_number=f"B{people.randint(100000, 899999)}" if any(R in r for r in grants.values()) else None)
            user.grants = [Grant(cvr=cvr, rights=rights) for cvr, rights in grants.items()]
            self.session.add(user)
        self.session.flush()
        self.sa_admin_id = self.session.scalar(select(User.id).where(User.is_sa_admin.is_(True)))
        self.session.add(AppMeta(key=META_ACCOUNTS, value=json.dumps(accounts, ensure_ascii=False)))
        self.counts["users"] = len(seen)

    def _signatories(self) -> None:
        rng = _rng("signatories")
        self.signers: dict[tuple[str, str], str] = {}
        for plan in self.plans:
            first, last = self._person(rng)
            director = f"{first} {last}"
            for kind in ("customer", "data_processing"):
                name = director
                if kind == "data_processing" and rng.random() < 0.4:
                    first, last = self._person(rng)
                    name = f"{first} {last}"
                self.signers[(plan.cvr, kind)] = name
                self.session.add(Signatory(cvr=plan.cvr, agreement_kind=kind, name=name,
                                           email=f"{_ascii(name.split()[0])}.{_ascii(name.split()[-1])}@{plan.domain}",
                                           b_number=f"B{rng.randint(100000, 899999)}", approved_by_id=self.sa_admin_id))

    def _team(self) -> None:
        rng = _rng("team")
        for plan in self.plans:
            roles = C.TEAM_ROLES if plan.rich else C.TEAM_ROLES[:1] + tuple(rng.sample(C.TEAM_ROLES[1:], 3))
            names = rng.sample(self.sa_staff_names, len(roles))
            plan.team = names
            for role, name in zip(roles, names):
                first, last = name.split()[0], name.split()[-1]
                self.session.add(TeamMember(cvr=plan.cvr, name=name, role=role,
                                            email=f"{_ascii(first)}.{_ascii(last)}@{C.SA_MAIL_DOMAIN}",
                                            phone="7233" + f"{self.sa_staff_names.index(name) * 37 + 4000:04d}"))

    def _contacts(self) -> None:
        from data.roles_catalogue import ensure_role_catalogue

        rng = _rng("contacts")
        roles = {role.name: role for role in ensure_role_catalogue(self.session)}
        customer_roles = [r for r in roles.values() if not r.sa_only]
        primary = {r.name: r for r in roles.values() if r.sa_only}
        count = 0
        for plan in self.plans:
            n = rng.randint(6, 8) if plan.rich else rng.randint(3, 5)
            used_names: set[str] = set()
            for i in range(n):
                while True:
                    first, last = self._person(rng)
                    if f"{first} {last}" not in used_names:
                        used_names.add(f"{first} {last}")
                        break
                chosen = rng.sample(customer_roles, rng.randint(1, 3))
                title = rng.choice(C.CONTACT_TITLES)
                if i == 0:
                    chosen.append(primary["Primær regnskabskontakt"])
                    title = "Økonomichef"
                elif i == 1:
                    chosen.append(primary["Primær lønkontakt"])
                    title = "HR-chef"
                elif i == 2 and (plan.rich or rng.random() < 0.5):
                    chosen.append(primary["Deltager – Kundeforum"])
                    title = "Direktør"
                chosen = sorted(set(chosen), key=lambda r: r.sort_order)
                tabs = {"generelt"} if rng.random() < 0.5 else set()
                if any("Løn" in r.name or "løn" in r.name or "Refusion" in r.name for r in chosen):
                    tabs.add("loen")
                if any("Regnskab" in r.name or "regnskab" in r.name for r in chosen):
                    tabs.add("regnskab")
                # SA-only roles add their tabs when read (data.contacts.effective_tabs), not here.
                tabs = tabs or {"generelt"}
                shared = ""
                if any(r.personal_data for r in chosen):
                    shared = f"loen-sikkermail@{plan.domain}"
                elif rng.random() < 0.25:
                    shared = f"{rng.choice(('oekonomi', 'regnskab', 'hr'))}@{plan.domain}"
                contact = Contact(
                    cvr=plan.cvr, title=title, name=f"{first} {last}",
                    email=f"{_ascii(first)}.{_ascii(last)}@{plan.domain}", shared_email=shared,
                    phone=self._phone(rng), notes=rng.choice(("", "", "", "Deltidsansat, træffes man.-tors.",
                                                               "Stedfortræder for økonomichefen.")),
                    tabs=[t for t in ("generelt", "regnskab", "loen") if t in tabs],
                    updated_at=_local(self.today - dt.timedelta(days=rng.randint(5, 600)), 10),
                    updated_by=rng.choice(self.sa_staff_names))
                contact.roles = chosen
                self.session.add(contact)
                count += 1
        self.counts["contacts"] = count

    def _agreement_body(self, plan: CustomerPlan, kind: str, valid_from: dt.date) -> str:
        customer = self.session.get(Customer, plan.cvr)
        # Plain text: paragraphs separated by blank lines, lines within a paragraph by newlines
        # (the Kundeaftaler page and its PDF print it that way). The parties open it, as in the guide.
        parties = (
            f"Mellem\n\n{C.SA_NAME}\n{C.SA_ADDRESS.replace(', ', chr(10))}\n"
            f"CVR-nr.: {C.SA_CVR}\nEAN-nr.: {C.SA_EAN}\n\n"
            f"og\n\n{plan.name}\n{customer.address.replace(', ', chr(10))}\n"
            f"CVR-nr.: {plan.cvr}\nEAN-nr.: {customer.ean}\n(herefter \"Kunden\")"
        )
        units = ", ".join(f"{code} {name}" for code, name in plan.units)
        groups = ", ".join(f"{code} {name}" for code, name in plan.groups)
        if kind == "customer":
            sections = [
                parties,
                "1. Formål",
                "Aftalen fastlægger, hvilke administrative opgaver Statens Administration løser for Kunden, "
                "og hvilke servicemål Statens Administration leverer opgaverne efter.",
                "2. Ydelser",
                f"Statens Administration varetager bogføring, betaling, afstemning og regnskabsaflæggelse for "
                f"bogføringskredsene {units}, samt lønadministration og refusion for løngrupperne {groups}.",
                "3. Servicemål",
                "Servicemålene fremgår af servicemålsrapporten i Kundeportalen. Målopfyldelsen opgøres "
                "månedligt og drøftes på driftsmøderne.",
                "4. Kundens forpligtelser",
                "Kunden sikrer, at bilag, godkendelser og lønindberetninger modtages rettidigt, og at "
                "kontaktpersoner i Kundeportalen holdes opdaterede.",
                "5. Ikrafttræden og opsigelse",
                f"Aftalen træder i kraft den {_danish_date(valid_from)} og løber, indtil den erstattes af en ny "
                "aftale. Ændringer aftales skriftligt mellem parterne.",
            ]
        else:
            sections = [
                parties,
                "1. Baggrund",
                "Aftalen er indgået i henhold til databeskyttelsesforordningens artikel 28. Kunden er "
                "dataansvarlig, og Statens Administration er databehandler.",
                "2. Behandlingens formål og omfang",
                "Statens Administration behandler personoplysninger om Kundens ansatte med det formål at "
                "udføre løn-, refusions- og regnskabsopgaver efter kundeaftalen.",
                "3. Kategorier af oplysninger",
                "Almindelige oplysninger (navn, adresse, ansættelsesforhold, løn) samt CPR-nummer og "
                "oplysninger om fravær, der er nødvendige for refusion.",
                "4. Sikkerhed",
                "Statens Administration gennemfører passende tekniske og organisatoriske "
                "sikkerhedsforanstaltninger og underretter Kunden uden unødig forsinkelse ved brud på "
                "persondatasikkerheden.",
                "5. Underdatabehandlere",
                "Statens Administration anvender kun underdatabehandlere, som Kunden har godkendt. Listen over "
                "godkendte underdatabehandlere fremgår af bilag 1.",
                "6. Ikrafttræden",
                f"Aftalen træder i kraft den {_danish_date(valid_from)}.",
            ]
        return "\n\n".join(sections)

    def _agreements(self) -> None:
        rng = _rng("agreements")
        sa, oes, digst = (p.cvr for p in self.plans[:3])
        for plan in self.plans:
            valid_from = dt.date(rng.choice((2021, 2022, 2022, 2023)), rng.randint(1, 12), 1)
            sa_signed = dt.datetime.combine(valid_from - dt.timedelta(days=rng.randint(10, 40)), dt.time(15, 28))
            for kind, title in (("customer", "Kundeaftale"), ("data_processing", "Databehandleraftale")):
                sa_at = _local(sa_signed.date(), rng.randint(8, 16), rng.randint(0, 59))
                cust_at = sa_at + dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(-5, 5), minutes=rng.randint(0, 59))
                agreement = Agreement(
                    cvr=plan.cvr, kind=kind, title=f"{title} – {plan.name}", version=str(rng.choice((1, 2, 2, 3))),
                    body=self._agreement_body(plan, kind, valid_from), valid_from=valid_from,
                    signed_electronically=False)
                if plan.cvr == digst and kind == "data_processing":
                    # A renewed agreement awaiting approval: SA's signatory approves it after the seed, the
                    # customer's has not yet ("Afventer godkendelse"), see `_approve_electronically`.
                    agreement.version = "4"
                    agreement.valid_from = self.today.replace(day=1) + dt.timedelta(days=32)
                    agreement.valid_from = agreement.valid_from.replace(day=1)
                    agreement.body = self._agreement_body(plan, kind, agreement.valid_from)
                elif plan.cvr not in (sa, digst):
                    # Signed on paper before electronic approval existed: SA recorded the signatures from the
                    # signed copy, whose scan is on file (tab "Bilag"). The electronic ones get their
                    # signatures only from the approval records (`_approve_electronically`).
                    agreement.sa_signed_by = C.SA_SIGNERS[0] if kind == "customer" else C.SA_SIGNERS[1]
                    agreement.sa_signed_at = sa_at
                    agreement.customer_signed_by = self.signers[(plan.cvr, kind)]
                    agreement.customer_signed_at = cust_at
                    agreement.signed_file_id = self._put(
                        _pdf(f"{title} (underskrevet)", f"{plan.name} - CVR {plan.cvr}",
                             [f"Underskrevet for Statens Administration af {agreement.sa_signed_by}, "
                              f"{_danish_date(sa_at.date())}.",
                              f"Underskrevet for Kunden af {agreement.customer_signed_by}, {_danish_date(cust_at.date())}.",
                              "Scannet kopi af den fysisk underskrevne aftale."]),
                        f"{title} {plan.cvr} underskrevet {sa_at.date():%Y-%m-%d}.pdf", plan.cvr, Menu.KUNDEAFTALER).id
                self.session.add(agreement)
                self.session.flush()
                if plan.cvr == oes:
                    annexes = (("Bilag 1 - Ydelseskatalog", "Ydelser og ansvarsfordeling"),
                               ("Bilag 2 - Servicemål", "Servicemål og målopfyldelse")) if kind == "customer" else (
                        ("Bilag 1 - Underdatabehandlere", "Godkendte underdatabehandlere"),)
                    for annex_title, heading in annexes:
                        file_id = self._put(_pdf(annex_title, f"{title} - {plan.name}", [heading + ".",
                                                 "Bilaget er en del af aftalen og underskrevet sammen med den."]),
                                            f"{annex_title}.pdf", plan.cvr, Menu.KUNDEAFTALER).id
                        self.session.add(Annex(cvr=plan.cvr, agreement_id=agreement.id, title=annex_title, file_id=file_id))
            # Dispensationer, Tilkøb, Opgaver hos 3. part.
            n_ex = rng.randint(2, 3) if plan.rich else rng.choice((0, 0, 1, 1, 2))
            for i, (title, desc) in enumerate(rng.sample(C.EXEMPTIONS, n_ex)):
                granted = self.today - dt.timedelta(days=rng.randint(60, 900))
                if i == 0 and plan.rich:
                    expires = self.today - dt.timedelta(days=rng.randint(10, 200))  # expired
                    # Granted at least a month before it ran out.
                    granted = min(granted, expires - dt.timedelta(days=30))
                elif i == 1 and plan.rich:
                    expires = self.today + dt.timedelta(days=rng.randint(20, 120))
                else:
                    expires = rng.choice((None, granted + dt.timedelta(days=365), self.today + dt.timedelta(days=400)))
                self.session.add(Exemption(cvr=plan.cvr, title=title, description=desc, granted_on=granted,
                                           expires_on=expires))
            n_add = rng.randint(2, 3) if plan.rich else rng.choice((0, 1, 1, 2))
            for service, desc in rng.sample(C.ADD_ONS, n_add):
                self.session.add(AddOn(cvr=plan.cvr, service=service, description=desc,
                                       start_date=dt.date(rng.randint(2021, self.today.year), rng.randint(1, 12), 1)))
            areas = ("Regnskab", "Løn") if plan.cvr == oes else (
                (rng.choice(("Regnskab", "Løn")),) if rng.random() < 0.15 and plan.cvr != sa else ())
            for area in areas:
                first, last = self._person(rng)
                self.session.add(ThirdPartyTask(
                    cvr=plan.cvr, area=area, agency=rng.choice(C.THIRD_PARTY_AGENCIES[area]),
                    contact=f"{first} {last}, {_ascii(first)}.{_ascii(last)}@{plan.domain}",
                    note=("Statens Administration kontakter 3. part ved spørgsmål om bilag og godkendelser."
                          if area == "Regnskab" else "Lønindberetninger sendes via 3. part, som også godkender dem.")))

    def _meetings(self) -> None:
        rng = _rng("meetings")
        count = 0
        # Demo meetings are what customers read: published, as everything was before drafts existed.
        # At 08:00 today, or now when the seed runs earlier: never a publication in the future.
        published = min(_local(self.today, 8), _local(self.now.date(), self.now.hour, self.now.minute))
        for plan in self.plans:
            pending: list[tuple[Meeting, str, str, StoredFile]] = []
            dates: list[tuple[dt.date, str]] = []
            if plan.rich:
                for q in range(8):  # quarterly driftsmøder over two years
                    day = self.today - dt.timedelta(days=91 * q + rng.randint(10, 60))
                    dates.append((day, "Driftsmøde"))
                for years_back in (0, 1):
                    dates.append((dt.date(self.today.year - years_back - (1 if self.today.month < 3 else 0), 2,
                                          rng.randint(3, 25)), "Årsafslutningsmøde"))
                    dates.append((self.today - dt.timedelta(days=365 * years_back + rng.randint(100, 200)), "Kundemøde"))
                dates.append((self.today + dt.timedelta(days=rng.randint(7, 30)), "Driftsmøde"))
                dates.append((self.today + dt.timedelta(days=rng.randint(45, 120)), "Kundemøde"))
            else:
                for _ in range(rng.randint(2, 4)):
                    dates.append((self.today - dt.timedelta(days=rng.randint(20, 730)),
                                  rng.choice(("Driftsmøde", "Driftsmøde", "Statusmøde løn", "Kundemøde"))))
                if rng.random() < 0.5:
                    dates.append((self.today + dt.timedelta(days=rng.randint(5, 90)), "Driftsmøde"))
            titles: set[str] = set()
            for day, kind in sorted(dates):
                while day.weekday() >= 5:
                    day += dt.timedelta(days=1)
                held = _local(day, rng.choice((9, 10, 13, 14)), rng.choice((0, 0, 30)))
                quarter = (day.month - 1) // 3 + 1
                title = f"{kind} {plan.short} – Q{quarter} {day.year}" if kind == "Driftsmøde" else f"{kind} {day.year}"
                if title in titles:
                    continue  # one driftsmøde a quarter, one kundemøde a year
                titles.add(title)
                meeting = Meeting(cvr=plan.cvr, held_at=held, title=title, kind=kind, published_at=published)
                self.session.add(meeting)
                past = day < self.today
                docs = ["dagsorden"]
                if past or (day - self.today).days < 21:
                    if rng.random() < 0.6:
                        docs.append("materiale")
                if past:
                    docs.append("referat")
                for doc in docs:
                    pending.append((meeting, doc, *self._meeting_document(rng, plan, meeting.title, meeting.kind, day, doc)))
                count += 1
            # One flush per customer gives every meeting and file its id.
            self.session.flush()
            for meeting, doc, _pdf_title, row in pending:
                # The page puts the kind in front ("Dagsorden: …"): the link names the meeting.
                self.session.add(MeetingDocument(meeting_id=meeting.id, kind=doc, title=meeting.title, file_id=row.id,
                                                 published_at=published))
        self.counts["meetings"] = count

    def _meeting_document(self, rng: random.Random, plan: CustomerPlan, meeting_title: str, meeting_kind: str,
                          day: dt.date, doc: str) -> tuple[str, StoredFile]:
        items = [C.AGENDA_ITEMS[0], C.AGENDA_ITEMS[1], *rng.sample(C.AGENDA_ITEMS[2:-1], 3), C.AGENDA_ITEMS[-1]]
        subtitle = f"{plan.name} og Statens Administration - {_danish_date(day)}"
        if doc == "dagsorden":
            title = f"Dagsorden: {meeting_title}"
            paragraphs = [f"{i}. {item}" for i, item in enumerate(items, start=1)]
        elif doc == "materiale":
            title = f"Mødemateriale: {meeting_title}"
            paragraphs = ["Bilag til punkt 3: Servicemålsrapport for de seneste tre måneder.",
                          "Bilag til punkt 4: Aktionslisten pr. mødedato.",
                          f"Bogføringskredse: {', '.join(c for c, _ in plan.units)}. "
                          f"Løngrupper: {', '.join(c for c, _ in plan.groups)}."]
        else:
            title = f"Referat: {meeting_title}"
            paragraphs = [f"Deltagere: {', '.join(plan.team[:2])} (Statens Administration) og kundens repræsentanter."]
            paragraphs += [f"{i}. {item}: " + rng.choice(("Drøftet og taget til efterretning.",
                                                          "Kunden ønsker en opfølgning på næste møde.",
                                                          "Aftalt, at SA sender en status inden for to uger.",
                                                          "Ingen bemærkninger."))
                           for i, item in enumerate(items, start=1)]
        filename = f"{doc.capitalize()} {meeting_kind} {day:%Y-%m-%d}.pdf"
        return title, self._put(_pdf(title, subtitle, paragraphs), filename, plan.cvr, Menu.MOEDER, flush=False)

    def _action_items(self) -> None:
        rng = _rng("action-items")
        unit_ids = {code: uid for code, uid in self.session.execute(select(AccountingUnit.code, AccountingUnit.id))}
        group_ids = {code: gid for code, gid in self.session.execute(select(PayrollGroup.code, PayrollGroup.id))}
        count = 0
        for plan in self.plans:
            n = rng.randint(12, 18) if plan.rich else rng.randint(3, 8)
            for i in range(n):
                area = rng.choice(("Regnskab", "Regnskab", "Løn"))
                subject, process = rng.choice(C.ACTION_SUBJECTS[area])
                unit_id = group_id = None
                if area == "Regnskab":
                    unit_code, unit_name = rng.choice(plan.units)
                    unit_id = unit_ids[unit_code]
                else:
                    unit_code, unit_name = rng.choice(plan.groups)
                    group_id = group_ids[unit_code]
                deadline = self.today + dt.timedelta(days=rng.randint(-200, 120))
                closed = rng.random() < 0.35 and deadline < self.today + dt.timedelta(days=30)
                if plan.rich and i < 2:
                    closed, deadline = False, self.today - dt.timedelta(days=rng.randint(3, 40))  # overdue, open
                status = C.CLOSED_STATUS if closed else rng.choice(C.OPEN_STATUSES)
                owner = rng.choice(plan.team) if rng.random() < 0.6 else "Kunden"
                # Agreed at a meeting that has been held: never after today, even for a distant deadline.
                created = min(deadline - dt.timedelta(days=rng.randint(20, 120)), self.today - dt.timedelta(days=1))
                self.session.add(ActionItem(
                    cvr=plan.cvr, area=area, accounting_unit_id=unit_id, payroll_group_id=group_id,
                    subject=subject, deadline=deadline, owner=owner, process_area=process, status=status,
                    is_closed=closed,
                    description=(f"{subject} for {unit_code} {unit_name}. Punktet blev aftalt på driftsmødet den "
                                 f"{created:%d-%m-%Y}, og løsningen skal beskrives i drejebogen, når den er på plads."),
                    status_detail=rng.choice(C.STATUS_DETAILS[status]),
                    created_at=_local(created, 12)))
                count += 1
        self.counts["action_items"] = count

    def _runbook_content(self, rng: random.Random, section: str, attachment: int | None) -> list[dict[str, Any]]:
        points = [{"deviation": d, "description": desc, "file_ids": []}
                  for d, desc in rng.sample(C.RUNBOOK_POINTS[section], min(len(C.RUNBOOK_POINTS[section]), rng.randint(1, 3)))]
        tasks = [{"task": t, "description": desc, "frequency": f, "file_ids": []}
                 for t, desc, f in rng.sample(C.RUNBOOK_TASKS[section], min(len(C.RUNBOOK_TASKS[section]), rng.randint(2, 4)))]
        versions = [{"points": points[:1], "tasks": tasks[:-1] or tasks}]
        if len(points) > 1 or len(tasks) > 1:
            versions.append({"points": points, "tasks": tasks})
        if rng.random() < 0.4:
            changed = json.loads(json.dumps(versions[-1]))
            changed["tasks"][0]["description"] += " Kontrollen dokumenteres i opgavestyringen."
            if changed["tasks"][-1]["frequency"] == "Månedligt":
                changed["tasks"][-1]["frequency"] = "Ugentligt"
            versions.append(changed)
        if attachment is not None:
            versions[-1]["tasks"][0]["file_ids"] = [attachment]
        return versions

    def _runbooks(self) -> None:
        rng = _rng("runbooks")
        count = 0
        for plan in self.plans:
            targets = [("Regnskab", code, name, s) for code, name in plan.units for s in C.RUNBOOK_SECTIONS["Regnskab"]]
            targets += [(area, code, name, s) for area in ("Løn", "Refusion") for code, name in plan.groups
                        for s in C.RUNBOOK_SECTIONS[area]]
            for area, code, name, section in targets:
                attachment = None
                wants = section in ("Kreditor", "Finans", "Kontering")
                if wants and rng.random() < (0.7 if plan.rich else 0.15):
                    attachment = self._put(
                        _pdf(f"Konteringsvejledning - {section}", f"{code} {name} ({plan.name})",
                             ["Vejledningen beskriver, hvilke konti og dimensioner der anvendes.",
                              "Drift: formålskonto 10, projekter: dimension 3 = projektnummer.",
                              "Tvivlsspørgsmål rettes til kundens kontaktperson for regnskab."]),
                        f"Konteringsvejledning {code} {section}.pdf", plan.cvr, Menu.DREJEBOEGER).id
                versions = self._runbook_content(rng, section, attachment)
                runbook = Runbook(cvr=plan.cvr, area=area, unit_code=code, section=section,
                                  current_version=len(versions))
                changed = self.today - dt.timedelta(days=rng.randint(400, 720))
                for number, content in enumerate(versions, start=1):
                    runbook.versions.append(RunbookVersion(
                        version=number, content=content, changed_by=rng.choice(plan.team),
                        changed_at=_local(changed, rng.randint(8, 15), rng.randint(0, 59))))
                    changed = min(self.today - dt.timedelta(days=1), changed + dt.timedelta(days=rng.randint(30, 250)))
                self.session.add(runbook)
                count += 1
        self.counts["runbooks"] = count

    # cases --------------------------------------------------------------------------------------

    def _cases(self, volume: int) -> int:
        from data.cases_import import import_case_records
        from data.rules import default_service_goals

        goals = [ServiceGoal(**spec) for spec in default_service_goals()]
        self.session.add_all(goals)
        self.session.flush()
        if volume <= 0:
            return 0
        self._assign_goals(goals)
        report = import_case_records(self.session, self._case_records(goals, volume), commit=False)
        if not report.ok:
            raise DemoSeedError("Demosagerne kunne ikke indlæses: " + " ".join(report.summary_lines()[:5]))
        return report.rows

    def _assign_goals(self, goals: list[ServiceGoal]) -> None:
        """Give every customer plan the goals it has cases for."""
        rng = _rng("goal-coverage")
        for plan in self.plans:
            for goal in goals:
                # Every customer has the accounting and payroll goals; travel and reimbursement
                # goals only where SA handles those tasks.
                if plan.rich or goal.area in ("Regnskab", "Løn") or rng.random() < 0.75:
                    plan.goal_codes.add(goal.code)

    def _forced(self, plan: CustomerPlan, goal: ServiceGoal) -> float | None:
        index = self.plans.index(plan)
        if index >= len(DEMO_MISSES):
            return None
        return 0.9 if goal.code in DEMO_MISSES[index] else 0.0

    def _case_records(self, goals: list[ServiceGoal], volume: int) -> Iterator[dict[str, Any]]:
        from data.rules import add_months, by_day_deadline, month_start
        from data.workdays import busday_calendar

        nrng = np.random.default_rng(np.frombuffer(SEED.encode(), dtype=np.uint8).astype(np.uint32))
        start = add_months(month_start(self.today), -HISTORY_MONTHS)
        cal = busday_calendar(start.year, self.today.year + 1)
        days = np.arange(np.datetime64(start, "D"), np.datetime64(self.today, "D") + 1)
        workdays = days[np.is_busday(days, busdaycal=cal)]
        now = np.datetime64(self.now, "m")
        dip = np.zeros(13)
        for month, value in MONTH_DIP.items():
            dip[month] = value
        seq = 0

        def emit(cvr: str, code: str, units: np.ndarray, rec: np.ndarray, comp: np.ndarray) -> Iterator[dict[str, Any]]:
            nonlocal seq
            # A case received later today has not arrived yet (the import refuses a receipt in the
            # future): it came in at the same hour on the working day before, and is still open.
            future = rec > now
            if future.any():
                day = rec.astype("datetime64[D]")
                earlier = np.busday_offset(day, -1, roll="backward", busdaycal=cal)
                rec = np.where(future, earlier.astype("datetime64[m]") + (rec - day.astype("datetime64[m]")), rec)
            rec_list = rec.astype("datetime64[s]").tolist()
            comp_list = comp.astype("datetime64[s]").tolist()
            open_mask = (comp > now).tolist()
            for unit, r, c, is_open in zip(units.tolist(), rec_list, comp_list, open_mask):
                seq += 1
                yield {"cvr": cvr, "goal_code": code, "unit_code": unit, "case_ref": f"SAG-{seq:09d}",
                       "received_at": r, "completed_at": None if is_open else c}

        # Each (customer, goal) pair gets a base chance of meeting its goal: most comfortably
        # above target, some just below, a few clearly missing.
        within = [g for g in goals if g.rule_kind == "within_days"]
        pairs: list[tuple[CustomerPlan, ServiceGoal, float]] = []
        for plan in self.plans:
            for goal in within:
                if goal.code in plan.goal_codes:
                    pairs.append((plan, goal, plan.weight * GOAL_WEIGHTS.get(goal.code, DEFAULT_GOAL_WEIGHT)))
        weights = np.array([w for _, _, w in pairs], dtype=float)
        sizes = nrng.multinomial(volume, weights / weights.sum())
        for (plan, goal, _), size in zip(pairs, sizes):
            units = plan.units if goal.area in ("Regnskab", "Rejser") else plan.groups
            codes = np.array([c for c, _ in units])
            p = _chance(nrng, float(goal.target_pct), self._forced(plan, goal))
            n_days = int(goal.rule_value)
            for offset in range(0, int(size), CASE_BLOCK):
                n = min(CASE_BLOCK, int(size) - offset)
                rec_day = np.sort(workdays[nrng.integers(0, len(workdays), n)])
                month = rec_day.astype("datetime64[M]").astype(np.int64) % 12 + 1
                met = nrng.random(n) < (p - dip[month] if p < 1 else p)
                quick = np.minimum(nrng.integers(0, n_days + 1, n), nrng.integers(0, n_days + 1, n))
                slow = n_days + 1 + np.minimum(nrng.integers(0, 6, n), nrng.integers(0, 6, n))
                taken = np.where(met, quick, slow)
                comp_day = np.busday_offset(rec_day, taken, roll="forward", busdaycal=cal)
                rec_min = nrng.integers(7 * 60, 15 * 60 + 30, n)
                comp_min = np.where(taken == 0, np.minimum(rec_min + nrng.integers(5, 150, n), 23 * 60),
                                    nrng.integers(8 * 60, 16 * 60, n))
                rec = rec_day.astype("datetime64[m]") + rec_min.astype("timedelta64[m]")
                comp = comp_day.astype("datetime64[m]") + comp_min.astype("timedelta64[m]")
                yield from emit(plan.cvr, goal.code, codes[nrng.integers(0, len(codes), n)], rec, comp)

        # Monthly goals ("by day D"): one case per unit and month, received the first working day.
        monthly = [g for g in goals if g.rule_kind == "by_day_of_month"]
        months = np.arange(np.datetime64(start, "M"), np.datetime64(self.today, "M") + 1)
        first_days = np.busday_offset(months.astype("datetime64[D]"), 0, roll="forward", busdaycal=cal)
        first_days = first_days[first_days <= np.datetime64(self.today, "D")]
        for plan in self.plans:
            for goal in monthly:
                if goal.code not in plan.goal_codes:
                    continue
                units = plan.units if goal.area in ("Regnskab", "Rejser") else plan.groups
                p = _chance(nrng, float(goal.target_pct), self._forced(plan, goal))
                for code, _ in units:
                    n = len(first_days)
                    deadline = by_day_deadline(first_days, int(goal.rule_value))
                    last_ok = np.busday_offset(deadline, 0, roll="backward", busdaycal=cal)
                    span = np.maximum(np.busday_count(first_days, last_ok, busdaycal=cal), 0)
                    ok_day = np.busday_offset(first_days, (nrng.random(n) * (span + 1)).astype(np.int64), busdaycal=cal)
                    late_day = np.busday_offset(deadline, nrng.integers(1, 5, n), roll="forward", busdaycal=cal)
                    met = nrng.random(n) < p
                    comp_day = np.where(met, ok_day, late_day)
                    rec = first_days.astype("datetime64[m]") + np.timedelta64(8 * 60, "m")
                    comp = comp_day.astype("datetime64[m]") + nrng.integers(9 * 60, 16 * 60, n).astype("timedelta64[m]")
                    yield from emit(plan.cvr, goal.code, np.array([code] * n), rec, comp)
