"""Ids of the Drejebøger page (the reader's, and SA's runbook editor on the editing kit)."""

from pages.ids._edit import edit_ids

# SA's editor: the change note is the form's one text field; the items are pattern-matching rows.
KIT = edit_ids("drejeboeger", fields=("note",))

# The page's CVR store is the kit's: one store the guard reads for reading and editing alike.
CVR = KIT.cvr
TABS = "drejeboeger-tabs"
SELECTION = "drejeboeger-selection"
CONTENT = "drejeboeger-content"
RUNBOOK_KEY = "drejeboeger-runbook-key"
DIFF_FROM = "drejeboeger-diff-from"
DIFF_TO = "drejeboeger-diff-to"
DIFF = "drejeboeger-diff"
PRINT_SELECTION = "drejeboeger-print-selection"
PRINT_CONTENT = "drejeboeger-print-content"

# The editor's rows, drawn by the form callback (one per point or task).
EDITOR = "drejeboeger-editor"
ADD_POINT = "drejeboeger-add-point"
ADD_TASK = "drejeboeger-add-task"
ITEM_FIELD = "drejeboeger-item-field"  # {"type", "kind", "index", "field"}: a text input of an item
ITEM_FILES = "drejeboeger-item-files"  # {"type", "kind", "index"}: the attachments kept
ITEM_UPLOAD = "drejeboeger-item-upload"  # {"type", "kind", "index"}: a new attachment
ITEM_UPLOAD_NAME = "drejeboeger-item-upload-name"  # {"type", "kind", "index"}: the chosen file's name
ITEM_UP = "drejeboeger-item-up"  # {"type", "kind", "index"}
ITEM_DOWN = "drejeboeger-item-down"
ITEM_REMOVE = "drejeboeger-item-remove"


def item_id(kind_of_control: str, kind: str, index: int) -> dict:
    """Return the pattern-matching id of one control of item `index` of `kind` ('points' or 'tasks')."""
    return {"type": kind_of_control, "kind": kind, "index": index}


def field_id(kind: str, index: int, field: str) -> dict:
    """Return the pattern-matching id of text field `field` of item `index` of `kind`."""
    return {"type": ITEM_FIELD, "kind": kind, "index": index, "field": field}
