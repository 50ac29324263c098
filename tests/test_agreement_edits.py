"""data.agreement_edits and the agreement PDF: drafts and publishing, records with end dates, annexes, locks, audit."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from core.access import AccessDenied, AccessScope, Principal
from data import agreement_edits as edits
from data import agreements
from data.db import get_session
from data.errors import Refused, ValidationError
from data.models import Agreement, Announcement, Annex, AuditLog, StoredFile, User
from tests import agreements_world as aw
from tests import world
from data.workdays import danish_today

SCOPE_A = AccessScope.single(world.CVR_A)
MAX = 25 * 1024 * 1024
PDF = b"%PDF-1.4 nyt bilag\n%%EOF"


@dataclass
class W:
    session: object
    sa: Principal
    customer: Principal
    rows: aw.Rows


def _principal(session, email: str) -> Principal:
    return Principal.from_user(session.scalar(select(User).where(User.email == email)))


@pytest.fixture
def w(app):
    with app.app_context():
        session = get_session()
        rows = aw.build(session, danish_today())
        yield W(session, _principal(session, world.SA_STAFF), _principal(session, world.REDIGER_A), rows)


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _draft_raw(**overrides):
    raw = {"title": "Kundeaftale", "valid_from": "2030-01-01",
           "sections": "# Formål\nAftalen fastlægger opgaverne.\n\n# Ydelser\nBogføring og løn."}
    raw.update(overrides)
    return raw


# --- legacy bodies read as sections -------------------------------------------------------------


def test_legacy_body_drops_the_parties_and_pairs_numbered_headings():
    body = ("Mellem\n\nStatens Administration\nCVR-nr.: 33391005\n\nog\n\nKunde A\nCVR-nr.: 1\n(herefter \"Kunden\")"
            "\n\n1. Formål\n\nAftalen fastlægger.\n\n2. Ydelser\n\nBogføring.")
    assert agreements.legacy_sections(body) == [{"heading": "Formål", "body": "Aftalen fastlægger."},
                                                {"heading": "Ydelser", "body": "Bogføring."}]
    assert agreements.legacy_sections("Første.\n\nAnden.") == [{"heading": "", "body": "Første."},
                                                               {"heading": "", "body": "Anden."}]


def test_sections_text_round_trip():
    sections = [{"heading": "", "body": "Indledning."}, {"heading": "Formål", "body": "Tekst\n\nmere."}]
    assert edits.text_to_sections(edits.sections_to_text(sections)) == sections


# --- drafts ---------------------------------------------------------------------------------------


def test_draft_is_copied_from_the_version_in_force_and_invisible_to_customers(w):
    draft = edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "kundeaftale")
    assert draft["version"] == "4" and draft["published_at"] is None and draft["valid_from"] is None
    assert draft["sections"] == agreements.agreement(SCOPE_A, world.CVR_A, "kundeaftale")["sections"]
    # Customers (and the in-force read everyone uses) never see it; a customer account gets no draft at all.
    assert agreements.agreement(SCOPE_A, world.CVR_A, "kundeaftale")["version"] == "3"
    assert agreements.draft(SCOPE_A, world.CVR_A, "kundeaftale", w.customer) is None
    assert agreements.draft(SCOPE_A, world.CVR_A, "kundeaftale", w.sa)["id"] == draft["id"]
    with pytest.raises(Refused, match="allerede en kladde"):
        edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "kundeaftale")


def test_a_draft_dated_today_is_not_in_force_until_published(w):
    draft = edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "kundeaftale")
    edits.save_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 1, _draft_raw(valid_from=danish_today().isoformat()))
    assert agreements.agreement(SCOPE_A, world.CVR_A, "kundeaftale")["version"] == "3"
    edits.publish_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 2)
    current = agreements.agreement(SCOPE_A, world.CVR_A, "kundeaftale")
    assert current["version"] == "4"
    assert current["sections"] == [{"heading": "Formål", "body": "Aftalen fastlægger opgaverne."},
                                   {"heading": "Ydelser", "body": "Bogføring og løn."}]


def test_customers_and_other_cvrs_are_refused_every_write(w):
    draft = edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "kundeaftale")
    before = _count(w.session, AuditLog)
    for call in (lambda: edits.start_draft(SCOPE_A, world.CVR_A, w.customer, "databehandleraftale"),
                 lambda: edits.save_draft(SCOPE_A, world.CVR_A, w.customer, draft["id"], 1, _draft_raw()),
                 lambda: edits.publish_draft(SCOPE_A, world.CVR_A, w.customer, draft["id"], 1),
                 lambda: edits.save_record(SCOPE_A, world.CVR_A, w.customer, "tilkoeb", None, None, {}),
                 lambda: edits.add_annex(SCOPE_A, world.CVR_A, w.customer, "Bilag", "b.pdf", PDF, MAX),
                 lambda: edits.save_draft(SCOPE_A, world.CVR_B, w.sa, draft["id"], 1, _draft_raw())):
        with pytest.raises(AccessDenied):
            call()
    assert _count(w.session, AuditLog) == before


def test_save_validates_with_danish_messages_per_field(w):
    draft = edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "kundeaftale")
    with pytest.raises(ValidationError) as caught:
        edits.save_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 1,
                         _draft_raw(title="", valid_from="31-02-2030", sections="# Formål\n"))
    assert caught.value.errors == {"title": "Titel skal udfyldes.",
                                   "valid_from": "Gældende fra skal være en dato (dd-mm-åååå).",
                                   "sections": "Afsnittet »Formål« har ingen tekst."}
    assert agreements.draft(SCOPE_A, world.CVR_A, "kundeaftale", w.sa)["row_version"] == 1


def test_concurrent_draft_saves_keep_the_first_and_refuse_the_second(w):
    draft = edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "kundeaftale")
    edits.save_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 1, _draft_raw(title="Første"))
    with pytest.raises(edits.AgreementConflict, match="ændret samtidig"):
        edits.save_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 1, _draft_raw(title="Anden"))
    assert agreements.draft(SCOPE_A, world.CVR_A, "kundeaftale", w.sa)["title"] == "Første"


def test_publish_needs_a_date_then_announces_audits_and_freezes_the_version(w):
    draft = edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "kundeaftale")
    with pytest.raises(Refused, match="Gældende fra"):
        edits.publish_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 1)
    edits.save_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 1, _draft_raw())
    edits.publish_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 2)
    news = w.session.scalars(select(Announcement).where(Announcement.cvr == world.CVR_A)).all()
    assert [(a.topic, a.entity, a.entity_id) for a in news] == [("kundeaftaler", "agreement", str(draft["id"]))]
    assert news[0].path == f"/kundeaftaler?cvr={world.CVR_A}&tab=kundeaftale"
    actions = w.session.scalars(select(AuditLog.action).where(AuditLog.entity == "agreement",
                                                              AuditLog.entity_id == str(draft["id"]))).all()
    assert sorted(actions) == ["create", "publish", "update"]
    # Published: it never changes, and is no draft any more.
    with pytest.raises(Refused, match="udgivet"):
        edits.save_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 3, _draft_raw(title="Ændret"))
    assert agreements.draft(SCOPE_A, world.CVR_A, "kundeaftale", w.sa) is None
    upcoming = agreements.upcoming_agreement(SCOPE_A, agreements.agreement(SCOPE_A, world.CVR_A, "kundeaftale"))
    assert upcoming["version"] == "4" and upcoming["valid_from"] == dt.date(2030, 1, 1)


def test_publish_refuses_a_date_before_the_version_in_force(w):
    draft = edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "kundeaftale")
    edits.save_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 1, _draft_raw(valid_from="2021-06-01"))
    with pytest.raises(Refused, match="skal ligge efter 1. jan. 2022"):
        edits.publish_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 2)
    assert agreements.draft(SCOPE_A, world.CVR_A, "kundeaftale", w.sa)["row_version"] == 2


def test_discard_deletes_only_a_draft(w):
    draft = edits.start_draft(SCOPE_A, world.CVR_A, w.sa, "databehandleraftale")
    edits.discard_draft(SCOPE_A, world.CVR_A, w.sa, draft["id"], 1)
    assert agreements.draft(SCOPE_A, world.CVR_A, "databehandleraftale", w.sa) is None
    with pytest.raises(Refused, match="udgivet"):
        edits.discard_draft(SCOPE_A, world.CVR_A, w.sa, w.rows.agreements["customer_a"], 1)


# --- exemptions, add-ons, third-party tasks ------------------------------------------------------


def test_add_edit_and_end_an_add_on(w):
    saved = edits.save_record(SCOPE_A, world.CVR_A, w.sa, "tilkoeb", None, None,
                              {"service": "Rejseafregning+", "description": "", "start_date": "01-03-2026",
                               "end_date": ""})
    record = edits.get_record(SCOPE_A, world.CVR_A, "tilkoeb", saved["id"])
    assert record["start_date"] == dt.date(2026, 3, 1) and record["row_version"] == 1 and not record["ended"]
    edits.save_record(SCOPE_A, world.CVR_A, w.sa, "tilkoeb", saved["id"], 1,
                      {**record, "start_date": "2026-03-01", "end_date": None, "description": "Ændret"})
    with pytest.raises(edits.AgreementConflict, match="ændret samtidig"):
        edits.end_record(SCOPE_A, world.CVR_A, w.sa, "tilkoeb", saved["id"], 1)
    edits.end_record(SCOPE_A, world.CVR_A, w.sa, "tilkoeb", saved["id"], 2, on=danish_today() - dt.timedelta(days=1))
    row = next(r for r in agreements.add_ons(SCOPE_A, world.CVR_A) if r["id"] == saved["id"])
    assert row["ended"] and row["description"] == "Ændret"
    with pytest.raises(Refused, match="allerede afsluttet"):
        edits.end_record(SCOPE_A, world.CVR_A, w.sa, "tilkoeb", saved["id"], 3)
    actions = w.session.scalars(select(AuditLog.action).where(AuditLog.entity == "add_on")).all()
    assert sorted(actions) == ["create", "end", "update"]


def test_record_validation_and_another_customers_record(w):
    with pytest.raises(ValidationError) as caught:
        edits.save_record(SCOPE_A, world.CVR_A, w.sa, "dispensationer", None, None,
                          {"title": "", "granted_on": "2026-05-01", "expires_on": "2026-04-01"})
    assert caught.value.errors == {"title": "Dispensation skal udfyldes.",
                                   "expires_on": "Udløbsdatoen kan ikke ligge før datoen, dispensationen er givet."}
    with pytest.raises(ValidationError) as caught:
        edits.save_record(SCOPE_A, world.CVR_A, w.sa, "tredjepart", None, None, {"area": "Andet", "agency": "X"})
    assert caught.value.errors == {"area": "Vælg Regnskab eller Løn."}
    b_task = w.session.scalar(select(Agreement.id).where(Agreement.cvr == world.CVR_B))
    with pytest.raises(Refused, match="findes ikke"):
        edits.end_record(SCOPE_A, world.CVR_A, w.sa, "dispensationer", b_task, 1)


# --- annexes --------------------------------------------------------------------------------------


def test_annex_upload_replace_and_withdraw_keep_the_old_versions(w):
    added = edits.add_annex(SCOPE_A, world.CVR_A, w.sa, "Bilag 4 – Prisliste", "prisliste.pdf", PDF, MAX)
    assert w.session.get(StoredFile, added["file_id"]).cvr == world.CVR_A
    replaced = edits.replace_annex(SCOPE_A, world.CVR_A, w.sa, added["id"], 1, "prisliste-2.pdf", PDF + b" v2", MAX)
    assert replaced["revision"] == 2
    listed = {r["title"]: r for r in agreements.annexes(SCOPE_A, world.CVR_A)}
    assert listed["Bilag 4 – Prisliste"]["file_id"] == replaced["file_id"]
    old = w.session.get(Annex, added["id"])
    assert old.superseded_at is not None and w.session.get(StoredFile, added["file_id"]) is not None
    assert w.session.get(Annex, replaced["id"]).previous_id == added["id"]
    with pytest.raises(Refused, match="findes ikke"):
        edits.replace_annex(SCOPE_A, world.CVR_A, w.sa, added["id"], 1, "x.pdf", PDF, MAX)
    edits.withdraw_annex(SCOPE_A, world.CVR_A, w.sa, replaced["id"], 1)
    assert "Bilag 4 – Prisliste" not in {r["title"] for r in agreements.annexes(SCOPE_A, world.CVR_A)}


@pytest.mark.parametrize("name,content", [("script.pdf", b"#!/bin/sh\nrm -rf /"), ("tom.pdf", b""),
                                          ("../../etc/passwd", b"x"), ("stor.pdf", PDF + b"x" * 100)])
def test_hostile_annex_uploads_store_nothing(w, name, content):
    files = _count(w.session, StoredFile)
    annexes = _count(w.session, Annex)
    with pytest.raises(Refused):
        edits.add_annex(SCOPE_A, world.CVR_A, w.sa, "Bilag", name, content, 64)
    assert _count(w.session, StoredFile) == files and _count(w.session, Annex) == annexes


# --- the PDF ------------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    """Return the text operands of every (compressed) content stream of an fpdf2 PDF."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        raw = match.group(1)
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
        for operand in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", raw, re.S):
            chunks.append(re.sub(rb"\\([()\\])", rb"\1", operand).decode("latin-1"))
    return "\n".join(chunks)


def test_pdf_prints_the_parties_once_sections_numbered_and_signatures(w):
    from core.formatting import da_date, da_datetime
    from data.agreement_pdf import agreement_pdf

    body = ("Mellem\n\nStatens Administration\nCVR-nr.: 33391005\n\nog\n\nKunde A\nCVR-nr.: 11111111\n"
            "(herefter \"Kunden\")\n\n1. Formål\n\nAftalen fastlægger.\n\n2. Ydelser\n\nBogføring.")
    item = {"title": "Kundeaftale", "body": body, "sections": None, "version": "3",
            "valid_from": dt.date(2022, 1, 1), "sa_signed_by": "Søren Direktør",
            "sa_signed_at": dt.datetime(2022, 2, 8, 14, 28, tzinfo=dt.timezone.utc)}
    customer = {"cvr": "11111111", "name": "Kunde A", "address": "Vej 1, 1000 By", "ean": "5798000000000",
                "accounting_units": ["K1 Kreds"], "payroll_groups": ["L1 Gruppe"]}
    text = _pdf_text(agreement_pdf(item, customer, da_datetime, da_date))
    assert text.count("CVR-nr.: 11111111") == 1 and text.count("CVR-nr.: 33391005") == 1
    assert text.count("Mellem") == 0 and text.count('(herefter "Kunden")') == 1
    assert text.index("1. Formål") < text.index("Aftalen fastlægger.") < text.index("2. Ydelser")
    assert "Bogføringskredse: K1 Kreds" in text and "Løngrupper: L1 Gruppe" in text
    assert "Underskrevet af: Søren Direktør" in text and "Afventer underskrift" in text
    assert "For Kunde A" in text and "For Statens Administration" in text
