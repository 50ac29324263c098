"""Download routes: stored files by id and agreement PDFs, with the rights of the file's own page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from web.downloads import NOT_FOUND_TEXT, content_disposition
from pages.ids import kundeaftaler as kundeaftaler_ids
from tests import agreements_world as aw
from tests import world
from data.workdays import danish_today


@pytest.fixture
def content(app):
    from data.db import get_session

    with app.app_context():
        return aw.build(get_session(), danish_today())


def assert_not_found(response):
    assert response.status_code == 404
    assert response.get_data(as_text=True) == NOT_FOUND_TEXT
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Content-Disposition" not in response.headers
    for marker in aw.B_MARKERS:
        assert marker not in response.data


def assert_attachment(response, body: bytes, ctype: str):
    assert response.status_code == 200
    assert response.data == body
    assert response.headers["Content-Type"].split(";")[0] == ctype
    assert response.headers["Content-Disposition"].startswith("attachment; ")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"


# --- stored files -----------------------------------------------------------------------------


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.TWO_CVRS, world.SA_STAFF])
def test_own_annex_downloads(login, client, content, email):
    login(email)
    for path in (f"/filer/{content.files['annex_a']}", f"/filer/{content.files['annex_a']}/Bilag%201.pdf"):
        response = client.get(path)
        assert_attachment(response, b"%PDF-1.4 bilag A", "application/pdf")
        disposition = response.headers["Content-Disposition"]
        assert 'filename="Bilag 1' in disposition
        assert "filename*=UTF-8''Bilag%201%20_%20Ydelsesbeskrivelse%20%C3%A6%C3%B8%C3%A5.pdf" in disposition


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A, world.LAESER_B])
def test_other_customers_file_answers_like_a_missing_one(login, client, content, email):
    login(email)
    foreign = world.CVR_B if email != world.LAESER_B else world.CVR_A
    foreign_ids = [i for k, i in content.files.items() if k.endswith("_b")] if foreign == world.CVR_B \
        else [content.files["annex_a"], content.files["meeting_a"]]
    missing = client.get("/filer/987654")
    assert_not_found(missing)
    for file_id in foreign_ids:
        for path in (f"/filer/{file_id}", f"/filer/{file_id}/x.pdf"):
            response = client.get(path)
            assert_not_found(response)
            assert response.data == missing.data
            assert set(response.headers.keys()) == set(missing.headers.keys())


def test_file_needs_the_right_of_its_own_menu(login, client, content):
    # Læser of A may open Møder but not Rapporter: the rapporter file of A is "missing" for them.
    login(world.LAESER_A)
    assert client.get(f"/filer/{content.files['meeting_a']}").status_code == 200
    assert_not_found(client.get(f"/filer/{content.files['report_a']}"))
    assert_not_found(client.get(f"/filer/{content.files['odd_menu_a']}"))
    assert_not_found(client.get(f"/filer/{content.files['general']}"))


def test_rapporter_user_gets_only_rapporter_files(login, client, content):
    login(world.RAPPORTER_A)
    assert client.get(f"/filer/{content.files['report_a']}").status_code == 200
    assert_not_found(client.get(f"/filer/{content.files['annex_a']}"))
    assert_not_found(client.get(f"/filer/{content.files['meeting_a']}"))


def test_sa_staff_gets_every_customers_file(login, client, content):
    login(world.SA_STAFF)
    assert client.get(f"/filer/{content.files['annex_b']}").status_code == 200
    assert client.get(f"/filer/{content.files['general']}").status_code == 200


def test_active_content_is_sent_as_plain_bytes(login, client, content):
    login(world.LAESER_A)
    response = client.get(f"/filer/{content.files['html_a']}")
    assert_attachment(response, b"<script>alert(1)</script>", "application/octet-stream")
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("stored_type", ["application/x-javascript", "text/ecmascript", "text/jscript",
                                         "application/javascript; charset=utf-8", "TEXT/HTML", ""])
def test_only_document_types_keep_their_type(app, login, client, content, stored_type):
    # A script type would let <script src="/filer/N"> run on the portal's own origin.
    from data.db import get_session
    from data.models import StoredFile

    with app.app_context():
        session = get_session()
        session.get(StoredFile, content.files["annex_a"]).content_type = stored_type
        session.commit()
    login(world.LAESER_A)
    response = client.get(f"/filer/{content.files['annex_a']}")
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"


def test_stored_name_is_cleaned_when_sent_and_linked(app, login, client, dash_client, content):
    # A row written around the file store: CR/LF and '../' in its name.
    from data.db import get_session
    from data.models import StoredFile

    with app.app_context():
        session = get_session()
        session.get(StoredFile, content.files["annex_a"]).filename = "../../logout\r\nSet-Cookie: x=1.pdf"
        session.commit()
    login(world.LAESER_A)
    response = client.get(f"/filer/{content.files['annex_a']}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "\n" not in response.headers["Content-Disposition"] and "/" not in response.headers["Content-Disposition"]
    page = dash_client.fire(kundeaftaler_ids.TABS, "value", cvr=world.CVR_A, initial=True,
                            values={kundeaftaler_ids.TABS: "bilag"})
    assert page.status_code == 200
    hrefs = re.findall(r'"href":\s*"([^"]*)"', page.get_data(as_text=True).replace("\\u002f", "/"))
    [link] = [h for h in hrefs if h.startswith("/filer/")]
    assert link.count("/") == 3 and ".." not in link.split("/")


def test_file_missing_on_disk_is_404(app, login, client, content):
    from data.db import get_session
    from data.files import get_store
    from data.models import StoredFile

    with app.app_context():
        row = get_session().get(StoredFile, content.files["annex_a"])
        get_store().path_of(row).unlink()
    login(world.LAESER_A)
    assert_not_found(client.get(f"/filer/{content.files['annex_a']}"))


BAD_PATHS = [
    "/filer", "/filer/", "/filer/abc", "/filer/-1", "/filer/0", "/filer/1.5", "/filer/1e3", "/filer/%20",
    "/filer/99999999999999999999999", "/filer/2147483648", "/filer/../etc/passwd", "/filer/..%2f..%2fetc%2fpasswd",
    "/filer/%2e%2e/%2e%2e/etc/passwd", "/filer/1/../../app.py", "/filer/1/x/../../y", "/filer/1/a/b",
    "/filer/..\\..\\windows", "/filer/%00", "/filer/1%00",
]


def test_malformed_ids_and_traversal_are_not_found(login, client, content):
    login(world.LAESER_A)
    for path in BAD_PATHS:
        response = client.get(path)
        assert_not_found(response)
        assert b"import" not in response.data and b"root:" not in response.data, path


def test_anonymous_is_redirected_or_refused(client, content):
    for path in (f"/filer/{content.files['annex_a']}", "/filer/abc", f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
        assert response.data.find(b"%PDF") == -1
    assert client.post(f"/filer/{content.files['annex_a']}").status_code == 401


# --- agreement PDFs ---------------------------------------------------------------------------


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.SA_STAFF])
def test_hent_aftale_generates_pdf_named_with_cvr_and_date(login, client, content, email):
    login(email)
    response = client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert f'filename="Kundeaftale_{world.CVR_A}_2022-02-08.pdf"' in response.headers["Content-Disposition"]
    for marker in aw.B_MARKERS:
        assert marker not in response.data


def test_hent_databehandleraftale_without_signature(login, client, content):
    login(world.LAESER_A)
    response = client.get(f"/kundeaftaler/hent/databehandleraftale?cvr={world.CVR_A}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    # Unsigned and without a start date: the name carries the CVR only.
    assert f'filename="Databehandleraftale_{world.CVR_A}.pdf"' in response.headers["Content-Disposition"]


def test_pdf_text_contains_agreement_and_signatures(app, content):
    from data.agreement_pdf import agreement_pdf, pdf_text
    from core.formatting import da_date, da_datetime

    item = {"title": "Kundeaftale", "body": "Første afsnit — “citat”", "version": "3", "valid_from": dt.date(2022, 1, 1),
            "sa_signed_by": "Søren", "sa_signed_at": dt.datetime(2022, 2, 8, 14, 28, tzinfo=dt.timezone.utc)}
    data = agreement_pdf(item, {"cvr": world.CVR_A, "name": "Statens Administration", "address": "", "ean": ""},
                         da_datetime, da_date)
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert pdf_text("æøå — “x” €\x07") == 'æøå - "x" EUR'
    assert pdf_text("中") == "?"


def test_signed_pdf_on_file_is_sent(login, client, content):
    login(world.ADMIN_AB)
    response = client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_B}")
    assert response.status_code == 200
    assert response.data == f"%PDF-1.4 signed {aw.SECRET_B}".encode()
    assert f'filename="Kundeaftale_{world.CVR_B}_2023-03-01.pdf"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A])
def test_hent_aftale_of_other_customer_is_403(login, client, content, email):
    login(email)
    for kind in ("kundeaftale", "databehandleraftale", "nope"):
        response = client.get(f"/kundeaftaler/hent/{kind}?cvr={world.CVR_B}")
        assert response.status_code == 403, kind
        for marker in aw.B_MARKERS:
            assert marker not in response.data.replace(world.CVR_B.encode() + b"\n", b"")


def test_rapporter_only_user_cannot_fetch_own_agreement(login, client, content):
    login(world.RAPPORTER_A)
    assert client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}").status_code == 403


@pytest.mark.parametrize("query", ["", "?cvr=", "?cvr=abc", "?cvr=33391006", "?cvr=../../etc", "?cvr=" + "9" * 500])
def test_hent_aftale_bad_cvr_is_403(login, client, content, query):
    login(world.LAESER_A)
    response = client.get(f"/kundeaftaler/hent/kundeaftale{query}")
    assert response.status_code == 403
    assert b"%PDF" not in response.data


def test_hent_aftale_unknown_kind_or_missing_is_404(login, client, content):
    login(world.SA_STAFF)
    assert_not_found(client.get(f"/kundeaftaler/hent/nope?cvr={world.CVR_A}"))
    for path in ("/kundeaftaler/hent/..%2f..%2fapp.py", "/kundeaftaler/hent/", "/kundeaftaler/hent/a/b"):
        assert_not_found(client.get(f"{path}?cvr={world.CVR_A}"))
    assert_not_found(client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_C}"))


@pytest.mark.parametrize("name,expected", [
    ("Kundeaftale_33391005_2022-02-08.pdf", "attachment; filename=\"Kundeaftale_33391005_2022-02-08.pdf\"; "
                                            "filename*=UTF-8''Kundeaftale_33391005_2022-02-08.pdf"),
    ("Bilag æøå.pdf", "attachment; filename=\"Bilag ___.pdf\"; filename*=UTF-8''Bilag%20%C3%A6%C3%B8%C3%A5.pdf"),
    ('a"b\r\nX: y.pdf', "attachment; filename=\"a_b_X_ y.pdf\"; filename*=UTF-8''a%22b%0D%0AX%3A%20y.pdf"),
])
def test_content_disposition(name, expected):
    assert content_disposition(name) == expected


# --- audit ------------------------------------------------------------------------------------


def _download_rows(app):
    from sqlalchemy import select

    from data.db import get_session
    from data.models import AuditLog

    with app.app_context():
        rows = get_session().scalars(select(AuditLog).where(AuditLog.action == "download").order_by(AuditLog.id))
        return [(r.user_label, r.cvr, r.entity, r.entity_id, (r.after or {}).get("filename")) for r in rows]


def test_downloads_are_written_to_the_audit_log(app, login, client, content):
    login(world.LAESER_A)
    assert client.get(f"/filer/{content.files['annex_a']}").status_code == 200
    assert client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}").status_code == 200
    rows = _download_rows(app)
    assert [(cvr, entity) for _, cvr, entity, _, _ in rows] == [(world.CVR_A, "file"), (world.CVR_A, "agreement")]
    assert all(world.LAESER_A in label for label, *_ in rows)
    assert rows[0][3] == str(content.files["annex_a"]) and rows[0][4].startswith("Bilag 1")
    assert rows[1][3] == "kundeaftale" and rows[1][4].endswith(".pdf")


def test_refused_and_missing_downloads_write_nothing(app, login, client, content):
    login(world.LAESER_A)
    foreign = next(i for k, i in content.files.items() if k.endswith("_b"))
    assert_not_found(client.get(f"/filer/{foreign}"))
    assert_not_found(client.get("/filer/987654"))
    assert client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_B}").status_code in (403, 404)
    assert _download_rows(app) == []
