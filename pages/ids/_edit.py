"""Ids of the editing kit (`pages/_edit.py`, `callbacks/_edit.py`), generated per page namespace.

An editing screen calls `edit_ids("<namespace>", fields=..., feedback_only=...)` once in its own ids module
and keeps the result as `KIT`; its layout and callbacks then name the same components through it::

    KIT = edit_ids("kontaktpersoner", fields=("name", "email"), feedback_only=("roles",))
    KIT.form_modal        # "kontaktpersoner-form-modal"
    KIT.field("email")    # "kontaktpersoner-email"
    KIT.feedback("roles") # "kontaktpersoner-roles-feedback"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class EditIds:
    """The component ids of one editing screen: grid and status, form modal, confirm dialog, their stores."""

    namespace: str
    # Text inputs of the form: each has an input `field(name)` and an invalid-feedback `feedback(name)`.
    fields: tuple[str, ...]
    # Other controls (checklists, groups) whose field message is shown in a text `feedback(name)` only.
    feedback_only: tuple[str, ...]
    # The page's own CVR store when several editing screens share one page (None: the screen's own).
    cvr_store: str | None = None

    def _id(self, suffix: str) -> str:
        return f"{self.namespace}-{suffix}"

    # The page: the CVR store the guard checks, the status line, the grid, the stores that reload it.
    @property
    def cvr(self) -> str:
        """Return the id of the store holding the page's CVR (the guard reads it)."""
        return self.cvr_store or self._id("cvr")

    @property
    def status(self) -> str:
        """Return the id of the status line above the grid."""
        return self._id("status")

    @property
    def grid(self) -> str:
        """Return the id of the grid whose selected row the form and confirm dialog act on."""
        return self._id("grid")

    @property
    def saved(self) -> str:
        """Return the id of the store the form writes its status message to (the grid reloads on it)."""
        return self._id("saved")

    @property
    def changed(self) -> str:
        """Return the id of the store the confirm dialog writes its status message to."""
        return self._id("changed")

    # The toolbar buttons that open the form.
    @property
    def add(self) -> str:
        """Return the id of the »Tilføj« button."""
        return self._id("add")

    @property
    def edit(self) -> str:
        """Return the id of the »Rediger« button."""
        return self._id("edit")

    # The form (a modal).
    @property
    def form_modal(self) -> str:
        """Return the id of the form modal."""
        return self._id("form-modal")

    @property
    def form_title(self) -> str:
        """Return the id of the form's title."""
        return self._id("form-title")

    @property
    def form_state(self) -> str:
        """Return the id of the store holding the id and version of the record being edited."""
        return self._id("form-state")

    @property
    def form_alert(self) -> str:
        """Return the id of the alert at the top of the form."""
        return self._id("form-alert")

    @property
    def form_summary(self) -> str:
        """Return the id of the summary of what stopped the save, shown beside the save button."""
        return self._id("form-summary")

    @property
    def save(self) -> str:
        """Return the id of the form's save button."""
        return self._id("save")

    @property
    def cancel(self) -> str:
        """Return the id of the form's cancel button."""
        return self._id("cancel")

    def field(self, name: str) -> str:
        """Return the id of the input of form field `name`."""
        if name not in self.fields:
            raise KeyError(name)
        return self._id(name.replace("_", "-"))

    def feedback(self, name: str) -> str:
        """Return the id of the Danish message shown beside field `name`."""
        if name in self.fields:
            return f"{self.field(name)}-feedback"
        if name in self.feedback_only:
            return self._id(f"{name.replace('_', '-')}-feedback")
        raise KeyError(name)

    # The confirm dialog (a modal).
    @property
    def confirm_modal(self) -> str:
        """Return the id of the confirm dialog."""
        return self._id("confirm-modal")

    @property
    def confirm_title(self) -> str:
        """Return the id of the confirm dialog's title."""
        return self._id("confirm-title")

    @property
    def confirm_text(self) -> str:
        """Return the id of the confirm dialog's question."""
        return self._id("confirm-text")

    @property
    def confirm_alert(self) -> str:
        """Return the id of the alert in the confirm dialog."""
        return self._id("confirm-alert")

    @property
    def confirm_yes(self) -> str:
        """Return the id of the confirm dialog's confirm button."""
        return self._id("confirm-yes")

    @property
    def confirm_no(self) -> str:
        """Return the id of the confirm dialog's cancel button."""
        return self._id("confirm-no")

    @property
    def confirm_state(self) -> str:
        """Return the id of the store holding the action and record the dialog asks about."""
        return self._id("confirm-state")


def edit_ids(namespace: str, *, fields: tuple[str, ...] = (), feedback_only: tuple[str, ...] = (),
             cvr: str | None = None) -> EditIds:
    """Return the editing kit's ids of the screen `namespace`, with its text `fields` and `feedback_only` fields.

    `cvr` names the page's CVR store when several screens share one page (each callback depends on one
    CVR store, the one the guard checks); by default the screen has its own.
    """
    if not re.fullmatch(r"[a-z][a-z0-9-]*", namespace):
        raise ValueError(f"Bad namespace {namespace!r}")
    names = (*fields, *feedback_only)
    bad = [n for n in names if not _NAME.match(n)]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"Bad or repeated field names in {names!r}")
    ids = EditIds(namespace, tuple(fields), tuple(feedback_only), cvr)
    # A field named like a kit component ("status", "save") would give two components one id.
    kit = {getattr(ids, name) for name in dir(EditIds) if isinstance(getattr(EditIds, name), property)}
    clashes = {ids.field(f) for f in fields} | {ids.feedback(f) for f in names}
    if kit & clashes:
        raise ValueError(f"Field ids clash with the kit's ids: {sorted(kit & clashes)}")
    return ids
