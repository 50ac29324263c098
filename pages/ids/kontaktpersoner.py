"""Ids of the Kontaktpersoner page: the editing kit's (grid, contact form, delete confirmation), toolbar, history."""

from pages.ids._edit import edit_ids

# Grid, status line, stores, form with its text fields and messages, confirm dialog.
KIT = edit_ids(
    "kontaktpersoner",
    fields=("title", "name", "email", "shared_email", "phone", "notes"),
    feedback_only=("roles", "tabs"),
)

DELETE = "kontaktpersoner-delete"
HISTORY = "kontaktpersoner-history"
EXPORT_CSV = "kontaktpersoner-export-csv"
EXPORT_XLSX = "kontaktpersoner-export-xlsx"
DOWNLOAD = "kontaktpersoner-download"

# The contact form's own controls (the text fields are the kit's).
ROLES = "kontaktpersoner-roles"
SA_ROLES = "kontaktpersoner-sa-roles"
TABS = "kontaktpersoner-tabs"
FORCED_TABS = "kontaktpersoner-forced-tabs"
PERSONAL_DATA_WARNING = "kontaktpersoner-personal-data-warning"

# History (a modal).
HISTORY_MODAL = "kontaktpersoner-history-modal"
HISTORY_TITLE = "kontaktpersoner-history-title"
HISTORY_BODY = "kontaktpersoner-history-body"
HISTORY_CLOSE = "kontaktpersoner-history-close"

# The grid's fields and Danish headers, shared by the page and the export callback.
GRID_COLUMNS = [
    ("title", "Titel"),
    ("name", "Navn"),
    ("email", "E-mail"),
    ("shared_email", "Fællesmail"),
    ("phone", "Telefon"),
    ("roles", "Roller"),
    ("notes", "Bemærkninger"),
    ("tabs", "Vises på"),
    ("updated", "Senest ændret"),
]
