"""Printing a page: the »Udskriv« button and the print-only line naming the customer."""

from __future__ import annotations

from dash import html

from auth.guard import AccessContext
from core.formatting import da_date
from data.customers import customer_name
from data.workdays import danish_today

# assets/print.js listens for clicks on elements carrying this attribute.
PRINT_ATTRIBUTE = "data-print"
# Shown on paper only (Bootstrap's print display classes): the screen has the portal's header for this.
PRINT_ONLY = "d-none d-print-block"


def print_button() -> html.Button:
    """Return the »Udskriv« button: assets/print.js draws the waiting sections, then opens the print dialog."""
    # No id and no callback: printing happens in the browser only.
    return html.Button("Udskriv", type="button", className="btn btn-outline-secondary btn-sm",
                       **{PRINT_ATTRIBUTE: "1"})


def print_customer_line(ctx: AccessContext, class_name: str) -> html.P:
    """Return the print-only line naming the customer, its CVR-nr. and the day the page was drawn."""
    # The portal's header is not printed: a filed printout still names the customer it is about.
    return html.P(f"{customer_name(ctx.scope, ctx.cvr) or ''} · CVR-nr. {ctx.cvr} · udskrevet {da_date(danish_today())}",
                  className=f"{PRINT_ONLY} mb-1 {class_name}")
