"""Task submission in the core (`SerpTaskSpec`, `SubmitResult`, `Client.submit`, the
transport's no-resend rule) and the `seotasks submit` / `seotasks collect` commands run
as subprocesses against both emulators on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import seotasks
from seotasks import ConfigError, SerpTaskSpec, SubmitResult, TransientError, UnsupportedQuery
from seotasks.clock import FakeClock
from seotasks.config import env_name
from seotasks.emulation import EmulatorServer, Fault, HttpRequest, HttpResponse, json_response
from seotasks.redact import Redactor
from seotasks.submit import spec_from_json
from seotasks.transport import Request, RetryPolicy, Transport, decode_json_object

# -- the spec ---------------------------------------------------------------------------------


def test_spec_defaults_and_codes() -> None:
    spec = SerpTaskSpec(keyword="shoes", location="2840", language="en")
    assert spec.location == 2840 and spec.engine == "google" and spec.device == "desktop"
    assert spec.language_kind == "code"
    assert SerpTaskSpec(keyword="a", location=1, language="English").language_kind == "name"
    assert SerpTaskSpec(keyword="a", location=1, language=1).language_kind == "id"
    assert SerpTaskSpec(keyword="a", location="23/21176").location == "23/21176"
    assert spec_from_json(spec.to_json()) == spec


@pytest.mark.parametrize(
    "bad",
    [
        {"keyword": ""},
        {"keyword": "a\nb"},
        {"location": 0},
        {"location": True},
        {"device": "tablet"},
        {"depth": 0},
        {"depth": "10"},
        {"priority": "urgent"},
        {"engine": "Google!"},
        {"tag": 5},
    ],
)
def test_spec_validated_on_construction(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SerpTaskSpec(**{"keyword": "k", "location": 2840, **bad})
    with pytest.raises(ConfigError):
        spec_from_json({"keyword": "k", "location": 2840, **bad})


def test_spec_from_json_refuses_unknown_fields() -> None:
    with pytest.raises(ConfigError, match="colour"):
        spec_from_json({"keyword": "k", "location": 1, "colour": "red"})
    with pytest.raises(ConfigError):
        spec_from_json(["k"])


def test_submit_result_has_id_or_error() -> None:
    spec = SerpTaskSpec(keyword="k", location=1)
    assert SubmitResult(spec=spec, task_id="1").ok
    assert not SubmitResult(spec=spec, error=UnsupportedQuery("no")).ok
    with pytest.raises(ValueError):
        SubmitResult(spec=spec)
    with pytest.raises(ValueError):
        SubmitResult(spec=spec, task_id="1", error=UnsupportedQuery("no"))


def test_lazy_exports() -> None:
    assert "SerpTaskSpec" in seotasks.__all__ and "SubmitResult" in seotasks.__all__
    assert seotasks.SerpTaskSpec is SerpTaskSpec


def test_default_provider_cannot_submit() -> None:
    from seotasks.provider import Provider, Settings

    class Listing(Provider):
        name = "listing"

        def capabilities(self) -> Any:
            raise NotImplementedError

        def start(self, query: Any) -> Any:
            raise NotImplementedError

        def fetch(self, query: Any, position: Any) -> Any:
            raise NotImplementedError

    provider = Listing(Settings({}, frozenset()), Transport(redactor=Redactor()))
    with pytest.raises(UnsupportedQuery):
        provider.submit([SerpTaskSpec(keyword="k", location=1)])
    client = seotasks.Client(provider)
    assert client.submit([]) == []
    with pytest.raises(ConfigError):
        client.submit([{"keyword": "k"}])  # type: ignore[list-item]


# -- the transport never resends a non-idempotent call whose answer was lost ------------------


class _Count:
    def __init__(self) -> None:
        self.calls = 0

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        self.calls += 1
        return json_response(200, b'{"ok": true}')


@pytest.fixture
def counting() -> Iterator[tuple[_Count, EmulatorServer]]:
    app = _Count()
    with EmulatorServer(app) as server:
        yield app, server


def _transport() -> Transport:
    return Transport(
        redactor=Redactor(), clock=FakeClock(), retry=RetryPolicy(attempts=4, base=0.01)
    )


@pytest.mark.parametrize("fault", [Fault.RESET, Fault.HTTP_500, Fault.HTTP_503])
def test_post_not_resent_after_lost_answer(counting: Any, fault: Fault) -> None:
    _app, server = counting
    server.faults.inject(fault)
    request = Request(method="POST", url=server.url + "/p", endpoint="p", idempotent=False)
    with pytest.raises(TransientError) as caught:
        _transport().call(request, decode_json_object)
    assert caught.value.outcome_unknown
    assert len(server.requests) == 1


@pytest.mark.parametrize("fault", [Fault.HTTP_429, Fault.HTTP_429_RETRY_AFTER])
def test_post_resent_after_refusal(counting: Any, fault: Fault) -> None:
    app, server = counting
    server.faults.inject(fault)
    request = Request(method="POST", url=server.url + "/p", endpoint="p", idempotent=False)
    assert _transport().call(request, decode_json_object) == {"ok": True}
    assert len(server.requests) == 2 and app.calls == 1


def test_idempotent_calls_still_retried(counting: Any) -> None:
    _app, server = counting
    server.faults.inject(Fault.RESET)
    request = Request(method="GET", url=server.url + "/g", endpoint="g")
    assert _transport().call(request, decode_json_object) == {"ok": True}
    assert len(server.requests) == 2


def test_connection_refused_is_resent() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = _transport()
    request = Request(
        method="POST", url=f"http://127.0.0.1:{port}/p", endpoint="p", idempotent=False
    )
    with pytest.raises(TransientError) as caught:
        transport.call(request, decode_json_object)
    assert caught.value.not_sent and not caught.value.outcome_unknown
    assert transport.calls == 4  # every attempt: nothing was ever sent


# -- the commands -------------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seotasks.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _env(name: str, settings: dict[str, str], tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEOTASKS_")}
    env["SEOTASKS_CONFIG"] = str(tmp_path / "absent.toml")
    for option, value in settings.items():
        env[env_name(name, option)] = str(value)
    return env


def _write_specs(tmp_path: Path, specs: list[dict[str, Any]]) -> Path:
    path = tmp_path / "specs.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in specs) + "\n\n", encoding="utf-8")
    return path


def test_cli_submit_and_collect_dataforseo(tmp_path: Path) -> None:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    shift = [timedelta(0)]
    base = datetime.now(UTC).replace(microsecond=0)
    with DataForSEOEmulator(size=0, now=lambda: base + shift[0]) as emu:
        env = _env("dataforseo", emu.settings, tmp_path)
        specs = [{"keyword": f"kw {i}", "location": 2840, "language": "en"} for i in range(3)]
        specs.append({"keyword": "nowhere", "location": "Atlantis", "language": "en"})
        done = _run(["submit", "-p", "dataforseo", str(_write_specs(tmp_path, specs))], env)
        assert done.returncode == 4, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert [line["index"] for line in lines] == [0, 1, 2, 3]
        assert all(line["task_id"] and line["error"] is None for line in lines[:3])
        assert lines[3]["task_id"] is None and "40501" in lines[3]["error"]
        assert emu.password not in done.stdout + done.stderr

        shift[0] = timedelta(minutes=10)
        done = _run(["collect", "-p", "dataforseo", "-o", "families=serp"], env)
        assert done.returncode == 0, done.stderr
        records = [json.loads(line) for line in done.stdout.splitlines()]
        assert {r["task"]["id"] for r in records} == {line["task_id"] for line in lines[:3]}
        assert all(r["result"]["tasks"][0]["status_code"] == 20000 for r in records)
        assert emu.ready_ids() == set()


def test_cli_submit_and_collect_serpstat(tmp_path: Path) -> None:
    from seotasks_serpstat.emulator import SerpstatEmulator

    shift = [timedelta(0)]
    base = datetime.now(UTC).replace(microsecond=0)
    with SerpstatEmulator(size=0, rps=None, now=lambda: base + shift[0]) as emu:
        env = _env("serpstat", {**emu.settings, "rps": "100"}, tmp_path)
        specs = [{"keyword": f"kw {i}", "location": 23, "language": 1} for i in range(3)]
        done = _run(["submit", "-p", "serpstat", str(_write_specs(tmp_path, specs))], env)
        assert done.returncode == 0, done.stderr
        ids = {json.loads(line)["task_id"] for line in done.stdout.splitlines()}
        assert len(ids) == 1  # one task for the three keywords

        shift[0] = timedelta(minutes=10)
        done = _run(["collect", "-p", "serpstat"], env)
        assert done.returncode == 0, done.stderr
        [record] = [json.loads(line) for line in done.stdout.splitlines()]
        assert record["task"]["id"] in ids
        assert [t["keyword"] for t in record["result"]["tops"]] == ["kw 0", "kw 1", "kw 2"]


def test_cli_submit_usage_errors(tmp_path: Path) -> None:
    env = _env("serpstat", {"token": "t"}, tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"keyword": "k", "location": 1}\n{"keyword": ""}\n', encoding="utf-8")
    done = _run(["submit", "-p", "serpstat", str(bad)], env)
    assert done.returncode == 2 and "bad.jsonl:2" in done.stderr
    done = _run(["submit", "-p", "serpstat", str(tmp_path / "missing.jsonl")], env)
    assert done.returncode == 2


def test_cli_collect_sandbox(tmp_path: Path) -> None:
    env = _env("serpstat", {}, tmp_path)
    done = _run(["collect", "-p", "serpstat", "--sandbox", "--limit", "2"], env)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 2 and all(r["result"]["tops"] for r in records)
