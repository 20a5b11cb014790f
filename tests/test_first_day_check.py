"""``seotasks check`` and `Provider.account` against both emulators on loopback: one line
per provider and per folder, the exit code of the first problem."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import cli_env

import seotasks
from seotasks.account import Account, amount


@pytest.fixture
def emulators() -> Iterator[tuple[Any, Any]]:
    from seotasks_dataforseo.emulator import DataForSEOEmulator
    from seotasks_serpstat.emulator import SerpstatEmulator

    with DataForSEOEmulator(size=0) as dfs, SerpstatEmulator(size=0, rps=None) as ss:
        yield dfs, ss


def _lines(stdout: str) -> dict[str, str]:
    """``{subject: line}`` of check's output (``ok   dataforseo   ...``)."""
    return {line.split()[1]: line for line in stdout.splitlines()}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_account_of_each_provider(emulators: tuple[Any, Any]) -> None:
    dfs, ss = emulators
    dfs.app.wallet.balance = 12.5
    with seotasks.connect("dataforseo", **dfs.settings) as client:
        account = client.provider.account()
    assert account == Account(
        balance=Decimal("12.5"),
        currency="USD",
        login=dfs.login,
        limits=("2000 calls a minute", "spent 0 USD today"),
    )
    assert any(r.path == "/v3/appendix/user_data" for r in dfs.server.requests)
    with seotasks.connect("serpstat", **ss.settings) as client:
        account = client.provider.account()
    assert account is not None and account.balance == Decimal("10.91")
    assert account.describe() == (
        "balance 10.91 USD; 0.00065 USD a SERP keyword; 0.0006 USD a volume keyword"
    )
    methods = [json.loads(r.body)["method"] for r in ss.server.requests if r.body]
    assert "tasks.getParsingBalance" in methods


def test_check_all_good(emulators: tuple[Any, Any], tmp_path: Path) -> None:
    dfs, ss = emulators
    env = cli_env(tmp_path, {"dataforseo": dfs.settings, "serpstat": ss.settings})
    args = ["check", "--to", str(tmp_path / "results"), "--resume", str(tmp_path / "r.json")]
    done = run_here(args, env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = _lines(done.stdout)
    assert lines["dataforseo"].startswith("ok ") and "balance 50.0 USD" in lines["dataforseo"]
    assert "credentials accepted" in lines["dataforseo"] and dfs.url in lines["dataforseo"]
    assert lines["serpstat"].startswith("ok ") and "balance 10.91 USD" in lines["serpstat"]
    assert lines["--to"].startswith("ok ") and lines["--resume"].startswith("ok ")
    assert dfs.password not in done.stdout + done.stderr
    assert ss.token not in done.stdout + done.stderr


def test_an_account_name_echoing_the_password_is_masked(tmp_path: Path) -> None:
    """The account line is the vendor's words, as an error is: a login that echoes the
    password (a proxy, a vendor's bug) printed it in clear on the ok line."""
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    password = "SECRET-XYZ-pw"
    with DataForSEOEmulator(size=0, login=f"me{password}", password=password) as dfs:
        env = cli_env(tmp_path, {"dataforseo": dfs.settings})
        done = run_here(["check", "-p", "dataforseo"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "account me***" in _lines(done.stdout)["dataforseo"]
    assert password not in done.stdout + done.stderr


@pytest.mark.parametrize("balance", [0, -3.2])
def test_nothing_left_to_spend_is_a_warning_not_an_ok(
    emulators: tuple[Any, Any], tmp_path: Path, balance: float
) -> None:
    """A balance at or below zero was an ``ok`` line like any other: the next run that
    posts is refused (payment required), though listing and collecting still work, so
    the line warns and the exit code stays 0."""
    dfs, _ = emulators
    dfs.app.wallet.balance = balance
    done = run_here(["check", "-p", "dataforseo"], cli_env(tmp_path, {"dataforseo": dfs.settings}))
    assert done.returncode == 0, done.stdout + done.stderr
    line = _lines(done.stdout)["dataforseo"]
    assert line.startswith("warn ") and "credentials accepted" in line, line
    assert f"balance {balance} USD" in line
    assert "nothing left to spend: posting tasks will be refused until it is topped up" in line


def test_the_columns_line_up_whatever_the_longest_subject(
    emulators: tuple[Any, Any], tmp_path: Path
) -> None:
    """``--pipelines-dir`` is longer than the subject column's usual width: every line's
    text starts in one column all the same."""
    dfs, _ = emulators
    env = cli_env(tmp_path, {"dataforseo": dfs.settings})
    args = ["check", "-p", "dataforseo", "--to", str(tmp_path / "results")]
    done = run_here([*args, "--pipelines-dir", str(tmp_path / "pipelines")], env)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = done.stdout.splitlines()
    assert [row.split()[1] for row in rows] == ["dataforseo", "--to", "--pipelines-dir"]
    starts = {len(row) - len(row.split(None, 2)[2]) for row in rows}
    assert starts == {len("ok   --pipelines-dir ")}


@pytest.mark.parametrize(
    ("where", "said"),
    [("absent/r.json", "directory {tmp}/absent does not exist"), (".", "is a directory")],
)
def test_check_refuses_a_resume_path_as_tasks_would(
    emulators: tuple[Any, Any], tmp_path: Path, where: str, said: str
) -> None:
    """``check --resume`` answers what ``tasks --resume`` would: a file in a missing folder
    or a folder is a mistyped path, exit 2, and no folder is made (the write probe made
    the missing one, so check said ok where the run then refused)."""
    dfs, _ = emulators
    env = cli_env(tmp_path, {"dataforseo": dfs.settings})
    done = run_here(["check", "-p", "dataforseo", "--resume", str(tmp_path / where)], env)
    assert done.returncode == 2, done.stdout + done.stderr
    line = _lines(done.stdout)["--resume"]
    assert line.startswith("FAIL") and said.format(tmp=tmp_path) in line
    assert not (tmp_path / "absent").exists()


def test_check_refused_credentials_exit_3(emulators: tuple[Any, Any], tmp_path: Path) -> None:
    dfs, _ = emulators
    env = cli_env(tmp_path, {"dataforseo": {**dfs.settings, "password": "wrong"}})
    done = run_here(["check", "-p", "dataforseo"], env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert _lines(done.stdout)["dataforseo"].startswith("FAIL")
    assert "credentials refused" in done.stdout


def test_check_unreachable_exit_4(tmp_path: Path) -> None:
    settings = {"token": "t", "base_url": f"http://127.0.0.1:{_closed_port()}/"}
    env = cli_env(tmp_path, {"serpstat": settings})
    done = run_here(["check", "-p", "serpstat"], env)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "unreachable" in _lines(done.stdout)["serpstat"]


def test_check_says_no_usable_answer_where_the_server_answered(serve: Any, tmp_path: Path) -> None:
    """A server answering HTML to every call was reported "unreachable", which sends the
    operator after the network rather than the vendor or a proxy."""
    from seotasks.emulation import HttpResponse

    class Html:
        def handle(self, request: Any, fault: Any) -> HttpResponse:
            return HttpResponse(status=200, body=b"<html>maintenance</html>")

    url = serve(Html()).url
    env = cli_env(tmp_path, {"serpstat": {"token": "t0ken", "base_url": url + "/rt/api/v2/"}})
    done = run_here(["check", "-p", "serpstat"], env)
    assert done.returncode == 4, done.stdout + done.stderr
    line = _lines(done.stdout)["serpstat"]
    assert "no usable answer" in line and "unreachable" not in line, line


def test_check_not_configured(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    done = run_here(["check"], env)
    assert done.returncode == 2
    lines = _lines(done.stdout)
    assert lines["dataforseo"].startswith("skip") and "SEOTASKS_DATAFORSEO_LOGIN" in done.stdout
    assert "no provider has credentials set" in done.stderr
    named = run_here(["check", "-p", "dataforseo"], env)
    assert named.returncode == 2
    assert "SEOTASKS_DATAFORSEO_LOGIN" in named.stdout and "--profile NAME" in named.stdout
    assert "connect()" not in named.stdout + named.stderr  # the CLI user's own terms


def test_a_misspelt_credential_variable_is_a_failure_not_a_skip(
    emulators: tuple[Any, Any], tmp_path: Path
) -> None:
    """``SEOTASKS_SERPSTAT_TOKN`` exported: ``check`` skipped Serpstat as "not
    configured" (exit 0 beside a configured provider), where ``tasks`` names the
    variable meant. The run would refuse it, so check fails it, naming the variable."""
    env = cli_env(tmp_path, {"dataforseo": emulators[0].settings})
    env["SEOTASKS_SERPSTAT_TOKN"] = "Tok3n-never-shown"
    done = run_here(["check"], env)
    assert done.returncode == 2, done.stdout
    assert _lines(done.stdout)["dataforseo"].startswith("ok")
    line = _lines(done.stdout)["serpstat"]
    assert line.startswith("FAIL") and "SEOTASKS_SERPSTAT_TOKN is set, but names no" in line
    assert "Tok3n-never-shown" not in done.stdout + done.stderr


def test_check_profile_skips_the_providers_it_has_no_table_for(
    emulators: tuple[Any, Any], tmp_path: Path
) -> None:
    """A profile configures the providers it has a table for: the others get a ``skip``
    line as without it (they failed with a missing credential and exit 2, so a profile
    for one vendor could never pass a check while another plugin was installed)."""
    _, ss = emulators
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.work.serpstat]\ntoken = "{ss.token}"\nbase_url = "{ss.settings["base_url"]}"\n'
    )
    env = {**cli_env(tmp_path), "SEOTASKS_CONFIG": str(config)}
    for how, extra in (("--profile", ["--profile", "work"]), ("env", [])):
        run_env = env if extra else {**env, "SEOTASKS_PROFILE": "work"}
        done = run_here(["check", *extra], run_env)
        assert done.returncode == 0, (how, done.stdout + done.stderr)
        lines = _lines(done.stdout)
        assert lines["serpstat"].startswith("ok "), how
        assert lines["dataforseo"].startswith("skip"), how
        # The user gave a profile: the skip says where in it the provider goes.
        assert (
            f"add login and password to [profiles.work.dataforseo] in {config}"
            in (lines["dataforseo"])
        )
        assert "--profile NAME" not in lines["dataforseo"], how
    named = run_here(["check", "-p", "dataforseo", "--profile", "work"], env)
    assert named.returncode == 2, named.stdout + named.stderr
    assert "SEOTASKS_DATAFORSEO_LOGIN" in _lines(named.stdout)["dataforseo"]
    empty = tmp_path / "empty.toml"
    empty.write_text("[profiles.work]\n")
    nothing = run_here(["check", "--profile", "work"], {**env, "SEOTASKS_CONFIG": str(empty)})
    assert nothing.returncode == 2, nothing.stdout + nothing.stderr
    assert "add their credentials to [profiles.work.PROVIDER] tables" in nothing.stderr
    assert "give --profile NAME" not in nothing.stderr


def test_check_without_any_plugin_loaded_is_a_usage_error(tmp_path: Path) -> None:
    """With no provider plugin loaded there is nothing to vouch for: ``--sandbox`` printed
    nothing and exited 0; it is exit 2 naming ``SEOTASKS_LOAD_PLUGINS``, with or without
    ``--sandbox``."""
    env = {**cli_env(tmp_path), "SEOTASKS_LOAD_PLUGINS": ""}
    for extra in (["--sandbox"], []):
        done = run_here(["check", *extra], env)
        assert done.returncode == 2, (extra, done.stdout + done.stderr)
        assert done.stdout == ""
        assert "no provider plugins loaded" in done.stderr, extra
        assert "SEOTASKS_LOAD_PLUGINS=''" in done.stderr, extra
    folder = run_here(["check", "--sandbox", "--to", str(tmp_path / "results")], env)
    assert folder.returncode == 0, folder.stdout + folder.stderr
    assert _lines(folder.stdout)["--to"].startswith("ok ")


def test_check_unwritable_folder(emulators: tuple[Any, Any], tmp_path: Path) -> None:
    dfs, _ = emulators
    env = cli_env(tmp_path, {"dataforseo": dfs.settings})
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = run_here(["check", "-p", "dataforseo", "--to", str(blocker / "results")], env)
    assert done.returncode == 6, done.stdout + done.stderr
    lines = _lines(done.stdout)
    assert lines["dataforseo"].startswith("ok ")
    assert lines["--to"].startswith("FAIL") and "not writable" in lines["--to"]


def test_check_results_folder_that_is_a_file(emulators: tuple[Any, Any], tmp_path: Path) -> None:
    """``--to`` naming a file is what ``collect --to`` and ``receive --to`` refuse as a
    usage error (exit 2, "not a directory"); check said "not writable: File exists" and
    exited 6, so it answered with another code than the run it vouches for."""
    dfs, _ = emulators
    env = cli_env(tmp_path, {"dataforseo": dfs.settings})
    results = tmp_path / "results.jsonl"
    results.write_text("")
    done = run_here(["check", "-p", "dataforseo", "--to", str(results)], env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert _lines(done.stdout)["--to"] == f"FAIL --to           --to {results}: not a directory"
    assert results.read_text() == ""


def test_missing_credential_message_in_cli_terms(tmp_path: Path) -> None:
    done = run_here(["tasks", "-p", "serpstat"], cli_env(tmp_path))
    assert done.returncode == 2
    assert "SEOTASKS_SERPSTAT_TOKEN" in done.stderr and "--profile NAME" in done.stderr
    assert "connect()" not in done.stderr
    with pytest.raises(seotasks.ConfigError, match=r"connect\(\)"):
        seotasks.connect("serpstat", env={})  # the library's user is told the library way


@pytest.mark.parametrize(
    ("value", "read"),
    [
        (12, Decimal(12)),
        (0.0006, Decimal("0.0006")),
        (" 48.12 ", Decimal("48.12")),
        (None, None),
        ("", None),
        (True, None),
        ("NaN", None),
        ("twelve", None),
        ([1], None),
    ],
)
def test_an_account_figure_that_is_not_an_amount_is_left_out(value: object, read: object) -> None:
    assert amount(value) == read


def test_check_reports_a_profile_table_whose_keys_are_misspelt(tmp_path: Path) -> None:
    """A table for a provider in the profile configures it, as documented: one whose only
    key is a typo (``tokn``) was skipped as "not configured", hiding the typo that the run
    itself refuses (``unknown option(s) tokn``), and the check passed a profile that
    could never work."""
    config = tmp_path / "config.toml"
    config.write_text('[profiles.work.serpstat]\ntokn = "t-0123456789abcdef"\n')
    env = {**cli_env(tmp_path), "SEOTASKS_CONFIG": str(config)}
    done = run_here(["check", "--profile", "work"], env)
    assert done.returncode == 2, done.stdout + done.stderr
    line = _lines(done.stdout)["serpstat"]
    assert line.startswith("FAIL") and "unknown option(s) tokn" in line, line
    assert _lines(done.stdout)["dataforseo"].startswith("skip")
    assert "t-0123456789abcdef" not in done.stdout + done.stderr


def test_a_base_url_with_blanks_around_it_is_used_without_them(
    emulators: tuple[Any, Any], tmp_path: Path
) -> None:
    """A URL pasted with a blank or a newline around it (a TOML value, an env file) passed
    the URL check, which looked at it trimmed, and reached the transport as typed: for
    DataForSEO, ``unreachable: ... LocationParseError`` after the retries, exit 4; for
    Serpstat, which trimmed it itself, ``ok``. Blanks around a URL are dropped for every
    provider, as around a number."""
    dfs, ss = emulators
    settings = {
        "dataforseo": {**dfs.settings, "base_url": f" {dfs.url}\n"},
        "serpstat": {**ss.settings, "base_url": f"{ss.settings['base_url']} "},
    }
    done = run_here(["check"], cli_env(tmp_path, settings))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = _lines(done.stdout)
    assert lines["dataforseo"].startswith(f"ok   dataforseo     {dfs.url}: credentials")
    assert lines["serpstat"].startswith("ok ")


@pytest.mark.parametrize("end", ["\n", "\r", "\t"])
def test_a_credential_with_a_line_break_is_a_config_error_that_shows_no_secret(
    tmp_path: Path, end: str
) -> None:
    """An API key read from a file with its line break (an env file with CRLF endings)
    reached http.client, which refused the header: ``internal error: ValueError: Invalid
    header value b'Bearer <the key>\\n'``, exit 4, the key printed in full on stderr. A
    control character in an option is refused when the client is made (exit 2), named by
    its env var, the value not shown."""
    key = "k3y-0123456789abcdef"
    env = cli_env(tmp_path, {"acme": {"base_url": f"http://127.0.0.1:{_closed_port()}"}})
    env["SEOTASKS_ACME_API_KEY"] = key + end
    for command in (["check", "-p", "acme"], ["tasks", "-p", "acme"]):
        done = run_here(command, env)
        said = done.stdout + done.stderr
        assert done.returncode == 2, said
        assert "SEOTASKS_ACME_API_KEY" in said and "control character" in said, said
        assert key not in said and "internal error" not in said, said


def test_a_header_credential_http_cannot_carry_is_a_config_error(tmp_path: Path) -> None:
    """An API key sent in a header with a character outside Latin-1 (``€`` pasted from a
    password manager's note) failed deep in http.client: ``internal error:
    UnicodeEncodeError``, exit 4, and ``check`` printed no line for the provider at all."""
    key = "k3y-0123456789€abcdef"
    env = cli_env(tmp_path, {"acme": {"base_url": f"http://127.0.0.1:{_closed_port()}"}})
    env["SEOTASKS_ACME_API_KEY"] = key
    checked = run_here(["check", "-p", "acme"], env)
    assert checked.returncode == 2, checked.stdout + checked.stderr
    line = _lines(checked.stdout)["acme"]
    assert line.startswith("FAIL") and "Authorization" in line and "Latin-1" in line, line
    listed = run_here(["tasks", "-p", "acme"], env)
    said = listed.stdout + listed.stderr
    assert listed.returncode == 2 and "internal error" not in said, said
    assert key not in said + checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("answer", "says", "code"),
    [
        ({"id": "1", "error": {"code": 429, "message": "too many"}}, "rate limited", 4),
        (
            {"id": "1", "error": {"code": 400, "message": "Not enough credits"}},
            "refused by the vendor",
            4,
        ),
    ],
)
def test_check_names_a_rate_limit_and_a_vendor_refusal_in_its_words(
    serve: Any, tmp_path: Path, answer: dict[str, Any], says: str, code: int
) -> None:
    """Every FAIL line says what kind of failure it is: a rate limit or the vendor's own
    refusal printed the class name instead, unlike the other three."""
    import json

    from seotasks.emulation import HttpRequest, HttpResponse, json_response

    class Refusing:
        def handle(self, request: HttpRequest, fault: Any) -> HttpResponse:
            sent = json.loads(request.body or b"{}")
            return json_response(200, json.dumps({**answer, "id": sent.get("id")}).encode())

    url = serve(Refusing()).url
    env = cli_env(tmp_path, {"serpstat": {"token": "t0ken", "base_url": url + "/rt/api/v2/"}})
    done = run_here(["check", "-p", "serpstat"], env)
    assert done.returncode == code, done.stdout + done.stderr
    line = _lines(done.stdout)["serpstat"]
    assert "FAIL" in line and f": {says}" in line, line


def test_a_time_that_held_a_wait_says_so(tmp_path: Path) -> None:
    """A check that met the vendor's limit (a second check within its second) waited and
    retried, and printed that wait as the answer's latency: ``(1024 ms)``."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    from seotasks.emulation import Fault

    with SerpstatEmulator(seed=2, size=5) as emu:
        env = cli_env(tmp_path, {"serpstat": emu.settings})
        first = run_here(["check", "-p", "serpstat"], env)
        emu.server.faults.inject(Fault.HTTP_429, 1)
        second = run_here(["check", "-p", "serpstat"], env)
    assert first.returncode == second.returncode == 0, first.stdout + second.stdout
    assert "with a wait" not in _lines(first.stdout)["serpstat"]
    line = _lines(second.stdout)["serpstat"]
    assert "credentials accepted (" in line and "with a wait for the vendor's limit" in line
