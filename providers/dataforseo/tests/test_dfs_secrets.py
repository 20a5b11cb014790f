"""Credentials never reach logs, errors, reprs, cursors or notes."""

from __future__ import annotations

import base64
import logging

import pytest

from seotasks import SeotasksError
from seotasks.emulation import Fault

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
