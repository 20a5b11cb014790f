"""Security: secrets stay secret, cursors cannot redirect, vendor text cannot drive a terminal.

* The DataForSEO password and the Serpstat token (and the Basic-auth header built from
  the password) appear nowhere: not in log records at any level (urllib3's DEBUG lines
  included), exception messages or reprs, cursors, ``--debug`` output or CLI output.
* A cursor is data, not an address: cursors re-encoded with a valid checksum but edited
  positions (indexes out of range, absurd offsets, URL-looking strings) are refused with
  `CursorError`, or every request still goes to the configured host and a known path.
* Control characters and ANSI escapes in vendor strings are stripped in the table.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from clihere import run_here
from clirun import cli_env
from refusingvendor import RefusingVendor
from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_dataforseo.endpoints import CATALOGUE
from seotasks_serpstat.emulator import PATHS as SERPSTAT_PATHS
from seotasks_serpstat.emulator import SerpstatEmulator

import seotasks
from seotasks import cursor as cursor_codec
from seotasks.clock import FakeClock
from seotasks.emulation import EmulatorServer, Fault
from seotasks.errors import CursorError, SeotasksError
from seotasks.export import TableWriter
from seotasks.model import Task, TaskStatus
from seotasks.transport import RetryPolicy

RETRY = RetryPolicy(attempts=2, base=0.01, cap=0.02, rate_limited_floor=0.01)
NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "Pw-sec-9f3a7c1e5b"
TOKEN = "tok-sec-4d2b8e6a0c9f1e7d"
FAULTS = [Fault.HTTP_500, Fault.RESET, Fault.TRUNCATED, Fault.RATE_LIMIT_BODY, Fault.HTTP_429]


pytestmark = pytest.mark.usefixtures("real_providers")


@pytest.fixture
def emulators() -> Iterator[dict[str, Any]]:
    clock = FakeClock()
    dfs = DataForSEOEmulator(
        seed=1, size=400, clock=clock, password=PASSWORD, recent=1.0, kinds=("serp/google/organic",)
    ).start()
    serp = SerpstatEmulator(seed=1, size=1200, clock=clock, now=lambda: NOW, token=TOKEN).start()
    yield {"clock": clock, "dataforseo": dfs, "serpstat": serp}
    dfs.stop()
    serp.stop()


def forms(secret: str) -> list[str]:
    """The secret as it could leak: verbatim, URL-encoded, and inside a Basic header."""
    return [secret, quote(secret, safe=""), quote(secret)]


def secrets_of(emulators: dict[str, Any]) -> list[str]:
    dfs = emulators["dataforseo"]
    basic = base64.b64encode(f"{dfs.login}:{PASSWORD}".encode()).decode()
    return [*forms(PASSWORD), *forms(TOKEN), basic]


def assert_clean(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a credential leaked into {where}"


def _connect(name: str, emulators: dict[str, Any], **options: Any) -> seotasks.Client:
    return seotasks.connect(
        name,
        clock=emulators["clock"],
        retry=RETRY,
        env={},
        **{**emulators[name].settings, **options},
    )


@pytest.mark.parametrize("provider", ["dataforseo", "serpstat"])
def test_secrets_absent_from_logs_errors_reprs_and_cursors(
    emulators: dict[str, Any], provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # root, so urllib3.connectionpool's lines are kept
    for name in ("urllib3", "urllib3.connectionpool", "seotasks"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test, unlike setLevel
    secrets = secrets_of(emulators)
    emulator = emulators[provider]
    seen: list[str] = []
    options = {"page_size": 200} if provider == "serpstat" else {}
    # Faults that are retried, faults that end the listing, and a wrong credential.
    for fault in FAULTS:
        emulator.server.faults.inject(fault, 3)
        client = _connect(provider, emulators, **options)
        seen += [repr(client), repr(client.transport), repr(client.provider)]
        try:
            for task in client.tasks(status="any" if provider == "serpstat" else "completed"):
                seen += [repr(task), str(dict(task.raw))]
        except SeotasksError as exc:
            seen += [str(exc), repr(exc), repr(exc.args), str(exc.__cause__)]
            if exc.resume_cursor:
                seen.append(exc.resume_cursor)
                seen.append(repr(cursor_codec.decode(exc.resume_cursor)))
        emulator.server.faults.clear()
        page = client.page(status="any" if provider == "serpstat" else "completed")
        if page.next_cursor:
            seen += [page.next_cursor, repr(cursor_codec.decode(page.next_cursor))]
        client.close()
    wrong = {"password": PASSWORD + "x"} if provider == "dataforseo" else {"token": TOKEN + "x"}
    with pytest.raises(SeotasksError) as info:
        list(_connect(provider, emulators, **wrong).tasks())
    seen += [str(info.value), repr(info.value)]
    secrets += forms(next(iter(wrong.values())))
    records = caplog.records
    assert any(r.name.startswith("urllib3") for r in records), "urllib3 DEBUG lines expected"
    seen += [r.getMessage() for r in records] + [caplog.text]
    for text in seen:
        assert_clean(text, secrets, "a log record, error, repr or cursor")


@pytest.fixture
def real_time_emulators() -> Iterator[dict[str, Any]]:
    """For the CLI, which paces on real time: the emulators' limits must count real time too."""
    dfs = DataForSEOEmulator(
        seed=1, size=400, password=PASSWORD, recent=1.0, kinds=("serp/google/organic",)
    ).start()
    serp = SerpstatEmulator(seed=1, size=1200, now=lambda: NOW, token=TOKEN).start()
    yield {"dataforseo": dfs, "serpstat": serp}
    dfs.stop()
    serp.stop()


def test_cli_and_debug_output_carry_no_secret(real_time_emulators: dict[str, Any]) -> None:
    emulators = real_time_emulators
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
    for name in ("dataforseo", "serpstat"):
        for option, value in emulators[name].settings.items():
            env[f"SEOTASKS_{name}_{option}".upper()] = str(value)
    secrets = secrets_of(emulators)
    emulators["serpstat"].server.faults.inject(Fault.HTTP_503)
    emulators["dataforseo"].server.faults.inject(Fault.TRUNCATED)
    ok = run_here(
        [
            *("--debug", "tasks", "-p", "dataforseo", "-p", "serpstat", "--status", "any"),
            *("--format", "jsonl", "--raw", "--limit", "300", "-o", "dataforseo.families=serp"),
        ],
        env,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "urllib3" in ok.stderr  # --debug really logged the HTTP calls
    assert len(ok.stdout.splitlines()) == 300
    # A failing run: wrong token, persistent errors, the resume hint printed with cursors.
    bad_env = {**env, "SEOTASKS_SERPSTAT_TOKEN": TOKEN + "-wrong"}
    failed = run_here(["--debug", "tasks", "-p", "serpstat", "--status", "any"], bad_env)
    assert failed.returncode == 3
    emulators["serpstat"].server.faults.inject(Fault.HTTP_500, 5)  # every default attempt
    # The retries' backoff on a clock 50 times faster: what they print is the point.
    broken = run_here(["--debug", "tasks", "-p", "serpstat", "--status", "any"], env, speed=50)
    assert broken.returncode != 0
    emulators["serpstat"].server.faults.clear()
    providers = run_here(["providers", "--format", "json"], env)
    for run in (ok, failed, broken, providers):
        assert_clean(run.stdout + run.stderr, [*secrets, *forms(TOKEN + "-wrong")], "CLI output")


# -- cursors cannot redirect ---------------------------------------------------------------


class Recorder:
    """Stands in for the transport's pool: records every URL actually requested."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.urls: list[str] = []

    def request(self, method: str, url: str, **kw: Any) -> Any:
        self.urls.append(url)
        return self.pool.request(method, url, **kw)

    def clear(self) -> None:
        self.pool.clear()


def _edited(token: str, **changes: Any) -> str:
    state = cursor_codec.decode(token)
    position = {**state.position, **changes}
    return cursor_codec.encode(
        provider=state.provider, listing=state.listing, query=state.query, position=position
    )


URLISH = [
    "http://evil.example/",
    "//evil.example/v3/serp/tasks_ready",
    "../../../etc/passwd",
    "https://evil.example/rt/api/v2/?token=x",
    "/v3/serp/tasks_ready?x=http://evil.example",
]
SERPSTAT_EDITS: list[dict[str, Any]] = [
    {"offset": 10**15},
    {"offset": -5},
    {"offset": "http://evil.example/"},
    {"anchor": "http://evil.example/"},
    {"anchor": "9" * 400},
    {"order": "../admin"},
    {"misses": 10**9},
    {"base_url": "http://evil.example/"},
    {"url": "http://evil.example/"},
] + [{"anchor": u} for u in URLISH]
DFS_READY_EDITS: list[dict[str, Any]] = [
    {"ep": len(CATALOGUE) + 5},
    {"ep": -1},
    {"ep": 10**12},
    {"ep": "0"},
    {"name": "http://evil.example/v3/serp"},
    {"round": 10**12},
    {"round": 1, "digest": "../../etc/passwd"},
    {"path": "/v3/admin/tasks_ready"},
] + [{"name": u} for u in URLISH]
DFS_HISTORY_EDITS: list[Any] = [
    {"fam": 99},
    {"fam": -1},
    {"name": "http://evil.example/"},
    {"since": "0001-01-01 00:00:00 +00:00"},
    {"end": "9999-12-31 23:59:59 +00:00"},
    {"skip": 10**15},
    {"seen": ["http://evil.example/"]},
    {"seen": ["a"] * 10_000},
] + [{"name": u} for u in URLISH]


def _assert_contained(client: seotasks.Client, cursor: str, host: str, known_path: Any) -> None:
    recorder = Recorder(client.transport._pool)
    client.transport._pool = recorder  # type: ignore[assignment]
    try:
        client.page(cursor)
    except CursorError:
        assert not recorder.urls, "a refused cursor must not cause a request"
        return
    except SeotasksError:
        pass  # a vendor-side refusal is fine, as long as it went to the vendor
    for url in recorder.urls:
        split = urlsplit(url)
        assert split.netloc == host, f"request left the configured host: {url}"
        assert known_path(split.path), f"request to an unknown path: {split.path}"


@pytest.mark.parametrize("change", SERPSTAT_EDITS, ids=lambda c: repr(c)[:40])
def test_edited_serpstat_cursor_cannot_redirect(
    emulators: dict[str, Any], change: dict[str, Any]
) -> None:
    client = _connect("serpstat", emulators, page_size=200)
    token = client.page(status="any").next_cursor
    assert token is not None
    host = urlsplit(emulators["serpstat"].url).netloc
    _assert_contained(client, _edited(token, **change), host, lambda p: p in SERPSTAT_PATHS)
    client.close()


def _dfs_path(path: str) -> bool:
    return path in {ep.path for ep in CATALOGUE} or (
        path.startswith("/v3/") and path.endswith("/id_list") and path.count("/") == 3
    )


@pytest.mark.parametrize("change", DFS_READY_EDITS, ids=lambda c: repr(c)[:40])
def test_edited_dataforseo_ready_cursor_cannot_redirect(
    emulators: dict[str, Any], change: dict[str, Any]
) -> None:
    client = _connect("dataforseo", emulators)
    token = client.page().next_cursor
    assert token is not None
    host = urlsplit(emulators["dataforseo"].url).netloc
    _assert_contained(client, _edited(token, **change), host, _dfs_path)
    client.close()


@pytest.mark.parametrize("change", DFS_HISTORY_EDITS, ids=lambda c: repr(c)[:40])
def test_edited_dataforseo_history_cursor_cannot_redirect(
    emulators: dict[str, Any], change: dict[str, Any]
) -> None:
    client = _connect("dataforseo", emulators, source="history", families=["serp"], page_size=50)
    token = client.page(status="any").next_cursor
    assert token is not None
    host = urlsplit(emulators["dataforseo"].url).netloc
    _assert_contained(client, _edited(token, **change), host, _dfs_path)
    client.close()


def test_cursor_listing_cannot_smuggle_a_base_url(emulators: dict[str, Any]) -> None:
    client = _connect("dataforseo", emulators, source="history", families=["serp"], page_size=50)
    token = client.page(status="any").next_cursor
    assert token is not None
    state = cursor_codec.decode(token)
    for listing in (
        {**state.listing, "base_url": "http://evil.example"},
        {**state.listing, "password": "x"},
        {**state.listing, "families": ["http://evil.example/v3/serp"]},
    ):
        forged = cursor_codec.encode(
            provider=state.provider, listing=listing, query=state.query, position=state.position
        )
        with pytest.raises(CursorError):
            client.page(forged)
    client.close()


# -- terminal output -------------------------------------------------------------------------


NASTY = [
    "\x1b[31mred\x07",
    "\x1b]0;owned\x07title",
    "a\rb\nc\td\x00e\x7ff",
    "\x9b31mcsi",
    "bidi\u202eevil\u2066x",
    "zero\u200bwidth",
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_table_strips_control_characters_from_vendor_strings(text: str) -> None:
    task = Task(
        provider="dataforseo",
        id=text,
        status=TaskStatus.COMPLETED,
        kind=text,
        tag=text,
        created_at=NOW,
    )
    writer = TableWriter()
    line = writer.format(task)
    assert line.endswith("\n")
    body = line[:-1]
    assert "\n" not in body and "\r" not in body
    bad = [
        ch for ch in body if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u200b\u202e\u2066"
    ]
    assert not bad, f"control characters reached the terminal: {bad!r}"


def test_table_from_a_vendor_page_with_an_escape_in_the_tag() -> None:
    from seotasks_dataforseo import readers
    from seotasks_dataforseo.endpoints import BY_NAME

    item = {
        "id": "0412-1535-0001-0000-000000000001",
        "se": "google",
        "se_type": "organic",
        "date_posted": "2026-03-01 10:00:00 +00:00",
        "tag": "\x1b[31mred\x07",
    }
    (task,) = readers.ready_tasks(CATALOGUE[BY_NAME["serp"]], [item])
    assert task.tag == "\x1b[31mred\x07"  # the model keeps the vendor's text verbatim
    line = TableWriter().format(task)
    assert "\x1b" not in line and "\x07" not in line and "red" in line


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
@pytest.mark.parametrize("command", [["tasks"], ["check"], ["--debug", "tasks"]], ids=" ".join)
def test_a_vendor_error_message_cannot_drive_the_terminal(
    text: str, command: list[str], tmp_path: Path
) -> None:
    """The vendor's text reaches the error line the command prints (stderr, or stdout for
    ``check``) without its control characters, as in a table, and on one line; with
    ``--debug``, the traceback's lines too."""
    with EmulatorServer(RefusingVendor(f"Invalid Field {text} end")) as server:
        account = {"base_url": server.url, "login": "me@example.com", "password": "pw-12345"}
        env = cli_env(tmp_path, {"dataforseo": {**account, "families": "serp"}})
        result = run_here([*command, "-p", "dataforseo"], env)
    assert result.returncode == 4, result.stderr
    said = result.stdout if command == ["check"] else result.stderr
    assert "Invalid Field" in said and said.endswith(" end\n")
    assert said.count("\n") == 1 or ("--debug" in command and "Traceback" in said)
    bad = [ch for ch in said if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F]
    bad += [ch for ch in said if ch in "\u200b\u202e\u2066"]
    assert not bad, f"control characters reached the terminal: {bad!r}"


# -- credentials in a URL ----------------------------------------------------------

URL_PASSWORD = "url-pw-7e1c9a3f"


@pytest.mark.parametrize("provider", ["dataforseo", "serpstat"])
def test_credentials_in_base_url_are_refused_at_config_time(provider: str) -> None:
    url = f"http://someone:{URL_PASSWORD}@127.0.0.1:9/"
    with pytest.raises(seotasks.ConfigError) as info:
        creds = (
            {"login": "l", "password": "p" * 8} if provider == "dataforseo" else {"token": "t" * 8}
        )
        seotasks.connect(provider, base_url=url, env={}, **creds)
    assert "credentials" in str(info.value)
    assert_clean(str(info.value) + repr(info.value), [URL_PASSWORD, "someone:"], "the error")


def test_credentials_in_a_third_party_url_option_are_refused(fake_registry: None) -> None:
    from fakevendor import connect_fake

    with pytest.raises(seotasks.ConfigError) as info:
        connect_fake(f"http://me:{URL_PASSWORD}@127.0.0.1:9/")
    assert_clean(str(info.value), [URL_PASSWORD], "the error")


def test_url_userinfo_is_scrubbed_from_messages_logs_and_reprs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from seotasks.provider import Settings
    from seotasks.redact import Redactor

    text = f"GET https://me:{URL_PASSWORD}@api.example.com/v3 failed"
    assert_clean(Redactor().scrub(text), [URL_PASSWORD, "me:"], "a scrubbed message")
    assert "https://***@api.example.com/v3" in Redactor().scrub(text)
    settings = Settings({"base_url": f"http://u:{URL_PASSWORD}@h/"}, frozenset())
    assert_clean(repr(settings), [URL_PASSWORD], "a Settings repr")
    # urllib3's own records are scrubbed too, with or without a live client.
    with caplog.at_level(logging.DEBUG, logger="urllib3"):
        logging.getLogger("urllib3.connectionpool").debug("Starting new connection: %s", text)
    assert caplog.records
    assert_clean(caplog.text, [URL_PASSWORD], "urllib3's log")


def test_cli_refuses_a_base_url_with_a_password_without_printing_it() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
    env["SEOTASKS_SERPSTAT_BASE_URL"] = f"http://someone:{URL_PASSWORD}@127.0.0.1:9/"
    env["SEOTASKS_SERPSTAT_TOKEN"] = "token-for-the-test"
    result = run_here(["tasks", "-p", "serpstat", "--debug"], env)
    assert result.returncode == 2, result.stderr
    assert "credentials" in result.stderr
    assert_clean(result.stdout + result.stderr, [URL_PASSWORD], "CLI output")
