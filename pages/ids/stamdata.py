"""Ids of the Stamdata page: the tabs, and SA's editing screens (Generelt, bogføringskredse, løngrupper)."""

from pages.ids._edit import edit_ids

CVR = "stamdata-cvr"
TABS = "stamdata-tabs"
CONTENT = "stamdata-content"
UNIT = "stamdata-unit"
UNIT_NOTE = "stamdata-unit-note"
ACCOUNTING_GRID = "stamdata-regnskab-grid"
PAYROLL_GRID = "stamdata-loen-grid"
CHANGES = "stamdata-changes"
# The parts of each tab an SA save draws again (the tab itself keeps its one input).
GENERAL_BODY = "stamdata-generelt-body"
ACCOUNTING_BODY = "stamdata-regnskab-body"
PAYROLL_BODY = "stamdata-loen-body"

# SA's editing screens share the page's CVR store (the one the guard checks).
UNIT_FIELDS = ("code", "name", "server_name", "database_name")
GENERAL_KIT = edit_ids("stamdata", fields=("name", "customer_type", "address", "description", "ean"),
                       feedback_only=("ministry_id",), cvr=CVR)
ACCOUNTING_KIT = edit_ids("stamdata-regnskab", fields=UNIT_FIELDS, feedback_only=("ministry_id",), cvr=CVR)
PAYROLL_KIT = edit_ids("stamdata-loen", fields=UNIT_FIELDS, feedback_only=("ministry_id",), cvr=CVR)
# The unit kits' grids are the tabs' own grids (ACCOUNTING_GRID, PAYROLL_GRID; tests/test_stamdata_edit.py).

# The drop-downs of ministerområde in the three forms.
GENERAL_MINISTRY = "stamdata-ministry"
ACCOUNTING_MINISTRY = "stamdata-regnskab-ministry"
PAYROLL_MINISTRY = "stamdata-loen-ministry"


def contacts_grid(tab: str) -> str:
    """Return the id of the contacts grid on Stamdata tab `tab`."""
    return f"stamdata-kontakter-{tab}-grid"
