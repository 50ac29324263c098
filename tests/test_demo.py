"""The demo seeder (data/demo.py) and the `seed-demo` / `demo-accounts` commands."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

import pyotp
import time
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from stdnum.dk import cvr as cvr_check

from core.access import valid_cvr_format
from core.passwords import policy_errors, verify_password
from core.rights import Right
from data.models import (
    AccountingUnit,
    ActionItem,
    Agreement,
    Annex,
    Case,
    Contact,
    ContactRole,
    Customer,
    Exemption,
    Meeting,
    MeetingDocument,
    MonthlyRollup,
    PayrollGroup,
    Runbook,
    ServiceGoal,
    RunbookVersion,
    StoredFile,
    TeamMember,
    User,
)
from tests import world
from data.workdays import danish_today
PG_URL_ENV = "TEST_DATABASE_URL"  # as in tests/conftest.py

SA_CVR = "33391005"
SMALL = "300"  # volume cases in tests: the monthly goals add their own, so the seed stays fast


def _make_app(config):
    from app import create_app
    from data.db import get_db

    flask_app = create_app(config)
    world.unscoped_outside_requests(get_db(flask_app))
    return flask_app


def _config(database_url: str, root: Path) -> dict:
    return {
        "TESTING": True,
        "PORTAL_ENV": "testing",
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(root / "instance"),
        "FILE_STORE_PATH": str(root / "files"),
        "MAIL_OUTBOX_PATH": str(root / "outbox"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "WTF_CSRF_ENABLED": False,
    }


def _backends() -> list:
    marks = [] if os.environ.get(PG_URL_ENV) else [pytest.mark.skip(reason=f"{PG_URL_ENV} er ikke sat")]
    return [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=marks)]


@pytest.fixture(scope="module", params=_backends())
def seeded_app(request, tmp_path_factory, sqlite_template):
    """One app per backend on an EMPTY database (no test world) after `flask seed-demo --cases SMALL`.

    Module-scoped: seeding takes seconds, and the tests below only read (the refusal test
    proves the seed writes nothing the second time).
    """
    from data.db import get_db

    root = tmp_path_factory.mktemp("demo")
    admin = name = None
    if request.param == "sqlite":
        path = root / "demo.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        from data import migrate

        base = os.environ[PG_URL_ENV]
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        name = f"kp_demo_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    flask_app = _make_app(_config(url, root))
    result = flask_app.test_cli_runner().invoke(args=["seed-demo", "--cases", SMALL])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "Demodata indlæst" in result.output
    yield flask_app
    get_db(flask_app).dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _accounts(flask_app) -> list[dict]:
    result = flask_app.test_cli_runner().invoke(args=["demo-accounts", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _snapshot(flask_app) -> dict:
    """Return what must be identical between two seeds (no generated ids, hashes or file keys)."""
    from data.db import get_session

    with flask_app.app_context():
        s = get_session()
        return {
            "customers": s.execute(select(Customer.cvr, Customer.name, Customer.address, Customer.ean)
                                   .order_by(Customer.cvr)).all(),
            "units": s.execute(select(AccountingUnit.code, AccountingUnit.cvr, AccountingUnit.name,
                                      AccountingUnit.server_name, AccountingUnit.database_name)
                               .order_by(AccountingUnit.code)).all(),
            "groups": s.execute(select(PayrollGroup.code, PayrollGroup.cvr, PayrollGroup.name)
                                .order_by(PayrollGroup.code)).all(),
            "users": s.execute(select(User.email, User.name, User.b_number, User.is_sa_staff, User.is_sa_admin)
                               .order_by(User.email)).all(),
            "contacts": s.execute(select(Contact.cvr, Contact.name, Contact.email, Contact.tabs)
                                  .order_by(Contact.cvr, Contact.name)).all(),
            "actions": s.execute(select(ActionItem.cvr, ActionItem.subject, ActionItem.status)
                                 .order_by(ActionItem.cvr, ActionItem.id)).all(),
            "cases": s.execute(select(Case.case_ref, Case.cvr, Case.unit_code, Case.received_at, Case.met)
                               .order_by(Case.case_ref).limit(500)).all(),
            "case_count": s.scalar(select(func.count()).select_from(Case)),
            "accounts": _accounts(flask_app),
        }


# --- the seeded demo -------------------------------------------------------------------------------


def test_seed_loads_customers_with_valid_cvr_numbers(seeded_app):
    from data.db import get_session

    with seeded_app.app_context():
        s = get_session()
        customers = s.scalars(select(Customer)).all()
        assert len(customers) >= 40
        assert all(cvr_check.is_valid(c.cvr) and valid_cvr_format(c.cvr) for c in customers)
        sa = s.get(Customer, SA_CVR)
        assert sa.name == "Statens Administration"
        assert sa.address == "Arenalvej 33, 5800 Hjørring"
        assert len({c.ministry_id for c in customers}) >= 5
        for customer in customers:
            assert 1 <= len(customer.accounting_units) <= 3
            assert 1 <= len(customer.payroll_groups) <= 2
            assert all(u.server_name and u.database_name for u in customer.accounting_units)


def test_every_kind_of_account_is_present_and_can_sign_in(seeded_app):
    accounts = _accounts(seeded_app)
    keys = {"email", "password", "sa_staff", "sa_admin", "b_number", "grants"}
    # SA staff and administrators have a second factor; its secret is printed too (issue 13).
    enrolled = [a for a in accounts if a["sa_staff"] or any("Administrator" in r for r in a["grants"].values())]
    assert all(set(a) == keys | {"totp_secret"} for a in enrolled)
    assert all(set(a) == keys for a in accounts if a not in enrolled)
    assert len([a for a in enrolled if a["sa_staff"]]) == 2 and len(enrolled) >= 3
    rights = {r.value for r in Right}
    assert all(set(r) <= rights for a in accounts for r in a["grants"].values())

    def kind(predicate):
        return [a for a in accounts if predicate(a)]

    def only(a, cvr_rights):
        return a["grants"] == cvr_rights

    admins = kind(lambda a: len(a["grants"]) == 2 and all(r == ["Administrator"] for r in a["grants"].values()))
    assert admins and SA_CVR in admins[0]["grants"]
    assert kind(lambda a: only(a, {SA_CVR: ["Læser"]}))
    assert kind(lambda a: only(a, {SA_CVR: ["Rediger"]}))
    assert kind(lambda a: only(a, {SA_CVR: ["Rapporter"]}) and a["b_number"])
    assert kind(lambda a: "Rapporter" in a["grants"].get(SA_CVR, []) and not a["b_number"])
    assert kind(lambda a: len(a["grants"]) == 2 and not any("Administrator" in r for r in a["grants"].values()))
    assert kind(lambda a: a["sa_staff"] and not a["sa_admin"] and not a["grants"])
    assert kind(lambda a: a["sa_staff"] and a["sa_admin"])
    assert len({a["password"] for a in accounts}) == len(accounts)
    assert all(not policy_errors(a["password"], email=a["email"]) for a in accounts)

    from data.db import get_session

    with seeded_app.app_context():
        users = {u.email: u for u in get_session().scalars(select(User))}
        assert any(users[a["email"]].must_change_password for a in accounts)
        for account in accounts:
            user = users[account["email"]]
            assert user.is_active
            assert verify_password(user.password_hash, account["password"])
            assert {g.cvr: g.rights for g in user.grants} == account["grants"]

    client = seeded_app.test_client()
    for account in (accounts[0], accounts[-1], accounts[1]):
        response = client.post("/login", data={"email": account["email"], "password": account["password"]})
        assert response.status_code == 302, response.data[:300]
        if "totp_secret" in account:
            # The printed secret yields the code the demo user's app would show.
            assert response.location == "/login/kode"
            response = client.post("/login/kode", data={"code": pyotp.TOTP(account["totp_secret"]).now()})
            assert response.status_code == 302 and response.location == "/", response.data[:300]
        assert client.get("/").status_code == 200
        client.post("/logout")


def test_demo_accounts_plain_output_lists_every_account(seeded_app):
    result = seeded_app.test_cli_runner().invoke(args=["demo-accounts"])
    assert result.exit_code == 0
    for account in _accounts(seeded_app):
        assert account["email"] in result.output and account["password"] in result.output


def test_cases_cover_two_years_up_to_today_with_rollups(seeded_app):
    from data.db import get_session

    today = danish_today()
    with seeded_app.app_context():
        s = get_session()
        first, last = s.execute(select(func.min(Case.received_at), func.max(Case.received_at))).one()
        assert first.date() <= today - dt.timedelta(days=2 * 365)
        assert last.date() >= today - dt.timedelta(days=7)
        latest_done = s.scalar(select(func.max(Case.completed_at)))
        assert latest_done <= dt.datetime.now() + dt.timedelta(hours=14)  # local wall clock, never in the future
        handled, met = s.execute(select(func.sum(MonthlyRollup.handled), func.sum(MonthlyRollup.met))).one()
        closed = s.scalar(select(func.count()).select_from(Case).where(Case.completed_at.is_not(None)))
        assert handled == closed
        assert 0.85 <= met / handled <= 1.0
        assert s.scalar(select(func.count(func.distinct(Case.cvr)))) >= 40


def test_content_for_the_later_pages(seeded_app):
    from data.db import get_session

    today = danish_today()
    with seeded_app.app_context():
        s = get_session()
        agreements = s.scalars(select(Agreement)).all()
        assert {a.kind for a in agreements} == {"customer", "data_processing"}
        sa_agreement = next(a for a in agreements if a.cvr == SA_CVR and a.kind == "customer")
        assert "5798000010703" in sa_agreement.body and "Arenalvej 33" in sa_agreement.body
        from data.agreements import ELECTRONIC, PAPER, PENDING, signature_state

        states = {a.id: signature_state(a) for a in agreements}
        assert states[sa_agreement.id]["signature_status"] == ELECTRONIC
        assert states[sa_agreement.id]["sa_signed_by"] and states[sa_agreement.id]["customer_signed_at"]
        pending = [a for a in agreements if states[a.id]["signature_status"] == PENDING]
        assert pending and all(states[a.id]["customer_signed_at"] is None and states[a.id]["sa_signed_at"]
                               for a in pending)  # "Afventer godkendelse": SA approved, the customer not yet
        paper = [a for a in agreements if states[a.id]["signature_status"] == PAPER]
        assert paper and all(a.signed_file_id and not a.signed_electronically for a in paper)
        # Nothing else: every demo agreement is signed electronically, awaiting approval, or signed on paper.
        assert len(paper) + len(pending) + sum(states[a.id]["signature_status"] == ELECTRONIC
                                               for a in agreements) == len(agreements)
        annexes = s.scalars(select(Annex)).all()
        assert annexes and all(x.cvr == paper[0].cvr for x in annexes)
        assert any(e.expires_on and e.expires_on < today for e in s.scalars(select(Exemption)))

        meetings = s.scalars(select(Meeting).where(Meeting.cvr == SA_CVR)).all()
        now = dt.datetime.now(dt.timezone.utc)
        held = [m.held_at.replace(tzinfo=m.held_at.tzinfo or dt.timezone.utc) for m in meetings]
        assert any(h > now for h in held) and any(h < now - dt.timedelta(days=365) for h in held)
        docs = s.scalars(select(MeetingDocument)).all()
        assert {d.kind for d in docs} == {"dagsorden", "materiale", "referat"}

        # Every stored file belongs to its customer and is a real PDF in the store.
        from data.files import get_store

        store = get_store()
        files = s.scalars(select(StoredFile)).all()
        assert {f.menu for f in files} == {"moeder", "kundeaftaler", "drejeboeger"}
        for row in files[:20]:
            assert store.path_of(row).read_bytes().startswith(b"%PDF")
        meeting_cvr = {m.id: m.cvr for m in s.scalars(select(Meeting))}
        file_cvr = {f.id: f.cvr for f in files}
        assert all(file_cvr[d.file_id] == meeting_cvr[d.meeting_id] for d in docs)

        items = s.scalars(select(ActionItem).where(ActionItem.cvr == SA_CVR)).all()
        assert any(i.is_closed for i in items)
        assert any(not i.is_closed and i.deadline < today for i in items)
        # Agreed at meetings already held: no item was created, or says it was agreed, in the future.
        every_item = s.scalars(select(ActionItem)).all()
        assert all(i.created_at.date() < today for i in every_item)
        for item in every_item:
            agreed = dt.datetime.strptime(item.description.rsplit("driftsmødet den ", 1)[1][:10], "%d-%m-%Y").date()
            assert agreed < today, item.description

        runbooks = s.scalars(select(Runbook).where(Runbook.cvr == SA_CVR)).all()
        sections = {(r.area, r.section) for r in runbooks}
        assert {("Regnskab", "Finans"), ("Regnskab", "Kreditor"), ("Løn", "mTime"), ("Refusion", "Virklister")} <= sections
        versions = s.scalars(select(RunbookVersion)).all()
        assert all(set(v.content) == {"points", "tasks"} for v in versions)
        assert any(r.current_version > 1 for r in runbooks)
        attached = {fid for v in versions for t in v.content["tasks"] for fid in t["file_ids"]}
        assert attached and all(file_cvr[fid] for fid in attached)

        roles = s.scalars(select(ContactRole)).all()
        assert len(roles) == 15 and sum(r.sa_only for r in roles) == 3
        for customer in s.scalars(select(Customer)):
            assert s.scalar(select(func.count()).select_from(Contact).where(Contact.cvr == customer.cvr)) >= 3
            assert s.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.cvr == customer.cvr)) >= 3


def test_seed_refuses_a_database_that_has_customers(seeded_app):
    runner = seeded_app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--cases", "10"])
    assert result.exit_code != 0
    assert "allerede kunder" in result.output
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "indlæses ikke" in result.output


def test_two_seeds_are_identical(seeded_app, sqlite_template, tmp_path: Path, monkeypatch):
    """A second seed, into a fresh SQLite database, gives the same customers, users, passwords and cases."""
    from data import demo
    from data.db import get_db

    # Hashes are salted (never equal) and argon2 is slow: the second seed skips hashing, and so the demo's
    # electronic approval (which re-asks the signatories' passwords) skips checking them.
    from data import approvals

    monkeypatch.setattr(demo, "hash_password", lambda password: "not-a-hash")
    monkeypatch.setattr(approvals, "verify_password", lambda password_hash, password: True)

    path = tmp_path / "second.db"
    shutil.copy(sqlite_template, path)
    second = _make_app(_config(f"sqlite:///{path}", tmp_path))
    try:
        result = second.test_cli_runner().invoke(args=["seed-demo", "--cases", SMALL])
        assert result.exit_code == 0, result.output
        assert _snapshot(second) == _snapshot(seeded_app)
    finally:
        get_db(second).dispose()


# --- a database that is not a demo --------------------------------------------------------------


def test_demo_accounts_refuses_a_non_demo_database(runner):
    result = runner.invoke(args=["demo-accounts", "--json"])
    assert result.exit_code != 0
    assert "ikke indlæst som demo" in result.output


def test_seed_refuses_the_test_world(app, runner):
    from data import demo
    from data.db import get_session

    result = runner.invoke(args=["seed-demo", "--cases", "10"])
    assert result.exit_code != 0
    with app.app_context():
        assert demo.demo_accounts(get_session()) is None
        assert get_session().get(Customer, world.CVR_B).name == "Styrelsen for Bøger"


def test_plan_is_deterministic_without_a_database():
    from data.demo import plan_customers

    first, second = plan_customers(), plan_customers()
    assert [(p.cvr, p.units, p.groups) for p in first] == [(p.cvr, p.units, p.groups) for p in second]
    assert len({p.cvr for p in first}) == len(first)
    codes = [c for p in first for c, _ in p.units + p.groups]
    assert len(codes) == len(set(codes))


def test_one_customer_agreement_is_signed_through_the_approval_path(seeded_app):
    from data import approvals, seal
    from data.db import get_session
    from data.files import get_store
    from data.models import ApprovalEvent, StoredFile

    with seeded_app.app_context():
        s = get_session()
        signed = s.scalar(select(Agreement).where(Agreement.cvr == SA_CVR, Agreement.kind == "customer"))
        assert signed.signed_at is not None and signed.sealed_file_id is not None
        events = s.scalars(select(ApprovalEvent).where(ApprovalEvent.agreement_id == signed.id)).all()
        assert {e.party for e in events} == {"sa", "customer"}
        assert approvals.verify_chain(s) is None and approvals.verify_sealed_files(s) is None
        content = get_store().path_of(s.get(StoredFile, signed.sealed_file_id)).read_bytes()
        assert seal.check_seal(content, seal.signing_certificate(seal.seal_key(seeded_app.config))).ok


def _tab_text(dash_client, cvr: str, name: str) -> tuple[str, dict]:
    from pages.ids import kundeaftaler as ids

    response = dash_client.fire(ids.TABS, "value", cvr=cvr, initial=True, values={ids.TABS: name})
    assert response.status_code == 200, response.data[:300]
    body = response.get_json()
    return json.dumps(body, ensure_ascii=False), body


def _annex_states(node) -> dict[str, str]:
    """Return {agreement key: signature status} as the Bilag tab renders it (its list of agreements)."""
    found: dict[str, str] = {}
    if isinstance(node, dict):
        props = node.get("props", {})
        if "data-signature-status" in props:
            found[props["data-kind"]] = props["data-signature-status"]
        for value in node.values():
            found.update(_annex_states(value))
    elif isinstance(node, list):
        for child in node:
            found.update(_annex_states(child))
    return found


def test_every_demo_customer_shows_one_signature_state_on_its_panel_and_bilag(seeded_app):
    """Walk every demo customer: the panel and the Bilag tab say the same, from the approval records or paper."""
    from core.access import AccessScope
    from core.formatting import da_date, da_datetime
    from data import agreements as ag
    from data.db import get_session
    from data.models import ApprovalEvent
    from tests.conftest import DashClient

    accounts = {a["email"]: a for a in _accounts(seeded_app)}
    admin = accounts["sa.systemadministrator@statens-adm.dk"]
    client = seeded_app.test_client()
    assert client.post("/login", data={"email": admin["email"], "password": admin["password"]}).status_code == 302
    # SA's system administrator signs in with the second factor the demo enrolled: the next time-step's code
    # (accepted as clock drift), since an earlier test of this module may have used this step's code already.
    code = pyotp.TOTP(admin["totp_secret"]).at(time.time() + 30)
    assert client.post("/login/kode", data={"code": code}).status_code == 302
    dash = DashClient(client)
    everyone = AccessScope(all_customers=True)
    with seeded_app.app_context():
        s = get_session()
        cvrs = s.scalars(select(Customer.cvr).order_by(Customer.cvr)).all()
        expected = {}
        for cvr in cvrs:
            for key in ag.AGREEMENT_TITLES:
                item = ag.agreement(everyone, cvr, key)
                events = {e.party: e for e in s.scalars(select(ApprovalEvent).where(ApprovalEvent.agreement_id
                                                                                     == item["id"]))}
                expected[(cvr, key)] = (item, events)
    seen = {ag.ELECTRONIC: 0, ag.PENDING: 0, ag.PAPER: 0}
    for cvr in cvrs:
        _, bilag = _tab_text(dash, cvr, "bilag")
        annex_states = _annex_states(bilag)
        for key, title in ag.AGREEMENT_TITLES.items():
            item, events = expected[(cvr, key)]
            panel, _ = _tab_text(dash, cvr, key)
            status = item["signature_status"]
            assert annex_states[key] == status, (cvr, key)
            seen[status] += 1
            if status in (ag.ELECTRONIC, ag.PENDING):
                # Names and times only from the approval records; never a paper signature on the panel.
                assert "på papir" not in panel
                for party, who in (("sa", "Statens Administration"), ("customer", "Kunde")):
                    if party in events:
                        ev = events[party]
                        assert f"Underskrevet af: {ev.signer_name}, Dato: {da_datetime(ev.approved_at)}" in panel
                    else:
                        assert "Afventer underskrift" in panel and status == ag.PENDING
                assert (status == ag.ELECTRONIC) == (set(events) == {"sa", "customer"})
                assert f"{title}n (version {item['version']}) er underskrevet elektronisk." in json.dumps(
                    bilag, ensure_ascii=False) if status == ag.ELECTRONIC else "afventer godkendelse" in json.dumps(
                    bilag, ensure_ascii=False)
            else:
                assert status == ag.PAPER and not events and item["signed_file_id"] is not None
                assert f"Underskrevet på papir af: {item['sa_signed_by']}, Dato: {da_date(item['sa_signed_at'])}" in panel
                assert (f"Underskrevet på papir af: {item['customer_signed_by']}, "
                        f"Dato: {da_date(item['customer_signed_at'])}") in panel
                assert "Underskrevet af:" not in panel
                assert f"Underskrevet kopi af {title.lower()}n" in json.dumps(bilag, ensure_ascii=False)
        # The Bilag tab is offered exactly when the Kundeaftale was not signed electronically (the guide).
        with seeded_app.app_context():
            assert ag.show_annexes(everyone, cvr) == (annex_states["kundeaftale"] != ag.ELECTRONIC)
    assert all(seen.values()), seen  # the demo shows every state: signed, awaiting approval, on paper


def test_the_demo_has_an_agreement_awaiting_a_demo_accounts_approval(seeded_app):
    """Louise Dahl (to.kunder@example.dk) can try »Godkend aftalen«: DIGST's renewed Databehandleraftale waits for her."""
    from core.access import AccessScope, Principal
    from data import approvals
    from data.db import get_session
    from data.models import User

    with seeded_app.app_context():
        s = get_session()
        louise = Principal.from_user(s.scalar(select(User).where(User.email == "to.kunder@example.dk")))
        waiting = approvals.pending_for(AccessScope(all_customers=True), louise)
        assert [(w["key"], w["version"]) for w in waiting] == [("databehandleraftale", "4")]
        state = approvals.state(AccessScope(all_customers=True), waiting[0]["cvr"], waiting[0]["agreement_id"], louise)
        assert state["status"] == "pending" and state["can_approve"] and state["parties"]["sa"] is not None


@pytest.mark.parametrize("now", [
    dt.datetime(2026, 12, 7, 9, 18),  # a Monday morning: the day's later receipts have not arrived yet
    dt.datetime(2026, 12, 1, 7, 30),  # the month's first working day, before its monthly cases at 08:00
    dt.datetime(2026, 12, 7, 0, 5),  # just after midnight: nothing of today has arrived
])
def test_no_demo_case_is_received_or_completed_after_now(app, now):
    """`make run` seeds at any hour: a receipt later today would be refused by the import as in the future."""
    from data import demo
    from data.db import get_session
    from data.rules import default_service_goals

    with app.app_context():
        goals = [ServiceGoal(**spec) for spec in default_service_goals()]

        def records(clock: dt.datetime) -> list[dict]:
            seeder = demo._Seeder(get_session(), now.date(), clock)
            seeder._assign_goals(goals)
            return list(seeder._case_records(goals, 40_000))

        early = records(now)
        late = records(dt.datetime.combine(now.date(), dt.time(23, 59)))
    assert len(early) == len(late)  # moved to the working day before, not left out
    assert max(r["received_at"] for r in early) <= now
    assert all(r["completed_at"] is None or r["received_at"] <= r["completed_at"] <= now for r in early)
    today = [r for r in late if r["received_at"].date() == now.date()]
    assert today and any(r["received_at"] > now for r in today)  # the case this guards against exists
    moved = [(e, l) for e, l in zip(early, late) if e["received_at"] != l["received_at"]]
    assert moved and all(e["completed_at"] is None and e["received_at"].date() < now.date() for e, _ in moved)
