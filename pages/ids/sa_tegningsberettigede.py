"""Ids of SA's Tegningsberettigede page (SA's system administrator) and the seal verification page (SA staff)."""

PATH = "/sa/tegningsberettigede"
VERIFY_PATH = "/sa/verificer-aftale"

PARTY = "sa-tegn-party"  # "customer" or "sa"
KIND = "sa-tegn-kind"  # "kundeaftale" or "databehandleraftale"
FIELDS = ("cvr", "name", "email", "b_number")


def field(name: str) -> str:
    """Return the input id of form field `name`."""
    return f"sa-tegn-{name}"


def feedback(name: str) -> str:
    """Return the id of the Danish message beside form field `name`."""
    return f"sa-tegn-{name}-feedback"


FORM_STATE = "sa-tegn-form-state"  # the row_version of the signatory the form shows (optimistic lock)
SAVE = "sa-tegn-save"
SAVED = "sa-tegn-saved"
STATUS = "sa-tegn-status"
LIST = "sa-tegn-list"

VERIFY_UPLOAD = "sa-verificer-upload"
VERIFY_RESULT = "sa-verificer-result"
