"""Agreements, exemptions, add-ons, 3rd-party tasks, annexes, team members and files for customers A and B.

Every string of customer B contains "HEMMELIG-B" so a test can assert that none of it leaks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from data.files import get_store
from data.models import AddOn, Agreement, Annex, Exemption, TeamMember, ThirdPartyTask
from tests import world

SECRET_B = "HEMMELIG-B"
UTC = dt.timezone.utc
# Markers of customer B that must never reach a user of customer A.
B_MARKERS = [SECRET_B.encode(), world.CVR_B.encode(), "Bøger".encode(), b"B\\u00f8ger"]
PDF_A = b"%PDF-1.4 underskrevet kundeaftale A\n%%EOF"


@dataclass
class Rows:
    """Ids of the rows built, for tests that need them."""

    files: dict[str, int] = field(default_factory=dict)
    agreements: dict[str, int] = field(default_factory=dict)


def build(session, today: dt.date) -> Rows:
    """Add agreement content for CVR_A (annexes: not signed electronically) and CVR_B; commit."""
    rows = Rows()
    store = get_store()

    def put(key: str, cvr: str | None, menu: str, name: str, body: bytes, ctype: str | None = None) -> int:
        stored = store.put(session, body, name, cvr=cvr, menu=menu, content_type=ctype)
        session.flush()
        rows.files[key] = stored.id
        return stored.id

    put("annex_a", world.CVR_A, "kundeaftaler", "Bilag 1 – Ydelsesbeskrivelse æøå.pdf", b"%PDF-1.4 bilag A")
    put("annex_b", world.CVR_B, "kundeaftaler", f"Bilag {SECRET_B}.pdf", f"%PDF-1.4 {SECRET_B}".encode())
    put("signed_b", world.CVR_B, "kundeaftaler", f"Underskrevet {SECRET_B}.pdf", f"%PDF-1.4 signed {SECRET_B}".encode())
    put("meeting_a", world.CVR_A, "moeder", "Referat.docx", b"PK referat A")
    put("report_a", world.CVR_A, "rapporter", "Rapport.xlsx", b"PK rapport A")
    put("html_a", world.CVR_A, "kundeaftaler", "side.html", b"<script>alert(1)</script>", "text/html")
    put("general", None, "information", "Generelt.pdf", b"%PDF-1.4 generelt")
    put("odd_menu_a", world.CVR_A, "ukendt", "x.pdf", b"%PDF-1.4 ukendt")

    customer_a = Agreement(
        cvr=world.CVR_A, kind="customer", title="Kundeaftale", version="3", valid_from=dt.date(2022, 1, 1),
        body="Aftalen gælder regnskab og løn.\n\nStatens Administration bogfører inden for servicemålene.",
        signed_electronically=False,
        sa_signed_by="Søren Direktør", sa_signed_at=dt.datetime(2022, 2, 8, 14, 28, tzinfo=UTC),
        customer_signed_by="Karen Kunde", customer_signed_at=dt.datetime(2022, 2, 9, 7, 46, tzinfo=UTC),
    )
    dpa_a = Agreement(cvr=world.CVR_A, kind="data_processing", title="Databehandleraftale", version="1",
                      body="Databehandleren behandler personoplysninger — kun efter instruks.", signed_electronically=True)
    customer_b = Agreement(
        cvr=world.CVR_B, kind="customer", title=f"Kundeaftale {SECRET_B}", body=f"Tekst {SECRET_B}",
        signed_electronically=False, sa_signed_by=f"SA {SECRET_B}", sa_signed_at=dt.datetime(2023, 3, 1, 9, 0, tzinfo=UTC),
        customer_signed_by=f"Kunde {SECRET_B}", customer_signed_at=dt.datetime(2023, 3, 2, 9, 0, tzinfo=UTC),
        signed_file_id=rows.files["signed_b"],
    )
    session.add_all([customer_a, dpa_a, customer_b])
    session.flush()
    rows.agreements.update(customer_a=customer_a.id, dpa_a=dpa_a.id, customer_b=customer_b.id)

    session.add_all([
        Exemption(cvr=world.CVR_A, title="Dispensation for papirbilag", description="Papirbilag modtages",
                  granted_on=dt.date(2021, 5, 1), expires_on=today - dt.timedelta(days=10)),
        Exemption(cvr=world.CVR_A, title="Dispensation for sen løn", granted_on=dt.date(2023, 1, 15),
                  expires_on=today + dt.timedelta(days=100)),
        Exemption(cvr=world.CVR_B, title=f"Dispensation {SECRET_B}", granted_on=dt.date(2023, 1, 1)),
        AddOn(cvr=world.CVR_A, service="=HYPERLINK(\"http://x\")", description="Formel-test", start_date=dt.date(2020, 1, 1)),
        AddOn(cvr=world.CVR_A, service="Rejseafregning", description="Tilkøbt ydelse", start_date=dt.date(2022, 7, 1)),
        AddOn(cvr=world.CVR_B, service=f"Tilkøb {SECRET_B}", start_date=dt.date(2022, 1, 1)),
        ThirdPartyTask(cvr=world.CVR_A, area="Regnskab", agency="Økonomistyrelsen", contact="ks@oes.dk"),
        ThirdPartyTask(cvr=world.CVR_A, area="Løn", agency="Lønstyrelsen", contact="loen@example.dk"),
        ThirdPartyTask(cvr=world.CVR_B, area="Løn", agency=f"Styrelse {SECRET_B}"),
        Annex(cvr=world.CVR_A, agreement_id=customer_a.id, title="Bilag 1 – Ydelsesbeskrivelse", file_id=rows.files["annex_a"]),
        Annex(cvr=world.CVR_A, agreement_id=customer_a.id, title="Bilag 2 – uden fil"),
        # A mis-linked annex of A pointing at B's file must never list B's file.
        Annex(cvr=world.CVR_A, agreement_id=customer_a.id, title="Bilag 3 – forkert kobling", file_id=rows.files["annex_b"]),
        Annex(cvr=world.CVR_B, agreement_id=customer_b.id, title=f"Bilag {SECRET_B}", file_id=rows.files["annex_b"]),
        TeamMember(cvr=world.CVR_A, name="Anne Andersen", role="Kundeansvarlig", email="anne@statens-adm.dk", phone="+45 72 30 00 00"),
        TeamMember(cvr=world.CVR_A, name="Bo Bech", role="Lønkonsulent", email="bo@statens-adm.dk"),
        TeamMember(cvr=world.CVR_B, name=f"Team {SECRET_B}", role="Kundeansvarlig", email="hemmelig-b@statens-adm.dk"),
    ])
    session.commit()
    return rows
