"""Ids of the Aktionsliste page: filters and grid, and SA's editing (the kit's form and confirm dialog), history."""

from pages.ids._edit import edit_ids

# Grid, status line, stores, the item form with its text fields and messages, the close/reopen dialog.
KIT = edit_ids(
    "aktionsliste",
    fields=("subject", "deadline", "owner", "process_area", "description", "status_detail"),
    feedback_only=("area", "unit", "status", "meeting"),
)

CVR = KIT.cvr
AREA = "aktionsliste-area"
SHOW_CLOSED = "aktionsliste-show-closed"
UNIT = "aktionsliste-unit"
EXPAND_ALL = "aktionsliste-expand-all"
CONTENT = "aktionsliste-content"
SUMMARY = "aktionsliste-summary"
EMPTY = "aktionsliste-empty"
GRID_WRAP = "aktionsliste-grid-wrap"
GRID = KIT.grid
EXPORT_CSV = "aktionsliste-export-csv"
EXPORT_XLSX = "aktionsliste-export-xlsx"
DOWNLOAD_CSV = "aktionsliste-download-csv"
DOWNLOAD_XLSX = "aktionsliste-download-xlsx"

# SA's toolbar (besides the kit's »Nyt aktionspunkt« and »Rediger«): close and reopen the selected item.
CLOSE = "aktionsliste-close"
REOPEN = "aktionsliste-reopen"

# The item form's own controls (the text fields are the kit's).
FORM_AREA = "aktionsliste-form-area"
FORM_UNIT = "aktionsliste-form-unit"
FORM_STATUS = "aktionsliste-form-status"
FORM_MEETING = "aktionsliste-form-meeting"

# Historik of the selected item (everyone who reads the list), a modal.
HISTORY = "aktionsliste-history"
HISTORY_MODAL = "aktionsliste-history-modal"
HISTORY_TITLE = "aktionsliste-history-title"
HISTORY_BODY = "aktionsliste-history-body"
HISTORY_CLOSE = "aktionsliste-history-close"
