"""The password policy (core/passwords.py) and where it applies: the list of common and breached
passwords, the user's own name and e-mail, zxcvbn's estimate with Danish advice; the forced first
sign-in change without re-asking the password; the success message; `flask set-password`."""

from __future__ import annotations

import ast
import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import zxcvbn.feedback

import auth.views
from core import passwords
from tests import world
from tests.world import set_user, user_row

EMAIL, NAME = "karen.lund@kommune.dk", "Karen Lund"
STRONG = "korrekt-hest-batteri-klips"
NEW_PASSWORD = "en-helt-ny-og-lang-adgangskode"
COMMON, PERSONAL = "almindelige eller lækkede adgangskoder", "ligner dit navn eller din e-mailadresse"


def errors(password: str, email: str = EMAIL, name: str = NAME) -> str:
    return " ".join(passwords.policy_errors(password, email=email, name=name))


# --- the list --------------------------------------------------------------------------------------


def test_the_shipped_list_holds_at_least_100000_distinct_passwords():
    with gzip.open(passwords.COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    assert len(lines) == len(set(lines)) >= 100_000
    assert len(passwords.common_passwords()) >= 100_000
    # Well-known breached passwords from both sources are on it, compared without case.
    assert {"123456", "password", "qwerty", "iloveyou", "polniypizdec0211", "trustno1"} <= passwords.common_passwords()
    notice = (Path(passwords.__file__).parent / "NOTICE").read_text(encoding="utf-8")
    assert "SecLists" in notice and "MIT" in notice and "Django" in notice


def test_the_list_is_not_loaded_at_import():
    code = ("import core.passwords as p; assert p.common_passwords.cache_info().currsize == 0\n"
            "import sys; assert 'zxcvbn' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("password", [
    "password1234567890",  # the issue's example: a listed word with digits appended
    "Password1234567890!",
    "P@ssw0rd123456789",  # leetspeak
    "1234567890password",  # digits in front
    "pass word 2024 !!!!!",  # separators and a year
    "qwertyqwertyqwerty",  # a listed word repeated
    "iloveyouiloveyou",
    "dragon-dragon-dragon",
    "TRUSTNO1TRUSTNO1!",
])
def test_listed_passwords_and_their_variations_are_refused(password):
    assert COMMON in errors(password)


# --- the user's own name and e-mail ------------------------------------------------------------------


@pytest.mark.parametrize("password", [
    "KarenLund1985!!!!",  # name parts, a year and punctuation
    "karen.lund@kommune.dk",  # the e-mail address itself
    "Karen.Lund-2024-!!!",  # the local part with a year
    "Lund Karen 1975 !!!",  # name parts in another order
    "k4ren.lund_2024!!",  # leetspeak
    "KAREN LUND KAREN LUND",
    "kommune1234567890",  # the e-mail's domain
])
def test_variations_on_the_users_name_and_email_are_refused(password):
    assert PERSONAL in errors(password)


def test_a_name_in_a_real_passphrase_is_not_refused_as_personal():
    assert errors("karen-kan-lide-blaa-cykler-om-natten") == ""


def test_the_portals_own_name_is_refused():
    assert "Kundeportalen eller Statens Administration" in errors("Kundeportalen2024!!!")
    assert "Kundeportalen eller Statens Administration" in errors("statens administration 2025")


# --- strength (zxcvbn) and the rules that stay ---------------------------------------------------


def test_an_easy_guess_is_refused_with_danish_advice():
    message = errors("123456789012345")
    assert message.startswith("Adgangskoden er for let at gætte: ")
    assert "almindeligt brugt adgangskode" in message
    # zxcvbn's English never reaches the user.
    assert not any(english in message for english in passwords.ZXCVBN_DANISH)


def test_every_zxcvbn_feedback_text_has_a_danish_translation():
    # Read from the pinned zxcvbn's own source: an upgrade with a new text fails here, not in front of a user.
    source = Path(zxcvbn.feedback.__file__).read_text(encoding="utf-8")
    texts = {node.args[0].value for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_"
             and node.args and isinstance(node.args[0], ast.Constant)}
    assert texts and texts <= set(passwords.ZXCVBN_DANISH), texts - set(passwords.ZXCVBN_DANISH)


@pytest.mark.parametrize("password", [
    STRONG,
    "mit hus er grønt og har syv vinduer",
    "Tr0ub4dor&3-ekstra-lang",
    "sommerferie-i-skagen-med-mormor",
    "Q8$" + "en lang sætning med mellemrum og æøå " * 3,  # > 64 characters, spaces and æøå
])
def test_a_strong_passphrase_is_accepted(password):
    assert errors(password) == ""
    score, _ = passwords.strength(password, email=EMAIL, name=NAME)
    assert score >= passwords.MIN_SCORE


@pytest.mark.parametrize("password,reason", [
    ("fjorten-tegn-x", "mindst 15 tegn"),
    ("k" + "ø9" * 64, "højst være på 128 tegn"),
    ("ababababababababab", "for få forskellige tegn"),
])
def test_length_and_variety_rules_stay(password, reason):
    assert reason in errors(password)


def test_policy_errors_give_one_reason_without_a_user():
    assert passwords.policy_errors("password1234567890") == [passwords.COMMON]
    assert passwords.policy_errors(STRONG) == []


# --- the forced first sign-in change ---------------------------------------------------------------


def sign_in(client, email: str = world.LAESER_A, password: str = world.PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def change(client, new: str, **extra):
    return client.post("/skift-adgangskode", data={"new_password": new, "new_password_repeat": new, **extra})


def test_forced_change_does_not_ask_again_for_the_password_just_typed(app, client):
    set_user(app, world.LAESER_A, must_change_password=True)
    assert sign_in(client).headers["Location"] == "/skift-adgangskode"
    page = client.get("/skift-adgangskode").get_data(as_text=True)
    assert 'name="current_password"' not in page and "skal ikke skrive den igen" in page
    done = change(client, NEW_PASSWORD)  # no current_password field at all
    assert done.status_code == 302 and done.headers["Location"] == "/adgangskode-aendret"
    assert user_row(app, world.LAESER_A).must_change_password is False
    shown = client.get("/adgangskode-aendret")
    assert shown.status_code == 200 and "Din adgangskode er ændret." in shown.get_data(as_text=True)
    # The message is shown once; the proof is gone with the old session.
    assert client.get("/adgangskode-aendret").headers["Location"] == "/"
    with client.session_transaction() as sess:
        assert auth.views.SIGN_IN_PROOF not in sess
    client.post("/logout")
    assert sign_in(client).status_code == 401
    assert sign_in(client, password=NEW_PASSWORD).status_code == 302


def test_forced_change_still_refuses_the_same_password_and_weak_ones(app, client):
    set_user(app, world.LAESER_A, must_change_password=True)
    sign_in(client)
    same = change(client, world.PASSWORD)
    assert same.status_code == 400 and "forskellig fra den nuværende" in same.get_data(as_text=True)
    weak = change(client, "password1234567890")
    assert weak.status_code == 400 and COMMON in weak.get_data(as_text=True)
    assert user_row(app, world.LAESER_A).must_change_password is True


def test_the_sign_in_proof_expires(app, client, monkeypatch):
    set_user(app, world.LAESER_A, must_change_password=True)
    sign_in(client)

    class Later:
        @staticmethod
        def time() -> float:
            import time

            return time.time() + auth.views.SIGN_IN_PROOF_MAX_AGE_S + 5

    monkeypatch.setattr(auth.views, "time", Later)
    assert 'name="current_password"' in client.get("/skift-adgangskode").get_data(as_text=True)
    refused = change(client, NEW_PASSWORD)
    assert refused.status_code == 400 and "nuværende adgangskode er forkert" in refused.get_data(as_text=True)
    assert change(client, NEW_PASSWORD, current_password=world.PASSWORD).status_code == 302


def test_the_proof_is_no_proof_in_another_session_or_for_a_voluntary_change(app, client):
    # A voluntary change (no must_change_password) always asks for the current password.
    sign_in(client)
    assert 'name="current_password"' in client.get("/skift-adgangskode").get_data(as_text=True)
    assert change(client, NEW_PASSWORD).status_code == 400
    # Someone else's session with a forced change gets no proof from this one.
    set_user(app, world.LAESER_B, must_change_password=True)
    other = app.test_client()
    sign_in(other, world.LAESER_B)
    with other.session_transaction() as sess:
        sess["password_proof"] = {**sess["password_proof"], "sid": "stolen-" + sess["sid"]}
    assert change(other, NEW_PASSWORD).status_code == 400


def test_a_voluntary_change_tells_the_user_it_succeeded(app, client):
    sign_in(client)
    done = change(client, NEW_PASSWORD, current_password=world.PASSWORD)
    assert done.headers["Location"] == "/adgangskode-aendret"
    page = client.get("/adgangskode-aendret").get_data(as_text=True)
    assert "Din adgangskode er ændret." in page and "Fortsæt til Kundeportalen" in page


def test_the_change_page_refuses_the_users_own_name(app, client):
    sign_in(client)
    refused = change(client, "Laeser.A.1985!!!!!!", current_password=world.PASSWORD)
    assert refused.status_code == 400 and PERSONAL in refused.get_data(as_text=True)


# --- the CLI -----------------------------------------------------------------------------------------


def test_cli_set_password_applies_the_policy(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["set-password", world.LAESER_A], input="password1234567890\npassword1234567890\n")
    assert weak.exit_code != 0 and COMMON in weak.output
    assert sign_in(app.test_client()).status_code == 302  # unchanged
    done = runner.invoke(args=["set-password", world.LAESER_A, "--must-change"],
                         input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert "er ændret" in done.output and NEW_PASSWORD not in done.output
    assert user_row(app, world.LAESER_A).must_change_password is True
    assert sign_in(app.test_client(), password=NEW_PASSWORD).headers["Location"] == "/skift-adgangskode"
    unknown = runner.invoke(args=["set-password", "ingen@example.dk"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert unknown.exit_code != 0 and "ingen bruger" in unknown.output
