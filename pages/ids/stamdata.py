"""Ids of the Stamdata page."""

CVR = "stamdata-cvr"
TABS = "stamdata-tabs"
CONTENT = "stamdata-content"
UNIT = "stamdata-unit"
UNIT_NOTE = "stamdata-unit-note"
ACCOUNTING_GRID = "stamdata-regnskab-grid"
PAYROLL_GRID = "stamdata-loen-grid"


def contacts_grid(tab: str) -> str:
    """Return the id of the contacts grid on Stamdata tab `tab`."""
    return f"stamdata-kontakter-{tab}-grid"
