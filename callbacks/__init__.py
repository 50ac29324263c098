"""Callbacks of each page, declared at import through `auth.guard.portal_callback`."""

import importlib

MODULES = ("callbacks.shell", "callbacks.stamdata")


def import_all() -> None:
    """Import every callbacks module so its callbacks are declared (idempotent)."""
    for name in MODULES:
        importlib.import_module(name)
