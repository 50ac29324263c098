"""Sign-in throttling: growing delays per account, device cookies against lock-out, per-IP limit, Redis."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from limits.storage import MemoryStorage

from auth import throttle
from auth.throttle import DEVICE_COOKIE, LoginAttempts, delay_after, wait_text
from tests import world

WRONG = "forkert-adgangskode-til-test"
THROTTLED = "for mange mislykkede forsøg"


class Clock:
    """Stop time.time for everything (limits' memory storage reads it too); only `advance` moves it."""

    def __init__(self, monkeypatch):
        self.offset = 0.0
        # Frozen, not real time plus an offset: a slow machine must not move a test past a window's edge.
        start = time.time()
        monkeypatch.setattr(time, "time", lambda: start + self.offset)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def post_login(client, email: str, password: str = WRONG):
    return client.post("/login", data={"email": email, "password": password})


def device_cookie_of(client) -> str | None:
    cookie = client.get_cookie(DEVICE_COOKIE, path="/login")
    return cookie.value if cookie else None


# --- the schedule -------------------------------------------------------------------------


def test_delays_grow_with_failures():
    delays = [delay_after(n) for n in range(0, 60)]
    assert delays[:5] == [0] * 5
    assert delays[5] == 60
    assert delays == sorted(delays)
    assert max(delays) > 60


@pytest.mark.parametrize("seconds,text", [(1, "1 minut"), (60, "1 minut"), (61, "2 minutter"), (900, "15 minutter")])
def test_wait_text(seconds, text):
    assert wait_text(seconds) == text


def _hammer(attempts: LoginAttempts, clock_offset: list[float], email: str, seconds: int, every: float,
            cookie: str | None = None) -> int:
    """Try once every `every` seconds for `seconds`; return how many attempts reached the password check."""
    allowed = 0
    start = clock_offset[0]
    while clock_offset[0] - start < seconds:
        attempt = attempts.begin(email, cookie)
        if not attempt.blocked:
            allowed += 1
            attempts.failed(attempt)
        clock_offset[0] += every
    return allowed


@pytest.fixture
def unit(monkeypatch):
    """A LoginAttempts on memory storage with a frozen clock that only the test moves."""
    offset = [0.0]
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + offset[0])
    return LoginAttempts(MemoryStorage(), "hemmelig-nøgle-" + "x" * 32, secure_cookie=True), offset


def test_hammering_an_account_gets_few_tries_per_hour(unit):
    attempts, offset = unit
    allowed = _hammer(attempts, offset, "offer@example.dk", 3600, every=5)
    # 5 free, then one a minute, then slower: far below the hard cap of 100.
    assert 10 <= allowed <= 30
    assert allowed <= throttle.MAX_FAILURES_PER_WINDOW


def test_hard_cap_of_100_failures_per_hour(unit, monkeypatch):
    attempts, offset = unit
    monkeypatch.setattr(throttle, "DELAY_STEPS", ())
    for _ in range(100):
        attempt = attempts.begin("offer@example.dk")
        assert not attempt.blocked
        attempts.failed(attempt)
    blocked = attempts.begin("offer@example.dk")
    assert blocked.blocked and 3000 < blocked.retry_after <= 3600
    offset[0] += 3601
    assert not attempts.begin("offer@example.dk").blocked


def test_parallel_attempts_cannot_slip_past_the_gate(unit):
    attempts, offset = unit
    for _ in range(5):
        attempts.failed(attempts.begin("offer@example.dk"))
    assert attempts.begin("offer@example.dk").blocked
    offset[0] += 61
    # Ten requests "at once": each is counted before any password check, so only one gets through.
    results = [attempts.begin("offer@example.dk") for _ in range(10)]
    assert sum(not r.blocked for r in results) == 1


def test_counts_ignore_case_and_spaces_and_hide_the_address(unit):
    attempts, _offset = unit
    for variant in ("Offer@Example.dk", " offer@example.dk ", "OFFER@EXAMPLE.DK"):
        attempts.failed(attempts.begin(variant))
    assert attempts.failures("offer@example.dk") == 3
    assert all("offer" not in key and "example" not in key for key in attempts.storage.storage)


def test_success_uncounts_only_itself(unit):
    attempts, _offset = unit
    for _ in range(3):
        attempts.failed(attempts.begin("bruger@example.dk"))
    attempts.succeeded(attempts.begin("bruger@example.dk"))
    assert attempts.failures("bruger@example.dk") == 3


def test_device_cookie_is_per_account_and_tamper_proof(unit):
    attempts, _offset = unit
    cookie = attempts.new_device_cookie("a@example.dk", None)
    assert attempts.device_nonce("a@example.dk", cookie)
    assert attempts.device_nonce("b@example.dk", cookie) is None
    assert attempts.device_nonce("a@example.dk", cookie[:-2] + "xx") is None
    other_key = LoginAttempts(MemoryStorage(), "en-anden-nøgle-" + "y" * 32, secure_cookie=True)
    assert other_key.device_nonce("a@example.dk", cookie) is None
    # One browser can be trusted for a few accounts; a new sign-in gives a new nonce.
    both = attempts.new_device_cookie("b@example.dk", cookie)
    assert attempts.device_nonce("a@example.dk", both) == attempts.device_nonce("a@example.dk", cookie)
    assert attempts.device_nonce("b@example.dk", both)
    renewed = attempts.new_device_cookie("a@example.dk", both)
    assert attempts.device_nonce("a@example.dk", renewed) != attempts.device_nonce("a@example.dk", both)


def test_device_cookie_expires(unit):
    attempts, offset = unit
    cookie = attempts.new_device_cookie("a@example.dk", None)
    offset[0] += throttle.DEVICE_COOKIE_MAX_AGE_S + 10
    assert attempts.device_nonce("a@example.dk", cookie) is None


# --- through the sign-in form -------------------------------------------------------------


@pytest.mark.parametrize("email", [world.LAESER_A, "findes.ikke@example.dk"])
def test_account_is_throttled_after_a_few_failures(app, client, monkeypatch, email):
    clock = Clock(monkeypatch)
    for _ in range(5):
        assert post_login(client, email).status_code == 401
    verified = []
    import auth.views

    real_verify = auth.views.verify_password
    monkeypatch.setattr(auth.views, "verify_password", lambda *a: verified.append(1) or real_verify(*a))
    # Even the right password is not looked at while the account must wait.
    blocked = post_login(client, email, world.PASSWORD)
    assert blocked.status_code == 429
    assert verified == []
    html = blocked.get_data(as_text=True)
    assert THROTTLED in html.lower() and "Vent 1 minut" in html
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert client.get("/").status_code == 302
    clock.advance(61)
    assert post_login(client, email).status_code == 401
    assert post_login(client, email).status_code == 429
    assert verified == [1]


def test_throttle_answer_is_the_same_for_known_and_unknown_email(client):
    answers = {}
    for email in (world.LAESER_A, "findes.ikke@example.dk"):
        for _ in range(5):
            post_login(client, email)
        response = post_login(client, email)
        html = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
        answers[email] = (response.status_code, html.replace(email, "E"))
    assert answers[world.LAESER_A] == answers["findes.ikke@example.dk"]


def test_attacker_cannot_lock_out_a_user_with_a_device_cookie(app, monkeypatch):
    Clock(monkeypatch)
    user = app.test_client()
    attacker = app.test_client()
    # The real user signed in from this browser before, and got a device cookie.
    assert post_login(user, world.LAESER_A, world.PASSWORD).status_code == 302
    assert device_cookie_of(user)
    user.post("/logout")
    # The attacker fills the account's shared count.
    for _ in range(12):
        post_login(attacker, world.LAESER_A)
    assert post_login(attacker, world.LAESER_A, world.PASSWORD).status_code == 429
    # The real user mistypes once, then signs in: not blocked by the attacker's failures.
    assert post_login(user, world.LAESER_A).status_code == 401
    assert post_login(user, world.LAESER_A, world.PASSWORD).status_code == 302
    assert user.get("/").status_code == 200
    # The attacker is still blocked.
    assert post_login(attacker, world.LAESER_A, world.PASSWORD).status_code == 429


def test_failures_with_a_device_cookie_are_throttled_per_device(app, monkeypatch):
    Clock(monkeypatch)
    user = app.test_client()
    other = app.test_client()
    assert post_login(user, world.LAESER_A, world.PASSWORD).status_code == 302
    user.post("/logout")
    for _ in range(5):
        assert post_login(user, world.LAESER_A).status_code == 401
    assert post_login(user, world.LAESER_A, world.PASSWORD).status_code == 429
    # That device's failures do not block another browser.
    assert post_login(other, world.LAESER_A, world.PASSWORD).status_code == 302


def test_device_cookie_for_one_account_does_not_help_another(app, monkeypatch):
    Clock(monkeypatch)
    client = app.test_client()
    assert post_login(client, world.LAESER_B, world.PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(5):
        post_login(client, world.LAESER_A)
    assert post_login(client, world.LAESER_A, world.PASSWORD).status_code == 429


def test_forged_device_cookie_is_ignored(app, monkeypatch):
    Clock(monkeypatch)
    attacker = app.test_client()
    attacker.set_cookie(DEVICE_COOKIE, "WyJhYmMiXQ.forfalsket.signatur", path="/login")
    for _ in range(5):
        post_login(attacker, world.LAESER_A)
    assert post_login(attacker, world.LAESER_A, world.PASSWORD).status_code == 429


# --- the current password on "Skift adgangskode" ------------------------------------------------

NEW = "Ny-lang-sikker-kode-93817"


def post_change(client, current: str):
    return client.post("/skift-adgangskode", data={"current_password": current, "new_password": NEW,
                                                   "new_password_repeat": NEW})


def test_guessing_the_current_password_is_throttled(app, monkeypatch):
    # Someone holding a session (a copied cookie, an unlocked PC) cannot guess the password on for ever.
    clock = Clock(monkeypatch)
    thief = app.test_client()
    assert post_login(thief, world.LAESER_A, world.PASSWORD).status_code == 302
    for _ in range(5):
        assert post_change(thief, WRONG).status_code == 400
    verified = []
    import auth.views

    real_verify = auth.views.verify_password
    monkeypatch.setattr(auth.views, "verify_password", lambda *a: verified.append(1) or real_verify(*a))
    blocked = post_change(thief, world.PASSWORD)
    assert blocked.status_code == 429 and verified == []
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    html = blocked.get_data(as_text=True)
    assert "for mange forsøg med en forkert nuværende adgangskode" in html and "Vent 1 minut" in html
    # The password is unchanged, and the user can still sign in with it elsewhere.
    assert post_login(app.test_client(), world.LAESER_A, world.PASSWORD).status_code == 302
    clock.advance(61)
    assert post_change(thief, world.PASSWORD).status_code == 302
    assert post_login(app.test_client(), world.LAESER_A, NEW).status_code == 302


def test_password_check_throttle_is_per_user_and_apart_from_sign_in(app, monkeypatch):
    Clock(monkeypatch)
    attacker, user, other = app.test_client(), app.test_client(), app.test_client()
    assert post_login(user, world.LAESER_A, world.PASSWORD).status_code == 302
    assert post_login(other, world.LAESER_B, world.PASSWORD).status_code == 302
    # Strangers' failed sign-ins do not keep the user from changing the password ...
    for _ in range(12):
        post_login(attacker, world.LAESER_A)
    for _ in range(6):
        post_change(other, WRONG)
    assert post_change(other, world.PASSWORD).status_code == 429
    # ... nor does another user's guessing.
    assert post_change(user, world.PASSWORD).status_code == 302


def test_per_ip_limit(app_config):
    app_config["LOGIN_IP_LIMIT"] = "4 per minute"
    from app import create_app
    from data.db import get_db, get_session

    app = create_app(app_config)
    with app.app_context():
        world.build(get_session())
    try:
        client = app.test_client()
        # Successful sign-ins are not counted against the address.
        for _ in range(6):
            assert post_login(client, world.LAESER_A, world.PASSWORD).status_code == 302
            client.post("/logout")
        # Failures on different accounts from one address add up.
        for i in range(4):
            assert post_login(client, f"bruger{i}@example.dk").status_code == 401
        blocked = post_login(client, world.LAESER_A, world.PASSWORD)
        assert blocked.status_code == 429
        assert THROTTLED in blocked.get_data(as_text=True).lower()
        assert int(blocked.headers["Retry-After"]) >= 1
        # Another address is not affected; the sign-in page itself still opens.
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
        assert post_login(other, world.LAESER_A, world.PASSWORD).status_code == 302
        assert client.get("/login").status_code == 200
    finally:
        get_db(app).dispose()


# --- against real Redis, shared by two "workers" --------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture
def redis_client():
    """A Redis connection on 127.0.0.1:6379, or a clear skip."""
    import redis

    conn = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        conn.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis svarer ikke på {REDIS_URL} ({exc}): throttle-testen mod Redis springes over")
    yield conn
    conn.close()


def test_throttle_on_redis_is_shared_between_workers(app_config, redis_client):
    from app import create_app
    from data.db import get_db, get_session

    prefix = f"kp-test-{uuid.uuid4().hex[:12]}"
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    app_config.update(RATELIMIT_STORAGE_URI=REDIS_URL, LOGIN_THROTTLE_KEY_PREFIX=prefix, LOGIN_IP_LIMIT="8 per minute")
    worker_1 = create_app(app_config)
    with worker_1.app_context():
        world.build(get_session())
    worker_2 = create_app(app_config)
    try:
        one, two = worker_1.test_client(), worker_2.test_client()
        one.environ_base["REMOTE_ADDR"] = two.environ_base["REMOTE_ADDR"] = ip
        for client in (one, two, one, two, one):
            assert post_login(client, world.LAESER_A).status_code == 401
        assert post_login(two, world.LAESER_A, world.PASSWORD).status_code == 429
        keys = [k.decode() for k in redis_client.scan_iter(match=f"*{prefix}*")]
        assert keys, "the per-account counters live in Redis"
        assert all("laeser" not in k and "example" not in k for k in keys)
        assert max(redis_client.ttl(k) for k in keys) <= throttle.WINDOW_S
        # The per-IP limit is in Redis too and counts across both workers.
        for i in range(2):
            post_login(one, f"andre{i}@example.dk")
        assert post_login(two, "endnu.en@example.dk").status_code == 429
        assert any(ip in k.decode() for k in redis_client.scan_iter(match="*LIMITER*"))
    finally:
        for pattern in (f"*{prefix}*", f"*{ip}*"):
            for key in redis_client.scan_iter(match=pattern):
                redis_client.delete(key)
        get_db(worker_1).dispose()
        get_db(worker_2).dispose()
