"""Ids of the Møder page: the reader's list, and SA's editing (the kit's grid, form and confirm dialog, documents)."""

from pages.ids._edit import edit_ids

# Meetings grid, status line, stores, the meeting form (dato, tidspunkt, mødetype, titel), confirm dialog.
KIT = edit_ids("moeder", fields=("held_date", "held_time", "kind", "title"))

# The page's CVR store (the guard reads it) is the kit's.
CVR = KIT.cvr
YEAR = "moeder-year"
CONTENT = "moeder-content"

# SA's "Rediger" mode (only SA staff get these components).
EDIT_MODE = "moeder-edit-mode"
EDIT_PANEL = "moeder-edit-panel"
PUBLISH = "moeder-publish"
SELECTED = "moeder-selected"
MEETING_STATE = "moeder-meeting-state"
DOCUMENT_GRID = "moeder-document-grid"
WITHDRAW = "moeder-withdraw"
UPLOAD = "moeder-upload"
UPLOAD_KIND = "moeder-upload-kind"
UPLOAD_ALERT = "moeder-upload-alert"
UPLOADED = "moeder-uploaded"

# The selected meeting's history (a modal).
HISTORY = "moeder-history"
HISTORY_MODAL = "moeder-history-modal"
HISTORY_TITLE = "moeder-history-title"
HISTORY_BODY = "moeder-history-body"
HISTORY_CLOSE = "moeder-history-close"

# The editing grids' fields and Danish headers.
GRID_COLUMNS = [
    ("held", "Dato og tid"),
    ("kind", "Mødetype"),
    ("title", "Titel"),
    ("status", "Status"),
    ("documents", "Dokumenter"),
]
DOCUMENT_COLUMNS = [
    ("kind", "Type"),
    ("title", "Titel"),
    ("filename", "Fil"),
    ("status", "Status"),
]
