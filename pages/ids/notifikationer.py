"""Ids of the Notifikationer page (user menu): the editing kit's save button, alert, stores and status line."""

from pages.ids._edit import edit_ids

# Save button, form alert, form state (the version shown), saved store, status line, the topics' message.
KIT = edit_ids("notifikationer", feedback_only=("topics",))

TOPICS = "notifikationer-topics"
