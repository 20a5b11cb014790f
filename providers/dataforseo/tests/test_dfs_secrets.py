"""Credentials never reach logs, errors, reprs, cursors or notes."""

from __future__ import annotations

import base64
import json
import logging
from types import SimpleNamespace

import pytest

from seotasks import SeotasksError, SerpTaskSpec
from seotasks.emulation import EmulatorServer, Fault, HttpRequest, HttpResponse, json_response

from .conftest import Connect, MakeEmulator


def _forms(login: str, password: str) -> list[str]:
    return [password, base64.b64encode(f"{login}:{password}".encode()).decode()]


def test_credentials_absent_everywhere(
    make_emulator: MakeEmulator, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = make_emulator(seed=1, size=1500, kinds=("serp/google/organic",), recent=1.0)
    secrets = _forms(emu.login, emu.password)
    client = connect(emu, families=["serp"])
    texts: list[str] = [repr(client), str(client), repr(client.provider)]
    emu.server.faults.inject(Fault.HTTP_500)
    emu.server.faults.inject(Fault.TRUNCATED)
    for page in client.pages():
        texts.extend(page.notes)
        if page.next_cursor:
            texts.append(page.next_cursor)
            payload = page.next_cursor.split(".")[1]
            texts.append(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode())
    emu.server.faults.inject(Fault.HTTP_503, 10)
    with pytest.raises(SeotasksError) as info:
        client.page()
    texts += [str(info.value), repr(info.value), str(info.value.resume_cursor)]
    bad = connect(emu, password=emu.password + "-wrong")
    with pytest.raises(SeotasksError) as auth:
        bad.page()
    texts += [str(auth.value), repr(auth.value), repr(bad)]
    texts.append(caplog.text)
    assert "HTTP 500" in caplog.text or "attempt" in caplog.text  # logging was captured
    for text in texts:
        for secret in secrets + _forms(emu.login, emu.password + "-wrong"):
            assert secret not in text


class _EchoingVendor:
    """A vendor that refuses every posted task quoting the body it was sent, callback
    URLs included (as a validation message may)."""

    def handle(self, request: HttpRequest, fault: Fault | None) -> HttpResponse:
        echoed = f"Invalid Field: {request.body.decode()}"
        body = {"version": "0.1", "status_code": 40501, "status_message": echoed, "tasks": []}
        return json_response(200, json.dumps(body).encode())


def test_a_receivers_secret_in_a_callback_path_is_kept_out_of_errors_and_reprs(
    connect: Connect,
) -> None:
    """`seotasks receive` takes its secret as the callback URL's first path segment, so
    that segment is as secret as a query token."""
    secret = "Rcv-9f8e7d6c5b4a3210"
    spec = SerpTaskSpec(
        keyword="pizza",
        location=2840,
        language="en",
        pingback_url=f"https://hooks.example.com/{secret}/pingback?id=$id&tag=$tag",
        postback_url=f"https://hooks.example.com/{secret}/postback?id=$id",
    )
    with EmulatorServer(_EchoingVendor()) as server:
        account = {"base_url": server.url, "login": "me@example.com", "password": "pw-1234567"}
        client = connect(SimpleNamespace(settings=account))
        [result] = client.submit([spec])
    assert result.error is not None and "pingback" in str(result.error)
    texts = [str(result.error), repr(result.error), repr(result), repr(spec)]
    for text in texts:
        assert secret not in text
    assert "https://hooks.example.com/***/pingback" in repr(spec)


def test_the_receivers_routing_parameters_are_not_taken_for_secrets(
    make_emulator: MakeEmulator, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    """The pingback URL the docs give (``?id=$id&tag=$tag&kind=serp/{engine}/{serp_type}``)
    names the task's kind in its query: masking it as a token masked every path holding
    it (``POST /v3/***/task_post`` in the debug log). ``secret=`` stays a secret."""
    caplog.set_level(logging.DEBUG, logger="seotasks.transport")
    secret = "Rcv-0a1b2c3d4e5f6789"
    spec = SerpTaskSpec(
        keyword="pizza",
        location=2840,
        language="en",
        pingback_url=f"https://hooks.example.com/pingback?secret={secret}&id=$id&tag=$tag"
        "&kind=serp/google/organic",
    )
    client = connect(make_emulator(size=0))
    [result] = client.submit([spec])
    assert result.error is None
    assert "/v3/serp/google/organic/task_post" in caplog.text, caplog.text
    assert client.transport.redactor.scrub(f"echo {secret}") == "echo ***"
