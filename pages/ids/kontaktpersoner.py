"""Ids of the Kontaktpersoner page: grid, toolbar, contact form, delete confirmation, history."""

CVR = "kontaktpersoner-cvr"
STATUS = "kontaktpersoner-status"
GRID = "kontaktpersoner-grid"
SAVED = "kontaktpersoner-saved"
DELETED = "kontaktpersoner-deleted"

ADD = "kontaktpersoner-add"
EDIT = "kontaktpersoner-edit"
DELETE = "kontaktpersoner-delete"
HISTORY = "kontaktpersoner-history"
EXPORT_CSV = "kontaktpersoner-export-csv"
EXPORT_XLSX = "kontaktpersoner-export-xlsx"
DOWNLOAD = "kontaktpersoner-download"

# The contact form (a modal).
FORM_MODAL = "kontaktpersoner-form-modal"
FORM_TITLE = "kontaktpersoner-form-title"
FORM_STATE = "kontaktpersoner-form-state"
FORM_ALERT = "kontaktpersoner-form-alert"
SAVE = "kontaktpersoner-save"
CANCEL = "kontaktpersoner-cancel"
ROLES = "kontaktpersoner-roles"
SA_ROLES = "kontaktpersoner-sa-roles"
ROLES_FEEDBACK = "kontaktpersoner-roles-feedback"
TABS = "kontaktpersoner-tabs"
TABS_FEEDBACK = "kontaktpersoner-tabs-feedback"
FORCED_TABS = "kontaktpersoner-forced-tabs"
PERSONAL_DATA_WARNING = "kontaktpersoner-personal-data-warning"

# Text fields of the form: field name -> input id; feedback ids derive from them.
FIELDS = {
    "title": "kontaktpersoner-title",
    "name": "kontaktpersoner-name",
    "email": "kontaktpersoner-email",
    "shared_email": "kontaktpersoner-shared-email",
    "phone": "kontaktpersoner-phone",
    "notes": "kontaktpersoner-notes",
}


def feedback(field: str) -> str:
    """Return the id of the message shown beside a form field."""
    return f"{FIELDS[field]}-feedback"


# Delete confirmation (a modal).
CONFIRM_MODAL = "kontaktpersoner-confirm-modal"
CONFIRM_TITLE = "kontaktpersoner-confirm-title"
CONFIRM_TEXT = "kontaktpersoner-confirm-text"
CONFIRM_YES = "kontaktpersoner-confirm-yes"
CONFIRM_NO = "kontaktpersoner-confirm-no"
CONFIRM_ALERT = "kontaktpersoner-confirm-alert"
DELETE_STATE = "kontaktpersoner-delete-state"

# History (a modal).
HISTORY_MODAL = "kontaktpersoner-history-modal"
HISTORY_TITLE = "kontaktpersoner-history-title"
HISTORY_BODY = "kontaktpersoner-history-body"
HISTORY_CLOSE = "kontaktpersoner-history-close"

# The grid's fields and Danish headers, shared by the page and the export callback.
GRID_COLUMNS = [
    ("title", "Titel"),
    ("name", "Navn"),
    ("email", "Email"),
    ("shared_email", "Fællesmail"),
    ("phone", "Telefon"),
    ("roles", "Roller"),
    ("notes", "Bemærkninger"),
    ("tabs", "Vises på"),
    ("updated", "Senest ændret"),
]
