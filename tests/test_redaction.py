"""Secrets never reach a log record, an exception, a repr or a cursor."""

from __future__ import annotations

import base64
import html
import json
import logging
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fakevendor import SECRET, FakeVendorApp, connect_fake

import seotasks
from seotasks import SeotasksError
from seotasks.emulation import Fault
from seotasks.redact import MASK, Redactor
from seotasks.transport import RetryPolicy

pytestmark = pytest.mark.usefixtures("fake_registry")

SHORT = "k9z"  # too short to scrub by value: only its parameter name protects it


def test_redactor_masks_values_and_their_encodings() -> None:
    r = Redactor(secrets=["p@ss word/1"], secret_params=["token"])
    text = "a p@ss word/1 b p%40ss%20word%2F1 c p%40ss+word%2F1 d"
    assert r.scrub(text) == f"a {MASK} b {MASK} c {MASK} d"
    assert r.scrub("GET /x?a=1&TOKEN=abc&b=2") == f"GET /x?a=1&TOKEN={MASK}&b=2"
    assert r.scrub('{"token=zz"}') == '{"token=***"}'
    assert r.scrub("tokenizer=1") == "tokenizer=1"  # only the exact parameter name


@pytest.mark.parametrize(
    "echoed",
    ["SECRET/XYZ%2Babc%3D", "SECRET%2fXYZ%2babc%3d"],  # quote() leaves "/"; lower-case escapes
)
def test_every_url_encoding_of_a_secret_is_masked(echoed: str) -> None:
    r = Redactor(secrets=["SECRET/XYZ+abc="])
    assert r.scrub(f"bad password {echoed} given") == f"bad password {MASK} given"


@pytest.mark.parametrize("secret", ["Pässwort-SECRET-42", 'pa"ss\\word-SECRET', "tab\tSECRET"])
def test_a_secret_escaped_in_json_and_quoted_by_repr_is_masked(secret: str) -> None:
    """A vendor echoing the password in its JSON body writes ``\\u00e4``, ``\\"``; an
    error quoting that body with ``repr`` doubles the backslashes. Neither was masked."""
    import json

    r = Redactor(secrets=[secret])
    body = json.dumps({"status_message": f"Internal error. pw={secret}"})
    assert "SECRET" not in r.scrub(body), r.scrub(body)
    assert "SECRET" not in r.scrub(repr(body)), r.scrub(repr(body))
    raw = json.dumps({"status_message": f"pw={secret}"}, ensure_ascii=False)
    assert "SECRET" not in r.scrub(raw) and "SECRET" not in r.scrub(repr(raw))


_ODD = 'S3cr/et+P\u00e4&ss<w>"rd'
_QUOTED = quote(_ODD, safe="")


@pytest.mark.parametrize(
    "echoed",
    [
        json.dumps(_ODD).replace("/", "\\/")[1:-1],  # PHP's json_encode escapes "/"
        json.dumps(_ODD)[1:-1].replace("\\u00e4", "\\u00E4"),  # upper-case hex
        html.escape(_ODD),
        "".join(c if c.isalnum() else f"&#{ord(c)};" for c in _ODD),  # numeric entities
        base64.b64encode(_ODD.encode()).decode(),
        base64.urlsafe_b64encode(b"emu:" + _ODD.encode()).decode(),
        quote(_QUOTED, safe=""),  # encoded twice
        _QUOTED.replace("%2F", "%2f", 1),  # escapes in both cases in one echo
        unicodedata.normalize("NFD", _ODD),
        quote(_ODD.encode("latin-1"), safe=""),
        repr(json.dumps({"p": _ODD}))[1:-1],
    ],
)
def test_an_echo_in_any_common_spelling_is_masked(echoed: str) -> None:
    """Each spelling an outside pass found printed in clear: a vendor's body in PHP's JSON
    or as HTML, a proxy's base64, a URL encoded twice or in mixed case, another Unicode
    normalization, an error's repr of it."""
    r = Redactor()
    r.add_basic_auth("emu", _ODD)
    assert r.scrub(f"echo[{echoed}]") in ("echo[***]", 'echo[{"p": "***"}]')


@pytest.mark.parametrize(
    "echoed",
    [
        _ODD.upper(),  # a message upper-cased whole ("INVALID PASSWORD S3CR/ET+PÄ&SS...")
        _ODD.lower(),
        quote(_ODD.lower(), safe=""),
        json.dumps(_ODD.upper())[1:-1],
    ],
)
def test_an_echo_in_another_case_is_masked(echoed: str) -> None:
    """A vendor or a proxy between may change the case of the message that quotes the
    credential (upper-cased error lines, a lower-cased login): it was printed in clear."""
    r = Redactor()
    r.add_basic_auth("emu", _ODD)
    assert r.scrub(f"echo[{echoed}]") == "echo[***]"


def test_a_secret_holding_an_ampersand_is_masked_whole_in_a_decoded_echo() -> None:
    """Masked by name first, ``token=Tok+Sec/ret=98&7654`` kept ``&7654``: the name's
    mask stops at ``&``, and what is left no longer matched the value."""
    secret = "Tok+Sec/ret=98&7654"
    r = Redactor(secrets=[secret], secret_params=["token"])
    echoed = r.scrub(f"Invalid token in request /?token={secret} decoded from a URL")
    assert echoed == f"Invalid token in request /?token={MASK} decoded from a URL"
    # Masked as a value, not again by name: what follows it stays.
    assert r.scrub(f"(query token={secret})") == f"(query token={MASK})"


def test_redactor_basic_auth_and_longest_first() -> None:
    r = Redactor(secrets=["abcd"])
    r.add_basic_auth("me@example.com", "abcd1234")
    header = base64.b64encode(b"me@example.com:abcd1234").decode()
    assert r.scrub(f"Authorization: Basic {header}") == f"Authorization: Basic {MASK}"
    assert r.scrub("pw=abcd1234") == f"pw={MASK}"  # not "***1234"
    r.add("ab")  # too short: would mask half the alphabet
    assert r.scrub("ab") == "ab"
    assert "abcd" not in repr(r)


@pytest.mark.parametrize(
    "faults",
    [
        [Fault.HTTP_500, Fault.RESET, Fault.HTTP_429, Fault.RATE_LIMIT_BODY],
        [Fault.HTTP_503] * 5,
        [Fault.TRUNCATED],
    ],
)
@pytest.mark.parametrize("auth", ["header", "query"])
def test_no_secret_in_debug_logs_or_errors(
    serve: Any, caplog: pytest.LogCaptureFixture, auth: str, faults: list[Fault]
) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(FakeVendorApp(120))
    client = connect_fake(server.url, auth=auth, page_size=50)
    for fault in faults:
        server.faults.inject(fault)
    try:
        list(client.tasks(status="any"))
    except SeotasksError as exc:
        for text in (str(exc), repr(exc), exc.resume_cursor or ""):
            assert SECRET not in text
    assert server.requests, "the client did talk to the vendor"
    if auth == "query":
        assert all(r.query["key"] == [SECRET] for r in server.requests)
        assert f"key={MASK}" in caplog.text  # request lines were logged, masked
    assert len(caplog.records) >= len(server.requests)
    for record in caplog.records:
        assert SECRET not in record.getMessage()
    assert SECRET not in caplog.text


def test_a_short_secret_in_a_secret_query_parameter(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(FakeVendorApp(10, key=SHORT))
    client = connect_fake(server.url, auth="query", api_key=SHORT, retry=RetryPolicy(attempts=2))
    server.faults.inject(Fault.HTTP_500, 2)
    with pytest.raises(seotasks.TransientError) as info:
        client.page()
    assert f"key={SHORT}" not in str(info.value)
    assert f"key={MASK}" in str(info.value)
    assert f"key={SHORT}" not in caplog.text
    assert any("urllib3" in r.name for r in caplog.records)  # urllib3's own lines, scrubbed


def test_a_vendor_echoing_the_key_in_a_bad_body(serve: Any) -> None:
    app = FakeVendorApp(10)
    server = serve(app)
    client = connect_fake(server.url, retry=RetryPolicy(attempts=1))
    app.respond_with(b'{"error": "invalid key ' + SECRET.encode() + b'", "items": [')
    with pytest.raises(seotasks.TransientError) as info:  # a cut-off body: retryable
        client.page()
    assert "invalid key" in str(info.value) and SECRET not in str(info.value)
    app.respond_with(b"<h1>key " + SECRET.encode() + b" overloaded</h1>", status=502)
    with pytest.raises(seotasks.TransientError) as info2:
        client.page()
    assert "overloaded" in str(info2.value) and SECRET not in str(info2.value)


def test_a_secret_across_the_snippet_cut_is_masked_whole(serve: Any) -> None:
    app = FakeVendorApp(10)
    server = serve(app)
    client = connect_fake(server.url, retry=RetryPolicy(attempts=1))
    for pad in range(100, 125):
        app.respond_with(b"<" + b"x" * pad + SECRET.encode() + b">")
        with pytest.raises(seotasks.TransientError) as info:
            client.page()
        assert SECRET[:6] not in str(info.value), pad


@pytest.mark.parametrize(
    "field",
    ["created", "finished", "pct", "state", "id"],
)
@pytest.mark.parametrize("pad", [0, 46])
def test_a_vendor_value_quoting_the_key_is_masked_in_the_error(
    serve: Any, field: str, pad: int
) -> None:
    """A field that does not read, holding the key (a vendor echoing the request into
    it), is quoted in the `ResponseFormatError`: masked, even where the quote is cut."""
    app = FakeVendorApp(30)
    app.items[3][field] = ["x" * pad + SECRET] if field == "id" else "x" * pad + SECRET
    server = serve(app)
    with pytest.raises(SeotasksError) as info:
        connect_fake(server.url, page_size=10).page(status="any")
    text = f"{info.value} {info.value!r} {getattr(info.value, 'value', '')}"
    assert SECRET[:6] not in text


def test_reprs_mask_secrets(server: Any) -> None:
    client = connect_fake(server.url, auth="query")
    for text in (repr(client), str(client), repr(client.provider), repr(client.provider.settings)):
        assert SECRET not in text
        assert "'api_key': '***'" in text
    assert SECRET not in repr(client.transport)
    assert SECRET not in str(client.listing_options)


def test_cursors_carry_no_secret(server: Any) -> None:
    client = connect_fake(server.url, auth="query", page_size=10)
    for page in client.pages(status="any"):
        if page.next_cursor is None:
            break
        _, payload, _ = page.next_cursor.split(".")
        assert SECRET.encode() not in base64.urlsafe_b64decode(payload + "==")


def test_a_merged_listing_masks_every_providers_credential(serve: Any, tmp_path: Path) -> None:
    """A proxy before both vendors answered each with a page quoting Serpstat's token:
    the Serpstat client masked it, the DataForSEO client printed it in its error."""
    from clihere import run_here
    from clirun import cli_env

    from seotasks.emulation import HttpResponse

    token, password = "ss-TopSecretToken-4242", "dfs-Secret-Pass-9999"

    class Proxy:
        def handle(self, request: Any, fault: Any) -> HttpResponse:
            page = f"<html>login required token={token} pw={password}</html>".encode()
            return HttpResponse(status=200, body=page, headers={"Content-Type": "text/html"})

    url = serve(Proxy()).url
    settings = {
        "dataforseo": {"base_url": url, "login": "me@example.com", "password": password},
        "serpstat": {"base_url": url + "/rt/api/v2/", "token": token},
    }
    args = ["tasks", "-p", "dataforseo", "-p", "serpstat", "--order", "arrival"]
    done = run_here([*args, "--format", "jsonl"], cli_env(tmp_path, settings), speed=100)
    assert done.returncode == 4, done.stderr
    assert "login required" in done.stderr  # the page is quoted, its secrets masked
    assert token not in done.stderr and password not in done.stderr, done.stderr


def test_a_url_password_holding_an_unescaped_at_is_masked_whole() -> None:
    from seotasks.redact import scrub_userinfo

    said = scrub_userinfo("no host postgresql://loader:TopSecret@Tail99@db.internal:5432/seo")
    assert said == "no host postgresql://***@db.internal:5432/seo"
