"""The printable PDF of an agreement ("Hent aftale") laid out as a contract, built with fpdf2.

Uses fpdf2's built-in Helvetica (Latin-1, so æ, ø and å print) to need no font files on the
server; characters outside Latin-1 are replaced by close equivalents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from data.agreements import legacy_sections

SA_NAME = "Statens Administration"
SA_CVR = "33391005"

# Typographic characters agreements often contain that Latin-1 lacks.
_REPLACEMENTS = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201a": ",",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2026": "...", "\u2022": "-", "\u00a0": " ",
    "\u2009": " ", "\u202f": " ", "\u20ac": "EUR", "\t": "    ",
})


def pdf_text(text: Any) -> str:
    """Return `text` printable with the PDF's Latin-1 font (other characters become '?')."""
    value = str(text or "").translate(_REPLACEMENTS)
    value = "".join(ch for ch in value if ch == "\n" or ord(ch) >= 32)
    return value.encode("latin-1", "replace").decode("latin-1")


def _signature_text(name: str | None, at: dt.datetime | None, fmt: Callable[[dt.datetime], str],
                    on_paper: bool = False) -> str:
    if name and at:
        return f"Underskrevet {'på papir ' if on_paper else ''}af: {name}\nDato: {fmt(at)}"
    return "Afventer underskrift"


def _parties(customer: dict[str, Any]) -> tuple[str, str]:
    """Return the two parties' blocks, from Stamdata: SA, and the customer with address, CVR and EAN."""
    facts = [customer["name"]]
    if customer.get("address"):
        facts.append(customer["address"])
    facts.append(f"CVR-nr.: {customer['cvr']}")
    if customer.get("ean"):
        facts.append(f"EAN-nr.: {customer['ean']}")
    return f"{SA_NAME}\nCVR-nr.: {SA_CVR}", "\n".join(facts) + '\n(herefter "Kunden")'


def agreement_pdf(item: dict[str, Any], customer: dict[str, Any], fmt_datetime: Callable[[dt.datetime], str],
                  fmt_date: Callable[[dt.date], str], *, created: dt.datetime | None = None,
                  document_hash: str | None = None) -> bytes:
    """Return `item` laid out as a contract: title, the parties once, numbered sections, the signature block.

    With `created` the PDF carries that creation date and is the same bytes every time (the approved PDF's
    hash is checked again when approving); `document_hash` prints the approved PDF's SHA-256 under the block.
    """
    pdf = FPDF(format="A4")
    if created is not None:
        pdf.set_creation_date(created)
    pdf.set_title(pdf_text(f"{item['title']} - {customer['name']} ({customer['cvr']})"))
    pdf.set_author(SA_NAME)
    pdf.set_creator("Kundeportalen")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 18, 20)
    pdf.alias_nb_pages()
    pdf.add_page()

    def line(text: str, size: float = 11, style: str = "", height: float = 6, align: str = "L") -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(0, height, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=align)

    line(SA_NAME.upper(), size=9, style="B")
    pdf.ln(2)
    line(item["title"], size=18, style="B", height=9)
    meta = [f"Version {item.get('version') or '1'}"]
    if item.get("valid_from"):
        meta.append(f"gældende fra {fmt_date(item['valid_from'])}")
    line(", ".join(meta), size=9)
    pdf.ln(4)

    # The parties, once: taken from Stamdata when the PDF is made, never from the agreement's text.
    sa_block, customer_block = _parties(customer)
    line("Aftalen er indgået mellem")
    pdf.ln(1)
    line(sa_block, style="B")
    pdf.ln(1)
    line("og")
    pdf.ln(1)
    line(customer_block, style="B")
    units = customer.get("accounting_units") or []
    groups = customer.get("payroll_groups") or []
    if units or groups:
        pdf.ln(2)
        if units:
            line("Bogføringskredse: " + ", ".join(units), size=9.5, height=5)
        if groups:
            line("Løngrupper: " + ", ".join(groups), size=9.5, height=5)
    pdf.ln(5)

    sections = item.get("sections")
    if sections is None:
        sections = legacy_sections(item.get("body"))
    number = 0
    for section in sections:
        heading = (section.get("heading") or "").strip()
        if heading:
            number += 1
            line(f"{number}. {heading}", size=12, style="B", height=7)
        for paragraph in (section.get("body") or "").replace("\r\n", "\n").split("\n\n"):
            if paragraph.strip():
                line(paragraph.strip(), size=10.5, height=5.5)
                pdf.ln(1.5)
        pdf.ln(2)

    pdf.ln(4)
    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()  # the signature block is never split over two pages
    line("Underskrifter", size=12, style="B", height=7)
    pdf.ln(2)
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 10) / 2
    top = pdf.get_y()
    on_paper = item.get("signature_status") == "paper"
    columns = [
        (f"For {SA_NAME}", item.get("sa_signed_by"), item.get("sa_signed_at")),
        (f"For {customer['name']}", item.get("customer_signed_by"), item.get("customer_signed_at")),
    ]
    bottom = top
    for index, (who, name, at) in enumerate(columns):
        pdf.set_xy(pdf.l_margin + index * (width + 10), top)
        pdf.set_font("Helvetica", style="B", size=10)
        pdf.multi_cell(width, 5.5, pdf_text(who), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.ln(10)
        pdf.set_x(pdf.l_margin + index * (width + 10))
        # The line to sign on, with the signature (or that it is awaited) below it.
        pdf.line(pdf.get_x(), pdf.get_y(), pdf.get_x() + width, pdf.get_y())
        pdf.ln(1.5)
        pdf.set_x(pdf.l_margin + index * (width + 10))
        pdf.set_font("Helvetica", size=10)
        # A paper signature carries its day only (SA recorded it from the signed copy); an approval its time.
        text = _signature_text(name, at, fmt_date, True) if on_paper else _signature_text(name, at, fmt_datetime)
        pdf.multi_cell(width, 5.5, pdf_text(text), new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 4)
    if document_hash:
        line("Godkendt elektronisk i Kundeportalen. Dokumentets SHA-256 (den godkendte version): " + document_hash,
             size=8, height=4.5)
    if on_paper:
        line("Aftalen er underskrevet på papir, ikke elektronisk; den underskrevne kopi og bilagene findes i "
             "Kundeportalen under fanebladet Bilag.", size=9)
    return bytes(pdf.output())
