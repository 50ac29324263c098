"""Callbacks of each page, declared at import through `auth.guard.portal_callback`."""

import importlib
import pkgutil


def import_all() -> None:
    """Import every module of this package so its callbacks are declared (idempotent)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
