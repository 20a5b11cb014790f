"""Cursors: opaque, versioned, URL-safe, validated, secret-free."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from fakevendor import SECRET, FakeVendorApp, OtherVendor, PluginOf, connect_fake
from hypothesis import assume, given
from hypothesis import strategies as st

import seotasks
from seotasks import CursorError, TaskQuery, TaskStatus
from seotasks import cursor as codec

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=10,
)
positions = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
instants = st.none() | st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def queries(draw: st.DrawFn) -> TaskQuery:
    since, until = draw(instants), draw(instants)
    if since is not None and until is not None and since >= until:
        since, until = until, None
    return TaskQuery(status=draw(st.none() | st.sampled_from(TaskStatus)), since=since, until=until)


def sample_cursor(**position: Any) -> str:
    return codec.encode(
        provider="fakevendor",
        listing={"source": "live"},
        query=TaskQuery(status=TaskStatus.COMPLETED),
        position=position or {"offset": 200},
    )


def forge(body: object) -> str:
    """A cursor with a correct checksum around any payload (the checksum key is public)."""
    payload = json.dumps(body).encode()
    return f"st1.{codec._b64(payload)}.{codec._b64(codec._digest(payload))}"


@given(
    provider=st.text(min_size=1, max_size=12),
    listing=positions,
    query=queries(),
    position=positions,
)
def test_round_trip(provider: str, listing: Any, query: TaskQuery, position: Any) -> None:
    token = codec.encode(provider=provider, listing=listing, query=query, position=position)
    assert re.fullmatch(r"st1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    assert quote(token, safe="") == token  # URL-safe as it is
    state = codec.decode(token)
    assert state.provider == provider
    assert dict(state.listing) == listing
    assert state.query == query
    assert state.position == position


@given(st.text(max_size=200) | st.from_type(object))
def test_arbitrary_input_is_refused_with_cursor_error_only(token: Any) -> None:
    with pytest.raises(CursorError):
        codec.decode(token)


EDIT_CHARS = st.sampled_from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/!~ %\n\u00e9"
)


@given(
    position=positions,
    op=st.sampled_from(["replace", "insert", "delete"]),
    where=st.integers(min_value=0),
    char=EDIT_CHARS,
)
def test_every_single_character_edit_is_refused(
    position: Any, op: str, where: int, char: str
) -> None:
    token = sample_cursor(**position) if position else sample_cursor()
    i = where % (len(token) + (1 if op == "insert" else 0))
    if op == "replace":
        edited = token[:i] + char + token[i + 1 :]
    elif op == "insert":
        edited = token[:i] + char + token[i:]
    else:
        edited = token[:i] + token[i + 1 :]
    # Surrounding whitespace is forgiven on purpose (a cursor pasted from a file).
    assume(edited.strip() != token)
    with pytest.raises(CursorError):
        codec.decode(edited)


def test_spare_base64_bits_and_foreign_characters_count_as_edits() -> None:
    token = sample_cursor(offset=1)
    version, payload, digest = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twins = [f"{version}.{payload[:-1]}{c}.{digest}" for c in alphabet if c != payload[-1]] + [
        f"{version}.{payload}.{digest[:4]}!{digest[4:]}",
        f"{version}.{payload}={digest}",
    ]
    for twin in twins:
        with pytest.raises(CursorError):
            codec.decode(twin)
    assert codec.decode(f"  {token}\n").position == {"offset": 1}


@given(
    body=json_values | st.dictionaries(st.sampled_from(["p", "l", "q", "pos", "a"]), json_values)
)
def test_forged_payloads_never_escape_as_other_errors(body: object) -> None:
    try:
        state = codec.decode(forge(body))
    except CursorError:
        return
    assert isinstance(state.position, dict)
    assert isinstance(state.query, TaskQuery)


def test_a_forged_payload_nested_as_deep_as_a_cursor_holds_is_a_cursor_error() -> None:
    """The deepest nesting a cursor's length allows is past the JSON parser's recursion on
    Python 3.11 and 3.12 (a `RecursionError`, so "not JSON") and within it on 3.13, whose
    parser recurses deeper (a list, so "the wrong shape"): a corrupt cursor either way
    (exit 2 on the command line), never an internal error."""
    payload = b"[" * 6000 + b"]" * 6000
    token = f"st1.{codec._b64(payload)}.{codec._b64(codec._digest(payload))}"
    assert len(token) <= codec._MAX_LEN
    with pytest.raises(CursorError, match=r"^cursor payload (is not JSON|has the wrong shape)$"):
        codec.decode(token)


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ({"status": "paused", "since": None, "until": None}, "malformed"),
        ({"status": None, "since": "2026-01-01T00:00:00", "until": None}, "malformed"),
        ({"status": None, "since": 5, "until": None}, "malformed"),
        ({"status": None, "since": None}, "malformed"),
        (
            {
                "status": None,
                "since": "2026-02-01T00:00:00+00:00",
                "until": "2026-01-01T00:00:00+00:00",
            },
            "malformed",
        ),
    ],
)
def test_forged_queries_are_refused(q: object, message: str) -> None:
    with pytest.raises(CursorError, match=message):
        codec.decode(forge({"p": "fakevendor", "l": {}, "q": q, "pos": {"offset": 0}}))


def test_unknown_versions_and_shapes_have_clear_messages() -> None:
    token = sample_cursor()
    with pytest.raises(CursorError, match=r"st9 is not supported.*upgrade"):
        codec.decode("st9." + token.split(".", 1)[1])
    with pytest.raises(CursorError, match="not a seotasks cursor"):
        codec.decode("xx1." + token.split(".", 1)[1])
    with pytest.raises(CursorError, match="not a seotasks cursor"):
        codec.decode("st1.onlytwo")
    with pytest.raises(CursorError, match="non-empty"):
        codec.decode("")
    with pytest.raises(CursorError, match="too long"):
        codec.decode("st1." + "A" * 20_000 + ".B")
    with pytest.raises(CursorError, match="position"):
        codec.decode(forge({"p": "x", "l": {}, "q": codec.query_to_json(TaskQuery()), "pos": []}))


@pytest.mark.parametrize("account", ["0123456789ABCDEF", "0123", 7, ["0123456789abcdef"]])
def test_a_forged_account_is_refused(account: object) -> None:
    body = {"p": "x", "l": {}, "q": codec.query_to_json(TaskQuery()), "pos": {}, "a": account}
    with pytest.raises(CursorError, match="account is not an account key"):
        codec.decode(forge(body))
    body["a"] = "0123456789abcdef"
    assert codec.decode(forge(body)).account == "0123456789abcdef"
    assert codec.decode(sample_cursor()).account is None  # its provider declares no account


# -- through a client ---------------------------------------------------------------------


@pytest.fixture
def first_page(client: seotasks.Client) -> seotasks.Page:
    page = client.page(status="completed", since="2026-11-01", until="2026-12-01")
    assert page.next_cursor is not None
    return page


def test_cursor_from_another_provider_is_refused(
    fake_registry: None, server: Any, first_page: seotasks.Page
) -> None:
    seotasks.register_plugin(PluginOf(OtherVendor), "other")
    other = connect_fake(server.url, name="othervendor")
    with pytest.raises(CursorError, match="'fakevendor', not 'othervendor'"):
        other.page(first_page.next_cursor)
    assert other.transport.calls == 0


def test_cursor_made_with_other_listing_options_is_refused(
    server: Any, first_page: seotasks.Page
) -> None:
    archive = connect_fake(server.url, source="archive")
    with pytest.raises(CursorError, match="options") as info:
        list(archive.tasks(first_page.next_cursor))
    # The option that differs, by name, and only it: the whole tables hid it.
    assert "(source 'live' in the cursor, 'archive' here)" in str(info.value)
    assert "-o KEY=VALUE" in str(info.value)
    assert archive.transport.calls == 0


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"status": "failed"}, "status"),
        ({"status": "any"}, "status"),
        ({"since": "2026-11-02"}, "since"),
        ({"until": datetime(2026, 11, 30, tzinfo=UTC)}, "until"),
        ({"since": None}, "since"),
    ],
)
def test_other_query_given_with_a_cursor_is_refused(
    client: seotasks.Client, first_page: seotasks.Page, kw: dict[str, Any], field: str
) -> None:
    calls = client.transport.calls
    with pytest.raises(CursorError, match=f"this cursor is for {field}="):
        client.page(first_page.next_cursor, **kw)
    with pytest.raises(CursorError, match=field):
        next(client.tasks(first_page.next_cursor, **kw))
    assert client.transport.calls == calls


def test_the_same_query_given_with_a_cursor_is_fine(
    client: seotasks.Client, first_page: seotasks.Page
) -> None:
    page = client.page(
        first_page.next_cursor, status="completed", since="2026-11-01T00:00:00+00:00"
    )
    assert page.tasks and not set(page.tasks) & set(first_page.tasks)


def test_a_position_the_provider_would_not_make_is_refused(client: seotasks.Client) -> None:
    for position in ({"offset": -5}, {"offset": "0; DROP"}, {"offset": True}, {}):
        with pytest.raises(CursorError, match="offset"):
            client.page(sample_cursor(**position) if position else forge_empty_position())
    assert client.transport.calls == 0


def forge_empty_position() -> str:
    return codec.encode(
        provider="fakevendor", listing={"source": "live"}, query=TaskQuery(), position={}
    )


def test_decoded_cursors_hold_no_secret(fake_registry: None, serve: Any) -> None:
    app = FakeVendorApp(300)
    server = serve(app)
    for auth in ("header", "query"):
        client = connect_fake(server.url, auth=auth, page_size=50)
        page = client.page(status="any")
        assert page.next_cursor is not None
        _, payload, _ = page.next_cursor.split(".")
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        assert SECRET not in decoded
        assert SECRET not in page.next_cursor
        assert "api_key" not in decoded and server.url not in decoded
        assert json.loads(decoded)["l"] == {"source": "live"}


def test_a_mistyped_listing_argument_is_a_type_error_with_or_without_a_cursor(
    client: seotasks.Client, first_page: seotasks.Page
) -> None:
    """The listing methods take their query as ``**asked``: a name they do not know must
    fail as a signature would, not be ignored (a new listing) or crash (a cursor)."""
    calls = client.transport.calls
    for cursor in (None, first_page.next_cursor):
        for call in (client.page, client.check_cursor):
            if cursor is None and call is client.check_cursor:
                continue
            with pytest.raises(TypeError, match=r"'stauts'.*status, since, until, time_field"):
                call(cursor, stauts="any")
        with pytest.raises(TypeError, match="'stauts'"):
            list(client.tasks(cursor, stauts="any"))
    assert client.transport.calls == calls
