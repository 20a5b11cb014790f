"""Opaque, versioned, URL-safe cursors that a caller stores and hands back.

A cursor records the provider, the listing options that shape the result (e.g.
``source=history``), the query, the provider's position and, where the provider declares
account options, which account it lists (`seotasks.account.account_key`: a digest of the
login and API host, never of a secret). Layout::

    st1.<base64url(JSON)>.<base64url(checksum)>

The checksum is a BLAKE2b digest of the payload under a fixed, public key: it is not
a signature (a cursor carries no secret and proves nothing about who made it), it makes
an edited or truncated cursor fail loudly instead of being misread. What a cursor may
*do* is limited by validation instead: the provider checks the position
(`Provider.check_position`), and base URLs and credentials are never in it, so a cursor
cannot redirect a request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from .errors import CursorError
from .model import TaskQuery, TaskStatus
from .plugin_fault import plugin_fault
from .provider import JSONValue, Position, Provider

__all__ = [
    "CursorState",
    "check_made_for",
    "decode",
    "encode",
    "keepable",
    "listing_value",
    "position_digest",
    "position_json",
]

VERSION = "st1"
_KEY = b"seotasks-cursor-v1"
_ACCOUNT = re.compile(r"[0-9a-f]{16}")
_MAX_LEN = 16_384


@attrs.frozen(slots=True, kw_only=True)
class CursorState:
    provider: str
    listing: Mapping[str, JSONValue]
    query: TaskQuery
    position: Position
    #: `seotasks.account.account_key` (a loopback port aside); None where none is declared.
    account: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=12, key=_KEY).digest()


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


_QUERY_KEYS = frozenset({"status", "since", "until"})


def query_to_json(query: TaskQuery) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": None if query.status is None else query.status.value,
        "since": _time(query.since),
        "until": _time(query.until),
    }
    # Only when it is not the default: cursors of creation-bounded listings stay exactly
    # what they were before completion bounds existed, and old cursors keep working.
    if query.time_field != "created_at":
        data["time_field"] = query.time_field
    return data


def query_from_json(data: object) -> TaskQuery:
    if not isinstance(data, dict) or not (
        set(data) == _QUERY_KEYS or set(data) == _QUERY_KEYS | {"time_field"}
    ):
        raise CursorError("cursor query is malformed")
    try:
        status = None if data["status"] is None else TaskStatus(data["status"])
        since = None if data["since"] is None else datetime.fromisoformat(data["since"])
        until = None if data["until"] is None else datetime.fromisoformat(data["until"])
        time_field = data.get("time_field", "created_at")
        if time_field == "created_at" and "time_field" in data:
            raise ValueError("the default time_field is never written")
        return TaskQuery(status=status, since=since, until=until, time_field=time_field)
    except (TypeError, ValueError) as exc:
        raise CursorError(f"cursor query is malformed: {exc}") from None


def _changed_by_json(value: object, path: str) -> str | None:
    """Where ``value`` would not come back from JSON as the same value, said for a plugin
    author; None when it would. A walk over the types, no encoding: a position is a few
    fields. A tuple passes: it comes back a list, the same sequence (`JSONValue` types
    arrays as `Sequence`, so plugins may make them)."""
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path} has the key {key!r}, which JSON turns into a string"
            found = _changed_by_json(item, f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _changed_by_json(item, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    return f"{path} is a {type(value).__name__}, which JSON cannot hold"


def keepable(provider: str, made_by: str, position: Position) -> Position:
    """``position`` as the provider made it, once it is sure to come back from a cursor
    the same: `ValueError` naming the field otherwise.

    A position lives in cursors as JSON, and the provider's next ``fetch`` (in this
    client or a resumed one) gets what JSON gives back: an int key as a string; a
    datetime, a Decimal or a read-only mapping view it cannot hold at all; and a position
    that is no dict (a bare token) is refused by every resumed cursor. Checked where
    ``start`` or ``fetch`` hands the position over, the mistake is the plugin's, named
    there, rather than a TypeError in its next fetch or in this codec.
    """
    problem = (
        _changed_by_json(position, "$")
        if isinstance(position, dict)
        else f"$ is a {type(position).__name__}, not a dict (wrap it: {{'token': ...}})"
    )
    if problem is not None:
        raise plugin_fault(
            ValueError(
                f"{provider}: {made_by} returned a position a cursor cannot keep as it is: "
                f"{problem} (build positions of str, int, float, bool, None, lists and dicts "
                "with str keys)"
            ),
            provider,
        )
    return position


def listing_value(value: Any) -> JSONValue:
    """A listing option's setting as a cursor records it: JSON, anything else as text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [listing_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): listing_value(v) for k, v in value.items()}
    return str(value)


def position_json(position: Position) -> str:
    """``position`` as one canonical JSON text: equal positions, equal texts. The paging
    loop compares positions by it (a fetch that changed the one it was given, a page
    that did not move on) and remembers the visited ones by its digest."""
    return json.dumps(position, sort_keys=True, separators=(",", ":"), default=str)


def position_digest(position: Position) -> str:
    return hashlib.blake2b(position_json(position).encode(), digest_size=16).hexdigest()


def encode(
    *,
    provider: str,
    listing: Mapping[str, JSONValue],
    query: TaskQuery,
    position: Position,
    account: str | None = None,
) -> str:
    """A cursor string for this listing position."""
    body: dict[str, object] = {
        "p": provider,
        "l": dict(listing),
        "q": query_to_json(query),
        "pos": position,
    }
    if account is not None:
        body["a"] = account
    payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return f"{VERSION}.{_b64(payload)}.{_b64(_digest(payload))}"


def decode(token: str) -> CursorState:
    """Parse and verify ``token``; `CursorError` says what is wrong with it."""
    if not isinstance(token, str) or not token:
        raise CursorError("a cursor must be a non-empty string")
    if len(token) > _MAX_LEN:
        raise CursorError("cursor is too long to be one of ours")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise CursorError("not a seotasks cursor (expected st1.<payload>.<checksum>)")
    version, payload_b64, digest_b64 = parts
    if version != VERSION:
        if version.startswith("st") and version[2:].isascii() and version[2:].isdigit():
            raise CursorError(
                f"cursor format {version} is not supported by this version of seotasks "
                f"(it reads {VERSION}); upgrade seotasks or start the listing again"
            )
        raise CursorError("not a seotasks cursor (unknown prefix)")
    try:
        payload = _unb64(payload_b64)
        digest = _unb64(digest_b64)
    except (binascii.Error, ValueError):
        raise CursorError("cursor is not valid base64url; was it truncated?") from None
    # b64decode skips characters outside the alphabet and ignores the spare bits of the
    # last character: only the canonical spelling of the bytes counts as the same cursor.
    if _b64(payload) != payload_b64 or _b64(digest) != digest_b64:
        raise CursorError("cursor is not valid base64url: it was edited or truncated")
    if not hmac.compare_digest(digest, _digest(payload)):
        raise CursorError("cursor checksum does not match: it was edited or truncated")
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):  # the key is public: forgeable
        raise CursorError("cursor payload is not JSON") from None
    if not isinstance(body, dict) or set(body) - {"a"} != {"p", "l", "q", "pos"}:
        raise CursorError("cursor payload has the wrong shape")
    provider, listing, position = body["p"], body["l"], body["pos"]
    account = body.get("a")
    if not isinstance(provider, str) or not isinstance(listing, dict):
        raise CursorError("cursor payload has the wrong shape")
    if account is not None and not (isinstance(account, str) and _ACCOUNT.fullmatch(account)):
        raise CursorError("cursor account is not an account key")
    if not isinstance(position, dict):
        raise CursorError("cursor position is not an object")
    query = query_from_json(body["q"])
    return CursorState(
        provider=provider, listing=listing, query=query, position=position, account=account
    )


def check_made_for(
    state: CursorState,
    provider: Provider,
    listing: Mapping[str, JSONValue],
    account: str | None,
) -> None:
    """`CursorError` unless ``state`` was made by a client of ``provider`` with these
    ``listing`` options, on its ``account`` (`seotasks.account.account_key`, as the
    client records it): another's position (a time, an offset) resumed here would skip
    or repeat tasks without a word. A cursor that records no account is not checked."""
    if state.provider != provider.name:
        raise CursorError(
            f"this cursor belongs to provider {state.provider!r}, not {provider.name!r}"
        )
    if state.account not in (None, account):
        names = " or ".join(o.name for o in provider.options if o.account)
        raise CursorError(
            f"this cursor lists another {provider.name} account (another {names}): resume "
            "it with that account's client, or start a new listing"
        )
    if dict(state.listing) != listing:
        # Each option that differs, by name: the whole of both tables (every DataForSEO
        # family spelt out) hid the one to give again.
        keys = sorted({*state.listing, *listing})
        said = "; ".join(
            f"{key} {state.listing.get(key)!r} in the cursor, {listing.get(key)!r} here"
            for key in keys
            if state.listing.get(key) != listing.get(key)
        )
        raise CursorError(
            f"this cursor was made with other {provider.name} options ({said}): give the "
            "cursor's (-o KEY=VALUE) to continue it, or start a new listing"
        )
