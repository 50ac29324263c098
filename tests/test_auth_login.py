"""Sign-in form: fields, errors that never say which part was wrong, redirects only to local paths, CSRF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from auth.throttle import DEVICE_COOKIE
from auth.views import LOGIN_FAILED, safe_next
from data.db import get_session
from data.models import User
from tests import world
from tests.world import set_user
from tests.conftest import sign_in


def test_login_form_works_without_javascript(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<form method="post" action="/login"', html)
    assert 'name="email"' in html and 'type="email"' in html and 'autocomplete="username"' in html
    assert 'name="password"' in html and 'type="password"' in html and 'autocomplete="current-password"' in html
    assert 'name="csrf_token"' in html
    assert "Har du glemt din adgangskode?" in html and 'href="/glemt-adgangskode"' in html
    assert '<html lang="da">' in html and "/assets/auth.css" in html


def test_stylesheet_is_public(client):
    response = client.get("/assets/auth.css")
    assert response.status_code == 200
    assert b".auth-card" in response.data


@pytest.mark.parametrize("email", [world.LAESER_A, world.SA_STAFF, world.ADMIN_AB])
def test_sign_in_and_out(client, email):
    # SA staff and administrators type their app's code after the password (conftest.sign_in does).
    response = sign_in(client, email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    out = client.post("/logout")
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert "Du er logget ud." in client.get("/login").get_data(as_text=True)
    after = client.get("/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")


def test_email_is_case_insensitive_and_trimmed(client):
    response = client.post("/login", data={"email": "  " + world.LAESER_A.upper() + " ", "password": world.PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("stored, typed", [("ÆBLE.Ørn@Example.dk", "æble.ørn@example.dk"),
                                          ("søren.å@example.dk", "SØREN.Å@EXAMPLE.DK")])
def test_danish_capitals_in_the_address_sign_in_either_way(app, client, stored, typed):
    with app.app_context():
        session = get_session()
        session.add(User(email=stored, name="Dansk Adresse", password_hash=world.password_hash()))
        session.commit()
        assert session.scalar(select(User.email).where(User.name == "Dansk Adresse")) == stored.lower()
    assert client.post("/login", data={"email": typed, "password": world.PASSWORD}).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": stored, "password": world.PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    "email,password",
    [
        (world.LAESER_A, "forkert-adgangskode-helt-sikkert"),  # known user, wrong password
        ("findes.ikke@example.dk", world.PASSWORD),  # unknown e-mail
        (world.INACTIVE, world.PASSWORD),  # right password, deactivated user
        ("", ""),
    ],
)
def test_failure_never_says_which_part_was_wrong(client, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert LOGIN_FAILED in html
    for telltale in ("findes ikke", "ukendt", "deaktiv", "forkert adgangskode", "Forkert e-mail\n"):
        assert telltale not in html.lower().replace(LOGIN_FAILED.lower(), "")
    assert DEVICE_COOKIE not in response.headers.get("Set-Cookie", "")
    assert client.get("/").status_code == 302


def test_failure_pages_are_identical_for_known_and_unknown_email(client):
    known = client.post("/login", data={"email": "x@example.dk", "password": "forkert-adgangskode-1"})
    unknown = client.post("/login", data={"email": "x@example.dk", "password": "forkert-adgangskode-2"})
    known_user = client.post("/login", data={"email": world.LAESER_A, "password": "forkert-adgangskode-3"})
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert known.status_code == unknown.status_code == known_user.status_code == 401
    assert strip(known) == strip(unknown) == strip(known_user)


def test_over_long_input_is_refused_cleanly(client):
    response = client.post("/login", data={"email": "a" * 10_000 + "@example.dk", "password": "p" * 100_000})
    assert response.status_code == 401
    assert LOGIN_FAILED in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/stamdata?cvr=33391005", "/stamdata?cvr=33391005"),
        ("/kontakt", "/kontakt"),
        ("//evil.example", "/"),
        ("//evil.example/stamdata", "/"),
        ("https://evil.example", "/"),
        ("http://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("evil.example", "/"),
        (" //evil.example", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("/a\nb", "/"),
        ("/a\x00b", "/"),
        ("", "/"),
    ],
)
def test_next_only_to_local_paths(client, target, expected):
    assert safe_next(target) == expected
    response = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD, "next": target})
    if "\x00" in target:
        # No input holds a NUL: the request is refused at the door, and nobody is signed in.
        assert response.status_code == 400 and client.get("/").status_code == 302
        return
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_wall_sends_anonymous_user_to_login_with_next_and_back(client):
    first = client.get("/stamdata?cvr=33391005")
    assert first.status_code == 302
    assert first.headers["Location"] == "/login?next=%2Fstamdata%3Fcvr%3D33391005"
    page = client.get(first.headers["Location"])
    assert 'name="next" value="/stamdata?cvr=33391005"' in page.get_data(as_text=True)
    response = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD,
                                           "next": "/stamdata?cvr=33391005"})
    assert response.headers["Location"] == "/stamdata?cvr=33391005"


def test_signed_in_user_visiting_login_goes_on(login, client):
    login(world.LAESER_A)
    response = client.get("/login?next=//evil.example")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_successful_sign_in_sets_device_cookie(client):
    response = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD})
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE + "=")]
    assert len(cookies) == 1
    cookie = cookies[0]
    assert "HttpOnly" in cookie and "Path=/login" in cookie and "SameSite=Lax" in cookie
    # The cookie names no e-mail address.
    assert "laeser" not in cookie.lower() and "example" not in cookie.lower()


def test_rehash_keeps_sign_in_working(app, client):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(world.PASSWORD)
    set_user(app, world.LAESER_A, password_hash=weak)
    assert client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD}).status_code == 302
    with app.app_context():
        stored = get_session().scalar(select(User.password_hash).where(User.email == world.LAESER_A))
    assert stored != weak
    client.post("/logout")
    assert client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD}).status_code == 302


@pytest.fixture
def csrf_on(app_config):
    """Turn CSRF checks on, as in production (before the app is built)."""
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_login_post_without_csrf_token_gets_400(csrf_on, client):
    response = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Genindlæs siden" in html and "Traceback" not in html
    assert client.get("/").status_code == 302
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD, "csrf_token": token})
    assert ok.status_code == 302


def test_login_post_with_wrong_csrf_token_gets_400(csrf_on, client):
    client.get("/login")
    response = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD,
                                           "csrf_token": "forfalsket"})
    assert response.status_code == 400


def _csrf_sign_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD,
                                       "csrf_token": token}).status_code == 302


def test_another_site_cannot_sign_the_user_out(csrf_on, client):
    # An <img src=".../logout"> or a cross-site form must not end the session.
    _csrf_sign_in(client)
    asked = client.get("/logout")
    assert asked.status_code == 200 and "Vil du logge ud" in asked.get_data(as_text=True)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def _components(node):
    if isinstance(node, dict):
        if "type" in node and "props" in node:
            yield node
        for value in node.values():
            yield from _components(value)
    elif isinstance(node, list):
        for item in node:
            yield from _components(item)


def test_user_menu_signs_out_with_its_form(csrf_on, client):
    _csrf_sign_in(client)
    layout = client.get("/_dash-layout").get_json()
    [form] = [c for c in _components(layout) if c["type"] == "Form" and c["props"].get("action") == "/logout"]
    assert form["props"]["method"] == "POST"
    [token] = [c["props"]["value"] for c in _components(form) if c["props"].get("name") == "csrf_token"]
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_logout_page_for_anonymous_goes_to_sign_in(client):
    response = client.get("/logout")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
