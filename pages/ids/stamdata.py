"""Ids of the Stamdata page."""

CVR = "stamdata-cvr"
TABS = "stamdata-tabs"
CONTENT = "stamdata-content"
ACCOUNTING_GRID = "stamdata-regnskab-grid"
PAYROLL_GRID = "stamdata-loen-grid"


def contacts_grid(tab: str) -> str:
    """Return the id of the contacts grid on Stamdata tab `tab`."""
    return f"stamdata-kontakter-{tab}-grid"
