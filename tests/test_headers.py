"""Security headers: a Content-Security-Policy that runs no script but this origin's and Dash's own."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from auth.headers import build_csp
from tests import world


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def _inline_script_hashes(html: str) -> set[str]:
    hashes = set()
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        if "src=" in attrs or "application/json" in attrs:
            continue  # external files fall under 'self'; JSON data blocks never run
        hashes.add("'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'")
    return hashes


def test_policy_allows_no_inline_or_foreign_script():
    policy = _directives(build_csp(["'sha256-abc='"]))
    assert policy["script-src"] == ["'self'", "'sha256-abc='"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]


@pytest.mark.parametrize("path", ["/stamdata", "/information", "/aktionsliste"])
def test_every_inline_script_of_a_page_is_allowed_by_hash_and_nothing_else(laeser_a, client, path):
    response = client.get(f"{path}?cvr={world.CVR_A}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    script_src = _directives(response.headers["Content-Security-Policy"])["script-src"]
    rendered = _inline_script_hashes(response.get_data(as_text=True))
    assert rendered, "Dash renders at least its renderer bootstrap inline"
    assert rendered <= set(script_src)
    assert set(script_src) - rendered <= {"'self'"}
    for header in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert header in response.headers


@pytest.mark.parametrize("path", ["/login", "/health", "/_dash-layout"])
def test_other_responses_carry_the_policy_too(client, laeser_a, path):
    response = client.get(path)
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"][0] == "'self'" and "'unsafe-inline'" not in policy["script-src"]


@pytest.mark.parametrize("path", ["/", "/stamdata", "/_dash-layout", "/_dash-dependencies"])
def test_signed_in_pages_and_dash_answers_are_never_cached(client, laeser_a, path):
    response = client.get(path)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]


def test_callback_responses_are_never_cached(laeser_a, dash_client):
    from pages.ids import stamdata as stamdata_ids

    response = dash_client.fire(stamdata_ids.TABS, "value", values={stamdata_ids.TABS: "loen"}, cvr=world.CVR_A)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    refused = dash_client.fire(stamdata_ids.TABS, "value", values={stamdata_ids.TABS: "loen"}, cvr=world.CVR_B)
    assert "no-store" in refused.headers["Cache-Control"]


def test_strict_transport_security_in_production_only(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["PORTAL_ENV"] = "production"
    try:
        hsts = client.get("/login").headers["Strict-Transport-Security"]
    finally:
        app.config["PORTAL_ENV"] = "development"
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000


def test_assets_under_their_fingerprinted_url_are_kept_a_year(client, laeser_a):
    # Dash links every asset as /assets/<file>?m=<modification time>: a changed file gets a new URL.
    page = client.get(f"/information?cvr={world.CVR_A}").get_data(as_text=True)
    url = re.search(r'href="(/assets/portal\.css\?m=[0-9.]+)"', page).group(1)
    response = client.get(url)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    assert "no-cache" not in response.headers["Cache-Control"]
    # The same file asked for without the fingerprint is revalidated, never kept stale.
    plain = client.get("/assets/portal.css")
    assert "max-age=31536000" not in plain.headers.get("Cache-Control", "")


def test_preloaded_chunks_are_fingerprinted_and_found_by_their_bundles(client, laeser_a):
    import importlib
    from pathlib import Path

    from app import PRELOADED_CHUNKS

    page = client.get(f"/information?cvr={world.CVR_A}").get_data(as_text=True)
    for package, path, mark in PRELOADED_CHUNKS:
        tag = re.search(r'<script async src="([^"]+)" data-webpack="' + re.escape(mark) + '">', page)
        assert tag, f"no preload tag for {path}"
        url = tag.group(1)
        assert re.search(r"\.v[\w-]+m\d+\.js$", url), url
        response = client.get(url)
        assert response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"]
        # The mark is how the bundle's loader recognises the tag: webpack's unique name and the chunk's id.
        prefix, chunk_id = mark.rsplit("chunk-", 1)
        chunk = Path(importlib.import_module(package).__file__).parent / path
        assert f"push([[{chunk_id}]," in chunk.read_text()
        assert any(f'"{prefix}"' in bundle.read_text() for bundle in chunk.parent.glob("*.js") if bundle != chunk)
