"""Meetings, action items and runbooks for customers A and B, for the content-page tests.

Every string of customer B contains "HEMMELIG-B" so a test can assert that none of it leaks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from data.files import get_store
from data.models import AccountingUnit, ActionItem, Meeting, MeetingDocument, PayrollGroup, Runbook, RunbookVersion
from tests import world
from data.workdays import danish_today

SECRET_B = "HEMMELIG-B"
UTC = dt.timezone.utc


@dataclass
class Content:
    """Ids of the rows built, for tests that need them."""

    files: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    meetings: dict[str, int] = field(default_factory=dict)


def build(session, today: dt.date | None = None) -> Content:
    """Add the content rows to the test world (call inside an app context) and commit."""
    today = today or danish_today()
    now = dt.datetime.now(UTC)
    store = get_store()
    out = Content()

    def put(key: str, cvr: str, menu: str, name: str, body: bytes) -> int:
        row = store.put(session, body, name, cvr=cvr, menu=menu)
        session.flush()
        out.files[key] = row.id
        return row.id

    units = {u.code: u.id for u in session.scalars(select(AccountingUnit))}
    groups = {g.code: g.id for g in session.scalars(select(PayrollGroup))}

    # --- meetings -----------------------------------------------------------------------
    agenda_a = put("agenda_a", world.CVR_A, "moeder", "dagsorden-statusmoede.pdf", b"%PDF-1.4 dagsorden A")
    minutes_a = put("minutes_a", world.CVR_A, "moeder", "referat-statusmoede.pdf", b"%PDF-1.4 referat A")
    material_old = put("material_old_a", world.CVR_A, "moeder", "materiale-2022.pdf", b"%PDF-1.4 materiale A")
    agenda_b = put("agenda_b", world.CVR_B, "moeder", f"dagsorden-{SECRET_B}.pdf", b"%PDF-1.4 B")
    m1 = Meeting(cvr=world.CVR_A, held_at=dt.datetime(2023, 3, 14, 9, 0, tzinfo=UTC), title="Statusmøde marts",
                 kind="Statusmøde", published_at=now)
    m2 = Meeting(cvr=world.CVR_A, held_at=dt.datetime(2022, 11, 2, 13, 0, tzinfo=UTC), title="Årsmøde 2022",
                 kind="Årsmøde", published_at=now)
    m3 = Meeting(cvr=world.CVR_A, held_at=now + dt.timedelta(days=30), title="Kommende driftsmøde", kind="Driftsmøde",
                 published_at=now)
    mb = Meeting(cvr=world.CVR_B, held_at=dt.datetime(2023, 5, 1, 9, 0, tzinfo=UTC), title=f"Møde {SECRET_B}",
                 kind="Statusmøde", published_at=now)
    session.add_all([m1, m2, m3, mb])
    session.flush()
    # Everything above is published: what customers read (drafts are the Møder tests' own).
    session.add_all([
        MeetingDocument(meeting_id=m1.id, kind="referat", title="Referat af statusmøde", file_id=minutes_a,
                        published_at=now),
        MeetingDocument(meeting_id=m1.id, kind="dagsorden", title="Dagsorden til statusmøde", file_id=agenda_a,
                        published_at=now),
        MeetingDocument(meeting_id=m2.id, kind="materiale", title="Materiale til årsmøde", file_id=material_old,
                        published_at=now),
        # A document row of A pointing at B's file must never surface (defence in depth).
        MeetingDocument(meeting_id=m2.id, kind="materiale", title="Forkert kobling", file_id=agenda_b,
                        published_at=now),
        MeetingDocument(meeting_id=mb.id, kind="dagsorden", title=f"Dagsorden {SECRET_B}", file_id=agenda_b,
                        published_at=now),
    ])
    out.meetings.update(status=m1.id, annual=m2.id, upcoming=m3.id, b=mb.id)

    # --- action items -------------------------------------------------------------------
    items = [
        ("open_regnskab", ActionItem(cvr=world.CVR_A, area="Regnskab", accounting_unit_id=units["10001"],
                                     subject="Afstemning af bankkonti", deadline=today - dt.timedelta(days=10),
                                     owner="Kunden", process_area="Finans", status="I gang",
                                     description="Bankkonto 5800 afviger fra kontoudtog.",
                                     status_detail="Afventer kontoudtog fra banken.")),
        ("open_loen", ActionItem(cvr=world.CVR_A, area="Løn", payroll_group_id=groups["LG100"],
                                 subject="Ny lønart til tillæg", deadline=today + dt.timedelta(days=20),
                                 owner="Statens Administration", process_area="Løn", status="Åben",
                                 description="Tillæg skal have egen lønart.",
                                 status_detail="Lønart oprettes i næste lønkørsel.")),
        ("closed_regnskab", ActionItem(cvr=world.CVR_A, area="Regnskab", accounting_unit_id=units["10002"],
                                       subject="Lukket emne om kreditorer", deadline=today - dt.timedelta(days=40),
                                       owner="Kunden", process_area="Kreditor", status="Afsluttet", is_closed=True,
                                       description="Dobbeltbetaling undersøgt.",
                                       status_detail="Beløbet er tilbagebetalt.")),
        ("b_item", ActionItem(cvr=world.CVR_B, area="Regnskab", accounting_unit_id=units["20001"],
                              subject=f"Emne {SECRET_B}", deadline=today, owner=f"Ejer {SECRET_B}",
                              process_area="Finans", status="Åben", description=f"Beskrivelse {SECRET_B}",
                              status_detail=f"Status {SECRET_B}")),
    ]
    for key, item in items:
        session.add(item)
        session.flush()
        out.actions[key] = item.id

    # --- runbooks -----------------------------------------------------------------------
    guide_a = put("guide_a", world.CVR_A, "drejeboeger", "konteringsvejledning.pdf", b"%PDF-1.4 vejledning A")
    guide_b = put("guide_b", world.CVR_B, "drejeboeger", f"vejledning-{SECRET_B}.pdf", b"%PDF-1.4 B")
    v1 = {
        "points": [{"deviation": "Moms", "description": "Moms bogføres brutto.", "file_ids": []}],
        "tasks": [
            {"task": "Bogføring af kreditorfakturaer", "description": "Dagligt.", "frequency": "Dagligt",
             "file_ids": [guide_a]},
            {"task": "Gammel opgave", "description": "Udgår.", "frequency": "Årligt", "file_ids": []},
        ],
    }
    v2 = {
        "points": [
            {"deviation": "Moms", "description": "Moms bogføres netto.", "file_ids": []},
            {"deviation": "Periodisering", "description": "Periodiser over 10.000 kr.", "file_ids": [guide_a]},
        ],
        "tasks": [
            # A forged/wrong link to B's file must not surface as an attachment of A.
            {"task": "Bogføring af kreditorfakturaer", "description": "Dagligt.", "frequency": "Dagligt",
             "file_ids": [guide_a, guide_b]},
            {"task": "Månedsafstemning", "description": "Afstem balancen.", "frequency": "Månedligt", "file_ids": []},
        ],
    }
    rb = Runbook(cvr=world.CVR_A, area="Regnskab", unit_code="10001", section="Finans", current_version=2)
    rb_loen = Runbook(cvr=world.CVR_A, area="Løn", unit_code="LG100", section="mTime", current_version=1)
    rb_b = Runbook(cvr=world.CVR_B, area="Regnskab", unit_code="20001", section="Finans", current_version=1)
    session.add_all([rb, rb_loen, rb_b])
    session.flush()
    session.add_all([
        RunbookVersion(runbook_id=rb.id, version=1, content=v1, changed_by="Anne Andersen",
                       changed_at=dt.datetime(2022, 1, 28, 7, 38, 52, tzinfo=UTC)),
        RunbookVersion(runbook_id=rb.id, version=2, content=v2, changed_by="Bent Berg",
                       changed_at=dt.datetime(2023, 6, 1, 10, 15, 5, tzinfo=UTC)),
        RunbookVersion(runbook_id=rb_loen.id, version=1, changed_by="Carl Clausen",
                       content={"points": [], "tasks": [{"task": "Registrering i mTime", "description": "Ugentligt",
                                                          "frequency": "Ugentligt", "file_ids": []}]}),
        RunbookVersion(runbook_id=rb_b.id, version=1, changed_by=f"Person {SECRET_B}",
                       content={"points": [{"deviation": f"Afvigelse {SECRET_B}", "description": SECRET_B,
                                            "file_ids": [guide_b]}], "tasks": []}),
    ])
    session.commit()
    return out
