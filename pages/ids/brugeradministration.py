"""Ids of the Brugeradministration page: grid, toolbar, user form with rettighedsgrupper, confirmation."""

CVR = "brugeradministration-cvr"
STATUS = "brugeradministration-status"
GRID = "brugeradministration-grid"
SAVED = "brugeradministration-saved"
CHANGED = "brugeradministration-changed"

ADD = "brugeradministration-add"
EDIT = "brugeradministration-edit"
DEACTIVATE = "brugeradministration-deactivate"
REACTIVATE = "brugeradministration-reactivate"
REMOVE = "brugeradministration-remove"
HISTORY = "brugeradministration-history"

# The history of one user on this CVR (a modal).
HISTORY_MODAL = "brugeradministration-history-modal"
HISTORY_TITLE = "brugeradministration-history-title"
HISTORY_BODY = "brugeradministration-history-body"
HISTORY_CLOSE = "brugeradministration-history-close"

# The user form (a modal).
FORM_MODAL = "brugeradministration-form-modal"
FORM_TITLE = "brugeradministration-form-title"
FORM_STATE = "brugeradministration-form-state"
FORM_ALERT = "brugeradministration-form-alert"
# Shown when the user also has access at other customers: name and B-number are then read-only.
SHARED_NOTE = "brugeradministration-shared-note"
SUBMIT = "brugeradministration-submit"
CLOSE = "brugeradministration-close"
NAME = "brugeradministration-name"
EMAIL = "brugeradministration-email"
B_NUMBER = "brugeradministration-b-number"
GROUPS = "brugeradministration-groups"
GROUPS_FEEDBACK = "brugeradministration-groups-feedback"
ADD_GROUP = "brugeradministration-add-group"

# Text fields of the form: field name -> input id; feedback ids derive from them.
FIELDS = {"name": NAME, "email": EMAIL, "b_number": B_NUMBER}


def feedback(field: str) -> str:
    """Return the id of the message shown beside a form field."""
    return f"{FIELDS[field]}-feedback"


# One rettighedsgruppe: pattern-matching ids {"type": ..., "index": n}.
GROUP_CVR = "brugeradministration-group-cvr"
GROUP_RIGHTS = "brugeradministration-group-rights"
GROUP_REMOVE = "brugeradministration-group-remove"


def group_id(kind: str, index: int) -> dict:
    """Return the pattern-matching id of one control of rettighedsgruppe `index`."""
    return {"type": kind, "index": index}


# Confirmation of deactivate / reactivate / remove (a modal).
CONFIRM_MODAL = "brugeradministration-confirm-modal"
CONFIRM_TITLE = "brugeradministration-confirm-title"
CONFIRM_TEXT = "brugeradministration-confirm-text"
CONFIRM_ALERT = "brugeradministration-confirm-alert"
CONFIRM_YES = "brugeradministration-confirm-yes"
CONFIRM_NO = "brugeradministration-confirm-no"
CONFIRM_STATE = "brugeradministration-confirm-state"

# The grid's fields and Danish headers.
GRID_COLUMNS = [
    ("name", "Navn"),
    ("email", "E-mail"),
    ("b_number", "B-nummer"),
    ("rights", "Rettigheder"),
    ("active", "Aktiv"),
    ("created", "Oprettet"),
]
