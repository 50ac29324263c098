"""The layering holds by itself: checks on the source that import-linter's contracts cannot express."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Request-bound objects of Flask and Flask-Login: data/ is called from callbacks, CLI commands and
# tests alike, so whatever it needs of a request (a host, a user) its caller passes in.
REQUEST_MODULES = {"flask", "flask.globals", "flask.ctx", "flask.helpers", "flask_login", "flask_login.utils"}
REQUEST_NAMES = {"request", "session", "has_request_context", "copy_current_request_context",
                 "request_ctx", "_request_ctx_stack", "current_user", "login_user", "logout_user",
                 "login_required", "fresh_login_required", "login_fresh"}


def _request_uses(tree: ast.AST) -> list[str]:
    """Return each import of a request object in `tree`, and each `flask.request`-like attribute use."""
    found: list[str] = []
    aliases: set[str] = set()  # names `flask` / `flask_login` are bound to in this module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in REQUEST_MODULES:
            found += [f"line {node.lineno}: from {node.module} import {a.name}"
                      for a in node.names if a.name in REQUEST_NAMES or a.name == "*"]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in REQUEST_MODULES:
                    aliases.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in REQUEST_NAMES
                and isinstance(node.value, (ast.Name, ast.Attribute)) and ast.unparse(node.value) in
                aliases | {m for m in REQUEST_MODULES if m.split(".")[0] in aliases}):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_data_layer_reads_no_request():
    offenders = {}
    files = sorted((ROOT / "data").rglob("*.py"))
    assert files, "no data/**/*.py found"
    for path in files:
        uses = _request_uses(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if uses:
            offenders[str(path.relative_to(ROOT))] = uses
    assert offenders == {}, f"data/ must not read request objects (pass what is needed from the caller): {offenders}"


def test_request_check_finds_every_form():
    sources = {
        "from flask import current_app, request": 1,
        "from flask import session as s": 1,
        "from flask.globals import request": 1,
        "from flask_login import current_user": 1,
        "import flask\nflask.request.host_url": 1,
        "import flask_login as fl\nfl.current_user": 1,
        "from flask import Flask, current_app, g": 0,
        "from sqlalchemy.orm import Session, session": 0,
    }
    for source, expected in sources.items():
        assert len(_request_uses(ast.parse(source))) == expected, source
