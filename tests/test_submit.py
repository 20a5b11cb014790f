"""Task submission in the core (`SerpTaskSpec`, `SubmitResult`, `Client.submit`, the
transport's no-resend rule) and the `seotasks submit` / `seotasks collect` commands run
(in this process, `clihere`) against both emulators on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clihere import run_here
from clirun import cli_env

import seotasks
from seotasks import ConfigError, SerpTaskSpec, SubmitResult, TransientError, UnsupportedQuery
from seotasks.clock import FakeClock
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


def test_spec_new_fields_round_trip() -> None:
    spec = SerpTaskSpec(
        keyword="pizza",
        location=2840,
        language="en",
        serp_type="maps",
        device="mobile",
        pingback_url="https://hooks.example.com/ping?id=$id&tag=$tag&key=s3cr3t-key",
        postback_url="http://127.0.0.1:8080/post?id=$id",
        postback_data="html",
    )
    data = spec.to_json()
    assert data["serp_type"] == "maps" and data["postback_data"] == "html"
    # The placeholders and the query travel verbatim: nothing is percent-encoded.
    assert data["pingback_url"] == "https://hooks.example.com/ping?id=$id&tag=$tag&key=s3cr3t-key"
    again = spec_from_json(json.loads(json.dumps(data)))
    assert again == spec and again.pingback_url == spec.pingback_url
    # Lines written before these fields existed still read, with the defaults.
    old = spec_from_json({"keyword": "k", "location": 1})
    assert old.serp_type == "organic" and old.pingback_url is None and old.postback_data is None


def test_spec_repr_masks_callback_queries() -> None:
    spec = SerpTaskSpec(
        keyword="k",
        location=1,
        pingback_url="https://user:pw-9876@hooks.example.com:8443/ping?token=tok-12345",
    )
    text = repr(spec)
    assert "tok-12345" not in text and "pw-9876" not in text and "user" not in text
    assert "'https://hooks.example.com:8443/ping?***'" in text


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"serp_type": "Maps"}, "serp_type"),
        ({"serp_type": ""}, "serp_type"),
        ({"pingback_url": "ftp://example.com/x"}, "http"),
        ({"pingback_url": "/relative/path"}, "absolute"),
        ({"pingback_url": "http:///no-host"}, "host"),
        ({"postback_url": "http://example.com/a b"}, "spaces"),
        ({"postback_url": "http://example.com/\x01"}, "control"),
        ({"pingback_url": "http://example.com/x#frag"}, "fragment"),
        ({"pingback_url": "http://example.com:99999/"}, "well-formed"),
        ({"pingback_url": "http://example.com/" + "a" * 2100}, "2048"),
        ({"pingback_url": 5}, "string"),
        ({"postback_data": "html"}, "postback_url"),
        ({"postback_url": "http://example.com/p", "postback_data": "json"}, "postback_data"),
    ],
)
def test_spec_new_fields_validated(bad: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match) as caught:
        SerpTaskSpec(**{"keyword": "k", "location": 2840, **bad})
    for value in bad.values():  # a URL may hold a token: messages never quote it
        if isinstance(value, str) and value.startswith("http"):
            assert value not in str(caught.value)
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
            return seotasks.Capabilities()  # read at connect

        def start(self, query: Any) -> Any:
            raise NotImplementedError

        def fetch(self, query: Any, position: Any) -> Any:
            raise NotImplementedError

    provider = Listing(Settings({}, frozenset()), Transport(redactor=Redactor()))
    with pytest.raises(UnsupportedQuery):
        provider.submit([SerpTaskSpec(keyword="k", location=1)])
    client = seotasks.Client(provider)
    assert client.submit([]) == []
    with pytest.raises(TypeError, match="SerpTaskSpec"):  # the caller's mistake
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


def _write_specs(tmp_path: Path, specs: list[dict[str, Any]]) -> Path:
    path = tmp_path / "specs.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in specs) + "\n\n", encoding="utf-8")
    return path


def test_cli_submit_and_collect_dataforseo(tmp_path: Path) -> None:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    shift = [timedelta(0)]
    base = datetime.now(UTC).replace(microsecond=0)
    with DataForSEOEmulator(size=0, now=lambda: base + shift[0]) as emu:
        env = cli_env(tmp_path, {"dataforseo": emu.settings})
        specs = [{"keyword": f"kw {i}", "location": 2840, "language": "en"} for i in range(3)]
        specs.append({"keyword": "nowhere", "location": "Atlantis", "language": "en"})
        done = run_here(["submit", "-p", "dataforseo", str(_write_specs(tmp_path, specs))], env)
        assert done.returncode == 4, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert [line["index"] for line in lines] == [0, 1, 2, 3]
        assert all(line["task_id"] and line["error"] is None for line in lines[:3])
        assert lines[3]["task_id"] is None and "40501" in lines[3]["error"]
        assert emu.password not in done.stdout + done.stderr

        shift[0] = timedelta(minutes=10)
        done = run_here(["collect", "-p", "dataforseo", "-o", "families=serp"], env)
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
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "100"}})
        specs = [{"keyword": f"kw {i}", "location": 23, "language": 1} for i in range(3)]
        done = run_here(["submit", "-p", "serpstat", str(_write_specs(tmp_path, specs))], env)
        assert done.returncode == 0, done.stderr
        ids = {json.loads(line)["task_id"] for line in done.stdout.splitlines()}
        assert len(ids) == 1  # one task for the three keywords

        shift[0] = timedelta(minutes=10)
        done = run_here(["collect", "-p", "serpstat"], env)
        assert done.returncode == 0, done.stderr
        [record] = [json.loads(line) for line in done.stdout.splitlines()]
        assert record["task"]["id"] in ids
        assert [t["keyword"] for t in record["result"]["tops"]] == ["kw 0", "kw 1", "kw 2"]


def test_cli_credentials_refused_midway_leave_no_spec_without_its_line(tmp_path: Path) -> None:
    """The vendor refuses the token at the second batch (revoked while the run goes on):
    the run stops with exit 3, and every spec still has its line, those never sent
    saying so, as the docs promise ("the output is complete either way"): a pipeline
    that posts again the specs whose line has an error must not lose the last 500."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=0, rps=None) as emu:
        calls: list[HttpRequest] = []

        def revoke_at_the_second(request: HttpRequest) -> None:
            calls.append(request)
            if len(calls) == 2:
                emu.fail_next(403, "Invalid token")

        emu.server.on_request = revoke_at_the_second
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "100"}})
        specs = [{"keyword": f"kw {i}", "location": 23, "language": 1} for i in range(2500)]
        done = run_here(["submit", "-p", "serpstat", str(_write_specs(tmp_path, specs))], env)
        assert done.returncode == 3, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert [line["index"] for line in lines] == list(range(2500))
        assert all(line["task_id"] for line in lines[:1000])
        assert all("AuthError" in line["error"] for line in lines[1000:2000])
        assert all(line["error"].startswith("not sent") for line in lines[2000:])
        assert "500 of 2500 specs were not sent" in done.stderr
        assert len(emu.posted()) == 1


def test_cli_credentials_refused_in_the_last_batch_still_say_how_many_were_accepted(
    tmp_path: Path,
) -> None:
    """One batch, refused at its first call: stderr was the AuthError alone, no count,
    though a batch of several calls may have made tasks before the refusal."""
    from seotasks_serpstat.emulator import SerpstatEmulator

    with SerpstatEmulator(size=0, rps=None) as emu:
        emu.fail_next(403, "Invalid token")
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "100"}})
        specs = [{"keyword": "kw", "location": country, "language": 1} for country in (23, 24)]
        done = run_here(["submit", "-p", "serpstat", str(_write_specs(tmp_path, specs))], env)
    assert done.returncode == 3, done.stderr
    (said,) = done.stderr.splitlines()  # one line, as every error
    assert said.startswith("seotasks: AuthError: ")
    assert "; 0 of 2 specs accepted; fix the credentials, then post" in said


def test_cli_new_fields_and_collect_by_id_dataforseo(tmp_path: Path) -> None:
    from seotasks_dataforseo.emulator import DataForSEOEmulator

    shift = [timedelta(0)]
    base = datetime.now(UTC).replace(microsecond=0)
    with DataForSEOEmulator(size=0, now=lambda: base + shift[0]) as emu:
        env = cli_env(tmp_path, {"dataforseo": emu.settings})
        hook = "https://hooks.example.com/p?id=$id&k=tok-5511"
        specs = [
            {
                "keyword": "pizza",
                "location": 2840,
                "language": "en",
                "serp_type": "maps",
                "device": "mobile",
                "depth": 100,
                "postback_url": hook,
                "postback_data": "advanced",
            },
            {"keyword": "news kw", "location": 2840, "language": "en", "serp_type": "news"},
        ]
        done = run_here(["submit", "-p", "dataforseo", str(_write_specs(tmp_path, specs))], env)
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert lines[0]["task_id"] and lines[1]["task_id"]
        assert "tok-5511" not in done.stdout + done.stderr
        paths = [r.path for r in emu.server.requests if r.path.endswith("task_post")]
        assert sorted(paths) == [
            "/v3/serp/google/maps/task_post",
            "/v3/serp/google/news/task_post",
        ]
        maps_item = next(b[0] for b in emu.posted() if b[0]["keyword"] == "pizza")
        assert maps_item["postback_url"] == hook and maps_item["postback_data"] == "advanced"
        assert maps_item["device"] == "mobile" and maps_item["depth"] == 100

        shift[0] = timedelta(minutes=10)
        maps_id = lines[0]["task_id"]
        args = ["collect", "-p", "dataforseo", "--id", maps_id, "--kind", "serp/google/maps"]
        done = run_here(args, env)
        assert done.returncode == 0, done.stderr
        [record] = [json.loads(line) for line in done.stdout.splitlines()]
        assert record["task"]["id"] == maps_id and record["task"]["kind"] == "serp/google/maps"
        assert record["result"]["tasks"][0]["result"][0]["keyword"] == "pizza"
        assert emu.collected_ids() == {maps_id}  # the news task was left alone

        done = run_here(["collect", "-p", "dataforseo", "--kind", "serp/google/maps"], env)
        assert done.returncode == 2 and "--id" in done.stderr


def test_cli_collect_by_id_serpstat(tmp_path: Path) -> None:
    from seotasks_serpstat.emulator import SerpstatEmulator

    shift = [timedelta(0)]
    base = datetime.now(UTC).replace(microsecond=0)
    with SerpstatEmulator(size=5, rps=None, now=lambda: base + shift[0]) as emu:
        env = cli_env(tmp_path, {"serpstat": {**emu.settings, "rps": "100"}})
        specs = [{"keyword": "k1", "location": 23, "serp_type": "local_finder"}]
        done = run_here(["submit", "-p", "serpstat", str(_write_specs(tmp_path, specs))], env)
        assert done.returncode == 0, done.stderr
        [line] = [json.loads(x) for x in done.stdout.splitlines()]
        assert emu.posted()[0][1]["type"] == "local"
        shift[0] = timedelta(minutes=10)
        task_id = line["task_id"]
        done = run_here(["collect", "-p", "serpstat", "--id", task_id, "--id", task_id], env)
        assert done.returncode == 0, done.stderr
        [record] = [json.loads(x) for x in done.stdout.splitlines()]  # one, not two
        assert record["task"]["id"] == task_id
        assert [t["keyword"] for t in record["result"]["tops"]] == ["k1"]


def test_a_spec_a_signal_kept_from_its_call_is_said_not_sent() -> None:
    """Serpstat posts spec by spec at its pace: a signal cuts the waits of the rest short.
    Their lines said "Interrupted: ..." where a refused run's say "not sent: ...": a
    script keying on ``not sent`` missed them."""
    import io

    from seotasks.cli.submit_run import SubmitRun
    from seotasks.errors import Interrupted

    out = io.StringIO()
    run = SubmitRun(out, io.StringIO(), total=1)
    spec = SerpTaskSpec(keyword="pizza", location=23)
    run.result(0, SubmitResult(spec=spec, error=Interrupted("stopped while waiting 0.5s")))
    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["error"] == "not sent: Interrupted: stopped while waiting 0.5s"
    assert run.cut_short == 1 and line["task_id"] is None
