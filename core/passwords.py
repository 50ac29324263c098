"""Password hashing (argon2) and the password policy (NIST SP 800-63B rev. 4, zxcvbn strength)."""

from __future__ import annotations

import functools
import gzip
import re
import secrets
import string
import threading
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 15
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn's "safely unguessable": about 10^8 guesses or more
# zxcvbn's matching grows about with the square of the length (0.35 s at 114 characters, under a lock):
# it estimates the first 64 characters, which decide whether a password is guessable. A password whose
# first 64 characters are guessable is refused even if more follows; that errs on the safe side.
ZXCVBN_LENGTH = 64
# SecLists' top 100,000 of the 10 million password list plus Django's 20,000 (see core/NOTICE).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")
# Words of the portal itself: a password built on them is guessed by anyone who knows where it is used.
PORTAL_WORDS = ("kundeportalen", "kundeportal", "statens administration", "statensadministration", "statens",
                "administration")

TOO_SHORT = "Adgangskoden skal være på mindst {n} tegn."
TOO_LONG = "Adgangskoden må højst være på {n} tegn."
TOO_FEW_CHARACTERS = "Adgangskoden består af for få forskellige tegn. Vælg en anden."
COMMON = "Adgangskoden findes på en liste over almindelige eller lækkede adgangskoder. Vælg en anden."
PERSONAL = "Adgangskoden ligner dit navn eller din e-mailadresse. Vælg en anden."
PORTAL_NAME = ("Adgangskoden er for let at gætte: den er bygget på navnet Kundeportalen eller Statens "
               "Administration. Vælg en anden.")
TOO_EASY = "Adgangskoden er for let at gætte: {advice}"
TOO_EASY_FALLBACK = "Brug flere ord, som ikke hører sammen, fx fire tilfældige ord med bindestreg imellem."

# zxcvbn's feedback is English only; every string it can give, in Danish (tests check none is missing).
ZXCVBN_DANISH = {
    "Use a few words, avoid common phrases.": "Brug nogle få ord, og undgå almindelige vendinger.",
    "No need for symbols, digits, or uppercase letters.": "Der er ikke brug for symboler, tal eller store bogstaver.",
    "Add another word or two. Uncommon words are better.": "Tilføj et ord eller to mere – gerne usædvanlige ord.",
    "Straight rows of keys are easy to guess.": "Taster på en lige række er lette at gætte.",
    "Short keyboard patterns are easy to guess.": "Korte mønstre på tastaturet er lette at gætte.",
    "Use a longer keyboard pattern with more turns.": "Undgå mønstre på tastaturet.",
    'Repeats like "aaa" are easy to guess.': "Gentagelser som »aaa« er lette at gætte.",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        "Gentagelser som »abcabcabc« er kun lidt sværere at gætte end »abc«.",
    "Avoid repeated words and characters.": "Undgå gentagne ord og tegn.",
    'Sequences like "abc" or "6543" are easy to guess.': "Rækkefølger som »abc« eller »6543« er lette at gætte.",
    "Avoid sequences.": "Undgå rækkefølger.",
    "Recent years are easy to guess.": "Årstal fra de senere år er lette at gætte.",
    "Avoid recent years.": "Undgå nyere årstal.",
    "Avoid years that are associated with you.": "Undgå årstal, der har med dig at gøre.",
    "Dates are often easy to guess.": "Datoer er ofte lette at gætte.",
    "Avoid dates and years that are associated with you.": "Undgå datoer og årstal, der har med dig at gøre.",
    "This is a top-10 common password.": "Den er blandt de 10 mest brugte adgangskoder.",
    "This is a top-100 common password.": "Den er blandt de 100 mest brugte adgangskoder.",
    "This is a very common password.": "Den er en meget almindelig adgangskode.",
    "This is similar to a commonly used password.": "Den ligner en almindeligt brugt adgangskode.",
    "A word by itself is easy to guess.": "Et enkelt ord er let at gætte.",
    "Names and surnames by themselves are easy to guess.": "For- og efternavne alene er lette at gætte.",
    "Common names and surnames are easy to guess.": "Almindelige for- og efternavne er lette at gætte.",
    "Capitalization doesn't help very much.": "Store begyndelsesbogstaver hjælper ikke ret meget.",
    "All-uppercase is almost as easy to guess as all-lowercase.":
        "Lutter store bogstaver er næsten lige så lette at gætte som lutter små.",
    "Reversed words aren't much harder to guess.": "Ord skrevet bagfra er ikke meget sværere at gætte.",
    "Predictable substitutions like '@' instead of 'a' don't help very much.":
        "Forudsigelige udskiftninger som »@« i stedet for »a« hjælper ikke ret meget.",
}

# What people append or prepend to a word to pass a rule: digits, years, punctuation, spaces.
_EDGE = string.digits + string.punctuation + string.whitespace
_SEPARATORS = re.compile(r"[\s._\-+@]+")
# "Leetspeak-lite": the substitutions every cracking rule set tries first.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
                       "$": "s", "!": "i", "|": "l", "+": "t", "€": "e"})
_TOKEN_SPLIT = re.compile(r"[^0-9a-zæøåäöüéèáàóòíìúùñç]+")

# argon2-cffi's defaults (RFC 9106's low-memory profile); building the hasher costs nothing.
_hasher = PasswordHasher()
# zxcvbn keeps the user inputs of a call in a module-global dictionary: two threads checking
# passwords at once would see each other's names. Calls take turns (each takes milliseconds).
_zxcvbn_turn = threading.Lock()


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Return a hash verified when the e-mail is unknown, so both paths cost one argon2 verification."""
    # Computed on first use, not at import: a hash takes a noticeable fraction of a second, and
    # every worker and CLI start would pay it.
    return hasher.hash("kundeportal-dummy-password-for-timing")


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common and breached passwords, lower-cased (loaded once per process)."""
    # Loaded on the first password check, not at import: about 100,000 strings (some 10 MB) that
    # only the few requests setting a password need.
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def _root(text: str) -> str:
    """Return `text` without the digits, years and punctuation stuck on either end."""
    return text.strip(_EDGE)


def _unrepeated(text: str) -> str:
    """Return the unit `text` repeats ('abcabc' -> 'abc'), or `text` itself."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def _variants(password: str) -> set[str]:
    """Return the forms a guesser derives `password` from: case, ends, separators, leetspeak, repeats."""
    lowered = password.lower()
    forms = {lowered}
    # A repeat is looked for before the digits go: "trustno1trustno1!" repeats "trustno1".
    repeated = _unrepeated(_SEPARATORS.sub("", lowered.strip(string.punctuation + string.whitespace)))
    for root in {_root(lowered), _root(_SEPARATORS.sub("", lowered)), _root(repeated)}:
        for form in (root, root.translate(_LEET), _SEPARATORS.sub("", root.translate(_LEET))):
            form = _root(form)
            forms.update((form, _unrepeated(form)))
    forms.discard("")
    return forms


def is_common(password: str) -> bool:
    """Tell whether `password`, or the word it is built on, is on the list of common passwords."""
    listed = common_passwords()
    return any(form in listed for form in _variants(password))


def personal_words(*, email: str = "", name: str = "") -> list[str]:
    """Return the words of the user's name and e-mail address a password must not be built on."""
    words: set[str] = set()
    email = (email or "").strip().lower()
    local, _, domain = email.partition("@")
    name = (name or "").strip().lower()
    for whole in (email, local, name):
        if whole:
            words.update((whole, _SEPARATORS.sub("", whole)))
    # The domain's labels, except the top-level one ("dk"), which says nothing about the user.
    labels = [label for label in domain.split(".")[:-1] if label]
    for part in [*_TOKEN_SPLIT.split(local), *_TOKEN_SPLIT.split(name), *labels,
                 *(p for label in labels for p in _TOKEN_SPLIT.split(label))]:
        if len(part) >= 2 and not part.isdigit():
            words.add(part)
    words.discard("")
    # Longest first: "karenlund" is taken out whole before "karen" could leave "lund" behind.
    return sorted(words, key=lambda word: (-len(word), word))


def _built_on(password: str, words: list[str]) -> bool:
    """Tell whether `password` is only `words` (longest first) with digits or punctuation around them."""
    if not words:
        return False
    for form in {password.lower(), *_variants(password)}:
        rest = form
        for word in words:
            rest = rest.replace(word, "\0")
        if "\0" in rest and not rest.replace("\0", "").strip(_EDGE):
            return True
    return False


def is_personal(password: str, *, email: str = "", name: str = "") -> bool:
    """Tell whether `password` is only the user's name or e-mail parts with digits or punctuation around."""
    return _built_on(password, personal_words(email=email, name=name))


def is_portal_name(password: str) -> bool:
    """Tell whether `password` is only the portal's or Statens Administration's name with digits around."""
    return _built_on(password, sorted({w.replace(" ", "") for w in PORTAL_WORDS} | set(PORTAL_WORDS),
                                      key=lambda word: (-len(word), word)))


def _danish_advice(feedback: dict) -> str:
    """Return zxcvbn's warning and suggestions in Danish (untranslatable ones are left out)."""
    texts = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    danish = [ZXCVBN_DANISH[text] for text in texts if text in ZXCVBN_DANISH]
    return " ".join(dict.fromkeys(danish)) or TOO_EASY_FALLBACK


def strength(password: str, *, email: str = "", name: str = "") -> tuple[int, str]:
    """Return zxcvbn's score (0-4) for `password` and its advice in Danish."""
    from zxcvbn import zxcvbn  # imported on use: its word lists cost memory and start-up time

    inputs = [*personal_words(email=email, name=name), *PORTAL_WORDS]
    with _zxcvbn_turn:
        result = zxcvbn(password[:ZXCVBN_LENGTH], user_inputs=inputs, max_length=ZXCVBN_LENGTH)
    return int(result["score"]), _danish_advice(result.get("feedback") or {})


def policy_errors(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Return the Danish reasons `password` is refused; empty when it is acceptable."""
    if not isinstance(password, str):
        return [TOO_SHORT.format(n=MIN_LENGTH)]
    if len(password) < MIN_LENGTH:
        return [TOO_SHORT.format(n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [TOO_LONG.format(n=MAX_LENGTH)]
    # One reason, the most specific first: the user learns what to change, not a list of everything.
    if len(set(password)) <= 2:
        return [TOO_FEW_CHARACTERS]
    if is_personal(password, email=email, name=name):
        return [PERSONAL]
    if is_common(password):
        return [COMMON]
    if is_portal_name(password):
        return [PORTAL_NAME]
    score, advice = strength(password, email=email, name=name)
    if score < MIN_SCORE:
        return [TOO_EASY.format(advice=advice)]
    return []


def hash_password(password: str) -> str:
    """Return the argon2 hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches `password_hash`; spends the same time when there is no hash."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(_hasher), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a stored hash uses outdated argon2 parameters."""
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """Return a random password that meets the policy (for new users; must be changed)."""
    return secrets.token_urlsafe(18)
