"""The profile file (``SEOTASKS_CONFIG``): read once whatever it is (a pipe included),
bounded in size, and warned of when others can read the credentials in it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fakevendor import SECRET, FakeVendor

from seotasks import ConfigError
from seotasks.config import resolve_settings as resolve

pytestmark = pytest.mark.usefixtures("fake_registry")

URL = "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("mode", "toml", "warned"),
    [
        (0o644, "api_key = 'k-0123456789'\n", True),
        (0o640, "api_key = 'k-0123456789'\n", True),
        (0o600, "api_key = 'k-0123456789'\n", False),
        (0o644, "page_size = 7\n", False),  # no secret in it: nothing to protect
    ],
)
def test_a_profile_file_others_can_read_with_a_secret_in_it_is_warned_of(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    mode: int,
    toml: str,
    warned: bool,
) -> None:
    """The docs ask for ``chmod 600`` since the file holds credentials in clear text; one
    that other users can read (the 644 an editor makes) was used without a word. Said
    once per file, naming it and the mode, never the secret."""
    path = tmp_path / "config.toml"
    path.write_text(f"[profiles.work.fakevendor]\n{toml}")
    path.chmod(mode)
    monkeypatch.setenv("SEOTASKS_CONFIG", str(path))
    with caplog.at_level("WARNING", logger="seotasks"):
        for _ in range(2):
            resolve(FakeVendor, {"base_url": URL, "api_key": SECRET}, profile="work")
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    if warned:
        [line] = lines
        assert str(path) in line and f"{mode:o}" in line and "chmod 600" in line, line
        assert "k-0123456789" not in line
    else:
        assert lines == []


def test_a_profile_file_given_as_a_pipe_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SEOTASKS_CONFIG=<(pass show seotasks)`` keeps the credentials off the disk; the
    file was read again for each provider (and by ``check`` once more), and a pipe gives
    its text only once: the second read found an empty file, ``no [profiles.work]``."""
    read, write = os.pipe()
    os.write(
        write, f"[profiles.work.fakevendor]\nbase_url = '{URL}'\napi_key = 'k-1234'\n".encode()
    )
    os.close(write)
    try:
        monkeypatch.setenv("SEOTASKS_CONFIG", f"/dev/fd/{read}")
        for _ in range(3):
            assert resolve(FakeVendor, profile="work")["api_key"] == "k-1234"
    finally:
        os.close(read)


def test_a_profile_file_that_never_ends_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SEOTASKS_CONFIG=/dev/zero`` (or a huge file named by mistake) was read whole into
    memory: ``internal error: MemoryError``, after eating the machine's memory."""
    monkeypatch.setenv("SEOTASKS_CONFIG", "/dev/zero")
    with pytest.raises(ConfigError, match="/dev/zero is over 1 MiB: not a seotasks config file"):
        resolve(FakeVendor, profile="work")
