"""``seotasks receive`` refusing at start what cannot work: an unwritable folder (exit 6),
a port in use, a bad address, a missing or short secret, limits that make no sense (exit
2), each with one line on stderr and nothing bound or left open.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest
from clihere import run_here
from receivekit import SECRET, Receiver, receive_env
from seotasks_dataforseo.provider import DataForSEOProvider

from seotasks.cli.receive_run import parse_listen
from seotasks.cli.receive_server import ReceiverServer
from seotasks.errors import ConfigError
from seotasks.receiver.app import ReceiverApp
from seotasks.store import ResultStore


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The single line an ordinary failure prints (never a traceback, an internal error)."""
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_an_unwritable_folder_is_refused_before_listening(tmp_path: Path) -> None:
    """``--to`` below a regular file (tests run as root, whom chmod does not stop) cannot
    hold a file: exit 6 (storage) with one line before the port is bound, not a receiver that
    answers every postback with an error."""
    (tmp_path / "file").write_text("")
    where = tmp_path / "file" / "sub"
    done = run_here(
        ["receive", "--listen", "127.0.0.1:0", "--to", str(where)], receive_env(tmp_path)
    )
    assert done.returncode == 6
    line = _one_line(done)
    assert "--to" in line and str(where) in line and "not writable" in line
    assert "receiving on" not in done.stderr


def test_a_port_in_use_is_exit_2_with_one_line(tmp_path: Path) -> None:
    with Receiver(tmp_path / "a", receive_env(tmp_path)) as first:
        host, port = first.address
        listen = f"{host}:{port}"
        done = run_here(
            ["receive", "--listen", listen, "--to", str(tmp_path / "b")], receive_env(tmp_path)
        )
    assert done.returncode == 2
    assert _one_line(done) == f"seotasks: ConfigError: --listen {listen}: address already in use"


def _taken_port() -> tuple[socket.socket, str]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder, f"127.0.0.1:{holder.getsockname()[1]}"


#: What ``openssl rand -base64 18`` gives: '/' splits the URL's path and '+' is a space
#: in a query, so the vendor's calls could never carry it intact.
BASE64_SECRET = "q7/Ky+3mZp0aW9vX2R4tLw=="

SITUATIONS: list[tuple[str, list[str], dict[str, str], int, str]] = [
    ("port in use", ["--listen", "TAKEN"], {}, 2, "address already in use"),
    ("address not here", ["--listen", "192.0.2.1:0"], {}, 2, "--listen 192.0.2.1:0"),
    ("bad listen", ["--listen", "8080"], {}, 2, "HOST:PORT"),
    ("unwritable --to", ["--to", "FILE/sub"], {}, 6, "not writable"),
    ("--to is a file", ["--to", "FILE"], {}, 2, "not a directory"),
    ("no secret", [], {"SEOTASKS_RECEIVE_SECRET": ""}, 2, "SEOTASKS_RECEIVE_SECRET"),
    ("short secret", [], {"SEOTASKS_RECEIVE_SECRET": "short"}, 2, "at least 16"),
    ("base64 secret", [], {"SEOTASKS_RECEIVE_SECRET": BASE64_SECRET}, 2, "letters, digits"),
    ("no threads", ["--threads", "0"], {}, 2, "--threads"),
    ("no connections", ["--max-connections", "0"], {}, 2, "--max-connections"),
    ("no idle time", ["--idle-timeout", "0"], {}, 2, "--idle-timeout"),
    # refused as parsed, like --workers: before the other checks, with the bounds
    (
        "threads over",
        ["--threads", "65", "--listen", "8080"],
        {},
        2,
        "--threads: must be within 1..64",
    ),
    ("idle over", ["--idle-timeout", "3601"], {}, 2, "--idle-timeout: must be within 1..3600"),
    ("caps inverted", ["--max-body", "4096", "--max-json", "2048"], {}, 2, "--max-json"),
    # not "pingbacks will be queued but not collected": a profile named is one to read
    ("no such profile", ["--profile", "nosuch"], {}, 2, "'nosuch'"),
    ("empty --secret-env", ["--secret-env", ""], {}, 2, "--secret-env needs the name"),
]


@pytest.mark.parametrize(
    ("args", "env", "code", "says"),
    [s[1:] for s in SITUATIONS],
    ids=[s[0] for s in SITUATIONS],
)
def test_ordinary_situations_end_in_one_line_and_their_exit_code(
    tmp_path: Path, args: list[str], env: dict[str, str], code: int, says: str
) -> None:
    """For ``receive``, each ordinary mistake is one line on stderr with
    the documented exit code, never "internal error" (exit 4) or a traceback."""
    (tmp_path / "FILE").write_text("")
    holder, taken = _taken_port()
    try:
        given = {"--listen": "127.0.0.1:0", "--to": str(tmp_path / "results")}
        flags = dict(zip(args[::2], args[1::2], strict=True))
        given.update(flags)
        given["--listen"] = given["--listen"].replace("TAKEN", taken)
        given["--to"] = given["--to"].replace("FILE", str(tmp_path / "FILE"))
        argv = ["receive", *(part for pair in given.items() for part in pair)]
        done = run_here(argv, {**receive_env(tmp_path), **env}, timeout=60)
    finally:
        holder.close()
    assert done.returncode == code, done.stderr
    assert says in _one_line(done)
    assert BASE64_SECRET not in done.stderr + done.stdout


def test_a_server_that_cannot_bind_leaves_no_file_open(tmp_path: Path) -> None:
    """waitress opens its wake-up pipe and the socket before it binds; when the bind
    fails, the command's error is one line and nothing it opened stays open (in a test
    or a long-lived process that retries, each failure would leak descriptors)."""
    app = ReceiverApp(ResultStore(tmp_path), SECRET, DataForSEOProvider)
    holder, taken = _taken_port()
    try:
        before = set(os.listdir("/proc/self/fd"))
        for _ in range(3):
            with pytest.raises(ConfigError, match="address already in use"):
                ReceiverServer(app, "127.0.0.1", int(taken.rpartition(":")[2]), threads=1)
        assert set(os.listdir("/proc/self/fd")) <= before
    finally:
        holder.close()


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen("[::1]:0") == ("::1", 0)
    for bad in ("8080", "host:", "host:99999", ":80", "host:http"):
        with pytest.raises(ValueError):
            parse_listen(bad)


def test_a_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="16"):
        ReceiverApp(ResultStore(tmp_path), "short", DataForSEOProvider)


@pytest.mark.parametrize("secret", [BASE64_SECRET, "abcdefghijklmnop?x", "abcdefghijklmnop%41"])
def test_a_secret_a_url_cannot_carry_is_refused(tmp_path: Path, secret: str) -> None:
    """The secret travels in the callback URL as the vendor calls it, verbatim: a '/'
    splits it into two path segments, '%41' arrives as 'A', '+' as a space in a query.
    Such a secret was accepted and every callback then answered 404 "without a valid
    secret" (its tasks left to a poll), so it is refused where it is set, unquoted."""
    with pytest.raises(ValueError, match="letters, digits") as refused:
        ReceiverApp(ResultStore(tmp_path), secret, DataForSEOProvider)
    assert secret not in str(refused.value)
