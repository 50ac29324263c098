"""Kundeportalen: `create_app()` builds the Flask server with the Dash app on it.

`server` is the WSGI entry point (`gunicorn 'app:server'`); it is built on first access, so
importing this module does no I/O.
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Any, Mapping

import dash
from dash.fingerprint import build_fingerprint
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import PROJECT_ROOT, load_config

INDEX_STRING = """<!DOCTYPE html>
<html lang="da">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
            <!-- The lazily loaded chunks of the dropdown and the grid, which every page draws: fetched and
                 registered while the page waits for its layout, not after it (benchmarks/page_ready.py). -->
            %(chunks)s
        </footer>
    </body>
</html>"""

# The async chunks the index page fetches ahead (package, path in the package, webpack's name for the chunk).
# Their bundles ask for them by a plain name (`async-community.js`), which Dash serves for revalidation on every
# load; by the fingerprinted name (package version and file time, as Dash names the bundles themselves) Dash
# lets the browser keep them a year. `data-webpack` is the mark by which the bundle's loader finds the tag,
# so a chunk still on its way is awaited rather than requested a second time under its plain name.
PRELOADED_CHUNKS = (
    ("dash", "dcc/async-dropdown.js", "dash_core_components:chunk-157"),
    ("dash_ag_grid", "async-community.js", "dash_ag_grid:chunk-153"),
)


def chunk_url(package: str, path: str) -> str:
    """Return the fingerprinted URL of file `path` of component package `package` (cached by browsers for a year)."""
    module = importlib.import_module(package)
    modified = int(os.stat(os.path.join(os.path.dirname(module.__file__), path)).st_mtime)
    return f"/_dash-component-suites/{package}/{build_fingerprint(path, module.__version__, modified)}"


def index_string() -> str:
    """Return the index page's template with the fingerprinted URLs of the preloaded chunks."""
    tags = "\n            ".join(f'<script async src="{chunk_url(package, path)}" data-webpack="{mark}"></script>'
                                 for package, path, mark in PRELOADED_CHUNKS)
    return INDEX_STRING.replace("%(chunks)s", tags)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask server, bind extensions and mount the Dash app with its callbacks."""
    from auth import dash_requests
    from auth import init_app as init_auth
    from auth.guard import register_callbacks
    from callbacks import import_all as import_callbacks
    from data import db, files, mail
    from data.cli import init_app as init_cli
    from data.cli_cases import init_app as init_cases_cli
    from data.worker import init_app as init_worker
    from pages._shell import shell_layout
    from web import init_app as init_web

    settings = load_config(config)
    server = Flask(__name__, instance_path=settings["INSTANCE_PATH"], static_folder=None)
    server.config.update(settings)
    if settings["PROXY_FIX_HOPS"]:
        # Behind a load balancer the client address and scheme come from X-Forwarded-*.
        hops = settings["PROXY_FIX_HOPS"]
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(server)
    files.init_app(server)
    mail.init_app(server)
    init_auth(server)
    init_web(server)
    init_cli(server)
    init_cases_cli(server)
    init_worker(server)

    dash_app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(PROJECT_ROOT / "pages"),
        assets_folder=str(PROJECT_ROOT / "assets"),
        # Vendored bundles loaded on demand only (assets/plotly-basic.js points dcc.Graph at plotly's).
        assets_path_ignore=["^vendor$"],
        # Bootstrap is served from assets/0-bootstrap-*.css (sorted first): no CDN, works offline and under CSP.
        external_stylesheets=[],
        suppress_callback_exceptions=True,
        title="Kundeportalen",
        update_title=None,
        serve_locally=True,
        compress=False,
        enable_mcp=False,
    )
    dash_app.index_string = index_string()
    dash_app.layout = shell_layout
    import_callbacks()
    register_callbacks(dash_app)
    dash_requests.init_app(server)
    server.extensions["dash_app"] = dash_app
    return server


@functools.cache
def _wsgi_server() -> Flask:
    return create_app()


def __getattr__(name: str) -> Any:
    # Built lazily so that `import app` stays free of I/O; gunicorn resolves `app:server` here.
    if name == "server":
        return _wsgi_server()
    raise AttributeError(name)


if __name__ == "__main__":
    create_app().run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")), debug=False)
