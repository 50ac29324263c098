"""Upload checks (data/uploads.py): type from the content as well as the name, size, names."""

from __future__ import annotations

import hashlib
import io

import pytest

from data.uploads import UploadRefused, check_upload

LIMIT = 1024 * 1024


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


def _xlsx() -> bytes:
    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


def _png() -> bytes:
    return bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 40


@pytest.mark.parametrize("name, content, mime", [
    ("referat.pdf", _pdf(), "application/pdf"),
    ("Tal 2026.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("logo.PNG", _png(), "image/png"),
    ("noter.txt", "Møde om løn: åbne punkter\r\n".encode(), "text/plain"),
    ("liste.csv", "navn;beløb\nÆble;12,50\n".encode("cp1252"), "text/csv"),
])
def test_allowed_documents_pass_with_type_size_and_hash(name, content, mime):
    checked = check_upload(name, content, LIMIT)
    assert checked.content_type == mime and checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.filename == name


@pytest.mark.parametrize("name, content, message", [
    ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "passer ikke til navnet"),
    ("side.pdf", b"<html><script>alert(1)</script></html>", "passer ikke til navnet"),
    ("regneark.xlsx", _pdf(), "passer ikke til navnet"),
    ("noter.txt", b"<script>alert(1)</script>", "almindelig tekst"),
    ("noter.txt", b"MZ\x90\x00\x03\x00\x00\x00", "almindelig tekst"),
    ("noter.txt", _png(), "almindelig tekst"),
    ("program.exe", b"MZ\x90\x00", "Filtypen er ikke tilladt"),
    ("side.html", b"<html></html>", "Filtypen er ikke tilladt"),
    ("billede.svg", b"<svg/>", "Filtypen er ikke tilladt"),
    ("uden-endelse", b"hej", "Filtypen er ikke tilladt"),
    ("tom.pdf", b"", "Filen er tom"),
    ("../", b"x", "intet gyldigt navn"),
    ("", b"x", "intet gyldigt navn"),
    (".pdf", _pdf(), "intet gyldigt navn"),
])
def test_hostile_or_broken_uploads_are_refused_in_danish(name, content, message):
    with pytest.raises(UploadRefused) as refused:
        check_upload(name, content, LIMIT)
    assert message in refused.value.message


def test_too_large_is_refused_with_both_sizes():
    with pytest.raises(UploadRefused) as refused:
        check_upload("stor.txt", b"a" * (LIMIT + 1), LIMIT)
    assert "for stor" in refused.value.message and "højst fylde 1 MB" in refused.value.message


def test_path_tricks_keep_only_a_clean_base_name():
    for name in ("../../etc/referat.pdf", "..\\..\\windows\\referat.pdf", "/tmp/referat.pdf"):
        assert check_upload(name, _pdf(), LIMIT).filename == "referat.pdf"


def test_a_file_written_in_a_transaction_that_rolls_back_is_deleted_again(app):
    from data.db import get_session
    from data.files import get_store

    with app.app_context():
        session = get_session()
        store = get_store()
        kept = store.put(session, b"gemt", "gemt.txt", cvr=None, menu="moeder")
        session.commit()
        dropped = store.put(session, b"fortrudt", "fortrudt.txt", cvr=None, menu="moeder")
        dropped_path = store.root / dropped.storage_key
        assert dropped_path.is_file()
        session.rollback()
        assert not dropped_path.exists()
        assert store.path_of(kept).read_bytes() == b"gemt"
