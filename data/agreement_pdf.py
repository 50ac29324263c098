"""The printable PDF of an agreement with its signatures ("Hent aftale"), built with fpdf2.

Uses fpdf2's built-in Helvetica (Latin-1, so æ, ø and å print) to need no font files on the
server; characters outside Latin-1 are replaced by close equivalents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from fpdf import FPDF
from fpdf.enums import XPos, YPos

SA_NAME = "Statens Administration"

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


def _signature_line(who: str, name: str | None, at: dt.datetime | None, fmt: Callable[[dt.datetime], str]) -> str:
    if name and at:
        return f"{who} - Underskrevet af: {name}, Dato: {fmt(at)}"
    return f"{who} - Afventer underskrift"


def agreement_pdf(item: dict[str, Any], customer: dict[str, str], fmt_datetime: Callable[[dt.datetime], str],
                  fmt_date: Callable[[dt.date], str]) -> bytes:
    """Return a PDF of agreement `item` for `customer` with both signatures (or 'Afventer underskrift')."""
    pdf = FPDF(format="A4")
    pdf.set_title(pdf_text(f"{item['title']} - {customer['name']} ({customer['cvr']})"))
    pdf.set_author(SA_NAME)
    pdf.set_creator("Kundeportalen")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 18, 20)
    pdf.alias_nb_pages()
    pdf.add_page()

    def line(text: str, size: float = 11, style: str = "", height: float = 6) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(0, height, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")

    line(SA_NAME.upper(), size=9, style="B")
    pdf.ln(2)
    line(item["title"], size=18, style="B", height=9)
    pdf.ln(2)
    line("Mellem")
    line(f"{SA_NAME}\nCVR-nr.: 33391005")
    line("og")
    facts = [customer["name"]]
    if customer.get("address"):
        facts.append(customer["address"])
    facts.append(f"CVR-nr.: {customer['cvr']}")
    if customer.get("ean"):
        facts.append(f"EAN-nr.: {customer['ean']}")
    line("\n".join(facts) + '\n(herefter "Kunden")')
    meta = [f"Version: {item.get('version') or '1'}"]
    if item.get("valid_from"):
        meta.append(f"Gældende fra: {fmt_date(item['valid_from'])}")
    pdf.ln(2)
    line("   ".join(meta), size=9)
    pdf.ln(4)

    for paragraph in (item.get("body") or "").replace("\r\n", "\n").split("\n\n"):
        if paragraph.strip():
            line(paragraph.strip(), size=10.5, height=5.5)
            pdf.ln(2)

    pdf.ln(4)
    line("Underskrifter", size=12, style="B")
    line(_signature_line(SA_NAME, item.get("sa_signed_by"), item.get("sa_signed_at"), fmt_datetime))
    line(_signature_line("Kunde", item.get("customer_signed_by"), item.get("customer_signed_at"), fmt_datetime))
    if not item.get("signed_electronically", True):
        line("Aftalen er ikke underskrevet elektronisk; bilag findes i Kundeportalen under fanebladet Bilag.", size=9)
    return bytes(pdf.output())
