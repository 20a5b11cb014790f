"""Keeping credentials out of every string the library produces.

A `Redactor` knows the secret values of one client (a password, a token, the
Basic-auth header built from them) and the names of query parameters that carry
secrets, and scrubs them from any text before it reaches a log record, an exception
message or a repr.

A vendor value quoted in an error (a field that does not read) may hold a secret too (a
vendor echoing the request into it), and the code that reads it knows no redactor: the
client makes its redactor `Redactor.active` around each call into its provider, and every
`SeotasksError` built meanwhile scrubs its message with it (`scrub_active`).
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import logging
import os
import re
import threading
import unicodedata
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import quote, quote_plus

__all__ = [
    "MASK",
    "MIN_URL_SECRET",
    "URL_SECRET",
    "Redactor",
    "has_userinfo",
    "mask_path_secrets",
    "path_secrets",
    "scrub_active",
    "scrub_logger",
    "scrub_logs_with",
    "scrub_userinfo",
]

MASK = "***"

#: What a secret carried in a URL may hold: the characters a URL carries unchanged, in a
#: path segment and in a query value alike (RFC 3986 "unreserved").
URL_SECRET = re.compile(r"[A-Za-z0-9._~-]+\Z")
#: The shortest secret `seotasks receive` takes; shorter path segments are words.
MIN_URL_SECRET = 16

#: ``scheme://user:password@`` in a URL: credentials of their own, whoever put them there;
#: up to the authority's last ``@`` (a password may hold one unescaped).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#\"'<>]*@")


def scrub_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` part of every URL in it masked."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)


def has_userinfo(text: str) -> bool:
    """Whether ``text`` holds a URL with a ``user[:password]@`` part."""
    return "@" in text and _USERINFO.search(text) is not None


def path_secrets(path: str) -> list[str]:
    """The segments of a URL path that could be a secret such as `seotasks receive`'s
    (``/<secret>/pingback``): a callback URL carries its token in the path as often as in
    the query, and the receiver's own is at least `MIN_URL_SECRET` unreserved characters,
    which the route names and ordinary words of a path are not."""
    return [
        segment
        for segment in path.split("/")
        if len(segment) >= MIN_URL_SECRET and URL_SECRET.match(segment)
    ]


def mask_path_secrets(path: str) -> str:
    """``path`` with each of its `path_secrets` masked."""
    secrets = set(path_secrets(path))
    return "/".join(MASK if segment in secrets else segment for segment in path.split("/"))


def scrub_active(text: str) -> str:
    """``text`` scrubbed by the `Redactor.active` one in this context (only of every URL's
    userinfo when none is)."""
    redactor = _ACTIVE.get()
    return scrub_userinfo(text) if redactor is None else redactor.scrub(text)


class Redactor:
    """Replaces known secrets (and their common encodings) with ``***``."""

    def __init__(self, secrets: Iterable[str] = (), secret_params: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._secret_re: re.Pattern[str] | None = None
        #: Whether `_secret_re` is behind `_secrets`: it is made again at the next `scrub`.
        self._stale = False
        self._lock = threading.Lock()  # a log record may be scrubbed as a secret is added
        self._params = {p for p in secret_params if p}
        self._param_re: re.Pattern[str] | None = None
        self._rebuild_param_re()
        for secret in secrets:
            self.add(secret)

    def _secret_pattern(self) -> re.Pattern[str] | None:
        """The pattern of every known spelling, made at the first `scrub` after a change:
        a client adds its secrets one at a time (the password, then each encoding of the
        Basic header), and making it after each was most of what connecting cost."""
        if self._stale:
            with self._lock:
                if self._stale:
                    # Longest first: a secret that contains another is masked whole.
                    forms = sorted(self._secrets, key=len, reverse=True)
                    self._secret_re = re.compile("|".join(map(_loose, forms))) if forms else None
                    self._stale = False
        return self._secret_re

    def _rebuild_param_re(self) -> None:
        if self._params:
            names = "|".join(re.escape(p) for p in sorted(self._params))
            self._param_re = re.compile(rf"(?i)((?:^|[?&;\s\"'])(?:{names})=)[^&#\s\"']*")
        else:
            self._param_re = None

    def add(self, secret: str) -> None:
        """Remember a secret and the spellings an echo of it may take (`_spellings`);
        strings shorter than 4 characters are too common to scrub."""
        if not secret or len(secret) < 4:
            return
        spellings = _spellings(secret)
        with self._lock:
            self._secrets.update(spellings)
            self._stale = True

    def add_basic_auth(self, login: str, password: str) -> None:
        """Remember the ``Authorization: Basic`` value that these credentials produce."""
        self.add(password)
        pair = f"{login}:{password}".encode()
        for token in (base64.b64encode(pair), base64.urlsafe_b64encode(pair)):
            self.add(token.decode())

    def learn(self, other: Redactor) -> None:
        """Take ``other``'s secrets and secret parameters too: the clients of one command
        (a merged listing, ``check``) read answers that may quote another's credential (a
        proxy before both vendors), and each masked only its own."""
        with other._lock:
            theirs = set(other._secrets)
        with self._lock:
            if not theirs <= self._secrets:
                self._secrets.update(theirs)
                self._stale = True
        if not other._params <= self._params:
            self._params |= other._params
            self._rebuild_param_re()

    def add_param(self, name: str) -> None:
        self._params.add(name)
        self._rebuild_param_re()

    def scrub(self, text: str) -> str:
        """``text`` with every known secret, and every URL's userinfo, replaced by ``***``."""
        text = scrub_userinfo(text)
        # The known values first, longest first (a secret that contains another is masked
        # whole); then by parameter name. The other way round, a value holding ``&`` was
        # masked by name up to the ``&``, and what followed it no longer matched the value:
        # ``token=***&7654`` in a vendor's echo of the decoded URL.
        pattern = self._secret_pattern()
        if pattern is not None:
            text = pattern.sub(MASK, text)
        if self._param_re is not None:  # a value masked already keeps what follows it
            text = self._param_re.sub(_mask_value, text)
        return text

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this the redactor `scrub_active` uses in this context (this thread) while
        the block runs."""
        token = _ACTIVE.set(self)
        try:
            yield
        finally:
            _ACTIVE.reset(token)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secret forms, params={sorted(self._params)})"


def _spellings(secret: str) -> set[str]:
    """``secret`` as an echo of it may spell it, each at least 4 characters: composed and
    decomposed (NFC, NFD); URL-encoded (every reserved character, ``/`` kept, ``+`` for a
    space, twice, Latin-1 bytes); in a JSON string (``\\u00e4``, ``\\"``, PHP's ``\\/``);
    as HTML (``&amp;``, ``&#47;``); in base64; and each as ``repr`` writes it inside quotes
    (an error quoting a body doubles its backslashes). The secret upper- and lower-cased
    too (a message upper-cased whole, a lower-cased login), as it is, URL-encoded and in
    JSON (``\\u00c4`` is no case of ``\\u00e4``); not in base64 or as HTML, which nobody
    changes the case of first, and each form costs every client's pattern its length.
    The hex of an escape matches in either case (`_loose`). Each form found in an echo
    was once printed in clear."""
    texts = {secret, unicodedata.normalize("NFC", secret), unicodedata.normalize("NFD", secret)}
    forms = set(texts)
    for cased in {changed for text in texts for changed in (text.upper(), text.lower())}:
        forms |= {cased, quote(cased, safe=""), quote_plus(cased), json.dumps(cased)[1:-1]}
    for text in texts:
        url = {quote(text, safe=""), quote(text), quote_plus(text)}
        url |= {quote(form, safe="") for form in url}
        with contextlib.suppress(UnicodeEncodeError):
            url.add(quote(text.encode("latin-1"), safe=""))
        in_json = {json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
        in_json |= {form.replace("/", "\\/") for form in in_json}
        numeric = "".join(c if c.isalnum() else f"&#{ord(c)};" for c in text)
        raw = text.encode()
        coded = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
        forms |= url | in_json | coded | {form.rstrip("=") for form in coded}
        forms |= {html.escape(text), html.escape(text, quote=False), numeric}
    forms |= {repr(form)[1:-1] for form in forms}
    return {form for form in forms if len(form) >= 4}


#: A percent-escape or a JSON ``\\u`` escape, whose hex digits may come in either case.
_HEX_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}")


def _loose(form: str) -> str:
    """A pattern of ``form`` in which the hex digits of its escapes match in any case
    (``%2F`` and ``%2f``, ``\\u00e4`` and ``\\u00E4``, one way and the other in one echo)."""
    parts, at = [], 0
    for escape in _HEX_ESCAPE.finditer(form):
        parts.append(re.escape(form[at : escape.start()]))
        parts.append(
            "".join(
                f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in escape.group()
            )
        )
        at = escape.end()
    parts.append(re.escape(form[at:]))
    return "".join(parts)


def _mask_value(match: re.Match[str]) -> str:
    """A secret parameter's value masked: ``token=***``. One masked already, as a known
    value, is left as it is: masked again, what followed it up to a separator went too
    (``(query token=***)`` lost its ``)``)."""
    if match.group(0)[len(match.group(1)) :].startswith(MASK):
        return match.group(1) + match.group(0)[len(match.group(1)) :]
    return match.group(1) + MASK


#: The redactor of the client whose provider is running in this context.
_ACTIVE: ContextVar[Redactor | None] = ContextVar("seotasks_redactor", default=None)


#: Redactors of live clients, with whose secrets every record of a `scrub_logger` logger
#: is scrubbed. Grown and copied under a lock: a record logged on one thread while another
#: thread connects must read the set whole (a WeakSet iterated while it grows raises "Set
#: changed size during iteration", out of the log call and so out of the request).
_LOGGED: weakref.WeakSet[Redactor] = weakref.WeakSet()
_LOGGED_LOCK = threading.Lock()


def _new_lock_in_child() -> None:
    """A forked child gets a lock of its own: the parent's may be held at the fork."""
    global _LOGGED_LOCK
    _LOGGED_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_new_lock_in_child)


class _LogScrubber(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        with _LOGGED_LOCK:
            redactors = list(_LOGGED)
        text = scrub_userinfo(record.getMessage())
        for redactor in redactors:
            text = redactor.scrub(text)
        record.msg, record.args = text, None
        return True


_LOG_SCRUBBER = _LogScrubber()


def scrub_logs_with(redactor: Redactor) -> None:
    """Scrub every record of the `scrub_logger` loggers with ``redactor`` too, for as long
    as it lives (a client's: its secrets may reach the HTTP library's log lines)."""
    with _LOGGED_LOCK:
        _LOGGED.add(redactor)


def scrub_logger(name: str) -> None:
    """Scrub each record of logger ``name`` (its own only: a filter does not see a child
    logger's records) of every URL's userinfo and of each `scrub_logs_with` secret."""
    logging.getLogger(name).addFilter(_LOG_SCRUBBER)
