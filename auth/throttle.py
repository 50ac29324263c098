"""Sign-in throttling: per client IP (Flask-Limiter) and per account with growing delays.

Per account, failures are counted in a one-hour window. The first few are free; after that only
one attempt per delay period gets through, and the delay grows with the count; at
MAX_FAILURES_PER_WINDOW the account waits for the window to end. A blocked attempt never reaches
password verification.

So that an attacker cannot use this to lock a real user out, we follow OWASP's device-cookie
pattern: a successful sign-in gives the browser a signed, HttpOnly cookie naming that account
and a random nonce. An attempt that carries a valid device cookie for the account is counted
against that device only, never against the shared per-account count that strangers fill up.

Counters live in the `limits` storage of Flask-Limiter (memory in development, Redis in
production), so every worker sees the same counts. Keys hold an HMAC of the e-mail, never the
address itself, and unknown addresses are counted exactly like known ones: the throttle's
answers reveal nothing about which accounts exist.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, make_response, render_template, request
from flask.wrappers import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import Storage, storage_from_string

DEVICE_COOKIE = "kp_device"
DEVICE_COOKIE_PATH = "/login"
DEVICE_COOKIE_MAX_AGE_S = 180 * 24 * 3600
DEVICE_COOKIE_MAX_ACCOUNTS = 5

WINDOW_S = 3600
MAX_FAILURES_PER_WINDOW = 100
# (failures already counted, seconds between attempts from then on): a few free tries, then one
# a minute, then one per five minutes, then one per quarter of an hour.
DELAY_STEPS: tuple[tuple[int, int], ...] = ((5, 60), (10, 5 * 60), (20, 15 * 60))

# Per client IP, counted on failed POSTs to /login only (a successful sign-in answers 302).
DEFAULT_IP_LIMIT = "30 per minute;300 per hour"

THROTTLED_MESSAGE = "Der har været for mange mislykkede forsøg på at logge ind. Vent {wait}, og prøv igen."


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: the bucket it is counted in, and whether it may go ahead."""

    bucket: str
    account: str
    trusted_device: bool
    blocked: bool
    retry_after: int = 0
    # "account", "device" (a trusted browser), "password-check" (change password) or "second-factor" (a code)
    kind: str = "account"


def delay_after(failures: int) -> int:
    """Return the seconds required between attempts once `failures` failures are counted."""
    delay = 0
    for threshold, seconds in DELAY_STEPS:
        if failures >= threshold:
            delay = seconds
    return delay


def wait_text(seconds: int) -> str:
    """Return a Danish 'N minutter' for a wait of `seconds` (rounded up, at least one minute)."""
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minut" if minutes == 1 else f"{minutes} minutter"


class LoginAttempts:
    """Count sign-in failures per account and per trusted device, and decide who must wait."""

    def __init__(self, storage: Storage, secret_key: str, *, secure_cookie: bool, prefix: str = "kp-login"):
        self.storage = storage
        self._secret = secret_key.encode("utf-8")
        self._serializer = URLSafeTimedSerializer(secret_key, salt="kundeportal-device-cookie")
        self.secure_cookie = secure_cookie
        self.prefix = prefix

    # --- keys ------------------------------------------------------------------------------

    def account_key(self, email: str) -> str:
        """Return the storage name of an account: an HMAC of the normalised e-mail, never the address."""
        normalised = (email or "").strip().lower().encode("utf-8")
        return hmac.new(self._secret, b"login-account:" + normalised, hashlib.sha256).hexdigest()[:32]

    def _key(self, bucket: str, kind: str) -> str:
        return f"{self.prefix}/{kind}/{bucket}"

    # --- device cookies --------------------------------------------------------------------

    def _device_entries(self, cookie: str | None) -> dict[str, str]:
        if not cookie:
            return {}
        try:
            data = self._serializer.loads(cookie, max_age=DEVICE_COOKIE_MAX_AGE_S)
        except BadSignature:
            return {}
        if not isinstance(data, list):
            return {}
        entries: dict[str, str] = {}
        for item in data[:DEVICE_COOKIE_MAX_ACCOUNTS]:
            if isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item):
                entries.setdefault(item[0], item[1])
        return entries

    def device_nonce(self, email: str, cookie: str | None) -> str | None:
        """Return the nonce of a valid device cookie for this account, or None."""
        return self._device_entries(cookie).get(self.account_key(email))

    def new_device_cookie(self, email: str, cookie: str | None) -> str:
        """Return a device cookie that trusts this browser for `email` with a fresh nonce (others kept)."""
        account = self.account_key(email)
        entries = [[account, secrets.token_urlsafe(16)]]
        entries += [[acc, nonce] for acc, nonce in self._device_entries(cookie).items() if acc != account]
        return self._serializer.dumps(entries[:DEVICE_COOKIE_MAX_ACCOUNTS])

    def set_device_cookie(self, response: Response, value: str) -> None:
        """Put the device cookie on `response` (HttpOnly, only sent to /login)."""
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=DEVICE_COOKIE_MAX_AGE_S,
            path=DEVICE_COOKIE_PATH,
            secure=self.secure_cookie,
            httponly=True,
            samesite="Lax",
        )

    # --- counting --------------------------------------------------------------------------

    def begin(self, email: str, device_cookie: str | None = None) -> Attempt:
        """Decide whether a sign-in attempt may verify its password; if so, count it as a failure until it succeeds."""
        account = self.account_key(email)
        nonce = self.device_nonce(email, device_cookie)
        bucket = f"{account}:{nonce}" if nonce else account
        return self._gate(bucket, account, "device" if nonce else "account", bool(nonce))

    def begin_password_check(self, user_id: int) -> Attempt:
        """Decide whether a signed-in user's current password may be checked (change password); count it as failed."""
        # Its own bucket per user: a stolen session cookie cannot guess on without limit, and strangers'
        # failed sign-ins cannot keep the real user from changing their password.
        bucket = f"user-{int(user_id)}"
        return self._gate(bucket, bucket, "password-check", True)

    def begin_code_check(self, user_id: int) -> Attempt:
        """Decide whether a second-factor code of user `user_id` may be checked; count it as failed until it succeeds."""
        # Per user, like the password check: only someone who passed the password gets here, and
        # six digits must not be guessable at the speed of requests.
        bucket = f"user-{int(user_id)}"
        return self._gate(bucket, bucket, "second-factor", True)

    def _gate(self, bucket: str, account: str, kind: str, trusted: bool) -> Attempt:
        failures_key = self._key(bucket, f"{kind}-failures")
        gate_key = self._key(bucket, f"{kind}-gate")

        def blocked(key: str) -> Attempt:
            wait = max(1, math.ceil(self.storage.get_expiry(key) - time.time()))
            return Attempt(bucket, account, trusted, True, wait, kind)

        # Counted before the password is checked, so that parallel requests cannot all slip through.
        failures = self.storage.incr(failures_key, WINDOW_S)
        if failures > MAX_FAILURES_PER_WINDOW:
            self.storage.incr(failures_key, WINDOW_S, amount=-1)
            return blocked(failures_key)
        delay = delay_after(failures)
        if delay:
            # The gate key lives `delay` seconds from the attempt that created it; while it lives, attempts
            # past the free ones are refused. Only the attempt that finds it gone (count 1) goes ahead.
            gate = self.storage.incr(gate_key, delay)
            if gate > 1 and delay_after(failures - 1):
                self.storage.incr(failures_key, WINDOW_S, amount=-1)
                return blocked(gate_key)
        return Attempt(bucket, account, trusted, False, 0, kind)

    def failed(self, attempt: Attempt) -> None:
        """Keep a failed attempt counted (it was counted in `begin`)."""

    def succeeded(self, attempt: Attempt) -> None:
        """Uncount a successful attempt; a trusted device starts afresh."""
        if attempt.blocked:
            return
        kind = attempt.kind
        if attempt.trusted_device:
            self.storage.clear(self._key(attempt.bucket, f"{kind}-failures"))
            self.storage.clear(self._key(attempt.bucket, f"{kind}-gate"))
        else:
            # Failures strangers caused on the shared count stay until their window ends.
            self.storage.incr(self._key(attempt.bucket, f"{kind}-failures"), WINDOW_S, amount=-1)

    def failures(self, email: str, device_cookie: str | None = None) -> int:
        """Return the failures counted in the current window for this account (or its trusted device)."""
        account = self.account_key(email)
        nonce = self.device_nonce(email, device_cookie)
        kind = "device" if nonce else "account"
        bucket = f"{account}:{nonce}" if nonce else account
        return self.storage.get(self._key(bucket, f"{kind}-failures"))


def get_login_attempts() -> LoginAttempts:
    """Return the sign-in throttle of the current app."""
    return current_app.extensions["login_attempts"]


def throttled_response(retry_after: int, **context: Any) -> Response:
    """Return the sign-in page with a Danish 'wait' message and HTTP 429 (never says if the e-mail exists)."""
    from auth.views import safe_next

    message = THROTTLED_MESSAGE.format(wait=wait_text(retry_after))
    context.setdefault("email", "")
    context.setdefault("next_url", safe_next(request.values.get("next")))
    response = make_response(render_template("auth/login.html", error=message, **context), 429)
    response.headers["Retry-After"] = str(max(1, int(retry_after)))
    return response


def ip_limit() -> str:
    """Return the per-client-IP limit for POST /login (LOGIN_IP_LIMIT, a Flask-Limiter limit string)."""
    return current_app.config.get("LOGIN_IP_LIMIT") or DEFAULT_IP_LIMIT


def ip_limit_breached(request_limit: Any) -> Response:
    """Answer a client IP over its sign-in limit with the Danish 'wait' page (HTTP 429)."""
    try:
        reset_at = request_limit.reset_at
        wait = max(1, int(reset_at - time.time()))
    except Exception:  # noqa: BLE001 - the window end is only a hint for the message
        wait = 60
    return throttled_response(wait)


def counts_as_failed_sign_in(response: Response) -> bool:
    """Tell whether a /login POST answer counts against the client's IP limit (anything but success)."""
    # A 503 means the limiter store itself is away: there is nothing to count in, and the attempt
    # never reached the password check.
    return response.status_code not in (302, 503)


def init_app(app: Flask) -> None:
    """Bind the sign-in throttle to `app`, on Flask-Limiter's storage when the limiter is enabled."""
    from auth.extensions import limiter

    uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    # The limiter object is shared by every app in the process; its storage is captured for this app now.
    storage = limiter.storage if app.config.get("RATELIMIT_ENABLED", True) and limiter.enabled else None
    if storage is None:
        storage = storage_from_string(uri)
    app.extensions["login_attempts"] = LoginAttempts(
        storage,
        app.config["SECRET_KEY"],
        secure_cookie=bool(app.config.get("SESSION_COOKIE_SECURE")),
        prefix=app.config.get("LOGIN_THROTTLE_KEY_PREFIX") or "kp-login",
    )


# --- user creation per administrator -----------------------------------------------------------

# New users per administrator: each one gets a mail from SA's address, so an administrator's
# account (or a stolen session) must not become a mass mailer.
DEFAULT_USER_CREATE_LIMIT = "20 per hour;100 per day"
USER_CREATE_MESSAGE = ("Du har oprettet mange brugere på kort tid. Vent {wait}, og prøv igen, eller skriv til "
                       "Statens Administration, hvis du skal oprette flere brugere.")


def user_create_limit() -> str:
    """Return the limit on users one administrator may create (USER_CREATE_LIMIT, a `limits` string)."""
    return current_app.config.get("USER_CREATE_LIMIT") or DEFAULT_USER_CREATE_LIMIT


def _user_create_window(user_id: int) -> tuple[Any, list[Any], tuple[str, str]]:
    from limits import parse_many
    from limits.strategies import FixedWindowRateLimiter

    limiter = FixedWindowRateLimiter(get_login_attempts().storage)
    return limiter, parse_many(user_create_limit()), ("kp-user-create", str(int(user_id)))


def user_creation_wait(user_id: int) -> int:
    """Return 0 when administrator `user_id` may create another user now, else the seconds to wait."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    try:
        limiter, items, key = _user_create_window(user_id)
        for item in items:
            if not limiter.test(item, *key):
                reset_at = limiter.get_window_stats(item, *key).reset_time
                return max(1, math.ceil(reset_at - time.time()))
    except Exception:  # noqa: BLE001 - a limiter store that does not answer refuses (fails closed)
        current_app.logger.exception("user creation limit could not be checked")
        return 60
    return 0


def count_user_creation(user_id: int) -> None:
    """Count one user created (or attached, with a mail) by administrator `user_id`."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    try:
        limiter, items, key = _user_create_window(user_id)
        for item in items:
            limiter.hit(item, *key)
    except Exception:  # noqa: BLE001 - the next check fails closed if the store is still away
        current_app.logger.exception("user creation could not be counted")
